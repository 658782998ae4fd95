// The local database: one Keyv adapter (@keyv/sqlite, or memory) shared by every layer's namespace,
// with the engine's executions behind the ExecutionStore driver in ./execution-store.ts (which owns their
// layout: one small header per execution and one commit row per write, holding its events and the node
// states it wrote), and the teachers' data keys in their own `data_keys` table (see ../keys.ts).
import { linkSync, mkdirSync, readFileSync, type Stats, statSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import KeyvSqlite from "@keyv/sqlite";
import Keyv, { type KeyvStoreAdapter } from "keyv";
import sqlite3 from "sqlite3";
import type { ExecutionStore } from "../../engine/store/types.ts";
import { StaffroomError } from "../../errors.ts";
import { MapClaims, SqliteClaims } from "../claims.ts";
import { newKey, parseDataKey } from "../crypto.ts";
import { KeyRing, type KeyTable, MapKeyTable } from "../keys.ts";
import { Retention } from "../retention.ts";
import { sealingAdapter } from "../sealing.ts";
import type { DataKeys, DeliveryClaims } from "../types.ts";
import { chooseStore } from "../urls.ts";
import { LocalExecutionStore } from "./execution-store.ts";
import { MapTable, SqliteTable } from "./table.ts";

const DAY_MS = 86_400_000;

export type StoreOptions = {
  retentionDays?: number;
  /** STAFFROOM_DATA_KEY; unset: a key generated once and kept beside the database file (see localDataKey). */
  dataKey?: string;
};

export class Store {
  /** A Keyv in the engine's namespace (diagnostics; the engine itself writes through `executions`). */
  readonly kv: Keyv;
  /** Record lifetime in ms (retention). */
  readonly ttlMs: number;
  readonly url: string;
  private readonly adapter: KeyvStoreAdapter | Map<string, unknown>;
  private readonly namespaces = new Map<string, Keyv>();
  private readonly sqlite: KeyvSqlite | undefined;
  /** The engine table's own connection (prepared statements), when the file is a real one. */
  private readonly raw: sqlite3.Database | undefined;
  private readonly table: SqliteTable | undefined;
  /** The retention sweep's schedule and its last run (see ../retention.ts). */
  readonly retention: Retention;
  /** The engine's executions, through the local ExecutionStore driver on this database. */
  readonly executions: ExecutionStore;
  /** The teachers' data keys (the `data_keys` table; memory: a map). */
  readonly keys: DataKeys;
  /** Delivery claims (the `delivery_claims` table; memory: a map). */
  readonly claims: DeliveryClaims;

  private constructor(
    url: string,
    adapter: KeyvStoreAdapter | Map<string, unknown>,
    sqlite: KeyvSqlite | undefined,
    ttlMs: number,
    keys: DataKeys,
    claims: DeliveryClaims,
    raw?: sqlite3.Database,
  ) {
    this.url = url;
    this.adapter = adapter;
    this.keys = keys;
    this.claims = claims;
    this.sqlite = sqlite;
    this.raw = raw;
    this.ttlMs = ttlMs;
    this.kv = this.namespace("engine");
    const location = sqlite ? url.slice("sqlite://".length) : url;
    this.table = sqlite ? new SqliteTable(sqlite, "engine:", raw) : undefined;
    this.executions = new LocalExecutionStore(this.table ?? new MapTable(), {
      driver: sqlite ? "sqlite" : "memory",
      location,
      ttlMs,
      compact: () => this.compact(),
      sweep: (now) => this.sweepExpired(now),
      ping: () => this.ping(),
    });
    this.retention = new Retention(this.executions, this.namespace("retention"));
  }

  /** Runs the retention sweep now and records it (it also runs at open and every 6 hours). */
  sweep(): Promise<number> {
    return this.retention.sweep();
  }

  lastSweep(): Promise<number | undefined> {
    return this.retention.last();
  }

  /** Sweeps once now, then on the schedule. */
  private async startRetention(): Promise<this> {
    await this.retention.sweep();
    this.retention.schedule();
    return this;
  }

  /** Opens `sqlite://<path>` (created on first use, WAL, synchronous=NORMAL) or `memory:`. */
  static async open(url: string, options: StoreOptions = {}): Promise<Store> {
    const ttlMs = (options.retentionDays ?? 30) * DAY_MS;
    const choice = chooseStore(url);
    if (choice?.kind === "memory") {
      // Nothing reaches a disk: an in-process key is enough, and is gone with the process like the records.
      const master = (options.dataKey ? parseDataKey(options.dataKey) : undefined) ?? newKey();
      return new Store(url, new Map(), undefined, ttlMs, new KeyRing(new MapKeyTable(), master), new MapClaims()).startRetention();
    }
    if (choice?.kind !== "sqlite") {
      throw new StaffroomError(
        "store_url_invalid",
        `STAFFROOM_STORE_URL "${url}" is not supported: use sqlite://path/to/file.sqlite or memory:.`,
      );
    }
    const file = choice.file;
    if (file !== ":memory:") prepareStoreFolder(file);
    const sqlite = new KeyvSqlite({ uri: url, busyTimeout: 10_000 });
    // Connection errors also surface through the first query; without a listener the emit would throw.
    sqlite.on("error", () => undefined);
    try {
      await sqlite.query("PRAGMA journal_mode=WAL");
      await sqlite.query("PRAGMA synchronous=NORMAL");
      // Deleted records (a teacher's forget, retention) are overwritten, not left in free pages.
      await sqlite.query("PRAGMA secure_delete=ON");
      await sqlite.query("SELECT count(*) FROM keyv WHERE key = 'engine:ping'");
    } catch (cause) {
      await sqlite.close().catch(() => undefined);
      throw openError(file, cause);
    }
    let master: Buffer;
    let claims: DeliveryClaims;
    try {
      await sqlite.query("CREATE TABLE IF NOT EXISTS data_keys (user_id TEXT PRIMARY KEY, wrapped TEXT NOT NULL)");
      claims = await SqliteClaims.open((sql, ...params) => sqlite.query(sql, ...params));
      master = options.dataKey ? dataKeyOf(options.dataKey) : localDataKey(file);
    } catch (error) {
      await sqlite.close().catch(() => undefined);
      throw error;
    }
    // `sqlite://:memory:` is one database per connection: the table must share Keyv's then.
    const raw = file === ":memory:" ? undefined : await openRaw(file).catch(() => undefined);
    const keys = new KeyRing(sqliteKeyTable(sqlite), master);
    return new Store(url, sqlite as unknown as KeyvStoreAdapter, sqlite, ttlMs, keys, claims, raw).startRetention();
  }

  /** A Keyv for another layer's records (conversations, profiles, adapter cursors), sharing this database. */
  namespace(name: string): Keyv {
    let kv = this.namespaces.get(name);
    if (!kv) {
      // Keyv writes its namespace onto the adapter, and the adapter's clear()/iterator() read it back:
      // give each namespace its own view of the shared adapter so they never act on another's records.
      // On a file, each teacher's records are sealed with their data key (memory keeps nothing on disk).
      const store = this.adapter instanceof Map ? this.adapter : sealingAdapter(this.adapter, this.keys);
      kv = new Keyv({ store, namespace: name, ttl: this.ttlMs, useKeyPrefix: true });
      this.namespaces.set(name, kv);
    }
    return kv;
  }

  /** Raw SQL access for diagnostics (sqlite only). */
  async query(sql: string, ...params: unknown[]): Promise<unknown[]> {
    if (!this.sqlite) throw new StaffroomError("store_not_sqlite", "This store is not SQLite.");
    return (await this.sqlite.query(sql, ...params)) as unknown[];
  }

  /** Deletes records whose retention has passed. Returns how many were removed (sqlite). */
  async sweepExpired(now = Date.now()): Promise<number> {
    const claims = await this.claims.sweepExpired(now);
    if (!this.sqlite) return claims;
    const rows = (await this.sqlite.query(
      "DELETE FROM keyv WHERE json_valid(value) AND json_extract(value, '$.expires') IS NOT NULL AND json_extract(value, '$.expires') < ? RETURNING key",
      now,
    )) as unknown[];
    return rows.length + claims;
  }

  /** Makes deletions physical: folds the WAL back into the database file and truncates it (sqlite). */
  async compact(): Promise<void> {
    if (this.sqlite) await this.sqlite.query("PRAGMA wal_checkpoint(TRUNCATE)");
  }

  /** Is the store answering? (readiness) */
  async ping(): Promise<boolean> {
    try {
      await this.kv.get("ping");
      return true;
    } catch {
      return false;
    }
  }

  private closed: Promise<void> | undefined;

  /** Closes the database; a second call waits for the first. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      await this.retention.close();
      // Pending index deletes go out before the connection closes.
      await this.executions.close().catch(() => undefined);
      await this.table?.close();
      if (this.raw) {
        const raw = this.raw;
        await new Promise<void>((resolve) => raw.close(() => resolve()));
      }
      if (this.sqlite) await this.sqlite.close();
    })();
    return this.closed;
  }
}

/** The `data_keys` table of the SQLite file (secure_delete is on, so a deleted key is overwritten). */
function sqliteKeyTable(sqlite: KeyvSqlite): KeyTable {
  return {
    async get(userId) {
      const rows = (await sqlite.query("SELECT wrapped FROM data_keys WHERE user_id = ?", userId)) as { wrapped: string }[];
      return rows[0]?.wrapped;
    },
    async insertIfAbsent(userId, wrapped) {
      await sqlite.query("INSERT OR IGNORE INTO data_keys (user_id, wrapped) VALUES (?, ?)", userId, wrapped);
    },
    async delete(userId) {
      const rows = (await sqlite.query("DELETE FROM data_keys WHERE user_id = ? RETURNING user_id", userId)) as unknown[];
      return rows.length > 0;
    },
  };
}

function dataKeyOf(text: string): Buffer {
  const key = parseDataKey(text);
  if (!key)
    throw new StaffroomError("data_key_invalid", "STAFFROOM_DATA_KEY should be 64 hex characters (make one with openssl rand -hex 32).");
  return key;
}

/**
 * With STAFFROOM_DATA_KEY unset, a key made once and kept beside the database (`<file>.key`, readable by
 * this user only), so `npm start` works with nothing set. Whoever can read that file and the database can
 * read the teachers' records; forget still works (it deletes the teacher's key). The README says so.
 */
export function localDataKey(file: string): Buffer {
  if (file === ":memory:") return newKey();
  const path = `${file}.key`;
  try {
    const key = parseDataKey(readFileSync(path, "utf8"));
    if (key) return key;
    throw new StaffroomError("data_key_invalid", `${path} does not hold a data key (64 hex characters); restore it from a backup.`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  // Written aside, then linked into place: a process opening the same new store at once reads a whole key.
  const key = newKey();
  const aside = `${path}.${process.pid}.tmp`;
  writeFileSync(aside, `${key.toString("hex")}\n`, { mode: 0o600 });
  try {
    linkSync(aside, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    return localDataKey(file);
  } finally {
    unlinkSync(aside);
  }
  return key;
}

/** A second connection to the store's file for the engine's table (same pragmas as Keyv's). */
async function openRaw(file: string): Promise<sqlite3.Database> {
  const db = await new Promise<sqlite3.Database>((resolve, reject) => {
    const opened: sqlite3.Database = new sqlite3.Database(file, (error) => (error ? reject(error) : resolve(opened)));
  });
  db.configure("busyTimeout", 10_000);
  const run = (sql: string) =>
    new Promise<void>((resolve, reject) => db.run(sql, (error: Error | null) => (error ? reject(error) : resolve())));
  try {
    await run("PRAGMA synchronous=NORMAL");
    await run("PRAGMA secure_delete=ON");
  } catch (error) {
    await new Promise<void>((resolve) => db.close(() => resolve()));
    throw error;
  }
  return db;
}

/**
 * Creates the store's folder one level at a time: a recursive mkdir never returns on some virtual
 * file systems (/proc), and each level's error names what to fix (a file in the way, no permission).
 */
function prepareStoreFolder(file: string): void {
  const target = resolve(file);
  const fail = (why: string, cause?: unknown) =>
    new StaffroomError("store_unavailable", `STAFFROOM_STORE_URL cannot hold a database at ${file}: ${why}.`, { cause });
  if (target.startsWith("/proc/") || target.startsWith("/sys/") || target.startsWith("/dev/"))
    throw fail(
      `${target.split("/")[1] ? `/${target.split("/")[1]}` : target} is a system folder, not storage; choose a path in a writable folder`,
    );
  const existing = statOrUndefined(target);
  if (existing?.isDirectory()) throw fail("that path is a folder; name a file inside it, e.g. sqlite://" + join(file, "staffroom.sqlite"));
  const missing: string[] = [];
  let dir = dirname(target);
  for (;;) {
    const st = statOrUndefined(dir);
    if (st) {
      if (!st.isDirectory()) throw fail(`${dir} is a file, not a folder; move it aside or choose another path`);
      break;
    }
    missing.unshift(dir);
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  for (const d of missing) {
    try {
      mkdirSync(d);
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code;
      throw fail(
        code === "EACCES" || code === "EPERM" || code === "EROFS"
          ? `the folder ${d} cannot be created (no permission)`
          : `the folder ${d} cannot be created (${code ?? String(cause)})`,
        cause,
      );
    }
  }
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/** One sentence for a database that cannot be opened, naming the file and what to do. */
function openError(file: string, cause: unknown): StaffroomError {
  const code = (cause as { code?: string }).code ?? "";
  const message = (cause as Error).message ?? String(cause);
  if (code === "SQLITE_NOTADB" || code === "SQLITE_CORRUPT" || /not a database|malformed/i.test(message))
    return new StaffroomError(
      "store_corrupted",
      `The store ${file} is not a readable SQLite database (damaged or not a database): restore it from a backup, or move the file aside to start with an empty store.`,
      { cause },
    );
  if (code === "SQLITE_CANTOPEN" || code === "SQLITE_READONLY" || code === "SQLITE_PERM")
    return new StaffroomError(
      "store_unavailable",
      `The store ${file} cannot be opened for writing: check that its folder exists and is writable.`,
      { cause },
    );
  if (code === "SQLITE_BUSY")
    return new StaffroomError("store_busy", `The store ${file} is locked by another program; close it and start again.`, { cause });
  return new StaffroomError("store_unavailable", `The store ${file} cannot be opened: ${message}`, { cause });
}

export function openStore(url: string, options: StoreOptions = {}): Promise<Store> {
  return Store.open(url, options);
}
