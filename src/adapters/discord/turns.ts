// Holds handler work back while interaction acknowledgements are in flight, then lets it start one piece
// per event-loop turn, after that turn's I/O: in a burst, the Gateway's next packets and the
// acknowledgements they trigger are never stuck behind the handlers of earlier interactions.

export type TurnOptions = {
  /** True while acknowledgements are in flight; work waits (up to maxWaitMs) until it turns false. */
  busy?: () => boolean;
  /** Longest a piece of work waits on busy(), so a steady stream of interactions cannot starve it. */
  maxWaitMs?: number;
  /** How often busy() is asked again while work waits. */
  pollMs?: number;
  now?: () => number;
};

export class TurnQueue {
  private readonly waiting: { resume: () => void; since: number }[] = [];
  private scheduled = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly busy: () => boolean;
  private readonly maxWaitMs: number;
  private readonly pollMs: number;
  private readonly now: () => number;

  constructor(options: TurnOptions = {}) {
    this.busy = options.busy ?? (() => false);
    this.maxWaitMs = options.maxWaitMs ?? 250;
    this.pollMs = options.pollMs ?? 5;
    this.now = options.now ?? (() => performance.now());
  }

  /** Resolves on a later event-loop turn; at most one waiter resumes per turn, in arrival order. */
  next(): Promise<void> {
    return new Promise<void>((resume) => {
      this.waiting.push({ resume, since: this.now() });
      this.schedule();
    });
  }

  /** Call when busy() may have turned false. */
  wake(): void {
    this.schedule();
  }

  /** Waiters not yet resumed. */
  get size(): number {
    return this.waiting.length;
  }

  private schedule(): void {
    const oldest = this.waiting[0];
    if (this.scheduled || !oldest) return;
    const waitLeft = oldest.since + this.maxWaitMs - this.now();
    if (waitLeft > 0 && this.busy()) {
      // Look again shortly (wake() may come sooner); never past the longest wait.
      if (!this.timer) {
        this.timer = setTimeout(
          () => {
            this.timer = undefined;
            this.schedule();
          },
          Math.min(this.pollMs, waitLeft),
        );
        this.timer.unref();
      }
      return;
    }
    this.scheduled = true;
    // setImmediate runs after the poll phase: everything readable (Gateway frames, responses) goes first.
    setImmediate(() => {
      this.scheduled = false;
      this.waiting.shift()?.resume();
      this.schedule();
    });
  }
}
