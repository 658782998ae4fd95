// A throttle so a busy run edits its progress message at most once per interval, the final state always
// shown; timers are injectable so tests run on a fake clock.

/** Timers the throttle uses; tests pass a fake. */
export type Timers = {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
};

export const realTimers: Timers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/**
 * Runs `task` at most once per `intervalMs`: the first request runs at once, requests during the
 * interval collapse into one run at its end, and `flush` runs a pending request immediately.
 * Runs never overlap, so edits reach the platform in order.
 */
export class Throttle {
  private lastRunAt = Number.NEGATIVE_INFINITY;
  private pending = false;
  private running: Promise<void> | undefined;
  private timer: unknown;
  private closed = false;

  constructor(
    private readonly intervalMs: number,
    private readonly task: () => Promise<void>,
    private readonly timers: Timers = realTimers,
  ) {}

  request(): void {
    if (this.closed) return;
    this.pending = true;
    this.schedule();
  }

  /** Runs a pending request now (after any run in flight) and resolves once it is done. */
  async flush(): Promise<void> {
    for (;;) {
      if (this.timer !== undefined) {
        this.timers.clearTimeout(this.timer);
        this.timer = undefined;
      }
      if (this.running) await this.running;
      else if (this.pending && !this.closed) this.start();
      else return;
    }
  }

  close(): void {
    this.closed = true;
    this.pending = false;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    if (this.running || this.timer !== undefined || !this.pending || this.closed) return;
    const wait = this.lastRunAt + this.intervalMs - this.timers.now();
    if (wait <= 0) {
      this.start();
      return;
    }
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      this.schedule();
    }, wait);
  }

  private start(): void {
    this.pending = false;
    this.lastRunAt = this.timers.now();
    this.running = this.task()
      .catch(() => undefined)
      .finally(() => {
        this.running = undefined;
        this.schedule();
      });
  }
}
