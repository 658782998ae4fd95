// API key checks (constant-time, against every configured key) and per-key rate limiting (token bucket).
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { HttpProblem } from "./problem.ts";

/**
 * What a key may do. "api": today's keys (start, read, cancel and answer executions). "admin": also what only
 * an administrator may do (delete a teacher's data). A key listed as `admin:<key>` in STAFFROOM_API_KEYS is an
 * admin key; the key itself is the part after `admin:`.
 */
export type ApiScope = "api" | "admin";

export type ApiKeyCheck = {
  /** Which key matched, as a short stable id safe to log (never the key itself); undefined when none did. */
  keyId: string | undefined;
  /** The matched key's scope; undefined when none matched. */
  scope?: ApiScope;
};

const ADMIN_PREFIX = "admin:";

/** One entry of STAFFROOM_API_KEYS: its key and scope (pure). */
export function parseApiKey(entry: string): { key: string; scope: ApiScope } {
  const t = entry.trim();
  return t.startsWith(ADMIN_PREFIX) ? { key: t.slice(ADMIN_PREFIX.length).trim(), scope: "admin" } : { key: t, scope: "api" };
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

/** Key id shown in logs and used to scope idempotency keys and rate limits. */
export function apiKeyId(key: string): string {
  return `key_${digest(key).toString("hex").slice(0, 12)}`;
}

export class ApiKeys {
  private readonly keys: { digest: Buffer; id: string; scope: ApiScope }[];

  constructor(keys: readonly string[]) {
    const parsed = new Map<string, ApiScope>();
    for (const { key, scope } of keys.map(parseApiKey)) if (key && parsed.get(key) !== "admin") parsed.set(key, scope);
    this.keys = [...parsed].map(([k, scope]) => ({ digest: digest(k), id: apiKeyId(k), scope }));
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
    let match: { id: string; scope: ApiScope } | undefined;
    for (const key of this.keys) {
      if (timingSafeEqual(presented, key.digest) && token) match = key;
    }
    return match ? { keyId: match.id, scope: match.scope } : { keyId: undefined };
  }
}

/** A valid key without the scope a route needs. */
export function forbidden(scope: ApiScope): HttpProblem {
  return new HttpProblem(
    403,
    "forbidden",
    `This endpoint needs an ${scope} API key; list such a key as ${scope}:<key> in STAFFROOM_API_KEYS and send it as Authorization: Bearer <key>.`,
  );
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
