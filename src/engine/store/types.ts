// The contract between the engine and durable storage of executions. The engine builds no keys and
// no queries: a driver owns its record layout and offers the writes and reads below.
//
// Drivers: the local one (Keyv + @keyv/sqlite, or memory) in ./local.ts; distributed ones (PostgreSQL)
// implement the same interface and must pass test/engine/drivers/store-conformance.ts.
import type { AttemptRecord, EngineEvent, ExecutionRecord, ExecutionStatus, NodeState } from "../records.ts";
import type { WorkflowDefinition } from "../schema.ts";
import type { StatsRecord } from "../stats.ts";

/**
 * A running process (or worker) that may own executions. Each holds one owner lease and renews it
 * (heartbeat) well before `expiresAt`; executions owned by a process whose lease has expired may be
 * taken over by another, executions of a live owner never are (unless handed over, see `claim`).
 */
export type OwnerInfo = {
  /** Unique per process start (not per host), e.g. a random id. */
  owner: string;
  /** For the one-sentence messages and diagnostics only. */
  pid?: number;
  host?: string;
  startedAt: number;
};

export type OwnerLease = OwnerInfo & { expiresAt: number };

/**
 * Who may write an execution. `token` changes on every claim, so a writer holding an older token is
 * fenced out: all its transitions fail with `stale_lease` and write nothing.
 */
export type ExecutionLease = {
  executionId: string;
  owner: string;
  token: string;
};

/**
 * One durable step of an execution, applied as ONE conditional write (all or nothing): it applies
 * only while `token` is the execution's current lease token, and, when `node` is given, only while
 * that node's stored state is not already settled (completed, failed, skipped or cancelled) — so a
 * step handler run twice (a redelivered job, a stale process) changes nothing the second time.
 */
export type Transition = {
  executionId: string;
  /** The lease token the writer holds. */
  token: string;
  /** Fence on one node: the write is refused with `node_settled` when this node is already settled. */
  node?: { nodeId: string };
  /**
   * Events appended to the log. Their `seq` must continue the log without gaps (the first is the
   * stored last seq + 1, the rest consecutive); a mismatch is refused with `seq_conflict`.
   */
  events?: EngineEvent[];
  /** The new header; the driver updates its indexes (status, user, template, unfinished) from it. */
  header?: ExecutionRecord;
  /** Node states to store (whole records, last write wins within a transition). */
  nodes?: NodeState[];
  /** Attempt records. A successful first attempt may be left out: the node state already says it. */
  attempts?: { nodeId: string; attempt: AttemptRecord }[];
};

export type CommitResult = { ok: true } | { ok: false; reason: "stale_lease" | "node_settled" | "seq_conflict" | "not_found" };

/** What `createExecution` stores at once: header, definition, first events, the lease and the idempotency key. */
export type NewExecution = {
  header: ExecutionRecord;
  /** The definition the run started with, stored under `header.hash` (once per hash). */
  definition: WorkflowDefinition;
  /** The process creating it becomes its owner. */
  owner: string;
  events: EngineEvent[];
  /** A repeated create with the same key returns the first execution and creates nothing. */
  idempotencyKey?: string;
};

export type CreateResult =
  | { created: true; execution: ExecutionRecord; lease: ExecutionLease }
  | { created: false; execution: ExecutionRecord };

export type ExecutionQuery = {
  userId?: string;
  templateId?: string;
  status?: ExecutionStatus[];
  /** Default 50. */
  limit?: number;
  /** Only executions created strictly before this time (paging, newest first). */
  before?: number;
};

/** An execution that is not finished, with who owns it and whether that owner is alive. */
export type UnfinishedExecution = { executionId: string; owner: string | undefined; ownerAlive: boolean };

export interface ExecutionStore {
  /** Driver name for logs and messages, e.g. "sqlite", "memory", "postgres". */
  readonly driver: string;
  /** Where it keeps data, for one-sentence messages (a file path, a host/db; never credentials). */
  readonly location: string;

  // ---- owners (one lease per process) -----------------------------------------------------------

  /** Creates or renews this process's owner lease for `ttlMs`. Returns false when it had already expired and executions may have been taken over. */
  heartbeat(owner: OwnerInfo, ttlMs: number): Promise<boolean>;
  /** Drops the owner lease (clean shutdown): its unfinished executions can be recovered at once. */
  releaseOwner(owner: string): Promise<void>;
  /** Owner leases that have not expired. */
  liveOwners(): Promise<OwnerLease[]>;

  // ---- executions -------------------------------------------------------------------------------

  /** Stores a new execution (atomic with its idempotency key), owned by `owner`. */
  createExecution(input: NewExecution): Promise<CreateResult>;
  /**
   * Takes the lease of an unfinished execution for `owner` with a fresh token. Succeeds when the
   * execution has no owner, its owner's lease has expired, the owner is `owner` already, or `force`
   * is set (a hand-over the caller decided is safe, e.g. answering or cancelling a waiting run: the
   * old owner's next write is then fenced out). Undefined when finished, missing, or owned by a live process.
   */
  claim(executionId: string, owner: string, options?: { force?: boolean }): Promise<ExecutionLease | undefined>;
  /** Applies one transition as a single conditional write. */
  commit(transition: Transition): Promise<CommitResult>;
  /** Deletes the execution and everything keyed to it (nodes, attempts, events, lease, idempotency key, index entries). */
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
