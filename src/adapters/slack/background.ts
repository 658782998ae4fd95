// Work that runs after Slack has been answered: a queue started a few tasks per timer tick, and held back
// while requests are still streaming in, so a burst of requests is acknowledged first and worked on next.

export type BackgroundWorkOptions = {
  /** Tasks started per tick. */
  perTick?: number;
  /** Start nothing until no request has arrived for this long (see arrived())... */
  quietMs?: number;
  /** ...unless the oldest waiting task has waited this long. */
  maxHoldMs?: number;
  /** Milliseconds on a monotonic clock; tests drive it by hand. */
  now?: () => number;
};

/**
 * Tracks what runs so stop() can wait for it, and routes each task's failure to its own handler.
 *
 * Why the pacing: since libuv 1.45 an event-loop turn accepts at most one new connection (libuv#3696), so
 * every bit of work done per turn during a burst of connections delays the rest of the burst's acks. Tasks
 * therefore start from a timer (a pending setImmediate would make every turn a busy one), and, when the
 * caller reports arrivals, only once the burst has passed or the oldest task has waited maxHoldMs.
 */
export class BackgroundWork {
  private readonly running = new Set<Promise<void>>();
  private readonly queue: { start: () => Promise<void>; at: number }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private lastArrival = Number.NEGATIVE_INFINITY;
  private readonly perTick: number;
  private readonly quietMs: number;
  private readonly maxHoldMs: number;
  private readonly now: () => number;

  constructor(options: BackgroundWorkOptions = {}) {
    this.perTick = options.perTick ?? 8;
    this.quietMs = options.quietMs ?? 0;
    this.maxHoldMs = options.maxHoldMs ?? 0;
    this.now = options.now ?? (() => performance.now());
  }

  /** A request has just arrived: hold new tasks until arrivals pause. */
  arrived(): void {
    this.lastArrival = this.now();
  }

  run(task: () => Promise<void>, onError: (error: unknown) => Promise<void> | void): void {
    const start = async () => {
      try {
        await task();
      } catch (error) {
        try {
          await onError(error);
        } catch {
          // The error path itself failed (e.g. Slack unreachable); onError logged it first.
        }
      }
    };
    this.queue.push({ start, at: this.now() });
    this.schedule(0);
  }

  private schedule(delayMs: number): void {
    if (this.timer || this.queue.length === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.tick();
    }, delayMs);
  }

  private tick(): void {
    const now = this.now();
    const oldest = this.queue[0]?.at ?? now;
    const quietFor = now - this.lastArrival;
    if (quietFor < this.quietMs && now - oldest < this.maxHoldMs) {
      this.schedule(Math.max(1, Math.min(this.quietMs - quietFor, this.maxHoldMs - (now - oldest))));
      return;
    }
    for (let i = 0; i < this.perTick && this.queue.length > 0; i++) {
      const p = (this.queue.shift() as { start: () => Promise<void> }).start();
      this.running.add(p);
      p.finally(() => this.running.delete(p));
    }
    this.schedule(0);
  }

  /** Waits until the queue is empty and every started task has finished, or the timeout passes. */
  async settle(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((this.queue.length > 0 || this.running.size > 0) && Date.now() < deadline) {
      // A short sleep also lets queued tasks' timers fire; awaiting an empty allSettled would spin on
      // microtasks and starve them.
      const pause = new Promise((r) => setTimeout(r, this.running.size > 0 ? 50 : 5).unref());
      await Promise.race([this.running.size > 0 ? Promise.allSettled([...this.running]) : pause, pause]);
    }
  }

  get size(): number {
    return this.running.size + this.queue.length;
  }
}
