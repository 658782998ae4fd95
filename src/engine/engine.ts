// The durable workflow engine's facade: registers workflows, starts executions, answers reads, and
// hands steps to the runner (advance, attempts), waits (answers, deadlines) and the store. It builds
// no store keys and decides no retries itself.
import type { z } from "zod";
import { NotFoundError, StaffroomError } from "../errors.ts";
import { type Logger, silentLogger } from "../log.ts";
import { HOSTED_CONCURRENCY } from "../model/limits.ts";
import type { ModelProvider } from "../model/types.ts";
import type {
  EngineApi,
  EventListener,
  ListFilter,
  RegisteredWorkflow,
  ResumeResult,
  StartOptions,
  TransformFn,
  WorkflowStats,
} from "./api.ts";
import { EventHub } from "./events.ts";
import { Ownership } from "./ownership.ts";
import { LocalWorkQueue } from "./queue/local.ts";
import type { WorkQueue } from "./queue/types.ts";
import type { EngineEvent, ExecutionRecord, ExecutionView, NodeState } from "./records.ts";
import { Registry } from "./registry.ts";
import { TERMINAL } from "./run/run.ts";
import { errorInfo, Runner } from "./run/runner.ts";
import { toWorkflowStats } from "./stats.ts";
import type { ExecutionStore } from "./store/types.ts";
import type { Store } from "./store.ts";
import { type Clock, systemClock } from "./timing.ts";
import { Waits } from "./waits.ts";

export type EngineOptions = {
  /** The local store (its `executions` driver is used unless `executions` is given). */
  store?: Store;
  /** An ExecutionStore driver (PostgreSQL, ...); defaults to `store.executions`. */
  executions?: ExecutionStore;
  /** A WorkQueue driver; defaults to the in-process LocalWorkQueue. */
  queue?: WorkQueue;
  model: ModelProvider;
  transforms?: Record<string, TransformFn>;
  schemas?: Record<string, z.ZodType>;
  clock?: Clock;
  random?: () => number;
  logger?: Logger;
  /** Agent calls in flight at once per model provider, shared by every execution (the queue's `model:<provider>` group). */
  providerConcurrency?: number;
  /** Caps how many nodes of one execution run at once (a workflow's own `maxParallel` applies below it). */
  executionParallelism?: number;
  /** Per-attempt timeout for agent nodes without their own. */
  defaultTimeoutMs?: number;
  /** Model name passed to providers when a node names none. */
  defaultModel?: string;
  /** How long this process's owner lease lasts without a heartbeat. */
  ownerLeaseMs?: number;
};

export class Engine implements EngineApi {
  private readonly store: ExecutionStore;
  private readonly queue: WorkQueue;
  private readonly ownsQueue: boolean;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly registry: Registry;
  private readonly hub: EventHub;
  private readonly runner: Runner;
  private readonly waits: Waits;
  private readonly ownership: Ownership;

  constructor(opts: EngineOptions) {
    const store = opts.executions ?? opts.store?.executions;
    if (!store) throw new StaffroomError("store_missing", "The engine needs a store: pass `store` or `executions`.");
    this.store = store;
    this.clock = opts.clock ?? systemClock;
    this.log = opts.logger ?? silentLogger;
    this.ownsQueue = opts.queue === undefined;
    this.queue = opts.queue ?? new LocalWorkQueue({ clock: this.clock });
    this.registry = new Registry(opts.transforms, opts.schemas);
    this.hub = new EventHub(this.log, () => this.clock.now());
    this.ownership = new Ownership(store, this.log, opts.ownerLeaseMs);
    this.runner = new Runner({
      store,
      queue: this.queue,
      clock: this.clock,
      random: opts.random ?? Math.random,
      log: this.log,
      model: opts.model,
      registry: this.registry,
      hub: this.hub,
      owner: () => this.ownership.owner(),
      defaultTimeoutMs: opts.defaultTimeoutMs,
      defaultModel: opts.defaultModel,
      maxParallel: opts.executionParallelism,
    });
    this.waits = new Waits(this.runner);
    this.queue.setGroupLimit(`model:${opts.model.name}`, { concurrency: opts.providerConcurrency ?? HOSTED_CONCURRENCY });
    this.queue.process((job) => (job.kind === "deadline" ? this.waits.deadline(job) : this.runner.handle(job)));
  }

  // ---- registry -----------------------------------------------------------------------------------

  register(workflow: RegisteredWorkflow): void {
    this.registry.register(workflow);
  }

  workflows(): RegisteredWorkflow[] {
    return this.registry.latest();
  }

  workflow(id: string, version?: number): RegisteredWorkflow | undefined {
    return this.registry.get(id, version);
  }

  // ---- starting -----------------------------------------------------------------------------------

  async start(workflowId: string, options: StartOptions): Promise<ExecutionRecord> {
    if (this.runner.closing)
      throw new StaffroomError("engine_closing", "The service is shutting down; try again in a moment.", { retryable: true });
    const registered = this.registry.require(workflowId, options.version);
    const inputs = this.registry.checkInputs(registered, options.inputs);
    const { run, existing } = await this.runner.create(registered.definition, inputs, {
      userId: options.userId,
      ...(options.origin ? { origin: options.origin } : {}),
      ...(options.idempotencyKey !== undefined ? { idempotencyKey: options.idempotencyKey } : {}),
    });
    if (existing) return this.runner.runs.get(existing.id)?.rec ?? existing;
    if (!run) throw new StaffroomError("internal_error", "The execution could not be started.");
    this.runner.advance(run);
    return { ...run.rec };
  }

  // ---- reading ------------------------------------------------------------------------------------

  async get(executionId: string): Promise<ExecutionView | undefined> {
    const run = this.runner.runs.get(executionId);
    const rec = run ? { ...run.rec } : await this.store.getExecution(executionId);
    if (!rec) return undefined;
    const stored = run ? run.nodes : await this.store.getNodes(executionId);
    const kinds = new Map((rec.plan ?? []).map((p) => [p.id, p.kind]));
    const nodes = rec.nodeIds.map((id): NodeState => {
      const st = stored.get(id);
      return st ? { ...st } : { nodeId: id, kind: kinds.get(id) ?? "unknown", status: "pending", attempts: 0 };
    });
    return { ...rec, nodes, ...(rec.durationMs !== undefined ? { totalMs: rec.durationMs } : {}) };
  }

  async list(filter: ListFilter = {}): Promise<ExecutionRecord[]> {
    const recs = await this.store.listExecutions({ ...filter, limit: filter.limit ?? 50 });
    const out: ExecutionRecord[] = [];
    for (const rec of recs) {
      const live = this.runner.runs.get(rec.id)?.rec ?? rec;
      if (!filter.status || filter.status.includes(live.status)) out.push({ ...live });
    }
    return out;
  }

  /** Stored events; each `node.completed` carries the node's output (read once per execution). */
  async events(executionId: string, fromSeq = 1): Promise<EngineEvent[]> {
    const events = await this.store.getEvents(executionId, fromSeq);
    const outputs = new Map<string, Map<string, NodeState>>();
    for (const e of events) {
      if (e.type !== "node.completed" || e.nodeId === undefined) continue;
      const owner = e.sub ? e.sub.executionId : executionId;
      let nodes = outputs.get(owner);
      if (!nodes) {
        nodes = this.runner.runs.get(owner)?.nodes ?? (await this.store.getNodes(owner));
        outputs.set(owner, nodes);
      }
      if (!e.sub) e.data = { ...e.data, output: nodes.get(e.nodeId)?.output };
    }
    return events;
  }

  subscribe(executionId: string, fromSeq: number, listener: EventListener): () => void {
    return this.hub.subscribe(executionId, fromSeq, listener, () => this.events(executionId, fromSeq));
  }

  onEvent(listener: EventListener): () => void {
    return this.hub.onEvent(listener);
  }

  async wait(executionId: string, options: { untilWaiting?: boolean; timeoutMs?: number } = {}): Promise<ExecutionView> {
    const deadline = options.timeoutMs !== undefined ? Date.now() + options.timeoutMs : Number.POSITIVE_INFINITY;
    for (;;) {
      const run = this.runner.runs.get(executionId);
      if (run) {
        if (options.untilWaiting && run.rec.status === "waiting") break;
        const signals: Promise<unknown>[] = [run.done.promise];
        if (options.untilWaiting) signals.push(new Promise<void>((r) => run.waitingWaiters.push(r)));
        if (deadline !== Number.POSITIVE_INFINITY)
          signals.push(new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now())).unref()));
        await Promise.race(signals);
        if (!run.lost) break;
        continue;
      }
      const view = await this.get(executionId);
      if (!view) throw new NotFoundError("request", executionId);
      if (TERMINAL.has(view.status) || (options.untilWaiting && view.status === "waiting")) return view;
      if (Date.now() >= deadline) return view;
      // Not running in this process (another one owns it, or not yet recovered): poll the store.
      await new Promise((r) => setTimeout(r, 100));
    }
    const view = await this.get(executionId);
    if (!view) throw new NotFoundError("request", executionId);
    return view;
  }

  async stats(templateId?: string): Promise<WorkflowStats[]> {
    return (await this.store.getStats(templateId)).map(toWorkflowStats);
  }

  // ---- cancel, answer, recover, forget, close -----------------------------------------------------

  cancel(executionId: string): Promise<boolean> {
    return this.runner.cancelById(executionId);
  }

  resume(executionId: string, nodeId: string, answer: unknown, by: { userId: string }): Promise<ResumeResult> {
    return this.waits.answer(executionId, nodeId, answer, by);
  }

  /** Claims and resumes every unfinished execution whose owner is gone; never one a live process runs. */
  async recover(): Promise<string[]> {
    const me = await this.ownership.owner();
    const resumed: string[] = [];
    for (const u of await this.store.unfinished()) {
      if (this.runner.runs.has(u.executionId)) continue;
      if (u.ownerAlive && u.owner !== me) continue;
      const run = await this.runner.load(u.executionId);
      if (run) resumed.push(u.executionId);
    }
    return resumed;
  }

  /** Deletes every execution the user started (cancelling unfinished ones first), then compacts the store. */
  async forgetUser(userId: string): Promise<number> {
    let count = 0;
    for (const id of await this.store.executionIdsOfUser(userId)) {
      await this.cancel(id).catch(() => false);
      if (await this.store.deleteExecution(id)) count++;
    }
    await this.compact().catch((error: unknown) => this.log.error({ err: errorInfo(error) }, "store compaction failed"));
    return count;
  }

  /** Makes deletions physical (sqlite: WAL checkpoint); other layers call it after deleting their own records. */
  compact(): Promise<void> {
    return this.store.compact();
  }

  async close(): Promise<void> {
    await this.runner.close();
    this.hub.close();
    if (this.ownsQueue) await this.queue.close();
    await this.ownership.release();
  }
}

export function createEngine(opts: EngineOptions): Engine {
  return new Engine(opts);
}
