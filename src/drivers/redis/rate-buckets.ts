// Rate buckets shared by every replica (rate-limiter-flexible on Redis): platform posting limits per
// channel or workspace, API keys. N replicas together never take more than one bucket allows.
import type { Redis } from "ioredis";
import { RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";

export type BucketDecision = { allowed: boolean; remaining: number; retryAfterMs: number };

export class SharedRateBuckets {
  private readonly limiter: RateLimiterRedis;

  /** `points` per `durationSeconds` per key, under `prefix` (one bucket family, e.g. "slack-post"). */
  constructor(redis: Redis, opts: { prefix: string; points: number; durationSeconds: number }) {
    this.limiter = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: opts.prefix,
      points: opts.points,
      duration: opts.durationSeconds,
    });
  }

  /** Takes `points` from a key's bucket if it has them. */
  async take(key: string, points = 1): Promise<BucketDecision> {
    try {
      const res = await this.limiter.consume(key, points);
      return { allowed: true, remaining: res.remainingPoints, retryAfterMs: 0 };
    } catch (refusal) {
      // rate-limiter-flexible rejects with a RateLimiterRes when the bucket is empty, an Error otherwise.
      if (refusal instanceof RateLimiterRes) return { allowed: false, remaining: 0, retryAfterMs: refusal.msBeforeNext };
      throw refusal;
    }
  }

  /** Waits until the key's bucket has a point, then takes it (posting paces itself instead of failing). */
  async wait(key: string, opts: { maxWaitMs?: number } = {}): Promise<boolean> {
    const deadline = Date.now() + (opts.maxWaitMs ?? 60_000);
    for (;;) {
      const d = await this.take(key);
      if (d.allowed) return true;
      if (Date.now() + d.retryAfterMs > deadline) return false;
      await new Promise((r) => setTimeout(r, Math.max(1, d.retryAfterMs)));
    }
  }

  /** Empties a key's bucket for `ms` on every replica (a platform answered 429 with Retry-After). */
  async pause(key: string, ms: number): Promise<void> {
    await this.limiter.block(key, Math.max(1, Math.ceil(ms / 1000)));
  }
}
