// The durable workflow engine's facade: registers workflows, starts executions, answers reads, and
// hands every step to the stateless handlers (run/handlers.ts), which any replica runs. It builds no
// store keys and decides nothing itself (run/decide.ts decides).
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
import { TERMINAL } from "./run/decide.ts";
import { errorInfo, Handlers } from "./run/handlers.ts";
import { reconcile } from "./run/reconcile.ts";
import { toWorkflowStats } from "./stats.ts";
import type { ExecutionStore } from "./store/types.ts";
import { type Clock, systemClock } from "./timing.ts";

const WAIT_POLL_MS = 1_000;
const WAKES: ReadonlySet<string> = new Set(["execution.waiting", "execution.completed", "execution.failed", "execution.cancelled"]);

export type EngineOptions = {
  /** A database holding an ExecutionStore driver (the local SQLite/memory one); used unless `executions` is given. */
  store?: { executions: ExecutionStore };
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
  /** How long this process's owner lease lasts without a heartbeat (a killed peer's work resumes after it). */
  ownerLeaseMs?: number;
  /**
   * How often this process reconciles (re-adds work whose jobs provably no longer exist) when the
   * queue is in-process. Default 10 s; 0 turns it off. With a shared queue the deployment schedules
   * `recover()` once for the cluster (drivers/recovery.ts).
   */
  reconcileEveryMs?: number;
};

export class Engine implements EngineApi {
  private readonly store: ExecutionStore;
  private readonly queue: WorkQueue;
  private readonly ownsQueue: boolean;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly registry: Registry;
  private readonly hub: EventHub;
  private readonly handlers: Handlers;
  private readonly ownership: Ownership;
  private reconcileTimer: NodeJS.Timeout | undefined;
  private reconciling: Promise<string[]> | undefined;

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
    const queue = this.queue;
    this.handlers = new Handlers({
      store,
      queue,
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
      ...(queue.broadcastAbort ? { broadcastAbort: (id: string) => void queue.broadcastAbort?.(id).catch(() => undefined) } : {}),
    });
    queue.onAbort?.((id) => this.handlers.abortAll(id));
    this.queue.setGroupLimit(`model:${opts.model.name}`, { concurrency: opts.providerConcurrency ?? HOSTED_CONCURRENCY });
    this.queue.process((job, context) => this.handlers.handle(job, context));
    const every = opts.reconcileEveryMs ?? 10_000;
    if (!this.queue.shared && every > 0) {
      this.reconcileTimer = setInterval(() => {
        void this.recover().catch((error: unknown) => this.log.warn({ err: errorInfo(error) }, "reconcile failed"));
      }, every);
      this.reconcileTimer.unref();
    }
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
    if (this.handlers.closing)
      throw new StaffroomError("engine_closing", "The service is shutting down; try again in a moment.", { retryable: true });
    const registered = this.registry.require(workflowId, options.version);
    const inputs = this.registry.checkInputs(registered, options.inputs);
    const { rec } = await this.handlers.create(registered.definition, inputs, {
      userId: options.userId,
      ...(options.origin ? { origin: options.origin } : {}),
      ...(options.idempotencyKey !== undefined ? { idempotencyKey: options.idempotencyKey } : {}),
    });
    return { ...rec };
  }

  // ---- reading (from the store: any replica answers the same) -------------------------------------

  async get(executionId: string): Promise<ExecutionView | undefined> {
    const loaded = await this.store.loadExecution(executionId);
    if (!loaded) return undefined;
    const rec = loaded.header;
    const kinds = new Map((rec.plan ?? []).map((p) => [p.id, p.kind]));
    const nodes = rec.nodeIds.map((id): NodeState => {
      const st = loaded.nodes.get(id);
      if (!st) return { nodeId: id, kind: kinds.get(id) ?? "unknown", status: "pending", attempts: 0 };
      const { token: _t, by: _b, dispatchedAt: _d, ...view } = st;
      return view;
    });
    return { ...rec, nodes, ...(rec.durationMs !== undefined ? { totalMs: rec.durationMs } : {}) };
  }

  list(filter: ListFilter = {}): Promise<ExecutionRecord[]> {
    return this.store.listExecutions({ ...filter, limit: filter.limit ?? 50 });
  }

  /** Stored events; each `node.completed` carries the node's output (read once per execution). */
  async events(executionId: string, fromSeq = 1): Promise<EngineEvent[]> {
    const events = await this.store.getEvents(executionId, fromSeq);
    const outputs = new Map<string, Map<string, NodeState>>();
    for (const e of events) {
      if (e.type !== "node.completed" || e.nodeId === undefined || e.sub) continue;
      let nodes = outputs.get(executionId);
      if (!nodes) {
        nodes = await this.store.getNodes(executionId);
        outputs.set(executionId, nodes);
      }
      e.data = { ...e.data, output: nodes.get(e.nodeId)?.output };
    }
    return events;
  }

  subscribe(executionId: string, fromSeq: number, listener: EventListener): () => void {
    return this.hub.subscribe(executionId, fromSeq, listener, () => this.events(executionId, fromSeq));
  }

  onEvent(listener: EventListener): () => void {
    return this.hub.onEvent(listener);
  }

  /**
   * Resolves when the execution ends (or waits, with `untilWaiting`). Woken by this process's events;
   * polls the store too, since another replica may be the one running it.
   */
  async wait(executionId: string, options: { untilWaiting?: boolean; timeoutMs?: number } = {}): Promise<ExecutionView> {
    const deadline = options.timeoutMs !== undefined ? Date.now() + options.timeoutMs : Number.POSITIVE_INFINITY;
    for (let round = 0; ; round++) {
      let wake: () => void = () => undefined;
      const woken = new Promise<void>((r) => {
        wake = r;
      });
      const off = this.hub.onExecution(executionId, (e) => {
        if (e.sub) return;
        if (WAKES.has(e.type)) wake();
      });
      try {
        // First look: this process's own snapshot, when it holds one, says the execution is still going
        // (a start followed by a wait needs no read); its events wake us, the poll covers other replicas.
        const status = round === 0 && Date.now() < deadline ? this.handlers.cachedStatus(executionId) : undefined;
        if (status !== undefined && !TERMINAL.has(status) && !(options.untilWaiting && status === "waiting")) {
          const timer = setTimeout(wake, Math.min(WAIT_POLL_MS, Math.max(0, deadline - Date.now())));
          await woken;
          clearTimeout(timer);
          continue;
        }
        const view = await this.get(executionId);
        if (!view) throw new NotFoundError("request", executionId);
        if (TERMINAL.has(view.status) || (options.untilWaiting && view.status === "waiting")) return view;
        if (Date.now() >= deadline) return view;
        // This process's events wake it at once; the poll is for executions another replica runs.
        const timer = setTimeout(wake, Math.min(WAIT_POLL_MS, Math.max(0, deadline - Date.now())));
        await woken;
        clearTimeout(timer);
      } finally {
        off();
      }
    }
  }

  async stats(templateId?: string): Promise<WorkflowStats[]> {
    return (await this.store.getStats(templateId)).map(toWorkflowStats);
  }

  // ---- cancel, answer, reconcile, forget, close --------------------------------------------------

  /** Commits the cancel (fenced like any decision), then stops the attempts on every replica. */
  async cancel(executionId: string): Promise<boolean> {
    return (await this.handlers.cancel(executionId, "Cancelled on request.")) === "cancelled";
  }

  /**
   * The answer handler, run where the answer arrives: no hand-over, no owner. It reads the state,
   * checks who may answer and what, and commits the answer fenced by the version, so of two answers
   * racing on two replicas one wins and the other is told `already_answered`.
   */
  resume(executionId: string, nodeId: string, answer: unknown, by: { userId: string }): Promise<ResumeResult> {
    return this.handlers.answer(executionId, nodeId, answer, by.userId);
  }

  /**
   * Reconciles: re-adds the work of unfinished executions whose jobs provably no longer exist (a
   * stopped or killed process's), never a live process's. Returns the ids it re-added work for.
   */
  recover(): Promise<string[]> {
    this.reconciling ??= reconcile({
      store: this.store,
      queue: this.queue,
      handlers: this.handlers,
      owner: () => this.ownership.owner(),
      now: () => this.clock.now(),
      log: this.log,
    }).finally(() => {
      this.reconciling = undefined;
    });
    return this.reconciling;
  }

  /** Deletes every execution the user started (cancelling unfinished ones first), then compacts the store. */
  async forgetUser(userId: string): Promise<number> {
    return this.forgetExecutions(await this.store.executionIdsOfUser(userId));
  }

  async forgetExecutions(executionIds: readonly string[]): Promise<number> {
    let count = 0;
    for (const id of executionIds) {
      await this.cancel(id).catch(() => false);
      this.handlers.forget(id);
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
    if (this.reconcileTimer) clearInterval(this.reconcileTimer);
    this.handlers.close();
    await this.reconciling?.catch(() => undefined);
    if (this.ownsQueue) await this.queue.close();
    this.hub.close();
    await this.ownership.release();
  }
}

export function createEngine(opts: EngineOptions): Engine {
  return new Engine(opts);
}
