// API key checks (constant-time, against every configured key) and per-key rate limiting (token bucket).
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { HttpProblem } from "./problem.ts";

/**
 * What a key may do (the grammar of STAFFROOM_API_KEYS entries; README "API keys"):
 * - `admin:<key>`: everything, every teacher's executions and the admin-only routes (DELETE /api/users/{id}).
 * - `user:<user_id>:<key>`: a teacher key, bound to one teacher: it starts, reads, cancels, answers and streams
 *   only that teacher's executions (others answer 403) and lists only theirs. The user id is everything between
 *   `user:` and the last `:` (ids such as `cli:ana` keep their colons; percent-encode a comma as %2C).
 * - `<key>` alone: today's keys, kept as they were for existing integrations: every teacher's executions, but
 *   not the admin-only routes. The server warns at start that such keys read every teacher's inputs.
 */
export type ApiScope = "api" | "admin" | "teacher";

export type ApiKeyCheck = {
  /** Which key matched, as a short stable id safe to log (never the key itself); undefined when none did. */
  keyId: string | undefined;
  /** The matched key's scope; undefined when none matched. */
  scope?: ApiScope;
  /** A teacher key's teacher. */
  userId?: string;
};

export type ApiKeyEntry = { key: string; scope: ApiScope; userId?: string };

/** One entry of STAFFROOM_API_KEYS: its key, scope and teacher, or one sentence saying what to fix (pure). */
export function parseApiKey(entry: string): ApiKeyEntry | { problem: string } {
  const t = entry.trim();
  const prefix = /^([a-z]+):/.exec(t)?.[1];
  if (prefix === "admin") {
    const key = t.slice("admin:".length).trim();
    return key ? { key, scope: "admin" } : { problem: '"admin:" is followed by no key; write admin:<key>' };
  }
  if (prefix === "user") {
    const rest = t.slice("user:".length);
    const cut = rest.lastIndexOf(":");
    const key = cut < 0 ? "" : rest.slice(cut + 1).trim();
    let userId = cut < 0 ? "" : rest.slice(0, cut).trim();
    if (!userId || !key) return { problem: `"${shown(t)}" needs both a user id and a key; write user:<user_id>:<key>` };
    try {
      userId = decodeURIComponent(userId);
    } catch {
      return { problem: `the user id in "${shown(t)}" has a stray %; percent-encode it (a comma is %2C)` };
    }
    return { key, scope: "teacher", userId };
  }
  // A word and a colon that is no scope is almost always a mistyped one (keys themselves are random hex).
  if (prefix) return { problem: `"${prefix}:" is not a scope; write admin:<key>, user:<user_id>:<key> or the key alone` };
  return { key: t, scope: "api" };
}

/** The start of an entry, never the key itself (config messages are printed and logged). */
function shown(entry: string): string {
  const cut = entry.lastIndexOf(":");
  return `${cut > 0 ? entry.slice(0, cut + 1) : ""}…`;
}

/** One message per problem in STAFFROOM_API_KEYS (config.ts reports them), e.g. a key listed with two scopes. */
export function apiKeyProblems(entries: readonly string[]): string[] {
  const problems: string[] = [];
  const seen = new Map<string, string>();
  entries.forEach((entry, i) => {
    const parsed = parseApiKey(entry);
    if ("problem" in parsed) {
      problems.push(`entry ${i + 1}: ${parsed.problem}`);
      return;
    }
    const scope = parsed.scope === "teacher" ? `user:${parsed.userId}` : parsed.scope;
    const before = seen.get(parsed.key);
    if (before !== undefined && before !== scope)
      problems.push(`entry ${i + 1}: the same key is listed before with another scope; give each scope its own key`);
    seen.set(parsed.key, scope);
  });
  return problems;
}

/** How many keys read every teacher's executions without being admin keys (the start-up warning). */
export function unscopedKeys(entries: readonly string[]): number {
  return entries.map(parseApiKey).filter((e) => !("problem" in e) && e.scope === "api").length;
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

/** Key id shown in logs and used to scope idempotency keys and rate limits. */
export function apiKeyId(key: string): string {
  return `key_${digest(key).toString("hex").slice(0, 12)}`;
}

export class ApiKeys {
  private readonly keys: { digest: Buffer; id: string; scope: ApiScope; userId?: string }[];

  /** Entries the config refused never get here; a malformed one passed directly is skipped, never widened. */
  constructor(keys: readonly string[]) {
    const parsed = new Map<string, ApiKeyEntry>();
    for (const entry of keys.map(parseApiKey))
      if (!("problem" in entry) && entry.key && parsed.get(entry.key)?.scope !== "admin") parsed.set(entry.key, entry);
    this.keys = [...parsed].map(([k, e]) => ({
      digest: digest(k),
      id: apiKeyId(k),
      scope: e.scope,
      ...(e.userId ? { userId: e.userId } : {}),
    }));
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
    let match: { id: string; scope: ApiScope; userId?: string } | undefined;
    for (const key of this.keys) {
      if (timingSafeEqual(presented, key.digest) && token) match = key;
    }
    return match
      ? { keyId: match.id, scope: match.scope, ...(match.userId !== undefined ? { userId: match.userId } : {}) }
      : { keyId: undefined };
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
