// Per-teacher data keys: made on first use, kept wrapped by the deployment key in the store's own table
// (SQLite and PostgreSQL: `data_keys`; memory: a map), deleted by forget. Deleting the key is what makes every
// sealed copy of the teacher's records unreadable at once: rows, dead tuples, WAL, backups.
import { StaffroomError } from "../errors.ts";
import { newKey, open, seal } from "./crypto.ts";
import type { DataKeys } from "./types.ts";

/** Where wrapped keys live: one row per teacher. */
export interface KeyTable {
  get(userId: string): Promise<string | undefined>;
  /** Inserts unless the teacher already has a key (a racing replica's insert wins). */
  insertIfAbsent(userId: string, wrapped: string): Promise<void>;
  delete(userId: string): Promise<boolean>;
}

export class MapKeyTable implements KeyTable {
  private readonly rows = new Map<string, string>();
  async get(userId: string) {
    return this.rows.get(userId);
  }
  async insertIfAbsent(userId: string, wrapped: string) {
    if (!this.rows.has(userId)) this.rows.set(userId, wrapped);
  }
  async delete(userId: string) {
    return this.rows.delete(userId);
  }
}

/** How long an unwrapped key is reused in memory: another replica's forget takes effect here within this. */
const CACHE_MS = 30_000;
const WRAP_CONTEXT = "staffroom data key:";

export class KeyRing implements DataKeys {
  private readonly cache = new Map<string, { key: Buffer; at: number }>();

  constructor(
    private readonly table: KeyTable,
    private readonly master: Buffer,
    private readonly now: () => number = Date.now,
  ) {}

  async key(userId: string, create: boolean): Promise<Buffer | undefined> {
    const hit = this.cache.get(userId);
    if (hit && this.now() - hit.at < CACHE_MS) return hit.key;
    let wrapped = await this.table.get(userId);
    if (!wrapped && create) {
      await this.table.insertIfAbsent(userId, seal(this.master, newKey(), WRAP_CONTEXT + userId));
      wrapped = await this.table.get(userId);
    }
    if (!wrapped) {
      this.cache.delete(userId);
      return undefined;
    }
    const key = open(this.master, wrapped, WRAP_CONTEXT + userId);
    if (!key)
      throw new StaffroomError(
        "data_key_mismatch",
        "A teacher's data key cannot be unwrapped with STAFFROOM_DATA_KEY: the store was written with another key; set the key it was written with.",
      );
    this.cache.set(userId, { key, at: this.now() });
    if (this.cache.size > 10_000) this.cache.clear();
    return key;
  }

  async delete(userId: string): Promise<boolean> {
    this.cache.delete(userId);
    return this.table.delete(userId);
  }
}
