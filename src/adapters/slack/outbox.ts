// Ordering and pacing of what the bot sends: posts run one at a time per channel at about Slack's
// 1-message-per-second pace (with a small burst), and queued edits of one message collapse into the latest.

export type Pacing = {
  /** Posts allowed back to back before pacing starts. */
  burst: number;
  /** Interval that refills one post, in ms (Slack: about 1 s per channel). */
  intervalMs: number;
};

export const DEFAULT_PACING: Pacing = { burst: 3, intervalMs: 1000 };

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const noop = () => {};

type Bucket = { tokens: number; at: number; tail: Promise<unknown> };

type QueuedEdit = { run: () => Promise<void>; promise: Promise<void> };

export class Outbox {
  private readonly buckets = new Map<string, Bucket>();
  private readonly queuedEdits = new Map<string, QueuedEdit>();
  private readonly editTails = new Map<string, Promise<void>>();
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(private readonly pacing: Pacing = DEFAULT_PACING) {}

  /** Runs `task` after every earlier post in `channel`, once the channel's pace allows it. */
  post<T>(channel: string, task: () => Promise<T>): Promise<T> {
    const bucket = this.buckets.get(channel) ?? { tokens: this.pacing.burst, at: Date.now(), tail: Promise.resolve() };
    this.buckets.set(channel, bucket);
    const result = bucket.tail.then(noop, noop).then(async () => {
      await this.take(bucket);
      return task();
    });
    bucket.tail = result;
    return this.track(result);
  }

  /**
   * Runs an edit of message `key` after the previous edit of it; while one waits its turn, later edits
   * replace its content (the latest state is what counts) and share its promise.
   */
  edit(key: string, run: () => Promise<void>): Promise<void> {
    const queued = this.queuedEdits.get(key);
    if (queued) {
      queued.run = run;
      return queued.promise;
    }
    const tail = this.editTails.get(key) ?? Promise.resolve();
    const entry: QueuedEdit = { run, promise: Promise.resolve() };
    entry.promise = tail.then(noop, noop).then(() => {
      this.queuedEdits.delete(key);
      return entry.run();
    });
    this.queuedEdits.set(key, entry);
    this.editTails.set(key, entry.promise);
    entry.promise.then(noop, noop).then(() => {
      if (this.editTails.get(key) === entry.promise) this.editTails.delete(key);
    });
    return this.track(entry.promise);
  }

  /** Resolves when everything queued so far has been sent (or failed). */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inFlight.add(p);
    p.then(noop, noop).then(() => this.inFlight.delete(p));
    return p;
  }

  private async take(bucket: Bucket): Promise<void> {
    const { burst, intervalMs } = this.pacing;
    const now = Date.now();
    bucket.tokens = Math.min(burst, bucket.tokens + (now - bucket.at) / intervalMs);
    bucket.at = now;
    if (bucket.tokens < 1) {
      const wait = Math.ceil((1 - bucket.tokens) * intervalMs);
      await sleep(wait);
      bucket.tokens = 1;
      bucket.at = Date.now();
    }
    bucket.tokens -= 1;
  }
}
