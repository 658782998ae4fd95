// API key checks (constant-time, against every configured key) and per-key rate limiting (token bucket).
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { HttpProblem } from "./problem.ts";

export type ApiKeyCheck = {
  /** Which key matched, as a short stable id safe to log (never the key itself); undefined when none did. */
  keyId: string | undefined;
};

function digest(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

/** Key id shown in logs and used to scope idempotency keys and rate limits. */
export function apiKeyId(key: string): string {
  return `key_${digest(key).toString("hex").slice(0, 12)}`;
}

export class ApiKeys {
  private readonly keys: { digest: Buffer; id: string }[];

  constructor(keys: readonly string[]) {
    this.keys = [...new Set(keys.map((k) => k.trim()).filter(Boolean))].map((k) => ({ digest: digest(k), id: apiKeyId(k) }));
  }

  get size(): number {
    return this.keys.length;
  }

  /**
   * Compares the presented token with every key (no early exit) through fixed-length digests, so
   * neither the position of a matching key nor a key's length leaks through timing.
   */
  check(req: IncomingMessage): ApiKeyCheck {
    const header = req.headers.authorization;
    const match = typeof header === "string" ? /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(header) : null;
    return this.checkToken(match?.[1]);
  }

  /** The same check for a key typed elsewhere (the admin sign-in form). */
  checkToken(token: string | undefined): ApiKeyCheck {
    const presented = digest(token?.trim() ?? "");
    let keyId: string | undefined;
    for (const key of this.keys) {
      if (timingSafeEqual(presented, key.digest) && token) keyId = key.id;
    }
    return { keyId };
  }
}

export function unauthorized(req: IncomingMessage): HttpProblem {
  const hasHeader = typeof req.headers.authorization === "string";
  return new HttpProblem(
    401,
    "unauthorized",
    hasHeader
      ? "The API key is not valid; send one of the keys in STAFFROOM_API_KEYS as Authorization: Bearer <key>."
      : "This endpoint needs an API key; send it as the header Authorization: Bearer <key>.",
    { headers: { "www-authenticate": 'Bearer realm="staffroom"' } },
  );
}

/** Outcome of one rate-limit check; `retryAfterSeconds` is set when the request must wait. */
export type RateDecision = { allowed: boolean; limit: number; remaining: number; retryAfterSeconds: number };

/**
 * A token bucket per key: `perMinute` requests in a burst, refilled evenly over the minute.
 * Entries are dropped once full again, so the map stays bounded by recently active keys.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly perMs: number;

  constructor(
    readonly perMinute: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.perMs = perMinute / 60_000;
  }

  take(key: string): RateDecision {
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.perMinute, at: now };
    bucket.tokens = Math.min(this.perMinute, bucket.tokens + (now - bucket.at) * this.perMs);
    bucket.at = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      this.buckets.set(key, bucket);
      if (this.buckets.size > 10_000) this.prune(now);
      return { allowed: true, limit: this.perMinute, remaining: Math.floor(bucket.tokens), retryAfterSeconds: 0 };
    }
    this.buckets.set(key, bucket);
    const waitMs = (1 - bucket.tokens) / this.perMs;
    return { allowed: false, limit: this.perMinute, remaining: 0, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
  }

  private prune(now: number): void {
    for (const [key, b] of this.buckets) {
      if (b.tokens + (now - b.at) * this.perMs >= this.perMinute) this.buckets.delete(key);
    }
  }
}

export function rateLimited(decision: RateDecision, who: string): HttpProblem {
  return new HttpProblem(
    429,
    "rate_limited",
    `Too many requests ${who}; the limit is ${decision.limit} per minute. Try again in ${decision.retryAfterSeconds} s.`,
    {
      headers: { "retry-after": String(decision.retryAfterSeconds), "ratelimit-limit": String(decision.limit), "ratelimit-remaining": "0" },
    },
  );
}

/** Constant-time equality of two secrets of any length (compared through fixed-length digests). */
export function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b)) && a.length > 0;
}
