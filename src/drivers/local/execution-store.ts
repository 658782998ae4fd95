// The local ExecutionStore driver on a Table (Keyv's sqlite table or a Map). It alone knows the layout:
//   x:<id> header · e:<id>:<version> one commit row per write (below) · a:<id>:<node>:<n> attempt
//   l:<id> {userId, idempotencyKey} (written once) · i:<key> idempotency key → id
//   d:<hash> definition · o:<owner> owner lease · s:<template> stats
//   ix:r:<inv>:<id>, ix:u:<user>:<inv>:<id>, ix:t:<template>:<inv>:<id> (newest first: inv = MAX - createdAt)
//   ix:f:<id> unfinished
// The log is the state: every write (the creation is version 0, each decision the next version) adds ONE
// row, `e:<id>:<version>` = {l: last seq after it, e: its events, n: the node states it wrote}. A load
// reads the header and the execution's commit rows in one statement and folds them (later versions
// win per node); the version is the newest row's, the seq its `l`. A decision's write costs one row,
// however many nodes it settles and dispatches (each row is a b-tree insert with its own cost; four
// rows per node were most of a step's time). An event that says no more than a node state of the
// same row (`node.started` from the dispatch record, `node.completed` from the completed state) is
// stored as that state's index in `n` and rebuilt on read, so it costs a few bytes.
// The fence, two primary-key lookups in the same statement: the row of the version the decision read
// exists with exactly the seq it read (a string comparison of the stored JSON's prefix), and the next
// version's row does not exist yet (of racing writers one inserts it). A write at a stale version, or
// on stale seqs, changes nothing.
// Index rows are rewritten with every header write, so they expire with the header, never before it
// (forget finds an execution as long as any of it is readable). `ix:f` is dropped after the header
// turns terminal (a later statement, one for many executions, when the committer is idle); a crash
// between the two leaves an entry `unfinished()` heals.

import { nodePlan } from "../../engine/graph.ts";
import { alive } from "../../engine/ownership.ts";
import type { AttemptRecord, EngineEvent, ExecutionRecord, NodeState } from "../../engine/records.ts";
import type { WorkflowDefinition } from "../../engine/schema.ts";
import type { StatsRecord } from "../../engine/stats.ts";
import type {
  CommitResult,
  CreateResult,
  ExecutionQuery,
  ExecutionStore,
  LoadedExecution,
  NewExecution,
  OwnerInfo,
  OwnerLease,
  Transition,
  UnfinishedExecution,
} from "../../engine/store/types.ts";
import { KeyedMutex } from "../../util/mutex.ts";
import { isLegacyVersion, legacyLog } from "./legacy.ts";
import type { Condition, Row, Table } from "./table.ts";

const TERMINAL = new Set(["completed", "failed", "cancelled"]);
/** A definition row is written again when this process last wrote it longer ago, so it outlives the headers that need it. */
const DEFINITION_REFRESH_MS = 86_400_000;

type Plan = Pick<ExecutionRecord, "nodeIds" | "plan">;
/** A header as stored: `nodeIds` and `plan` are left out when its definition gives exactly them (rebuilt on read). */
type StoredHeader = Omit<ExecutionRecord, "nodeIds" | "plan"> & Partial<Plan>;
const MAX_TIME = 9_999_999_999_999;

type IdemRow = { executionId: string };
type MetaRow = { idempotencyKey?: string; userId: string };
/**
 * One write's row: the last seq after it (first, for the fence's prefix comparison), its events, the
 * node states it wrote (packed, see `packNode`).
 */
type CommitRow = { l: number; t?: number; e?: (StoredEvent | number)[]; n?: PackedNode[] };
/**
 * A node state as a row of values (null: absent), then an object of anything else: the node id, its
 * kind (null when its definition gives it: rebuilt from the header's plan), its status as an index into `STATUSES`, then the fields in the order for that status
 * (`RUNNING_FIELDS` for a dispatched state, `SETTLED_FIELDS` otherwise, so neither pays for the
 * other's absent fields), times relative to the row's `t`, a usage of its two counts as [input, output].
 * A string status is the earlier packing:
 * `SETTLED_FIELDS` order, absolute times.
 */
type PackedNode = unknown[];
/** Node state fields stored by position (field names were ~40% of a commit row). */
const SETTLED_FIELDS = [
  "nodeId",
  "kind",
  "status",
  "attempts",
  "startedAt",
  "endedAt",
  "durationMs",
  "output",
  "usage",
  "token",
  "by",
  "dispatchedAt",
] as const;
const RUNNING_FIELDS = [
  "nodeId",
  "kind",
  "status",
  "attempts",
  "startedAt",
  "dispatchedAt",
  "token",
  "by",
  "endedAt",
  "durationMs",
  "output",
  "usage",
] as const;
/** Status codes in packed node states: stored, so only ever appended to. */
const STATUSES: readonly string[] = ["pending", "running", "waiting", "completed", "failed", "skipped", "cancelled"];
/** Fields stored relative to their row's `t` (13 digits each were a tenth of a row). */
const TIMES = new Set<string>(["startedAt", "endedAt", "dispatchedAt"]);
/** One write waiting for the group committer: a decision's commit, or a new execution's rows. */
type PendingWrite = {
  executionId: string;
  rows: Row[];
  conditions: Condition[];
  /** Bookkeeping once the rows are stored (definitions known written, unfinished-index entries to drop). */
  applied: () => void;
  resolve: (applied: boolean) => void;
  reject: (e: unknown) => void;
};
type PendingFold = { fold: (previous: StatsRecord | undefined) => StatsRecord; resolve: () => void; reject: (e: unknown) => void };
/** Decisions merged into one statement at most (SQLite's parameter limit is far above it). */
const GROUP_MAX = 200;

/** Ids from outside (user, template) inside keys: `:` and `%` escaped so one id is never a prefix of another's rows. */
const part = (id: string) => id.replace(/%/g, "%25").replace(/:/g, "%3A");
const inv = (createdAt: number) => String(MAX_TIME - createdAt).padStart(13, "0");

export type LocalStoreOptions = {
  driver: "sqlite" | "memory";
  location: string;
  ttlMs: number;
  /** Runs after deletions to make them physical (sqlite: WAL checkpoint). */
  compact?: () => Promise<void>;
  sweep?: (now: number) => Promise<number>;
  ping?: () => Promise<boolean>;
};

export class LocalExecutionStore implements ExecutionStore {
  readonly driver: string;
  readonly location: string;
  private readonly ttlMs: number;
  private readonly mutex = new KeyedMutex();
  /** Definitions this process stored, by hash, and when. */
  private readonly writtenDefinitions = new Map<string, number>();
  /** Node plans of the definitions this process has seen, by hash (with their JSON, to compare a header's). */
  private readonly plans = new Map<string, { plan: Plan; json: string }>();
  /** Node kinds by id of the definitions this process has seen, by hash (a node state's kind is left out when its definition gives it). */
  private readonly kindsByHash = new Map<string, Map<string, string>>();
  /** Plan arrays known to equal their definition's (headers are copied with the same arrays): no comparison needed. */
  private readonly derived = new WeakSet<object>();

  constructor(
    private readonly table: Table,
    private readonly options: LocalStoreOptions,
  ) {
    this.driver = options.driver;
    this.location = options.location;
    this.ttlMs = options.ttlMs;
  }

  private expires(): number {
    return Date.now() + this.ttlMs;
  }

  private async one<T>(key: string): Promise<T | undefined> {
    return (await this.table.get([key])).get(key) as T | undefined;
  }

  // ---- executions of earlier releases -----------------------------------------------------------

  private upgraded = false;
  private upgrading: Promise<void> | undefined;

  /**
   * Until executions stored in the layout of earlier releases (./legacy.ts) are converted, the
   * conversion (once per process; the first call starts it, `sweepExpired` at open among them);
   * afterwards undefined, so the hot paths pay one boolean test.
   */
  private ready(): Promise<void> | undefined {
    if (this.upgraded) return undefined;
    this.upgrading ??= this.upgradeLegacy().then(
      () => {
        this.upgraded = true;
        this.upgrading = undefined;
      },
      (error: unknown) => {
        // Tried again by the next call (a busy database, say); nothing half-converted stays behind.
        this.upgrading = undefined;
        throw error;
      },
    );
    return this.upgrading;
  }

  /**
   * Rewrites every execution an earlier release stored as commit rows, one transaction each (guarded
   * by its version row, which the transaction deletes): a crash leaves each execution wholly old or
   * wholly new, and the next open converts what is left. Processes converting at once skip what
   * another has done.
   */
  private async upgradeLegacy(): Promise<void> {
    for (const [key] of await this.table.range("v:")) await this.convertLegacy(key.slice(2));
  }

  private async convertLegacy(id: string): Promise<void> {
    const { got, rows: nodeRows } = await this.table.getWithRange([`v:${id}`], `n:${id}:`);
    const version = got.get(`v:${id}`);
    if (!isLegacyVersion(version)) return;
    const log = legacyLog(id, version, nodeRows, await this.table.range(`e:${id}:`));
    const nodes = log.nodes.length > 0 ? log.nodes : undefined;
    const lastEvent = log.events.at(-1)?.seq ?? log.seq;
    const rows: Row[] =
      lastEvent === log.seq
        ? [[`e:${id}:${log.version}`, commitRow(log.seq, log.events, nodes), "bare"]]
        : // Events missing before the end (expired or partly deleted): the readable ones in a row of
          // their own before the version's, which keeps the seq the fence compares.
          [
            ...(log.version > 0 && log.events.length > 0
              ? [[`e:${id}:0`, commitRow(lastEvent, log.events, undefined), "bare"] as Row]
              : []),
            [`e:${id}:${log.version}`, commitRow(log.seq, [], nodes), "bare"],
          ];
    await this.table.replace(`v:${id}`, [`v:${id}`], [`n:${id}:`, `e:${id}:`], rows);
  }

  // ---- owners -----------------------------------------------------------------------------------

  async heartbeat(owner: OwnerInfo, ttlMs: number): Promise<boolean> {
    const key = `o:${owner.owner}`;
    const prev = await this.one<OwnerLease>(key);
    const now = Date.now();
    await this.table.put([[key, { ...owner, expiresAt: now + ttlMs } satisfies OwnerLease]], [], now + ttlMs + 86_400_000);
    return prev === undefined ? true : prev.expiresAt >= now;
  }

  async releaseOwner(owner: string): Promise<void> {
    await this.table.delete([`o:${owner}`]);
  }

  async liveOwners(): Promise<OwnerLease[]> {
    const now = Date.now();
    return (await this.table.range("o:")).map(([, v]) => v as OwnerLease).filter((o) => alive(o, now));
  }

  // ---- executions -------------------------------------------------------------------------------

  private definitionRows(def: NewExecution): Row[] {
    const written = this.writtenDefinitions.get(def.header.hash);
    if (written !== undefined && Date.now() - written < DEFINITION_REFRESH_MS) return [];
    return [[`d:${def.header.hash}`, def.definition]];
  }

  private definitionWritten(hash: string): void {
    if (!this.writtenDefinitions.has(hash) || Date.now() - (this.writtenDefinitions.get(hash) ?? 0) >= DEFINITION_REFRESH_MS)
      this.writtenDefinitions.set(hash, Date.now());
  }

  private learn(hash: string, def: WorkflowDefinition): void {
    if (this.plans.has(hash)) return;
    const plan = nodePlan(def);
    this.plans.set(hash, { plan, json: JSON.stringify(plan) });
    this.kindsByHash.set(hash, kindsOf(plan.plan));
    this.derived.add(plan.plan);
  }

  /** The header to store: without `nodeIds` and `plan` when they are exactly what its definition gives. */
  private stored(h: ExecutionRecord): StoredHeader {
    const known = this.plans.get(h.hash);
    if (!known) return h;
    if (!this.derived.has(h.plan)) {
      if (JSON.stringify({ nodeIds: h.nodeIds, plan: h.plan } satisfies Plan) !== known.json) return h;
      this.derived.add(h.plan);
    }
    const { nodeIds: _n, plan: _p, ...rest } = h;
    return rest;
  }

  /** Headers as read, with `nodeIds` and `plan` rebuilt from their definitions where they were left out (one read for unknown ones). */
  private async withPlans(headers: StoredHeader[]): Promise<ExecutionRecord[]> {
    const missing = [...new Set(headers.filter((h) => h.plan === undefined && !this.plans.has(h.hash)).map((h) => h.hash))];
    if (missing.length > 0) {
      const got = await this.table.get(missing.map((hash) => `d:${hash}`));
      for (const hash of missing) {
        const def = got.get(`d:${hash}`) as WorkflowDefinition | undefined;
        if (def) this.learn(hash, def);
      }
    }
    // A definition gone before its header (never expected: it is rewritten daily) leaves an empty plan, not a failed read.
    return headers.map((h) =>
      h.plan !== undefined && h.nodeIds !== undefined
        ? (h as ExecutionRecord)
        : { ...h, ...(this.plans.get(h.hash)?.plan ?? { nodeIds: [], plan: [] }) },
    );
  }

  /** Every row of a new execution except its idempotency key. */
  private newRows(input: NewExecution, withNodes = true): Row[] {
    const { header, events, idempotencyKey } = input;
    const nodes = withNodes && input.nodes?.length ? lastPerNode(input.nodes) : undefined;
    this.learn(header.hash, input.definition);
    const meta: MetaRow = { userId: header.userId, ...(idempotencyKey !== undefined ? { idempotencyKey } : {}) };
    const rows: Row[] = [
      ...this.definitionRows(input),
      [`l:${header.id}`, meta],
      [`x:${header.id}`, this.stored(header)],
      ...indexRows(header),
      [`e:${header.id}:0`, commitRow(events.at(-1)?.seq ?? 0, events, nodes, this.kindsByHash.get(header.hash)), "bare"],
    ];
    if (!TERMINAL.has(header.status)) rows.push([`ix:f:${header.id}`, 1]);
    return rows;
  }

  async createExecution(input: NewExecution): Promise<CreateResult> {
    const { header, idempotencyKey } = input;
    const expires = this.expires();
    const rows = this.newRows(input);
    const created = { created: true as const, execution: header };
    if (idempotencyKey === undefined) {
      // Unconditional: it joins the group commit (one statement with other executions' writes).
      await this.write(header.id, rows, [], () => this.definitionWritten(header.hash));
      return created;
    }
    // The key's mapping and the execution are written by one conditional statement: one creator wins.
    const key = `i:${idempotencyKey}`;
    rows.push([key, { executionId: header.id } satisfies IdemRow]);
    for (let tries = 0; tries < 3; tries++) {
      if (await this.table.put(rows, [{ key, exists: false }], expires)) {
        this.definitionWritten(header.hash);
        return created;
      }
      const existingId = (await this.one<IdemRow>(key))?.executionId;
      const existing = existingId ? await this.getExecution(existingId) : undefined;
      if (existing) return { created: false, execution: existing };
      // A mapping whose execution is gone (expired): replace exactly that mapping.
      if (existingId && (await this.table.put(rows, [{ key, field: "executionId", equals: existingId }], expires))) {
        this.definitionWritten(header.hash);
        return created;
      }
    }
    throw new Error(`Could not create an execution for idempotency key ${idempotencyKey}.`);
  }

  /**
   * One decision, one conditional write. Decisions arriving while a write is in flight are merged into
   * the next statement (a process-wide group commit: one statement for many executions); should that
   * combined write be refused, each is retried on its own so only the stale ones fail.
   */
  commit(t: Transition): Promise<CommitResult> {
    const upgrading = this.ready();
    if (upgrading) return upgrading.then(() => this.commit(t));
    const id = t.executionId;
    const events = t.events ?? [];
    const first = events[0]?.seq;
    if (first === undefined) throw new Error("A transition records at least one event.");
    // The whole batch continues the log: consecutive seqs, each for this execution.
    for (let i = 0; i < events.length; i++) {
      const e = events[i] as EngineEvent;
      if (e.seq !== first + i || e.executionId !== id) return Promise.resolve({ ok: false, reason: "seq_conflict" });
    }
    if (first !== t.seq + 1) return Promise.resolve({ ok: false, reason: "seq_conflict" });
    const version = t.expectVersion + 1;
    const nodes = t.nodes?.length ? lastPerNode(t.nodes) : undefined;
    const kinds = t.hash !== undefined ? this.kindsByHash.get(t.hash) : undefined;
    const rows: Row[] = [[`e:${id}:${version}`, commitRow(t.seq + events.length, events, nodes, kinds), "bare"]];
    if (t.header) rows.push([`x:${id}`, this.stored(t.header)], ...indexRows(t.header));
    for (const a of t.attempts ?? []) rows.push([`a:${id}:${a.nodeId}:${a.attempt.attempt}`, a.attempt]);
    for (const child of t.children ?? []) rows.push(...this.newRows(child, false));
    // The fence: the row of the version read holds the seq read, and nobody has written the next version.
    const conditions: Condition[] = [
      { key: `e:${id}:${t.expectVersion}`, first: { field: "l", equals: t.seq } },
      { key: `e:${id}:${version}`, exists: false },
    ];
    const applied = () => {
      for (const child of t.children ?? []) this.definitionWritten(child.header.hash);
      if (t.header && TERMINAL.has(t.header.status)) this.finishedIx.push(`ix:f:${id}`);
    };
    return this.write(id, rows, conditions, applied).then(async (ok): Promise<CommitResult> => {
      if (ok) return { ok: true, version };
      const got = await this.table.get([`e:${id}:${version}`, `e:${id}:${t.expectVersion}`, `x:${id}`]);
      if (got.has(`e:${id}:${version}`)) return { ok: false, reason: "version_conflict" };
      if (!got.has(`x:${id}`)) return { ok: false, reason: "not_found" };
      const read = got.get(`e:${id}:${t.expectVersion}`) as CommitRow | undefined;
      return { ok: false, reason: read && read.l !== t.seq ? "seq_conflict" : "version_conflict" };
    });
  }

  /** Queues rows for the group committer; resolves with whether its conditions held and it was stored. */
  private write(executionId: string, rows: Row[], conditions: Condition[], applied: () => void): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.queued.push({ executionId, rows, conditions, applied, resolve, reject });
      if (!this.flushing) this.flushing = this.flush();
    });
  }

  private readonly queued: PendingWrite[] = [];
  /**
   * `ix:f` entries of executions whose terminal header is stored, dropped in one statement per 100, or
   * a second after the last finish (off the path of the next write; a crash before leaves entries that
   * `unfinished()` heals).
   */
  private finishedIx: string[] = [];
  private dropTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;

  private async flush(): Promise<void> {
    try {
      while (this.queued.length > 0) {
        // One decision per execution per statement (a process decides one execution at a time anyway).
        const seen = new Set<string>();
        const batch: PendingWrite[] = [];
        const rest: PendingWrite[] = [];
        for (const q of this.queued) {
          if (seen.has(q.executionId) || batch.length >= GROUP_MAX) rest.push(q);
          else {
            seen.add(q.executionId);
            batch.push(q);
          }
        }
        this.queued.splice(0, this.queued.length, ...rest);
        await this.writeBatch(batch);
        if (this.finishedIx.length >= 100) await this.dropFinished();
        else if (this.finishedIx.length > 0 && !this.dropTimer) {
          this.dropTimer = setTimeout(() => {
            this.dropTimer = undefined;
            void this.dropFinished();
          }, 1_000);
          this.dropTimer.unref();
        }
      }
    } finally {
      this.flushing = undefined;
    }
  }

  private async dropFinished(): Promise<void> {
    const done = this.finishedIx;
    this.finishedIx = [];
    if (done.length > 0) await this.table.delete(done).catch(() => undefined);
  }

  private async writeBatch(batch: PendingWrite[]): Promise<void> {
    const expires = this.expires();
    let together = false;
    if (batch.length > 1) {
      try {
        together = await this.table.put(
          batch.flatMap((b) => b.rows),
          batch.flatMap((b) => b.conditions),
          expires,
        );
      } catch {
        together = false;
      }
    }
    if (together) {
      for (const b of batch) {
        b.applied();
        b.resolve(true);
      }
      return;
    }
    // Refused or failed together: each on its own, so only the stale ones fail.
    for (const b of batch) {
      try {
        const ok = await this.table.put(b.rows, b.conditions, expires);
        if (ok) b.applied();
        b.resolve(ok);
      } catch (error) {
        b.reject(error);
      }
    }
  }

  async loadExecution(executionId: string): Promise<LoadedExecution | undefined> {
    const upgrading = this.ready();
    if (upgrading) await upgrading;
    // One statement: the header and the commit rows of one moment (two reads could straddle a write).
    const { got, rows } = await this.table.getWithRange([`x:${executionId}`], `e:${executionId}:`);
    const stored = got.get(`x:${executionId}`) as StoredHeader | undefined;
    const log = commitLog(rows);
    const last = log.at(-1);
    if (!stored || !last) return undefined;
    const [header] = (await this.withPlans([stored])) as [ExecutionRecord];
    return { header, nodes: foldNodes(log, kindsOf(header.plan)), version: last.version, seq: last.row.l };
  }

  async deleteExecution(executionId: string): Promise<boolean> {
    await this.ready();
    const got = await this.table.get([`x:${executionId}`, `l:${executionId}`]);
    const header = got.get(`x:${executionId}`) as ExecutionRecord | undefined;
    const lease = got.get(`l:${executionId}`) as MetaRow | undefined;
    if (!header && !lease) return false;
    const keys = [`x:${executionId}`, `l:${executionId}`, `ix:f:${executionId}`];
    if (lease?.idempotencyKey !== undefined) {
      const mapped = await this.one<IdemRow>(`i:${lease.idempotencyKey}`);
      if (mapped?.executionId === executionId) keys.push(`i:${lease.idempotencyKey}`);
    }
    if (header) keys.push(...indexRows(header).map(([k]) => k));
    await this.table.delete(keys);
    await this.table.deleteRange(`a:${executionId}:`);
    await this.table.deleteRange(`e:${executionId}:`);
    return true;
  }

  // ---- reads ------------------------------------------------------------------------------------

  async getExecution(executionId: string): Promise<ExecutionRecord | undefined> {
    const stored = await this.one<StoredHeader>(`x:${executionId}`);
    return stored ? (await this.withPlans([stored]))[0] : undefined;
  }

  async getExecutions(executionIds: string[]): Promise<ExecutionRecord[]> {
    const got = await this.table.get(executionIds.map((id) => `x:${id}`));
    return this.withPlans(
      executionIds.map((id) => got.get(`x:${id}`) as StoredHeader | undefined).filter((r): r is StoredHeader => r !== undefined),
    );
  }

  async getNodes(executionId: string): Promise<Map<string, NodeState>> {
    await this.ready();
    const { got, rows } = await this.table.getWithRange([`x:${executionId}`], `e:${executionId}:`);
    const stored = got.get(`x:${executionId}`) as StoredHeader | undefined;
    if (!stored) return new Map();
    const [header] = (await this.withPlans([stored])) as [ExecutionRecord];
    return foldNodes(commitLog(rows), kindsOf(header.plan));
  }

  /** An execution's commit rows in version order, none once its header is gone or expired (they expire with it). */
  private async readLog(executionId: string): Promise<{ version: number; row: CommitRow }[]> {
    const { got, rows } = await this.table.getWithRange([`x:${executionId}`], `e:${executionId}:`);
    return got.has(`x:${executionId}`) ? commitLog(rows) : [];
  }

  async getAttempts(executionId: string, nodeId: string): Promise<AttemptRecord[]> {
    const rows = await this.table.range(`a:${executionId}:${nodeId}:`);
    return rows.map(([, v]) => v as AttemptRecord).sort((a, b) => a.attempt - b.attempt);
  }

  async getEvents(executionId: string, fromSeq = 1): Promise<EngineEvent[]> {
    await this.ready();
    const events: EngineEvent[] = [];
    for (const { row } of await this.readLog(executionId)) {
      const stored = rowEvents(row);
      const first = row.l - stored.length + 1;
      for (const [i, e] of stored.entries()) {
        const seq = first + i;
        if (typeof e === "number") {
          const packed = row.n?.[e];
          const rebuilt = packed ? derivedEvent(unpackNode(packed, row.t)) : undefined;
          if (rebuilt) events.push({ executionId, seq, ...rebuilt } as EngineEvent);
        } else events.push({ executionId, seq, ...e } as EngineEvent);
      }
    }
    // Gap-free from 1: stop at the first gap (an expired prefix or a partial delete yields nothing past it).
    const out: EngineEvent[] = [];
    let expect = events[0]?.seq ?? 1;
    for (const e of events) {
      if (e.seq !== expect) break;
      expect++;
      if (e.seq >= fromSeq) out.push(e);
    }
    return out;
  }

  async lastSeq(executionId: string): Promise<number> {
    await this.ready();
    return (await this.readLog(executionId)).at(-1)?.row.l ?? 0;
  }

  async getDefinition(hash: string): Promise<WorkflowDefinition | undefined> {
    return this.one<WorkflowDefinition>(`d:${hash}`);
  }

  async byIdempotencyKey(key: string): Promise<string | undefined> {
    return (await this.one<IdemRow>(`i:${key}`))?.executionId;
  }

  async listExecutions(query: ExecutionQuery = {}): Promise<ExecutionRecord[]> {
    const limit = query.limit ?? 50;
    const prefix =
      query.userId !== undefined
        ? `ix:u:${part(query.userId)}:`
        : query.templateId !== undefined
          ? `ix:t:${part(query.templateId)}:`
          : "ix:r:";
    const startAfter = query.before !== undefined ? inv(query.before) : undefined;
    const out: ExecutionRecord[] = [];
    const ids = (await this.table.range(prefix))
      .map(([k]) => k.slice(prefix.length))
      .filter((rest) => startAfter === undefined || rest.slice(0, 13) > startAfter)
      .map((rest) => rest.slice(14));
    for (let i = 0; i < ids.length && out.length < limit; i += 200) {
      for (const rec of await this.getExecutions(ids.slice(i, i + 200))) {
        if (query.status && !query.status.includes(rec.status)) continue;
        if (query.templateId !== undefined && rec.templateId !== query.templateId) continue;
        if (query.userId !== undefined && rec.userId !== query.userId) continue;
        out.push(rec);
        if (out.length >= limit) break;
      }
    }
    return out;
  }

  async executionIdsOfUser(userId: string): Promise<string[]> {
    const prefix = `ix:u:${part(userId)}:`;
    return (await this.table.range(prefix)).map(([k]) => k.slice(prefix.length + 14));
  }

  async unfinished(): Promise<UnfinishedExecution[]> {
    const ids = (await this.table.range("ix:f:")).map(([k]) => k.slice(5));
    const out: UnfinishedExecution[] = [];
    for (let i = 0; i < ids.length; i += 200) {
      const part = ids.slice(i, i + 200);
      const got = await this.table.get(part.map((id) => `x:${id}`));
      const stale: string[] = [];
      for (const id of part) {
        const header = got.get(`x:${id}`) as ExecutionRecord | undefined;
        if (!header || TERMINAL.has(header.status)) stale.push(`ix:f:${id}`);
        else out.push({ executionId: id });
      }
      if (stale.length > 0) await this.table.delete(stale);
    }
    return out;
  }

  // ---- stats ------------------------------------------------------------------------------------

  private readonly pendingFolds = new Map<string, PendingFold[]>();

  /**
   * Folds arriving while a template's read-modify-write is queued or running are applied together
   * by the next one: one read and one write for many finished executions.
   */
  updateStats(templateId: string, fold: (previous: StatsRecord | undefined) => StatsRecord): Promise<void> {
    return new Promise((resolve, reject) => {
      const queued = this.pendingFolds.get(templateId);
      if (queued) {
        queued.push({ fold, resolve, reject });
        return;
      }
      this.pendingFolds.set(templateId, [{ fold, resolve, reject }]);
      void this.mutex.run(`s:${templateId}`, async () => {
        const folds = this.pendingFolds.get(templateId) ?? [];
        this.pendingFolds.delete(templateId);
        try {
          let stats = await this.one<StatsRecord>(`s:${templateId}`);
          const ok: PendingFold[] = [];
          for (const f of folds) {
            try {
              stats = f.fold(stats);
              ok.push(f);
            } catch (error) {
              f.reject(error);
            }
          }
          if (stats !== undefined && ok.length > 0) await this.table.put([[`s:${templateId}`, stats]], [], this.expires());
          for (const f of ok) f.resolve();
        } catch (error) {
          for (const f of folds) f.reject(error);
        }
      });
    });
  }

  async getStats(templateId?: string): Promise<StatsRecord[]> {
    if (templateId !== undefined) {
      const one = await this.one<StatsRecord>(`s:${templateId}`);
      return one ? [one] : [];
    }
    return (await this.table.range("s:")).map(([, v]) => v as StatsRecord);
  }

  // ---- housekeeping -----------------------------------------------------------------------------

  async sweepExpired(now = Date.now()): Promise<number> {
    await this.ready();
    // Commit rows carry no expiry of their own: they go once their header has.
    const n = (this.options.sweep ? await this.options.sweep(now) : 0) + (await this.table.deleteOrphans("e:", "x:", now));
    await this.compact();
    return n;
  }

  async compact(): Promise<void> {
    await this.options.compact?.();
  }

  ping(): Promise<boolean> {
    return this.options.ping ? this.options.ping() : Promise.resolve(true);
  }

  async close(): Promise<void> {
    if (this.dropTimer) clearTimeout(this.dropTimer);
    this.dropTimer = undefined;
    await this.dropFinished();
  }
}

/** An event as stored: its execution id and seq are implied by its row's key and its place in the row. */
type StoredEvent = Omit<EngineEvent, "executionId" | "seq">;

const SETTLED_AT = new Map<string, number>(SETTLED_FIELDS.map((f, i) => [f, i]));
const RUNNING_AT = new Map<string, number>(RUNNING_FIELDS.map((f, i) => [f, i]));

/**
 * A node state by position. A field that is null (or not positional) goes into the trailing object,
 * so null still means absent; so does a time that is not a safe integer (relative times must add back exactly).
 */
function packNode(st: NodeState, t: number, kinds?: Map<string, string>): PackedNode {
  const code = STATUSES.indexOf(st.status);
  const at = code < 0 || st.status !== "running" ? SETTLED_AT : RUNNING_AT;
  const out: unknown[] = [];
  let extra: Record<string, unknown> | undefined;
  for (const [key, value] of Object.entries(st)) {
    if (value === undefined) continue;
    let i = value === null ? -1 : (at.get(key) ?? -1);
    let stored: unknown = value;
    if (i === 2 && code >= 0) stored = code;
    else if (i === 1 && code >= 0 && kinds?.get(st.nodeId) === value) continue;
    else if (key === "usage" && code >= 0 && isPlainUsage(value)) stored = [value.inputTokens, value.outputTokens];
    else if (i >= 0 && code >= 0 && TIMES.has(key)) {
      if (Number.isSafeInteger(value) && Number.isSafeInteger((value as number) - t)) stored = (value as number) - t;
      else i = -1;
    }
    if (i >= 0) out[i] = stored;
    else {
      extra ??= {};
      extra[key] = value;
    }
  }
  if (extra) out[SETTLED_FIELDS.length] = extra;
  for (let i = 0; i < out.length; i++) if (out[i] === undefined) out[i] = null;
  return out;
}

/** Usage of exactly its two counts, in that order: packed as [input, output] (its field names were a fifth of a settled state). */
function isPlainUsage(value: unknown): value is { inputTokens: number; outputTokens: number } {
  if (typeof value !== "object" || value === null) return false;
  const keys = Object.keys(value);
  const u = value as Record<string, unknown>;
  return (
    keys.length === 2 &&
    keys[0] === "inputTokens" &&
    keys[1] === "outputTokens" &&
    typeof u.inputTokens === "number" &&
    typeof u.outputTokens === "number"
  );
}

function unpackNode(packed: PackedNode, t = 0, kinds?: Map<string, string>): NodeState {
  const st: Record<string, unknown> = {};
  const code = packed[2];
  const current = typeof code === "number";
  const fields = current && STATUSES[code] === "running" ? RUNNING_FIELDS : SETTLED_FIELDS;
  for (let i = 0; i < fields.length && i < packed.length; i++) {
    const value = packed[i];
    if (value === null) continue;
    const field = fields[i] as string;
    if (!current) st[field] = value;
    else if (i === 2) st[field] = STATUSES[code];
    else if (TIMES.has(field)) st[field] = (value as number) + t;
    else if (field === "usage" && Array.isArray(value)) st[field] = { inputTokens: value[0], outputTokens: value[1] };
    else st[field] = value;
  }
  const extra = packed[SETTLED_FIELDS.length];
  if (extra) Object.assign(st, extra);
  // Left out when the definition gives it (only the current packing does).
  if (current && st.kind === undefined) st.kind = kinds?.get(st.nodeId as string) ?? "";
  return st as NodeState;
}

/** Node states of one transition, the last per node (whole records, last write wins). */
function lastPerNode(nodes: NodeState[]): NodeState[] {
  if (nodes.length < 2) return nodes;
  return [...new Map(nodes.map((n) => [n.nodeId, n])).values()];
}

/**
 * The event a node state implies on its own: `node.started` from a dispatch record, `node.completed`
 * from a completed state. Such events are stored as the index of their state (exactly the event the
 * decision made, or it is stored in full).
 */
function derivedEvent(st: NodeState): StoredEvent | undefined {
  if (st.status === "running" && st.dispatchedAt !== undefined)
    return { type: "node.started", at: st.dispatchedAt, nodeId: st.nodeId, data: { attempt: st.attempts } };
  if (st.status === "completed" && st.endedAt !== undefined)
    return {
      type: "node.completed",
      at: st.endedAt,
      nodeId: st.nodeId,
      data: {
        attempt: st.attempts,
        durationMs: st.durationMs,
        ...(st.usage ? { usage: st.usage } : {}),
        ...(st.chose !== undefined ? { chose: st.chose } : {}),
      },
    };
  return undefined;
}

/** Node kinds by id from a plan (cached per plan array: headers of one definition share it). */
const kindCache = new WeakMap<object, Map<string, string>>();
function kindsOf(plan: ExecutionRecord["plan"]): Map<string, string> {
  let kinds = kindCache.get(plan);
  if (!kinds) {
    kinds = new Map(plan.map((p) => [p.id, p.kind]));
    kindCache.set(plan, kinds);
  }
  return kinds;
}

/** `kinds`: the execution's node kinds by id when known; a node state's kind equal to its node's is then left out. */
function commitRow(last: number, events: EngineEvent[], nodes: NodeState[] | undefined, kinds?: Map<string, string>): CommitRow {
  const e: (StoredEvent | number)[] = [];
  for (const { executionId: _x, seq: _s, ...rest } of events) {
    const at = rest.nodeId !== undefined && !rest.sub && nodes ? nodes.findIndex((n) => n.nodeId === rest.nodeId) : -1;
    const st = at >= 0 ? (nodes?.[at] as NodeState) : undefined;
    const implied = st ? derivedEvent(st) : undefined;
    e.push(implied && same(implied, rest) ? at : rest);
  }
  if (!nodes) return { l: last, e };
  // Events that are exactly the node states' implied ones, in order (a step's usual commit): no list.
  const implied = e.length === nodes.length && e.every((x, i) => x === i);
  // The base of the row's relative times: its first node's start (a safe integer), else absolute.
  const t = nodes.find((n) => Number.isSafeInteger(n.startedAt))?.startedAt ?? 0;
  const n = nodes.map((st) => packNode(st, t, kinds));
  if (t !== 0) return implied ? { l: last, t, n } : { l: last, t, e, n };
  return implied ? { l: last, n } : { l: last, e, n };
}

/** A row's events as stored: without a list, each of its node states' implied event in order. */
function rowEvents(row: CommitRow): (StoredEvent | number)[] {
  return row.e ?? (row.n ?? []).map((_, i) => i);
}

/** Deep equality of JSON-like values, an undefined field counting as absent (what a stored copy would read back as). */
function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return false;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let n = 0;
  for (const k in x) {
    if (x[k] === undefined) continue;
    if (!same(x[k], y[k])) return false;
    n++;
  }
  for (const k in y) if (y[k] !== undefined) n--;
  return n === 0;
}

/** An execution's commit rows in version order (keys sort as text, versions as numbers). */
function commitLog(rows: Row[]): { version: number; row: CommitRow }[] {
  const log = rows.map(([key, value]) => ({ version: Number(key.slice(key.lastIndexOf(":") + 1)), row: value as CommitRow }));
  return log.sort((a, b) => a.version - b.version);
}

/** Node states as the newest rows left them. */
function foldNodes(log: { row: CommitRow }[], kinds: Map<string, string>): Map<string, NodeState> {
  const nodes = new Map<string, NodeState>();
  for (const { row } of log)
    for (const packed of row.n ?? []) {
      const st = unpackNode(packed, row.t, kinds);
      nodes.set(st.nodeId, st);
    }
  return nodes;
}

/** The list rows of a header (rewritten with it, so they never expire before it). */
function indexRows(header: ExecutionRecord): Row[] {
  const t = inv(header.createdAt);
  return [
    [`ix:r:${t}:${header.id}`, 1],
    [`ix:u:${part(header.userId)}:${t}:${header.id}`, 1],
    [`ix:t:${part(header.templateId)}:${t}:${header.id}`, 1],
  ];
}
