// Time, backoff and concurrency primitives the engine schedules with; the clock is injectable so
// tests drive retries and deadlines without real waiting.
import { CancelledError } from "../errors.ts";
import type { RetryPolicy } from "./schema.ts";

export type Clock = {
  now(): number;
  /** Resolves after `ms`; rejects with the signal's reason when aborted first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
};

/** setTimeout's longest delay; a longer one fires after 1 ms, so longer sleeps wait in pieces of this size. */
const LONGEST_TIMER_MS = 2 ** 31 - 1;

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason ?? new CancelledError());
      const until = Date.now() + ms;
      let timer: ReturnType<typeof setTimeout>;
      const arm = (left: number) => {
        timer = setTimeout(
          () => {
            const rest = until - Date.now();
            if (rest > 0) return arm(rest);
            signal?.removeEventListener("abort", onAbort);
            resolve();
          },
          Math.min(Math.max(left, 0), LONGEST_TIMER_MS),
        );
      };
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason ?? new CancelledError());
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      arm(ms);
    }),
};

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 3, baseDelayMs: 500, maxDelayMs: 30_000 };

/** Exponential backoff with full jitter; a server's Retry-After wins (up to the cap). */
export function backoffDelay(policy: RetryPolicy, attempt: number, random: () => number, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined && retryAfterMs >= 0) return Math.min(policy.maxDelayMs, retryAfterMs);
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(random() * ceiling);
}

/** A counting semaphore: at most `max` tasks at once, FIFO, with abortable waiting. */
export class Limiter {
  private active = 0;
  private readonly queue: { start: () => void; signal: AbortSignal | undefined; onAbort: () => void }[] = [];

  constructor(readonly max: number) {}

  get running(): number {
    return this.active;
  }

  get waiting(): number {
    return this.queue.length;
  }

  async run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.acquire(signal);
    try {
      return await fn();
    } finally {
      this.release();
    }
  }

  private acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason ?? new CancelledError());
    if (this.active < this.max) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const entry = {
        signal,
        start: () => {
          signal?.removeEventListener("abort", entry.onAbort);
          this.active++;
          resolve();
        },
        onAbort: () => {
          const i = this.queue.indexOf(entry);
          if (i >= 0) this.queue.splice(i, 1);
          reject(signal?.reason ?? new CancelledError());
        },
      };
      signal?.addEventListener("abort", entry.onAbort, { once: true });
      this.queue.push(entry);
    });
  }

  private release(): void {
    this.active--;
    this.queue.shift()?.start();
  }
}
