// The contract between the engine's step handlers and whatever delivers their jobs. The local driver
// (./local.ts: in-process timers and limiters) is the default; a distributed one (BullMQ on Redis:
// delayed jobs, job ids, lock tokens, global concurrency, rate limits) implements the same interface
// and must pass test/engine/drivers/queue-conformance.ts. Delivery is at least once: handlers are
// idempotent, fenced by the store (see ExecutionStore.commit), so a job run twice changes nothing.

/** The step handlers the engine registers; a job names one. */
export type JobKind = "advance" | "attempt" | "deadline" | "answer" | "cancel" | "child-done";

export type JobSpec = {
  /**
   * Dedupe id: while a job with this id is waiting, delayed or running, enqueueing it again adds
   * nothing. Once it has finished the id may be used again. Built from the step it does, e.g.
   * `attempt:<executionId>:<nodeId>:<attempt>`.
   */
  id: string;
  kind: JobKind;
  executionId: string;
  nodeId?: string;
  /** Small JSON-serialisable facts (an attempt number and token, the version that dispatched it). Never outputs. */
  data?: Record<string, unknown>;
  /**
   * Concurrency group, e.g. `model:<provider>`: jobs of a group run at most `concurrency` at once
   * across every worker of the queue (global for distributed drivers). No group: not limited.
   */
  group?: string;
  /** Run no earlier than this many ms from now (timers, deadlines, retry backoff). */
  delayMs?: number;
};

export type Job = Readonly<JobSpec> & {
  /** 1 on first delivery, higher when redelivered (crash, lost lock). */
  readonly delivery: number;
};

export type JobContext = {
  /** The delivery's lock token (distributed drivers: the job lock; local: unique per delivery). */
  readonly token: string;
  /** Aborts when the lock is lost or the queue closes: stop, write nothing more. */
  readonly signal: AbortSignal;
  /**
   * Frees the job's concurrency-group slot before the handler returns: the limited work (a model
   * call) is over and what remains (recording the result) must not hold the provider's slot.
   * Optional: a driver whose slots last as long as the job (BullMQ) leaves it out.
   */
  readonly release?: () => void;
  /**
   * Aborts `signal` with `reason`, so a handler that must stop its work from outside (a cancel) uses
   * the job's signal instead of a second one. Optional: without it the handler makes its own.
   */
  readonly abort?: (reason: unknown) => void;
};

/**
 * Resolves when the job is done. A throw means "deliver again later" (driver backoff, bounded by the
 * driver): handlers settle their own errors into store transitions and throw only when the
 * infrastructure failed (store unreachable).
 */
export type JobHandler = (job: Job, context: JobContext) => Promise<void>;

export type GroupLimit = {
  /** Jobs of the group running at once. */
  concurrency: number;
  /** Optional rate limit: at most `max` starts per `perMs`. */
  rate?: { max: number; perMs: number };
};

export type EnqueueResult = { id: string; deduped: boolean };

export interface WorkQueue {
  /** Driver name for logs, e.g. "local", "bullmq". */
  readonly driver: string;
  /** Adds a job (now, or after `delayMs`); a second enqueue of a pending id is deduped. */
  enqueue(job: JobSpec): Promise<EnqueueResult>;
  /** Adds several jobs (one round trip where the driver can). */
  enqueueMany(jobs: JobSpec[]): Promise<EnqueueResult[]>;
  /**
   * True when jobs live outside this process (in Redis): they survive it, and `exists` answers for every
   * replica. False (the in-process queue): a job exists only while the process that enqueued it lives.
   */
  readonly shared?: boolean;
  /** Whether a job with this id is waiting, delayed or running (in-process queues: in this process). */
  exists?(jobId: string): Promise<boolean>;
  /** Broadcasts "stop the attempts of this execution" to every replica sharing the queue. */
  broadcastAbort?(executionId: string): Promise<void>;
  /** Receives those broadcasts (from every replica, this one included). */
  onAbort?(listener: (executionId: string) => void): void;
  /** Removes a waiting or delayed job (e.g. a deadline no longer needed); false when running, done or unknown. */
  remove(jobId: string): Promise<boolean>;
  /** Sets (or changes) a group's limits. Unknown groups run unlimited. */
  setGroupLimit(group: string, limit: GroupLimit): void;
  /** Pauses starting jobs of a group for `ms` (a provider's Retry-After); running ones continue. */
  pauseGroup(group: string, ms: number): Promise<void>;
  /** Starts delivering jobs to `handler` (one handler per queue; calling again replaces it). */
  process(handler: JobHandler): void;
  /** Resolves when nothing is waiting (ready now) or running; delayed jobs do not count. */
  idle(): Promise<void>;
  /** Stops delivering; running handlers see their signal abort; waits for them to return. */
  close(): Promise<void>;
}
