// Durable storage of executions on Keyv: one small header per execution, one record per node state,
// one per node attempt, and one key per event (append-only, gap-free sequence). No growing snapshots.
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import KeyvSqlite from "@keyv/sqlite";
import Keyv, { type KeyvStoreAdapter } from "keyv";
import { StaffroomError } from "../errors.ts";
import { KeyedMutex } from "../util/mutex.ts";
import type { AttemptRecord, EngineEvent, ExecutionRecord, NodeState } from "./records.ts";
import type { WorkflowDefinition } from "./schema.ts";
import { LocalExecutionStore } from "./store/local.ts";
import { MapTable, SqliteTable } from "./store/table.ts";
import type { ExecutionStore } from "./store/types.ts";

const DAY_MS = 86_400_000;
const EVENT_BATCH = 64;
/** Rows per multi-row upsert (SQLite allows 32,766 bound parameters). */
const UPSERT_ROWS = 500;

/** A key (within the engine namespace) and the value to store under it. */
export type Entry = [key: string, value: unknown];

export type StoreOptions = { retentionDays?: number };

export class Store {
  /** The engine's own records. */
  readonly kv: Keyv;
  /** Record lifetime in ms (retention). */
  readonly ttlMs: number;
  readonly url: string;
  private readonly adapter: KeyvStoreAdapter | Map<string, unknown>;
  private readonly namespaces = new Map<string, Keyv>();
  private readonly mutex = new KeyedMutex();
  private readonly sqlite: KeyvSqlite | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  /** The engine's executions, through the local ExecutionStore driver on this database. */
  readonly executions: ExecutionStore;

  private constructor(url: string, adapter: KeyvStoreAdapter | Map<string, unknown>, sqlite: KeyvSqlite | undefined, ttlMs: number) {
    this.url = url;
    this.adapter = adapter;
    this.sqlite = sqlite;
    this.ttlMs = ttlMs;
    this.kv = this.namespace("engine");
    const location = sqlite ? url.slice("sqlite://".length) : url;
    this.executions = new LocalExecutionStore(sqlite ? new SqliteTable(sqlite, "engine:") : new MapTable(), {
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
    if (file !== ":memory:") {
      try {
        mkdirSync(dirname(resolve(file)), { recursive: true });
      } catch (cause) {
        throw new StaffroomError("store_unavailable", `Cannot create the folder for the store at ${file}: ${(cause as Error).message}`, {
          cause,
        });
      }
    }
    const sqlite = new KeyvSqlite({ uri: url, busyTimeout: 10_000 });
    try {
      await sqlite.query("PRAGMA journal_mode=WAL");
      await sqlite.query("PRAGMA synchronous=NORMAL");
      // Deleted records (a teacher's forget, retention) are overwritten, not left in free pages.
      await sqlite.query("PRAGMA secure_delete=ON");
    } catch (cause) {
      throw new StaffroomError("store_unavailable", `Cannot open the store at ${file}: ${(cause as Error).message}`, { cause });
    }
    const store = new Store(url, sqlite as unknown as KeyvStoreAdapter, sqlite, ttlMs);
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
      if (this.sqlite) await this.sqlite.close();
    })();
    return this.closed;
  }

  /**
   * Writes several engine records in one statement (one SQLite transaction), in Keyv's own format so
   * they read back through Keyv. The engine batches each execution's queued writes through this.
   */
  async putMany(entries: Entry[]): Promise<void> {
    if (entries.length === 0) return;
    if (!this.sqlite) {
      await Promise.all(entries.map(([k, v]) => this.kv.set(k, v)));
      return;
    }
    const expires = Date.now() + this.ttlMs;
    const serialize = this.kv.serialize;
    for (let i = 0; i < entries.length; i += UPSERT_ROWS) {
      const chunk = entries.slice(i, i + UPSERT_ROWS);
      const params: unknown[] = [];
      for (const [key, value] of chunk) {
        params.push(`engine:${key}`, serialize ? await serialize({ value, expires }) : JSON.stringify({ value, expires }));
      }
      await this.sqlite.query(
        `INSERT INTO keyv (key, value) VALUES ${chunk.map(() => "(?, ?)").join(", ")} ON CONFLICT(key) DO UPDATE SET value = excluded.value`,
        ...params,
      );
    }
  }

  // ---- executions -------------------------------------------------------------------------

  static executionEntry(rec: ExecutionRecord): Entry {
    return [`x:${rec.id}`, rec];
  }

  static nodeEntry(executionId: string, state: NodeState): Entry {
    return [`n:${executionId}:${state.nodeId}`, state];
  }

  static attemptEntry(executionId: string, nodeId: string, attempt: AttemptRecord): Entry {
    return [`a:${executionId}:${nodeId}:${attempt.attempt}`, attempt];
  }

  /** The execution id is in the key, so it is not stored again in every event. */
  static eventEntry(event: EngineEvent): Entry {
    const { executionId, ...rest } = event;
    return [`e:${executionId}:${event.seq}`, rest];
  }

  putExecution(rec: ExecutionRecord): Promise<void> {
    return this.putMany([Store.executionEntry(rec)]);
  }

  async getExecution(id: string): Promise<ExecutionRecord | undefined> {
    return (await this.kv.get<ExecutionRecord>(`x:${id}`)) ?? undefined;
  }

  async getExecutions(ids: string[]): Promise<ExecutionRecord[]> {
    if (ids.length === 0) return [];
    const rows = await this.kv.getMany<ExecutionRecord>(ids.map((id) => `x:${id}`));
    return rows.filter((r): r is ExecutionRecord => r !== undefined && r !== null);
  }

  putNode(executionId: string, state: NodeState): Promise<void> {
    return this.putMany([Store.nodeEntry(executionId, state)]);
  }

  async getNodes(executionId: string, nodeIds: string[]): Promise<Map<string, NodeState>> {
    const out = new Map<string, NodeState>();
    if (nodeIds.length === 0) return out;
    const rows = await this.kv.getMany<NodeState>(nodeIds.map((n) => `n:${executionId}:${n}`));
    rows.forEach((row) => {
      if (row) out.set(row.nodeId, row);
    });
    return out;
  }

  putAttempt(executionId: string, nodeId: string, attempt: AttemptRecord): Promise<void> {
    return this.putMany([Store.attemptEntry(executionId, nodeId, attempt)]);
  }

  async getAttempts(executionId: string, nodeId: string, count: number): Promise<AttemptRecord[]> {
    if (count <= 0) return [];
    const keys = Array.from({ length: count }, (_, i) => `a:${executionId}:${nodeId}:${i + 1}`);
    const rows = await this.kv.getMany<AttemptRecord>(keys);
    return rows.filter((r): r is AttemptRecord => Boolean(r));
  }

  putEvent(event: EngineEvent): Promise<void> {
    return this.putMany([Store.eventEntry(event)]);
  }

  /** Events from `fromSeq` (inclusive) to the end of the log; the log has no gaps, so the first miss ends it. */
  async getEvents(executionId: string, fromSeq = 1): Promise<EngineEvent[]> {
    const out: EngineEvent[] = [];
    let seq = Math.max(1, Math.floor(fromSeq));
    for (;;) {
      const keys = Array.from({ length: EVENT_BATCH }, (_, i) => `e:${executionId}:${seq + i}`);
      const rows = await this.kv.getMany<Omit<EngineEvent, "executionId">>(keys);
      for (const row of rows) {
        if (!row) return out;
        out.push({ executionId, ...row });
      }
      seq += EVENT_BATCH;
    }
  }

  /** Last sequence number written for an execution (0 when none). */
  async lastSeq(executionId: string, hint = 0): Promise<number> {
    let seq = hint;
    for (;;) {
      const keys = Array.from({ length: EVENT_BATCH }, (_, i) => `e:${executionId}:${seq + 1 + i}`);
      const rows = await this.kv.getMany(keys);
      const firstMiss = rows.findIndex((r) => !r);
      if (firstMiss >= 0) return seq + firstMiss;
      seq += EVENT_BATCH;
    }
  }

  // ---- definitions ------------------------------------------------------------------------

  private writtenDefinitions = new Set<string>();

  /** Stores the definition an execution started with, once per hash per process (refreshing its retention). */
  async putDefinition(hash: string, definition: WorkflowDefinition): Promise<void> {
    if (this.writtenDefinitions.has(hash)) return;
    await this.kv.set(`d:${hash}`, definition);
    this.writtenDefinitions.add(hash);
  }

  async getDefinition(hash: string): Promise<WorkflowDefinition | undefined> {
    return (await this.kv.get<WorkflowDefinition>(`d:${hash}`)) ?? undefined;
  }

  // ---- small indexes (Keyv has no queries) -------------------------------------------------

  /** Read-modify-write of a list index, serialised per key so concurrent updates in this process never lose ids. */
  updateList(key: string, update: (ids: string[]) => string[]): Promise<string[]> {
    return this.mutex.run(key, async () => {
      const current = (await this.kv.get<string[]>(key)) ?? [];
      const next = update(current);
      await this.kv.set(key, next);
      return next;
    });
  }

  async getList(key: string): Promise<string[]> {
    return (await this.kv.get<string[]>(key)) ?? [];
  }

  /** Runs `fn` exclusively for `key` within this process. */
  exclusive<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return this.mutex.run(key, fn);
  }

  async deleteKeys(keys: string[]): Promise<void> {
    if (keys.length > 0) await this.kv.deleteMany(keys);
  }
}

export function openStore(url: string, options: StoreOptions = {}): Promise<Store> {
  return Store.open(url, options);
}
