// The local database: one Keyv adapter (@keyv/sqlite, or memory) shared by every layer's namespace,
// with the engine's executions behind the ExecutionStore driver in ./store/local.ts (which owns their
// layout: one small header per execution, one record per node state, one key per event).
import { mkdirSync, type Stats, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import KeyvSqlite from "@keyv/sqlite";
import Keyv, { type KeyvStoreAdapter } from "keyv";
import sqlite3 from "sqlite3";
import { StaffroomError } from "../errors.ts";
import { LocalExecutionStore } from "./store/local.ts";
import { MapTable, SqliteTable } from "./store/table.ts";
import type { ExecutionStore } from "./store/types.ts";

const DAY_MS = 86_400_000;

export type StoreOptions = { retentionDays?: number };

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
  private sweepTimer: NodeJS.Timeout | undefined;
  /** The engine's executions, through the local ExecutionStore driver on this database. */
  readonly executions: ExecutionStore;

  private constructor(
    url: string,
    adapter: KeyvStoreAdapter | Map<string, unknown>,
    sqlite: KeyvSqlite | undefined,
    ttlMs: number,
    raw?: sqlite3.Database,
  ) {
    this.url = url;
    this.adapter = adapter;
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
  }

  /** Opens `sqlite://<path>` (created on first use, WAL, synchronous=NORMAL) or `memory:`. */
  static async open(url: string, options: StoreOptions = {}): Promise<Store> {
    const ttlMs = (options.retentionDays ?? 30) * DAY_MS;
    if (url === "memory:" || url.startsWith("memory:")) {
      return new Store(url, new Map(), undefined, ttlMs);
    }
    if (!url.startsWith("sqlite://")) {
      throw new StaffroomError(
        "store_url_invalid",
        `STAFFROOM_STORE_URL "${url}" is not supported: use sqlite://path/to/file.sqlite or memory:.`,
      );
    }
    const file = url.slice("sqlite://".length);
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
    // `sqlite://:memory:` is one database per connection: the table must share Keyv's then.
    const raw = file === ":memory:" ? undefined : await openRaw(file).catch(() => undefined);
    const store = new Store(url, sqlite as unknown as KeyvStoreAdapter, sqlite, ttlMs, raw);
    await store.executions.sweepExpired();
    // Expired records are also dropped lazily on read; the sweep reclaims ones nobody reads again.
    store.sweepTimer = setInterval(() => void store.executions.sweepExpired().catch(() => undefined), 6 * 3_600_000);
    store.sweepTimer.unref();
    return store;
  }

  /** A Keyv for another layer's records (conversations, profiles, adapter cursors), sharing this database. */
  namespace(name: string): Keyv {
    let kv = this.namespaces.get(name);
    if (!kv) {
      // Keyv writes its namespace onto the adapter, and the adapter's clear()/iterator() read it back:
      // give each namespace its own view of the shared adapter so they never act on another's records.
      const store = this.adapter instanceof Map ? this.adapter : (Object.create(this.adapter) as KeyvStoreAdapter);
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
    if (!this.sqlite) return 0;
    const rows = (await this.sqlite.query(
      "DELETE FROM keyv WHERE json_valid(value) AND json_extract(value, '$.expires') IS NOT NULL AND json_extract(value, '$.expires') < ? RETURNING key",
      now,
    )) as unknown[];
    return rows.length;
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
      if (this.sweepTimer) clearInterval(this.sweepTimer);
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
