// The contract between the engine and durable storage of executions. The engine builds no keys and
// no queries: a driver owns its record layout and offers the writes and reads below.
//
// Drivers: the local one (Keyv + @keyv/sqlite, or memory) in ./local.ts; distributed ones (PostgreSQL)
// implement the same interface and must pass test/engine/drivers/store-conformance.ts.
import type { AttemptRecord, EngineEvent, ExecutionRecord, ExecutionStatus, NodeState } from "../records.ts";
import type { WorkflowDefinition } from "../schema.ts";
import type { StatsRecord } from "../stats.ts";

/**
 * A running process (or worker). Each holds one owner lease and renews it (heartbeat) well before
 * `expiresAt`. Executions have no owner: a lease says only whether the process that dispatched a node
 * (and, with the in-process queue, holds its job) is still alive, so a reconciler knows which jobs
 * provably no longer exist.
 */
export type OwnerInfo = {
  /** Unique per process start (not per host), e.g. a random id. */
  owner: string;
  /** For diagnostics, and (with `pidns` and `boot`) the same-namespace liveness shortcut. */
  pid?: number;
  host?: string;
  /** The PID namespace (`/proc/self/ns/pid` link) and boot id: a PID means something only within both. */
  pidns?: string;
  boot?: string;
  startedAt: number;
};

export type OwnerLease = OwnerInfo & { expiresAt: number };

/**
 * One durable decision about an execution, applied as ONE conditional write (all or nothing): it
 * applies only while the execution's version is `expectVersion`, and then sets it to
 * `expectVersion + 1`. Every decision reads the state at some version and commits against it, so a
 * decision made on stale state (another replica moved on, a redelivered job) is refused with
 * `version_conflict` and is made again on fresh state. Attempt tokens are checked by the decision
 * against the state it read at that version, so the version fence covers them too.
 */
export type Transition = {
  executionId: string;
  expectVersion: number;
  /** The execution's definition hash (its header's), when known: a driver may leave out of node states what the definition gives. */
  hash?: string;
  /** The last event seq the decision read (with `expectVersion`): events must continue from it. */
  seq: number;
  /**
   * Events appended to the log: at least one (every decision is recorded). Their `seq` must continue
   * the log without gaps (the first is `seq + 1`, the rest consecutive); a mismatch is refused with
   * `seq_conflict`.
   */
  events: EngineEvent[];
  /** The new header; the driver updates its indexes (status, user, template, unfinished) from it. */
  header?: ExecutionRecord;
  /** Node states to store (whole records, last write wins within a transition). */
  nodes?: NodeState[];
  /** Attempt records. A successful first attempt may be left out: the node state already says it. */
  attempts?: { nodeId: string; attempt: AttemptRecord }[];
  /** Sub-workflow executions created by this decision (in the same write: no orphan, no missing child). */
  children?: NewExecution[];
};

export type CommitResult = { ok: true; version: number } | { ok: false; reason: "version_conflict" | "seq_conflict" | "not_found" };

/** One execution as a decision needs it, read in one round trip. */
export type LoadedExecution = {
  header: ExecutionRecord;
  nodes: Map<string, NodeState>;
  /** Bumped by every commit. */
  version: number;
  /** Last event seq. */
  seq: number;
};

/** What `createExecution` stores at once: header, definition, first events and the idempotency key. */
export type NewExecution = {
  header: ExecutionRecord;
  /** The definition the run started with, stored under `header.hash` (once per hash). */
  definition: WorkflowDefinition;
  events: EngineEvent[];
  /**
   * Node states the creating write already holds: the first step's dispatch, recorded with the
   * execution so starting it needs no decision of its own. Only `createExecution` stores them; a
   * sub-workflow's child is created without (its first dispatch is its own decision).
   */
  nodes?: NodeState[];
  /** A repeated create with the same key returns the first execution and creates nothing. */
  idempotencyKey?: string;
};

export type CreateResult = { created: true; execution: ExecutionRecord } | { created: false; execution: ExecutionRecord };

export type ExecutionQuery = {
  userId?: string;
  templateId?: string;
  status?: ExecutionStatus[];
  /** Default 50. */
  limit?: number;
  /** Only executions created strictly before this time (paging, newest first). */
  before?: number;
};

/** An execution that is not finished. */
export type UnfinishedExecution = { executionId: string };

export interface ExecutionStore {
  /** Driver name for logs and messages, e.g. "sqlite", "memory", "postgres". */
  readonly driver: string;
  /** Where it keeps data, for one-sentence messages (a file path, a host/db; never credentials). */
  readonly location: string;

  // ---- owners (one liveness lease per process) -----------------------------------------------------------

  /** Creates or renews this process's owner lease for `ttlMs`. Returns false when it had already expired and executions may have been taken over. */
  heartbeat(owner: OwnerInfo, ttlMs: number): Promise<boolean>;
  /** Drops the owner lease (clean shutdown): the jobs it dispatched count as gone at once. */
  releaseOwner(owner: string): Promise<void>;
  /** Owner leases that have not expired (measured on the store's clock). */
  liveOwners(): Promise<OwnerLease[]>;

  // ---- executions -------------------------------------------------------------------------------

  /** Stores a new execution (atomic with its idempotency key), version 0. */
  createExecution(input: NewExecution): Promise<CreateResult>;
  /** Applies one decision as a single conditional write, fenced by the execution's version. */
  commit(transition: Transition): Promise<CommitResult>;
  /** Header, node states, version and last seq in one read; undefined when missing. */
  loadExecution(executionId: string): Promise<LoadedExecution | undefined>;
  /** Deletes the execution and everything keyed to it (nodes, attempts, events, version, idempotency key, index entries). */
  deleteExecution(executionId: string): Promise<boolean>;

  // ---- reads (work without an owner lease: read-only CLI commands use them) --------------------

  getExecution(executionId: string): Promise<ExecutionRecord | undefined>;
  getExecutions(executionIds: string[]): Promise<ExecutionRecord[]>;
  /** Stored node states by node id (nodes never written are absent). */
  getNodes(executionId: string): Promise<Map<string, NodeState>>;
  getAttempts(executionId: string, nodeId: string): Promise<AttemptRecord[]>;
  /** Events from `fromSeq` (inclusive, default 1), in order, gap-free. */
  getEvents(executionId: string, fromSeq?: number): Promise<EngineEvent[]>;
  /** Last event seq of an execution, 0 when none. */
  lastSeq(executionId: string): Promise<number>;
  getDefinition(hash: string): Promise<WorkflowDefinition | undefined>;
  /** The execution an idempotency key started, if any. */
  byIdempotencyKey(key: string): Promise<string | undefined>;
  /** Newest first. */
  listExecutions(query?: ExecutionQuery): Promise<ExecutionRecord[]>;
  /** Every execution id of a user, however many (newest first). */
  executionIdsOfUser(userId: string): Promise<string[]>;
  /** Executions not yet completed, failed or cancelled. */
  unfinished(): Promise<UnfinishedExecution[]>;

  // ---- stats ------------------------------------------------------------------------------------

  /** Read-modify-write of one template's stats, serialised per template (across processes for distributed drivers). */
  updateStats(templateId: string, fold: (previous: StatsRecord | undefined) => StatsRecord): Promise<void>;
  getStats(templateId?: string): Promise<StatsRecord[]>;

  // ---- housekeeping -----------------------------------------------------------------------------

  /** Deletes records past retention; returns how many. */
  sweepExpired(now?: number): Promise<number>;
  /**
   * Makes deletions physical (sqlite: WAL checkpoint TRUNCATE; secure_delete is on). Called after a
   * forget and after each retention sweep; other layers call it after deleting their own records.
   */
  compact(): Promise<void>;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export type { StatsRecord };
