// Delivery claims: one atomic insert-if-absent per store, so when a platform hands the same delivery to two
// replicas (or twice to one), exactly one of them acts. A check-then-set on Keyv let both through; here the
// database decides: PostgreSQL `INSERT ... ON CONFLICT`, SQLite's UPSERT, or one synchronous Map step in memory.
// An expired claim is taken over in the same statement, so a key is claimable again after its lifetime.
import type pg from "pg";
import type { DeliveryClaims } from "./types.ts";

/** Expired claims are deleted now and then (every this many claims); the claim itself never needs it. */
const PRUNE_EVERY = 500;

/** In memory (the memory: store, and chat cores built without a store): atomic within the process. */
export class MapClaims implements DeliveryClaims {
  private readonly claims = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  async claim(key: string, ttlMs: number): Promise<boolean> {
    const now = this.now();
    // Read and write in one synchronous step: no await between them, so no other claim can interleave.
    const until = this.claims.get(key);
    if (until !== undefined && until > now) return false;
    this.claims.set(key, now + ttlMs);
    if (this.claims.size % PRUNE_EVERY === 0) await this.sweepExpired(now);
    return true;
  }

  async sweepExpired(now = this.now()): Promise<number> {
    let removed = 0;
    for (const [k, u] of this.claims) if (u <= now && this.claims.delete(k)) removed++;
    return removed;
  }
}

type Query = (sql: string, ...params: unknown[]) => Promise<unknown>;

/** The SQLite file's `delivery_claims` table: every process on the file shares it. */
export class SqliteClaims implements DeliveryClaims {
  private count = 0;

  private constructor(
    private readonly query: Query,
    private readonly now: () => number,
  ) {}

  static async open(query: Query, now: () => number = Date.now): Promise<SqliteClaims> {
    await query("CREATE TABLE IF NOT EXISTS delivery_claims (key TEXT PRIMARY KEY, expires_at INTEGER NOT NULL)");
    return new SqliteClaims(query, now);
  }

  async claim(key: string, ttlMs: number): Promise<boolean> {
    const now = this.now();
    const rows = (await this.query(
      "INSERT INTO delivery_claims (key, expires_at) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE delivery_claims.expires_at <= ? RETURNING key",
      key,
      now + ttlMs,
      now,
    )) as unknown[];
    if (++this.count % PRUNE_EVERY === 0) await this.sweepExpired(now).catch(() => undefined);
    return rows.length === 1;
  }

  async sweepExpired(now = this.now()): Promise<number> {
    return ((await this.query("DELETE FROM delivery_claims WHERE expires_at <= ? RETURNING key", now)) as unknown[]).length;
  }
}

/** PostgreSQL's `delivery_claims` table (migration 5), shared by every replica. */
export class PostgresClaims implements DeliveryClaims {
  private count = 0;

  constructor(
    private readonly pool: pg.Pool,
    private readonly now: () => number = Date.now,
  ) {}

  async claim(key: string, ttlMs: number): Promise<boolean> {
    const now = this.now();
    const { rowCount } = await this.pool.query(
      `INSERT INTO delivery_claims (key, expires_at) VALUES ($1, $2)
       ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE delivery_claims.expires_at <= $3`,
      [key, now + ttlMs, now],
    );
    if (++this.count % PRUNE_EVERY === 0) await this.sweepExpired(now).catch(() => undefined);
    return rowCount === 1;
  }

  async sweepExpired(now = this.now()): Promise<number> {
    return (await this.pool.query("DELETE FROM delivery_claims WHERE expires_at <= $1", [now])).rowCount ?? 0;
  }
}
