// The WorkQueue on BullMQ 6 (Redis), shared by every replica: job ids dedupe, delayed jobs carry timers,
// retries and deadlines, BullMQ's job locks and stalled-job checks redeliver a dead replica's work, and
// each concurrency group (one per model provider key) is its own queue with a global concurrency and
// rate limit, so a 429 pauses that key for every replica at once (Queue.rateLimit).
import { type Job as BullJob, type JobsOptions, Queue, Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { EnqueueResult, GroupLimit, Job, JobHandler, JobKind, JobSpec, WorkQueue } from "../../engine/queue/types.ts";

export type BullQueueOptions = {
  /** A connection made with `openRedis(url, { blocking: true })`; workers duplicate it for their blocking reads. */
  connection: Redis;
  /** Key prefix for every queue (one deployment; tests use one per run). Default "staffroom". */
  prefix?: string;
  /** Ungrouped jobs a replica runs at once. Default 32. */
  concurrency?: number;
  /**
   * Grouped jobs (model calls) this replica runs at once, below the group's cluster-wide limit.
   * Default: the group's limit (one replica may use all of it).
   */
  groupConcurrency?: number;
  /** Deliveries before a job is given up (handlers throw only when infrastructure failed). Default 5. */
  maxDeliveries?: number;
  /** Wait before redelivering a job whose handler threw. Default 1000 ms. */
  retryDelayMs?: number;
  /** A replica's hold on a running job; when it dies the job is redelivered after about this long. Default 30 s. */
  lockDurationMs?: number;
  /** How often replicas look for jobs whose holder died. Default 30 s (BullMQ's). */
  stalledIntervalMs?: number;
  /** How often a replica looks for groups other replicas created. Default 2 s. */
  groupPollMs?: number;
  onDeadLetter?: (job: Job, error: unknown) => void;
};

type Payload = { kind: JobKind; executionId: string; nodeId?: string; data?: Record<string, unknown>; group?: string };

const MAIN = "work";

/** BullMQ refuses ':' in custom job ids, which the engine's ids use (`attempt:<execution>:<node>:<n>`): escaped, reversibly. */
export const toBullId = (id: string): string => id.replace(/%/g, "%25").replace(/:/g, "%3A");
const fromBullId = (id: string): string => id.replace(/%3A/g, ":").replace(/%25/g, "%");

/** BullMQ queue names may not hold ':'; groups (e.g. "model:openai") are encoded. */
function groupQueueName(group: string): string {
  return `group-${Buffer.from(group).toString("base64url")}`;
}

export class BullWorkQueue implements WorkQueue {
  readonly driver = "bullmq";
  /** Jobs live in Redis: they outlive any replica, and `exists` answers for all of them. */
  readonly shared = true;
  private subscriber: Redis | undefined;
  private readonly abortListeners: ((executionId: string) => void)[] = [];
  private readonly connection: Redis;
  private readonly prefix: string;
  private readonly queues = new Map<string, Queue>();
  private readonly workers = new Map<string, Worker>();
  /** Limits set on this replica, applied (globally) before its first job is added. */
  private readonly limits = new Map<string, Promise<void>>();
  private readonly localLimits = new Map<string, GroupLimit>();
  private handler: JobHandler | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly jobOptions: JobsOptions;

  constructor(private readonly options: BullQueueOptions) {
    this.connection = options.connection;
    this.prefix = options.prefix ?? "staffroom";
    this.jobOptions = {
      attempts: options.maxDeliveries ?? 5,
      backoff: { type: "fixed", delay: options.retryDelayMs ?? 1_000 },
      // A finished job's id may be used again (the conformance contract): keep nothing once done.
      removeOnComplete: true,
      removeOnFail: true,
    };
  }

  private get groupsKey(): string {
    return `${this.prefix}:staffroom:groups`;
  }

  private get abortChannel(): string {
    return `${this.prefix}:staffroom:abort`;
  }

  private queue(name: string): Queue {
    let q = this.queues.get(name);
    if (!q) {
      q = new Queue(name, { connection: this.connection, prefix: this.prefix });
      q.on("error", () => undefined);
      this.queues.set(name, q);
    }
    return q;
  }

  private queueOf(group: string | undefined): Queue {
    return this.queue(group === undefined ? MAIN : groupQueueName(group));
  }

  // ---- adding -----------------------------------------------------------------------------------

  async enqueue(spec: JobSpec): Promise<EnqueueResult> {
    const [result] = await this.enqueueMany([spec]);
    return result as EnqueueResult;
  }

  async enqueueMany(specs: JobSpec[]): Promise<EnqueueResult[]> {
    if (this.closed) return specs.map((s) => ({ id: s.id, deduped: true }));
    const groups = [...new Set(specs.map((s) => s.group).filter((g): g is string => g !== undefined))];
    if (groups.length > 0) {
      await this.connection.sadd(this.groupsKey, ...groups);
      await Promise.all(groups.map((g) => this.limits.get(g)));
      for (const g of groups) this.ensureWorker(groupQueueName(g), g);
    }
    // BullMQ adds nothing for an id it already holds (waiting, delayed, running or retrying), but does not
    // say so: look first. Two replicas racing on one id may both report "added"; BullMQ still keeps one job.
    const existing = await Promise.all(specs.map((s) => this.queueOf(s.group).getJobState(toBullId(s.id))));
    const byQueue = new Map<Queue, { name: JobKind; data: Payload; opts: JobsOptions }[]>();
    const results: EnqueueResult[] = [];
    specs.forEach((s, i) => {
      const state = existing[i];
      const known = state !== "unknown" && state !== "completed" && state !== "failed";
      results.push({ id: s.id, deduped: known });
      if (known) return;
      const q = this.queueOf(s.group);
      const list = byQueue.get(q) ?? [];
      list.push({
        name: s.kind,
        data: {
          kind: s.kind,
          executionId: s.executionId,
          ...(s.nodeId !== undefined ? { nodeId: s.nodeId } : {}),
          ...(s.data !== undefined ? { data: s.data } : {}),
          ...(s.group !== undefined ? { group: s.group } : {}),
        },
        opts: { ...this.jobOptions, jobId: toBullId(s.id), ...(s.delayMs && s.delayMs > 0 ? { delay: Math.ceil(s.delayMs) } : {}) },
      });
      byQueue.set(q, list);
    });
    await Promise.all([...byQueue].map(([q, jobs]) => q.addBulk(jobs)));
    return results;
  }

  /** Whether the job is waiting, delayed or running anywhere (any replica). */
  async exists(jobId: string): Promise<boolean> {
    for (const q of [this.queue(MAIN), ...(await this.groupQueues())]) {
      const state = await q.getJobState(toBullId(jobId));
      if (state !== "unknown" && state !== "completed" && state !== "failed") return true;
    }
    return false;
  }

  /** Publishes "stop the attempts of this execution" to every replica on this prefix (Redis pub/sub). */
  async broadcastAbort(executionId: string): Promise<void> {
    if (this.closed) return;
    await this.connection.publish(this.abortChannel, executionId);
  }

  onAbort(listener: (executionId: string) => void): void {
    this.abortListeners.push(listener);
    if (this.subscriber) return;
    const sub = this.connection.duplicate();
    this.subscriber = sub;
    sub.on("error", () => undefined);
    sub.on("message", (channel: string, message: string) => {
      if (channel !== this.abortChannel) return;
      for (const l of this.abortListeners) l(message);
    });
    void sub.subscribe(this.abortChannel).catch(() => undefined);
  }

  async remove(jobId: string): Promise<boolean> {
    for (const q of [this.queue(MAIN), ...(await this.groupQueues())]) {
      const state = await q.getJobState(toBullId(jobId));
      if (state !== "waiting" && state !== "delayed" && state !== "prioritized" && state !== "waiting-children") continue;
      // Refused (0) when a worker took it meanwhile: it is running, not removed.
      return (await q.remove(toBullId(jobId))) === 1;
    }
    return false;
  }

  private async groupQueues(): Promise<Queue[]> {
    const groups = await this.connection.smembers(this.groupsKey);
    return groups.map((g) => this.queue(groupQueueName(g)));
  }

  // ---- groups -----------------------------------------------------------------------------------

  setGroupLimit(group: string, limit: GroupLimit): void {
    this.localLimits.set(group, limit);
    const q = this.queueOf(group);
    const applied = (async () => {
      await this.connection.sadd(this.groupsKey, group);
      // Global: every replica's workers together start at most this many (and at most this rate).
      await q.setGlobalConcurrency(limit.concurrency);
      if (limit.rate) await q.setGlobalRateLimit(limit.rate.max, limit.rate.perMs);
      else await q.removeGlobalRateLimit();
    })();
    applied.catch(() => undefined);
    this.limits.set(group, applied);
    this.ensureWorker(groupQueueName(group), group);
  }

  async pauseGroup(group: string, ms: number): Promise<void> {
    await this.connection.sadd(this.groupsKey, group);
    // BullMQ's queue-wide rate limit key: no worker of any replica takes a job of this queue until it expires.
    await this.queueOf(group).rateLimit(Math.max(1, Math.ceil(ms)));
    this.ensureWorker(groupQueueName(group), group);
  }

  // ---- processing -------------------------------------------------------------------------------

  process(handler: JobHandler): void {
    this.handler = handler;
    this.ensureWorker(MAIN, undefined);
    for (const g of this.localLimits.keys()) this.ensureWorker(groupQueueName(g), g);
    void this.discoverGroups();
    if (!this.pollTimer) {
      this.pollTimer = setInterval(() => void this.discoverGroups(), this.options.groupPollMs ?? 2_000);
      this.pollTimer.unref();
    }
  }

  /** Groups another replica created get a worker here too, so every replica shares every group's work. */
  private async discoverGroups(): Promise<void> {
    if (this.closed || !this.handler) return;
    try {
      for (const g of await this.connection.smembers(this.groupsKey)) this.ensureWorker(groupQueueName(g), g);
    } catch {
      // Redis unreachable for a moment: the next poll tries again.
    }
  }

  private ensureWorker(name: string, group: string | undefined): void {
    if (!this.handler || this.closed || this.workers.has(name)) return;
    const concurrency =
      group === undefined
        ? (this.options.concurrency ?? 32)
        : Math.min(this.options.groupConcurrency ?? Number.POSITIVE_INFINITY, this.localLimits.get(group)?.concurrency ?? 8);
    const worker = new Worker<Payload>(name, (job, token, signal) => this.run(job, token, signal), {
      connection: this.connection,
      prefix: this.prefix,
      concurrency,
      lockDuration: this.options.lockDurationMs ?? 30_000,
      stalledInterval: this.options.stalledIntervalMs ?? 30_000,
      maxStalledCount: this.options.maxDeliveries ?? 5,
      // BullMQ honours a queue-wide pause (Queue.rateLimit, our 429s) only on queues with a limiter: this
      // one never limits by itself; a group's own rate (setGlobalRateLimit) takes precedence over it.
      ...(group !== undefined ? { limiter: { max: Number.MAX_SAFE_INTEGER - 1, duration: 1_000 } } : {}),
    });
    worker.on("error", () => undefined);
    worker.on("failed", (job, error) => {
      if (job && job.attemptsMade >= (job.opts.attempts ?? 1)) this.options.onDeadLetter?.(toJob(job), error);
    });
    this.workers.set(name, worker);
  }

  private async run(job: BullJob<Payload>, token: string | undefined, signal: AbortSignal | undefined): Promise<void> {
    const handler = this.handler;
    if (!handler) throw new Error("no handler");
    await handler(toJob(job), { token: token ?? `${job.id}:${job.attemptsStarted}`, signal: signal ?? new AbortController().signal });
  }

  async idle(): Promise<void> {
    for (;;) {
      const queues = [this.queue(MAIN), ...(await this.groupQueues())];
      const counts = await Promise.all(queues.map((q) => q.getJobCounts("wait", "active", "prioritized")));
      if (counts.every((c) => Object.values(c).every((n) => n === 0))) return;
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    // Running handlers see their signal abort, then close() waits for them to return.
    for (const w of this.workers.values()) w.cancelAllJobs("The work queue is closing.");
    await Promise.all([...this.workers.values()].map((w) => w.close()));
    await Promise.allSettled([...this.limits.values()]);
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    this.subscriber?.disconnect();
  }
}

function toJob(job: BullJob<Payload>): Job {
  const d = job.data;
  return {
    id: fromBullId(String(job.id)),
    kind: d.kind,
    executionId: d.executionId,
    ...(d.nodeId !== undefined ? { nodeId: d.nodeId } : {}),
    ...(d.data !== undefined ? { data: d.data } : {}),
    ...(d.group !== undefined ? { group: d.group } : {}),
    // attemptsStarted counts every move to active: retries after a throw and redeliveries after a stall.
    delivery: Math.max(1, job.attemptsStarted),
  };
}
