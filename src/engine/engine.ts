// The durable workflow engine: schedules a workflow's DAG, runs nodes with retries, timeouts and
// fallbacks, persists every step before announcing it, and resumes what a crash left behind.
import { randomBytes } from "node:crypto";
import type { z } from "zod";
import {
  CancelledError,
  InvalidInputError,
  isRetryable,
  NodeTimeoutError,
  NotFoundError,
  StaffroomError,
  WorkflowInvalidError,
} from "../errors.ts";
import { type Logger, silentLogger } from "../log.ts";
import { executionsTotal, modelTokensTotal, nodeDurationSeconds } from "../metrics.ts";
import type { ModelProvider } from "../model/types.ts";
import { runAgent } from "./agent.ts";
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
import { type Context, mapInputs, mapOutput, renderTemplate, ruleHolds } from "./context.ts";
import { buildGraph, type Graph } from "./graph.ts";
import { definitionHash } from "./load.ts";
import type {
  EngineEvent,
  ErrorInfo,
  EventType,
  ExecutionRecord,
  ExecutionStatus,
  ExecutionView,
  NodeState,
  TokenUsage,
} from "./records.ts";
import type { ConditionNode, HumanNode, SubWorkflowNode, WorkflowDefinition, WorkflowNode } from "./schema.ts";
import { foldExecution, type StatsRecord, toWorkflowStats } from "./stats.ts";
import { type Entry, Store } from "./store.ts";
import { backoffDelay, type Clock, DEFAULT_RETRY, Limiter, systemClock } from "./timing.ts";
import { formatPath, validateParsed } from "./validate.ts";

export type EngineOptions = {
  store: Store;
  model: ModelProvider;
  transforms?: Record<string, TransformFn>;
  schemas?: Record<string, z.ZodType>;
  clock?: Clock;
  random?: () => number;
  logger?: Logger;
  /** Agent calls in flight at once per model provider, shared by every execution. */
  providerConcurrency?: number;
  /** Per-attempt timeout for agent nodes without their own. */
  defaultTimeoutMs?: number;
  /** Model name passed to providers when a node names none. */
  defaultModel?: string;
};

const TERMINAL: ReadonlySet<ExecutionStatus> = new Set(["completed", "failed", "cancelled"]);
const RECENT_CAP = 2000;
const USER_CAP = 500;

type Deferred = { promise: Promise<void>; resolve: () => void };
function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

type Run = {
  rec: ExecutionRecord;
  def: WorkflowDefinition;
  graph: Graph;
  nodes: Map<string, NodeState>;
  seq: number;
  abort: AbortController;
  inFlight: Set<string>;
  /**
   * Writes of one execution happen in order (so its event log never has gaps, even after a crash);
   * writes queued while one is in flight go out together in a single statement.
   */
  queue: { entries: Entry[]; resolve: () => void; reject: (e: unknown) => void }[];
  flushing: Promise<void> | undefined;
  done: Deferred;
  waitingWaiters: (() => void)[];
  deadlines: Map<string, AbortController>;
  parent?: { run: Run; nodeId: string };
  /** Set once the run is cancelling or failing: in-flight attempts stop quietly. */
  finishing: boolean;
  /** Set once finish() has begun: it runs exactly once. */
  ended: boolean;
  log: Logger;
};

type Outcome = "completed" | "failed" | "aborted";

function errorInfo(error: unknown): ErrorInfo {
  if (error instanceof StaffroomError) return { code: error.code, message: error.message, retryable: error.retryable };
  return { code: "internal_error", message: error instanceof Error ? error.message : String(error), retryable: false };
}

export class Engine implements EngineApi {
  private readonly store: Store;
  private readonly model: ModelProvider;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly log: Logger;
  private readonly transforms = new Map<string, TransformFn>();
  private readonly schemas = new Map<string, z.ZodType>();
  private readonly registry = new Map<string, Map<number, RegisteredWorkflow>>();
  private readonly runs = new Map<string, Run>();
  private readonly loading = new Map<string, Promise<Run | undefined>>();
  private readonly limiters = new Map<string, Limiter>();
  private readonly subscribers = new Map<string, Set<EventListener>>();
  private readonly listeners = new Set<EventListener>();
  private readonly providerConcurrency: number;
  private readonly defaultTimeoutMs: number | undefined;
  private readonly defaultModel: string | undefined;
  private closing = false;

  constructor(opts: EngineOptions) {
    this.store = opts.store;
    this.model = opts.model;
    this.clock = opts.clock ?? systemClock;
    this.random = opts.random ?? Math.random;
    this.log = opts.logger ?? silentLogger;
    this.providerConcurrency = opts.providerConcurrency ?? 4;
    this.defaultTimeoutMs = opts.defaultTimeoutMs;
    this.defaultModel = opts.defaultModel;
    for (const [k, v] of Object.entries(opts.transforms ?? {})) this.transforms.set(k, v);
    for (const [k, v] of Object.entries(opts.schemas ?? {})) this.schemas.set(k, v);
  }

  // ---- registry ---------------------------------------------------------------------------

  register(workflow: RegisteredWorkflow): void {
    for (const [k, v] of Object.entries(workflow.transforms ?? {})) this.transforms.set(k, v);
    for (const [k, v] of Object.entries(workflow.schemas ?? {})) this.schemas.set(k, v);
    const def = workflow.definition;
    const problems = validateParsed(def, {
      transforms: this.transforms,
      schemas: this.schemas,
      workflowExists: (id, version) => this.registry.get(id)?.has(version) ?? false,
    });
    if (problems.length > 0) throw new WorkflowInvalidError(def.id, problems);
    let versions = this.registry.get(def.id);
    if (!versions) {
      versions = new Map();
      this.registry.set(def.id, versions);
    }
    versions.set(def.version, workflow);
  }

  workflows(): RegisteredWorkflow[] {
    return [...this.registry.keys()].map((id) => this.workflow(id)).filter((w): w is RegisteredWorkflow => w !== undefined);
  }

  workflow(id: string, version?: number): RegisteredWorkflow | undefined {
    const versions = this.registry.get(id);
    if (!versions) return undefined;
    if (version !== undefined) return versions.get(version);
    return versions.get(Math.max(...versions.keys()));
  }

  // ---- starting ---------------------------------------------------------------------------

  async start(workflowId: string, options: StartOptions): Promise<ExecutionRecord> {
    if (this.closing)
      throw new StaffroomError("engine_closing", "The service is shutting down; try again in a moment.", { retryable: true });
    const registered = this.workflow(workflowId, options.version);
    if (!registered) {
      if (this.registry.has(workflowId))
        throw new NotFoundError(`version ${options.version} of workflow "${workflowId}"`, String(options.version));
      throw new NotFoundError("workflow", workflowId);
    }
    const inputs = this.checkInputs(registered, options.inputs);
    const begin = async () => {
      const run = await this.createRun(registered.definition, inputs, options);
      this.pump(run);
      return run.rec;
    };
    const key = options.idempotencyKey;
    if (!key) return begin();
    return this.store.exclusive(`idem:${key}`, async () => {
      const existingId = await this.store.kv.get<string>(`i:${key}`);
      const existing = existingId ? await this.store.getExecution(existingId) : undefined;
      if (existing) return existing;
      const rec = await begin();
      await this.store.kv.set(`i:${key}`, rec.id);
      return rec;
    });
  }

  private checkInputs(registered: RegisteredWorkflow, inputs: Record<string, unknown>): Record<string, unknown> {
    if (!registered.inputSchema) return inputs;
    const parsed = registered.inputSchema.safeParse(inputs);
    if (parsed.success) return parsed.data as Record<string, unknown>;
    const issues = parsed.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message }));
    const first = issues[0];
    throw new InvalidInputError(
      `The input for "${registered.definition.title}" is not valid${first ? `: ${first.path} ${first.message}` : ""}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ""}.`,
      issues,
    );
  }

  private async createRun(
    def: WorkflowDefinition,
    inputs: Record<string, unknown>,
    options: Pick<StartOptions, "userId" | "origin">,
    parent?: { run: Run; nodeId: string },
  ): Promise<Run> {
    const now = this.clock.now();
    const hash = definitionHash(def);
    const graph = buildGraph(def);
    const rec: ExecutionRecord = {
      id: newExecutionId(),
      templateId: def.id,
      version: def.version,
      hash,
      title: def.title,
      status: "running",
      inputs,
      userId: options.userId,
      ...(options.origin ? { origin: options.origin } : {}),
      provider: this.model.name,
      ...(parent ? { parent: { executionId: parent.run.rec.id, nodeId: parent.nodeId } } : {}),
      createdAt: now,
      startedAt: now,
      nodeIds: def.nodes.map((n) => n.id),
      plan: def.nodes.map((n) => ({ id: n.id, title: n.title ?? n.id, kind: n.kind, auxiliary: graph.auxiliary.has(n.id) })),
    };
    const run = this.newRun(rec, def, graph, parent);
    await this.store.putDefinition(hash, def);
    // Active index first: a crash after this line leaves an id recover() can resolve; before it, nothing.
    await this.store.updateList("idx:active", (ids) => [...ids, rec.id]);
    await this.store.putExecution(rec);
    await Promise.all([
      this.store.updateList("idx:recent", (ids) => [rec.id, ...ids].slice(0, RECENT_CAP)),
      this.store.updateList(`idx:user:${rec.userId}`, (ids) => [rec.id, ...ids].slice(0, USER_CAP)),
    ]);
    this.runs.set(rec.id, run);
    await this.emit(run, "execution.started", undefined, { templateId: def.id, version: def.version });
    return run;
  }

  private newRun(rec: ExecutionRecord, def: WorkflowDefinition, graph: Graph, parent?: { run: Run; nodeId: string }): Run {
    const nodes = new Map<string, NodeState>();
    for (const n of def.nodes) nodes.set(n.id, { nodeId: n.id, kind: n.kind, status: "pending", attempts: 0 });
    return {
      rec,
      def,
      graph,
      nodes,
      seq: 0,
      abort: new AbortController(),
      inFlight: new Set(),
      queue: [],
      flushing: undefined,
      done: deferred(),
      waitingWaiters: [],
      deadlines: new Map(),
      ...(parent ? { parent } : {}),
      finishing: false,
      ended: false,
      log: this.log.child({ executionId: rec.id, templateId: rec.templateId }),
    };
  }

  // ---- persistence and events ---------------------------------------------------------------

  /** Queues records behind the execution's earlier writes; resolves once they are stored. */
  private write(run: Run, ...entries: Entry[]): Promise<void> {
    const done = new Promise<void>((resolve, reject) => run.queue.push({ entries, resolve, reject }));
    if (!run.flushing) run.flushing = this.flush(run);
    return done;
  }

  private async flush(run: Run): Promise<void> {
    // Let the current tick queue its writes so they share one statement.
    await Promise.resolve();
    while (run.queue.length > 0) {
      const batch = run.queue.splice(0);
      try {
        await this.store.putMany(batch.flatMap((b) => b.entries));
        for (const b of batch) b.resolve();
      } catch (error) {
        run.log.error({ err: errorInfo(error) }, "store write failed");
        for (const b of batch) b.reject(error);
      }
    }
    run.flushing = undefined;
  }

  private saveNode(run: Run, state: NodeState): Promise<void> {
    return this.write(run, Store.nodeEntry(run.rec.id, { ...state }));
  }

  private saveHeader(run: Run): Promise<void> {
    return this.write(run, Store.executionEntry({ ...run.rec }));
  }

  /** Appends an event: persisted first, then delivered to subscribers (and copied into a parent's log). */
  private emit(run: Run, type: EventType, nodeId?: string, data?: Record<string, unknown>, sub?: EngineEvent["sub"]): Promise<void> {
    const event: EngineEvent = {
      executionId: run.rec.id,
      seq: ++run.seq,
      type,
      at: this.clock.now(),
      ...(nodeId !== undefined ? { nodeId } : {}),
      ...(data ? { data } : {}),
      ...(sub ? { sub } : {}),
    };
    return this.write(run, Store.eventEntry(event)).then(() => this.deliver(run, event));
  }

  private deliver(run: Run, event: EngineEvent): void {
    const call = (fn: EventListener) => {
      try {
        fn(event);
      } catch (error) {
        run.log.error({ err: errorInfo(error), type: event.type }, "event listener failed");
      }
    };
    for (const fn of this.subscribers.get(event.executionId) ?? []) call(fn);
    for (const fn of this.listeners) call(fn);
    if (run.parent && !run.parent.run.ended) {
      const { run: parent, nodeId } = run.parent;
      void this.emit(parent, event.type, event.nodeId, event.data, { executionId: event.sub?.executionId ?? run.rec.id, nodeId }).catch(
        () => undefined,
      );
    }
  }

  // ---- scheduling -----------------------------------------------------------------------------

  private context(run: Run): Context {
    const nodes: Record<string, unknown> = {};
    for (const [id, st] of run.nodes) if (st.status === "completed") nodes[id] = st.output;
    return { inputs: run.rec.inputs, nodes };
  }

  /** Whether a pending node can run, must be skipped, or must wait for its predecessors. */
  private readiness(run: Run, id: string): "run" | "skip" | "wait" {
    const preds = run.graph.preds.get(id) ?? [];
    if (preds.length === 0) return "run";
    let active = false;
    for (const p of preds) {
      const st = run.nodes.get(p);
      if (!st || (st.status !== "completed" && st.status !== "skipped")) return "wait";
      if (st.status === "completed") {
        const pred = run.graph.byId.get(p);
        if (pred?.kind !== "condition" || st.chose === id) active = true;
      }
    }
    return active ? "run" : "skip";
  }

  private pump(run: Run): void {
    if (run.finishing || TERMINAL.has(run.rec.status) || this.closing) return;
    const order = run.graph.order ?? [];
    let progressed = true;
    while (progressed) {
      progressed = false;
      for (const id of order) {
        const st = run.nodes.get(id);
        if (st?.status !== "pending" || run.inFlight.has(id)) continue;
        const r = this.readiness(run, id);
        if (r === "skip") {
          st.status = "skipped";
          void this.saveNode(run, st).catch(() => undefined);
          void this.emit(run, "node.skipped", id).catch(() => undefined);
          progressed = true;
        } else if (r === "run" && run.inFlight.size < run.def.maxParallel) {
          this.launch(run, id);
        }
      }
    }
    if (run.inFlight.size > 0) return;
    const mainDone = order.every((id) => {
      const s = run.nodes.get(id)?.status;
      return s === "completed" || s === "skipped";
    });
    if (mainDone) void this.finish(run, "completed");
  }

  private launch(run: Run, id: string): void {
    const node = run.graph.byId.get(id);
    if (!node) return;
    run.inFlight.add(id);
    this.runNode(run, node)
      .catch((error: unknown) => {
        run.log.error({ err: errorInfo(error), nodeId: id }, "node crashed");
        return this.fail(run, errorInfo(error));
      })
      .finally(() => {
        run.inFlight.delete(id);
        this.pump(run);
      });
  }

  private async runNode(run: Run, node: WorkflowNode): Promise<void> {
    if (node.kind === "human") return this.beginWait(run, node);
    const outcome = await this.settle(run, node);
    if (outcome === "failed")
      await this.fail(run, run.nodes.get(node.id)?.error ?? { code: "node_failed", message: `Step "${node.id}" failed.` }, node.id);
  }

  /** Runs a node with retries; on final failure tries its fallback chain. */
  private async settle(run: Run, node: WorkflowNode): Promise<Outcome> {
    const outcome = await this.executeWithRetry(run, node);
    if (outcome !== "failed" || !node.onError) return outcome;
    const fallback = run.graph.byId.get(node.onError);
    if (!fallback) return "failed";
    await this.emit(run, "node.fallback", node.id, { from: node.id, to: fallback.id, error: run.nodes.get(node.id)?.error });
    const fbOutcome = await this.settle(run, fallback);
    if (fbOutcome !== "completed") return fbOutcome;
    const st = run.nodes.get(node.id) as NodeState;
    const fb = run.nodes.get(fallback.id) as NodeState;
    st.status = "completed";
    st.output = fb.output;
    st.fallbackFrom = fallback.id;
    st.endedAt = this.clock.now();
    st.durationMs = st.endedAt - (st.startedAt ?? st.endedAt);
    await this.saveNode(run, st);
    await this.emit(run, "node.completed", node.id, { attempt: st.attempts, durationMs: st.durationMs, fallbackFrom: fallback.id });
    return "completed";
  }

  /** `signal` is the run's own, except for the onFailure handler, which runs after the run's signal fired. */
  private async executeWithRetry(run: Run, node: WorkflowNode, signal: AbortSignal = run.abort.signal): Promise<Outcome> {
    const stopped = () => this.closing || (run.finishing && signal === run.abort.signal);
    const st = run.nodes.get(node.id) as NodeState;
    const policy = { ...DEFAULT_RETRY, ...run.def.retry, ...node.retry };
    const scope = this.scopeFor(run, node);
    st.status = "running";
    st.startedAt ??= this.clock.now();
    delete st.error;
    for (;;) {
      if (stopped()) return "aborted";
      const attempt = ++st.attempts;
      const t0 = this.clock.now();
      // No node write here: after a crash an unrecorded running node is pending, and runs again either way.
      void this.emit(run, "node.started", node.id, { attempt }).catch(() => undefined);
      try {
        const result = await this.attempt(run, node, scope, st, signal);
        if (stopped()) return "aborted";
        const t1 = this.clock.now();
        if (result.usage) st.usage = addUsage(st.usage, result.usage);
        st.output = node.kind === "condition" ? result.raw : mapOutput(node.out, result.raw);
        st.status = "completed";
        st.endedAt = t1;
        st.durationMs = t1 - (st.startedAt ?? t1);
        void this.write(
          run,
          Store.attemptEntry(run.rec.id, node.id, {
            attempt,
            startedAt: t0,
            endedAt: t1,
            durationMs: t1 - t0,
            ok: true,
            ...(result.usage ? { usage: result.usage } : {}),
          }),
          Store.nodeEntry(run.rec.id, { ...st }),
        ).catch(() => undefined);
        await this.emit(run, "node.completed", node.id, {
          attempt,
          durationMs: st.durationMs,
          ...(st.usage ? { usage: st.usage } : {}),
          ...(st.chose !== undefined ? { chose: st.chose } : {}),
        });
        nodeDurationSeconds.observe(
          { template: run.rec.templateId, node: node.id, kind: node.kind, status: "completed" },
          st.durationMs / 1000,
        );
        return "completed";
      } catch (error) {
        if (stopped()) return "aborted";
        const info = errorInfo(error);
        const t1 = this.clock.now();
        void this.write(
          run,
          Store.attemptEntry(run.rec.id, node.id, { attempt, startedAt: t0, endedAt: t1, durationMs: t1 - t0, ok: false, error: info }),
        ).catch(() => undefined);
        if (isRetryable(error) && attempt < policy.maxAttempts) {
          const retryAfterMs = (error as { retryAfterMs?: number }).retryAfterMs;
          const delayMs = backoffDelay(policy, attempt, this.random, retryAfterMs);
          run.log.warn({ nodeId: node.id, attempt, code: info.code, delayMs }, "node attempt failed; retrying");
          await this.emit(run, "node.retrying", node.id, { attempt, delayMs, error: { code: info.code, message: info.message } });
          try {
            await this.clock.sleep(delayMs, signal);
          } catch {
            return "aborted";
          }
          continue;
        }
        st.status = "failed";
        st.error = info;
        st.endedAt = t1;
        st.durationMs = t1 - (st.startedAt ?? t1);
        run.log.error({ nodeId: node.id, attempt, code: info.code, err: info }, "node failed");
        void this.saveNode(run, st).catch(() => undefined);
        await this.emit(run, "node.failed", node.id, { attempt, error: info });
        nodeDurationSeconds.observe(
          { template: run.rec.templateId, node: node.id, kind: node.kind, status: "failed" },
          st.durationMs / 1000,
        );
        return "failed";
      }
    }
  }

  private scopeFor(run: Run, node: WorkflowNode): Record<string, unknown> {
    const ctx = this.context(run);
    const scope = mapInputs(node.in, ctx);
    if (node.id === run.def.onFailure) scope.error = run.rec.error;
    return scope;
  }

  /** One attempt, bounded by the node's timeout: the attempt's signal aborts and the attempt fails at once. */
  private async attempt(
    run: Run,
    node: WorkflowNode,
    scope: Record<string, unknown>,
    st: NodeState,
    parent: AbortSignal,
  ): Promise<{ raw: unknown; usage?: TokenUsage }> {
    const ctrl = new AbortController();
    const onRunAbort = () => ctrl.abort(parent.reason);
    if (parent.aborted) onRunAbort();
    parent.addEventListener("abort", onRunAbort, { once: true });
    const timeoutMs = node.timeoutMs ?? (node.kind === "agent" ? this.defaultTimeoutMs : undefined);
    const timer = new AbortController();
    if (timeoutMs !== undefined) {
      this.clock.sleep(timeoutMs, timer.signal).then(
        () => ctrl.abort(new NodeTimeoutError(node.id, timeoutMs)),
        () => undefined,
      );
    }
    const aborted = new Promise<never>((_, reject) => {
      if (ctrl.signal.aborted) reject(ctrl.signal.reason);
      ctrl.signal.addEventListener("abort", () => reject(ctrl.signal.reason), { once: true });
    });
    aborted.catch(() => undefined);
    try {
      return await Promise.race([this.execute(run, node, scope, st, ctrl.signal), aborted]);
    } finally {
      timer.abort();
      parent.removeEventListener("abort", onRunAbort);
    }
  }

  private async execute(
    run: Run,
    node: WorkflowNode,
    scope: Record<string, unknown>,
    st: NodeState,
    signal: AbortSignal,
  ): Promise<{ raw: unknown; usage?: TokenUsage }> {
    switch (node.kind) {
      case "transform": {
        const fn = this.transforms.get(node.fn);
        if (!fn) throw new StaffroomError("transform_missing", `Step "${node.id}" uses transform "${node.fn}", which is not registered.`);
        try {
          return { raw: await fn(scope, node.args) };
        } catch (error) {
          if (error instanceof StaffroomError) throw error;
          throw new StaffroomError("transform_failed", `Step "${node.id}" failed: ${(error as Error).message ?? String(error)}`, {
            cause: error,
          });
        }
      }
      case "agent": {
        const schema = node.outputSchema ? this.schemas.get(node.outputSchema) : undefined;
        if (node.outputSchema && !schema)
          throw new StaffroomError(
            "schema_missing",
            `Step "${node.id}" names output schema "${node.outputSchema}", which is not registered.`,
          );
        const result = await runAgent({
          node,
          scope,
          schema,
          model: this.model,
          limiter: this.limiterFor(this.model.name),
          signal,
          ...(this.defaultModel ? { defaultModel: this.defaultModel } : {}),
          meta: { executionId: run.rec.id, nodeId: node.id, templateId: run.rec.templateId },
        });
        modelTokensTotal.inc({ provider: this.model.name, direction: "input" }, result.usage.inputTokens);
        modelTokensTotal.inc({ provider: this.model.name, direction: "output" }, result.usage.outputTokens);
        return result;
      }
      case "condition":
        return this.evaluate(run, node, st);
      case "workflow":
        return this.runChild(run, node, scope, st, signal);
      case "human":
        throw new StaffroomError("internal_error", "human nodes wait instead of executing");
    }
  }

  private evaluate(run: Run, node: ConditionNode, st: NodeState): { raw: unknown } {
    const ctx = this.context(run);
    const branch = node.branches.find((b) => b.when.every((rule) => ruleHolds(rule, ctx)));
    const chose = branch?.to ?? node.otherwise ?? null;
    st.chose = chose;
    return { raw: { chose } };
  }

  private limiterFor(provider: string): Limiter {
    let limiter = this.limiters.get(provider);
    if (!limiter) {
      limiter = new Limiter(this.providerConcurrency);
      this.limiters.set(provider, limiter);
    }
    return limiter;
  }

  // ---- sub-workflows ------------------------------------------------------------------------

  private async runChild(
    run: Run,
    node: SubWorkflowNode,
    scope: Record<string, unknown>,
    st: NodeState,
    signal: AbortSignal,
  ): Promise<{ raw: unknown }> {
    let childId = st.childExecutionId;
    if (childId === undefined) {
      const registered = this.workflow(node.workflow, node.version);
      if (!registered) throw new NotFoundError(`version ${node.version} of workflow`, node.workflow);
      const inputs = this.checkInputs(registered, node.in ? scope : run.rec.inputs);
      const child = await this.createRun(
        registered.definition,
        inputs,
        { userId: run.rec.userId, ...(run.rec.origin ? { origin: run.rec.origin } : {}) },
        { run, nodeId: node.id },
      );
      childId = child.rec.id;
      st.childExecutionId = childId;
      await this.saveNode(run, st);
      this.pump(child);
    }
    const child = this.runs.get(childId) ?? (await this.loadRun(childId));
    if (child) child.parent = { run, nodeId: node.id };
    const cascade = () => void this.cancel(childId as string).catch(() => undefined);
    signal.addEventListener("abort", cascade, { once: true });
    try {
      if (child) await child.done.promise;
    } finally {
      signal.removeEventListener("abort", cascade);
    }
    const view = await this.get(childId);
    if (!view) throw new NotFoundError("sub-workflow execution", childId);
    if (view.status === "completed") {
      const outputs: Record<string, unknown> = {};
      for (const n of view.nodes) if (n.status === "completed") outputs[n.nodeId] = n.output;
      return { raw: outputs };
    }
    if (view.status === "cancelled") throw new CancelledError(`The sub-workflow "${node.workflow}" was cancelled.`);
    throw new StaffroomError("subworkflow_failed", `The sub-workflow "${node.workflow}" failed: ${view.error?.message ?? "unknown error"}`);
  }

  // ---- human input --------------------------------------------------------------------------

  private async beginWait(run: Run, node: HumanNode): Promise<void> {
    const st = run.nodes.get(node.id) as NodeState;
    const now = this.clock.now();
    const prompt = renderTemplate(node.prompt, this.scopeFor(run, node));
    st.status = "waiting";
    st.attempts = Math.max(1, st.attempts);
    st.startedAt = now;
    st.wait = {
      prompt,
      ...(node.choices ? { choices: node.choices } : {}),
      allowed: node.allowed,
      askedAt: now,
      deadlineAt: now + node.deadline.afterMs,
      action: node.deadline.action,
      reminders: 0,
    };
    // The wait is durable before anyone is asked.
    await this.saveNode(run, st);
    run.rec.status = "waiting";
    await this.saveHeader(run);
    await this.emitWaiting(run, node, st);
    this.armDeadline(run, node);
  }

  private async emitWaiting(run: Run, node: HumanNode, st: NodeState): Promise<void> {
    const wait = st.wait;
    if (!wait) return;
    await this.emit(run, "execution.waiting", node.id, {
      prompt: wait.prompt,
      ...(wait.choices ? { choices: wait.choices } : {}),
      deadlineAt: wait.deadlineAt,
      allowed: wait.allowed,
      ...(wait.reminders > 0 ? { reminder: wait.reminders } : {}),
    });
    const waiters = run.waitingWaiters.splice(0);
    for (const w of waiters) w();
  }

  private armDeadline(run: Run, node: HumanNode): void {
    const st = run.nodes.get(node.id);
    if (!st?.wait) return;
    run.deadlines.get(node.id)?.abort();
    const ctrl = new AbortController();
    run.deadlines.set(node.id, ctrl);
    const delay = Math.max(0, st.wait.deadlineAt - this.clock.now());
    this.clock.sleep(delay, ctrl.signal).then(
      () =>
        void this.onDeadline(run, node).catch((error: unknown) =>
          run.log.error({ err: errorInfo(error), nodeId: node.id }, "deadline handling failed"),
        ),
      () => undefined,
    );
  }

  private onDeadline(run: Run, node: HumanNode): Promise<void> {
    return this.store.exclusive(`exec:${run.rec.id}`, async () => {
      const st = run.nodes.get(node.id);
      if (!st?.wait || st.status !== "waiting" || run.finishing) return;
      run.deadlines.delete(node.id);
      switch (node.deadline.action) {
        case "default":
          return this.completeWait(run, node, st, node.deadline.defaultAnswer, "deadline");
        case "skip":
          return this.completeWait(run, node, st, null, "deadline", true);
        case "cancel":
          await this.cancelRun(run, `No answer to "${node.title ?? node.id}" before its deadline.`);
          return;
        case "remind":
          if (st.wait.reminders >= node.deadline.maxReminders) {
            await this.cancelRun(run, `No answer to "${node.title ?? node.id}" after ${st.wait.reminders} reminders.`);
            return;
          }
          st.wait.reminders++;
          st.wait.deadlineAt = this.clock.now() + node.deadline.afterMs;
          await this.saveNode(run, st);
          await this.emitWaiting(run, node, st);
          this.armDeadline(run, node);
          return;
      }
    });
  }

  private async completeWait(run: Run, node: HumanNode, st: NodeState, answer: unknown, by: string, skipped = false): Promise<void> {
    run.deadlines.get(node.id)?.abort();
    run.deadlines.delete(node.id);
    const now = this.clock.now();
    st.status = "completed";
    st.output = answer;
    st.answeredBy = by;
    st.endedAt = now;
    st.durationMs = now - (st.startedAt ?? now);
    await this.saveNode(run, st);
    const stillWaiting = [...run.nodes.values()].some((n) => n.status === "waiting");
    if (!stillWaiting && run.rec.status === "waiting") {
      run.rec.status = "running";
      await this.saveHeader(run);
    }
    await this.emit(run, "execution.resumed", node.id, { by, ...(skipped ? { skipped: true } : {}) });
    await this.emit(run, "node.completed", node.id, {
      attempt: st.attempts,
      durationMs: st.durationMs,
      ...(skipped ? { skipped: true } : {}),
    });
    this.pump(run);
  }

  async resume(executionId: string, nodeId: string, answer: unknown, by: { userId: string }): Promise<ResumeResult> {
    return this.store.exclusive(`exec:${executionId}`, async (): Promise<ResumeResult> => {
      const run = await this.loadRun(executionId);
      if (!run) {
        const rec = await this.store.getExecution(executionId);
        if (!rec) return { accepted: false, reason: "not_found", message: `No request with id ${executionId} was found.` };
        const node = (await this.store.getNodes(executionId, [nodeId])).get(nodeId);
        if (node?.kind === "human" && node.status === "completed")
          return { accepted: false, reason: "already_answered", message: "This question has already been answered." };
        return { accepted: false, reason: "not_waiting", message: `This request is ${rec.status} and is not waiting for an answer.` };
      }
      const node = run.graph.byId.get(nodeId);
      const st = run.nodes.get(nodeId);
      if (!node || !st || node.kind !== "human")
        return { accepted: false, reason: "not_found", message: `This request has no question "${nodeId}".` };
      if (st.status === "completed")
        return { accepted: false, reason: "already_answered", message: "This question has already been answered." };
      if (st.status !== "waiting")
        return { accepted: false, reason: "not_waiting", message: "This question is not waiting for an answer." };
      const allowed = node.allowed;
      const ok = allowed === "anyone" || (allowed === "requester" ? by.userId === run.rec.userId : allowed.includes(by.userId));
      if (!ok)
        return { accepted: false, reason: "not_allowed", message: "Only the teacher who made this request can answer this question." };
      if (node.choices && !node.choices.some((c) => c.value === String(answer))) {
        return {
          accepted: false,
          reason: "invalid_answer",
          message: `Please answer with one of: ${node.choices.map((c) => c.label).join(", ")}.`,
        };
      }
      let value = node.choices ? String(answer) : answer;
      if (node.answerSchema) {
        const schema = this.schemas.get(node.answerSchema);
        const parsed = schema?.safeParse(value);
        if (parsed && !parsed.success)
          return {
            accepted: false,
            reason: "invalid_answer",
            message: `That answer does not fit: ${parsed.error.issues[0]?.message ?? "invalid"}.`,
          };
        if (parsed?.success) value = parsed.data;
      }
      await this.completeWait(run, node, st, value, by.userId);
      return { accepted: true, execution: { ...run.rec } };
    });
  }

  // ---- ending -------------------------------------------------------------------------------

  private async fail(run: Run, error: ErrorInfo, nodeId?: string): Promise<void> {
    if (run.finishing || TERMINAL.has(run.rec.status)) return;
    run.finishing = true;
    run.abort.abort(new CancelledError("Another step failed."));
    run.rec.error = nodeId ? { ...error, nodeId } : error;
    const handler = run.def.onFailure ? run.graph.byId.get(run.def.onFailure) : undefined;
    // The failure handler runs with a signal of its own: the run's signal has already fired.
    if (handler) await this.executeWithRetry(run, handler, new AbortController().signal);
    await this.finish(run, "failed", run.rec.error);
  }

  private async cancelRun(run: Run, reason = "Cancelled."): Promise<boolean> {
    if (run.finishing || TERMINAL.has(run.rec.status)) return false;
    run.finishing = true;
    run.abort.abort(new CancelledError(reason));
    await this.finish(run, "cancelled", undefined, reason);
    return true;
  }

  private async finish(run: Run, status: ExecutionStatus, error?: ErrorInfo, reason?: string): Promise<void> {
    if (run.ended) return;
    run.ended = true;
    run.finishing = true;
    for (const ctrl of run.deadlines.values()) ctrl.abort();
    run.deadlines.clear();
    const now = this.clock.now();
    if (status !== "completed") {
      for (const st of run.nodes.values()) {
        if (st.status === "running" || st.status === "waiting") {
          st.status = "cancelled";
          st.endedAt = now;
          void this.saveNode(run, st).catch(() => undefined);
        }
      }
    }
    run.rec.status = status;
    run.rec.endedAt = now;
    run.rec.durationMs = now - (run.rec.startedAt ?? now);
    if (error) run.rec.error = error;
    await this.saveHeader(run);
    const type: EventType =
      status === "completed" ? "execution.completed" : status === "failed" ? "execution.failed" : "execution.cancelled";
    await this.emit(run, type, undefined, { durationMs: run.rec.durationMs, ...(error ? { error } : {}), ...(reason ? { reason } : {}) });
    await this.store.updateList("idx:active", (ids) => ids.filter((id) => id !== run.rec.id));
    await this.foldStats(run).catch((e: unknown) => run.log.error({ err: errorInfo(e) }, "stats update failed"));
    executionsTotal.inc({ template: run.rec.templateId, status });
    if (status === "failed") run.log.error({ code: error?.code, err: error }, "execution failed");
    else run.log.info({ status, durationMs: run.rec.durationMs }, "execution finished");
    this.runs.delete(run.rec.id);
    run.done.resolve();
    for (const w of run.waitingWaiters.splice(0)) w();
  }

  private foldStats(run: Run): Promise<void> {
    const key = `s:${run.rec.templateId}`;
    return this.store.exclusive(key, async () => {
      const prev = await this.store.kv.get<StatsRecord>(key);
      await this.store.kv.set(key, foldExecution(prev ?? undefined, run.rec, [...run.nodes.values()]));
      if (!prev) await this.store.updateList("idx:stats", (ids) => (ids.includes(run.rec.templateId) ? ids : [...ids, run.rec.templateId]));
    });
  }

  // ---- reading ------------------------------------------------------------------------------

  async get(executionId: string): Promise<ExecutionView | undefined> {
    const run = this.runs.get(executionId);
    const rec = run ? { ...run.rec } : await this.store.getExecution(executionId);
    if (!rec) return undefined;
    const stored = run ? run.nodes : await this.store.getNodes(executionId, rec.nodeIds);
    const kinds = new Map((rec.plan ?? []).map((p) => [p.id, p.kind]));
    const nodes = rec.nodeIds.map((id) => {
      const st = stored.get(id);
      return st ? { ...st } : { nodeId: id, kind: kinds.get(id) ?? "unknown", status: "pending" as const, attempts: 0 };
    });
    return { ...rec, nodes, ...(rec.durationMs !== undefined ? { totalMs: rec.durationMs } : {}) };
  }

  async list(filter: ListFilter = {}): Promise<ExecutionRecord[]> {
    const ids = await this.store.getList(filter.userId ? `idx:user:${filter.userId}` : "idx:recent");
    const limit = filter.limit ?? 50;
    const out: ExecutionRecord[] = [];
    for (let i = 0; i < ids.length && out.length < limit; i += 100) {
      const recs = await this.store.getExecutions(ids.slice(i, i + 100));
      for (const rec of recs) {
        const live = this.runs.get(rec.id)?.rec ?? rec;
        if (filter.status && !filter.status.includes(live.status)) continue;
        if (filter.templateId && live.templateId !== filter.templateId) continue;
        out.push({ ...live });
        if (out.length >= limit) break;
      }
    }
    return out;
  }

  events(executionId: string, fromSeq = 1): Promise<EngineEvent[]> {
    return this.store.getEvents(executionId, fromSeq);
  }

  subscribe(executionId: string, fromSeq: number, listener: EventListener): () => void {
    let buffer: EngineEvent[] | null = [];
    let last = fromSeq - 1;
    let closed = false;
    const forward = (event: EngineEvent) => {
      if (closed || event.seq <= last) return;
      last = event.seq;
      listener(event);
    };
    const onLive: EventListener = (event) => {
      if (buffer) buffer.push(event);
      else forward(event);
    };
    let set = this.subscribers.get(executionId);
    if (!set) {
      set = new Set();
      this.subscribers.set(executionId, set);
    }
    set.add(onLive);
    void this.store
      .getEvents(executionId, fromSeq)
      .then((stored) => {
        for (const e of stored) forward(e);
      })
      .catch((error: unknown) => this.log.error({ executionId, err: errorInfo(error) }, "event replay failed"))
      .finally(() => {
        const pending = buffer ?? [];
        buffer = null;
        for (const e of pending.sort((a, b) => a.seq - b.seq)) forward(e);
      });
    return () => {
      closed = true;
      set?.delete(onLive);
      if (set?.size === 0) this.subscribers.delete(executionId);
    };
  }

  onEvent(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async wait(executionId: string, options: { untilWaiting?: boolean; timeoutMs?: number } = {}): Promise<ExecutionView> {
    const deadline = options.timeoutMs !== undefined ? Date.now() + options.timeoutMs : Number.POSITIVE_INFINITY;
    for (;;) {
      const run = this.runs.get(executionId);
      if (run) {
        if (options.untilWaiting && run.rec.status === "waiting") break;
        const signals: Promise<unknown>[] = [run.done.promise];
        if (options.untilWaiting) signals.push(new Promise<void>((r) => run.waitingWaiters.push(r)));
        if (deadline !== Number.POSITIVE_INFINITY)
          signals.push(new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now())).unref()));
        await Promise.race(signals);
        break;
      }
      const view = await this.get(executionId);
      if (!view) throw new NotFoundError("request", executionId);
      if (TERMINAL.has(view.status) || (options.untilWaiting && view.status === "waiting")) return view;
      if (Date.now() >= deadline) return view;
      // Not running in this process (not yet recovered): poll the store.
      await new Promise((r) => setTimeout(r, 100));
    }
    const view = await this.get(executionId);
    if (!view) throw new NotFoundError("request", executionId);
    return view;
  }

  async stats(templateId?: string): Promise<WorkflowStats[]> {
    const ids = templateId ? [templateId] : await this.store.getList("idx:stats");
    const out: WorkflowStats[] = [];
    for (const id of ids) {
      const rec = await this.store.kv.get<StatsRecord>(`s:${id}`);
      if (rec) out.push(toWorkflowStats(rec));
    }
    return out;
  }

  // ---- cancel, recover, forget, close -------------------------------------------------------

  async cancel(executionId: string): Promise<boolean> {
    return this.store.exclusive(`exec:${executionId}`, async () => {
      const run = await this.loadRun(executionId, false);
      if (!run) return false;
      return this.cancelRun(run, "Cancelled on request.");
    });
  }

  /** Brings a persisted, unfinished execution back into memory; `start` pumps it. */
  private loadRun(executionId: string, start = true): Promise<Run | undefined> {
    const live = this.runs.get(executionId);
    if (live) return Promise.resolve(live);
    let pending = this.loading.get(executionId);
    if (!pending) {
      pending = this.hydrate(executionId, start).finally(() => this.loading.delete(executionId));
      this.loading.set(executionId, pending);
    }
    return pending;
  }

  private async hydrate(executionId: string, start: boolean): Promise<Run | undefined> {
    const rec = await this.store.getExecution(executionId);
    if (!rec || TERMINAL.has(rec.status)) return undefined;
    const def = (await this.store.getDefinition(rec.hash)) ?? this.byHash(rec.templateId, rec.hash);
    if (!def) {
      this.log.error({ executionId, templateId: rec.templateId }, "definition of an unfinished execution is missing; cannot resume");
      return undefined;
    }
    const graph = buildGraph(def);
    const run = this.newRun(rec, def, graph);
    const stored = await this.store.getNodes(executionId, rec.nodeIds);
    for (const [id, st] of stored) run.nodes.set(id, st);
    run.seq = await this.store.lastSeq(executionId);
    for (const st of run.nodes.values()) {
      // An attempt cut off by the crash runs again; a completed node never does.
      if (st.status === "running") st.status = "pending";
      const node = graph.byId.get(st.nodeId);
      if (st.status === "failed" && node?.onError && !graph.auxiliary.has(st.nodeId)) st.status = "pending";
    }
    for (const id of graph.auxiliary) {
      const st = run.nodes.get(id);
      if (st && st.status !== "completed") run.nodes.set(id, { nodeId: id, kind: st.kind, status: "pending", attempts: st.attempts });
    }
    this.runs.set(executionId, run);
    for (const node of def.nodes) if (node.kind === "human" && run.nodes.get(node.id)?.status === "waiting") this.armDeadline(run, node);
    run.log.info({ status: rec.status }, "execution resumed after restart");
    if (start) this.pump(run);
    return run;
  }

  private byHash(templateId: string, hash: string): WorkflowDefinition | undefined {
    for (const reg of this.registry.get(templateId)?.values() ?? []) if (definitionHash(reg.definition) === hash) return reg.definition;
    return undefined;
  }

  async recover(): Promise<string[]> {
    const ids = await this.store.getList("idx:active");
    const resumed: string[] = [];
    for (const id of ids) {
      if (this.runs.has(id)) continue;
      const run = await this.loadRun(id);
      if (run) resumed.push(id);
      else {
        const rec = await this.store.getExecution(id);
        if (!rec || TERMINAL.has(rec.status)) await this.store.updateList("idx:active", (list) => list.filter((x) => x !== id));
      }
    }
    return resumed;
  }

  async forgetUser(userId: string): Promise<number> {
    const ids = await this.store.getList(`idx:user:${userId}`);
    let count = 0;
    for (const id of ids) {
      await this.cancel(id).catch(() => false);
      const rec = await this.store.getExecution(id);
      if (!rec) continue;
      const nodes = await this.store.getNodes(id, rec.nodeIds);
      const last = await this.store.lastSeq(id);
      const keys = [`x:${id}`, ...rec.nodeIds.map((n) => `n:${id}:${n}`), ...Array.from({ length: last }, (_, i) => `e:${id}:${i + 1}`)];
      for (const st of nodes.values()) for (let a = 1; a <= st.attempts; a++) keys.push(`a:${id}:${st.nodeId}:${a}`);
      await this.store.deleteKeys(keys);
      count++;
    }
    const gone = new Set(ids);
    await this.store.updateList("idx:recent", (list) => list.filter((x) => !gone.has(x)));
    await this.store.updateList("idx:active", (list) => list.filter((x) => !gone.has(x)));
    await this.store.deleteKeys([`idx:user:${userId}`]);
    return count;
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const run of this.runs.values()) {
      for (const ctrl of run.deadlines.values()) ctrl.abort();
      // Stop in-flight attempts without recording a failure: recover() runs them again.
      run.abort.abort(new CancelledError("The service is shutting down."));
    }
    await Promise.all([...this.runs.values()].map((r) => r.flushing));
    this.runs.clear();
  }
}

/** 16 url-safe characters (96 random bits): short in keys and chat action ids. */
function newExecutionId(): string {
  return randomBytes(12).toString("base64url");
}

function addUsage(a: TokenUsage | undefined, b: TokenUsage): TokenUsage {
  return { inputTokens: (a?.inputTokens ?? 0) + b.inputTokens, outputTokens: (a?.outputTokens ?? 0) + b.outputTokens };
}

export function createEngine(opts: EngineOptions): Engine {
  return new Engine(opts);
}
