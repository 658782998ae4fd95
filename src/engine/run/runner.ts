// The step handlers of executions this process owns: advance (skip, launch, finish), run one attempt
// (then retry, fall back or fail), finish. Attempts arrive as WorkQueue jobs; each handler checks the
// node's state first, so a job delivered twice does nothing the second time, and every write is
// fenced by the execution's lease token (see Journal).
import { randomBytes } from "node:crypto";
import { CancelledError, ModelRateLimitError, StaffroomError } from "../../errors.ts";
import type { Logger } from "../../log.ts";
import { executionsTotal, modelTokensTotal, nodeDurationSeconds } from "../../metrics.ts";
import type { ModelProvider, TokenUsage } from "../../model/types.ts";
import { KeyedMutex } from "../../util/mutex.ts";
import { mapInputs, mapOutput } from "../context.ts";
import type { EventHub } from "../events.ts";
import { buildGraph, type Graph } from "../graph.ts";
import { createExecutors, type Executors } from "../nodes/index.ts";
import type { Job, WorkQueue } from "../queue/types.ts";
import type { EngineEvent, ErrorInfo, EventType, ExecutionRecord, ExecutionStatus, NodeState, Origin } from "../records.ts";
import type { Registry } from "../registry.ts";
import type { SubWorkflowNode, WorkflowDefinition, WorkflowNode } from "../schema.ts";
import { foldExecution } from "../stats.ts";
import type { ExecutionLease, ExecutionStore } from "../store/types.ts";
import { type Clock, DEFAULT_RETRY } from "../timing.ts";
import { retryDecision, withTimeout } from "./attempt.ts";
import { FencedOutError, Journal, type Step } from "./journal.ts";
import { deferred, type Run, TERMINAL } from "./run.ts";
import { plan } from "./scheduler.ts";

export type RunnerDeps = {
  store: ExecutionStore;
  queue: WorkQueue;
  clock: Clock;
  random: () => number;
  log: Logger;
  model: ModelProvider;
  registry: Registry;
  hub: EventHub;
  owner: () => Promise<string>;
  defaultTimeoutMs?: number | undefined;
  defaultModel?: string | undefined;
  /** Caps every execution's own parallelism (a workflow's `maxParallel` applies below it). */
  maxParallel?: number | undefined;
};

type AttemptData = { attempt: number; fallbackFor?: string[]; onFailure?: boolean };

export function errorInfo(error: unknown): ErrorInfo {
  if (error instanceof StaffroomError) return { code: error.code, message: error.message, retryable: error.retryable };
  return { code: "internal_error", message: error instanceof Error ? error.message : String(error), retryable: false };
}

/** 16 url-safe characters (96 random bits): short in keys and chat action ids. */
function newExecutionId(): string {
  return randomBytes(12).toString("base64url");
}

function addUsage(a: TokenUsage | undefined, b: TokenUsage): TokenUsage {
  return { inputTokens: (a?.inputTokens ?? 0) + b.inputTokens, outputTokens: (a?.outputTokens ?? 0) + b.outputTokens };
}

export class Runner {
  readonly runs = new Map<string, Run>();
  /** Serialises cancel, answers and deadlines per execution within this process. */
  readonly mutex = new KeyedMutex();
  closing = false;
  private readonly loading = new Map<string, Promise<Run | undefined>>();
  private readonly executors: Executors;
  private readonly modelGroup: string;
  /** Set by the waits module: begins a human node's wait. */
  beginWait: (run: Run, node: Extract<WorkflowNode, { kind: "human" }>) => Promise<void> = async () => undefined;
  /** Set by the waits module: re-arms deadlines of a hydrated run. */
  rearm: (run: Run) => void = () => undefined;

  constructor(readonly d: RunnerDeps) {
    this.modelGroup = `model:${d.model.name}`;
    this.executors = createExecutors({
      model: d.model,
      ...(d.defaultModel ? { defaultModel: d.defaultModel } : {}),
      transforms: d.registry.transforms,
      schemas: d.registry.schemas,
      runChild: (input) => {
        const run = this.runs.get(input.execution.id);
        if (!run) throw new CancelledError("The parent execution is no longer running here.");
        return this.runChild(run, input.node, input.scope, input.state, input.signal);
      },
    });
  }

  // ---- creating and loading runs ----------------------------------------------------------------

  private newRun(
    rec: ExecutionRecord,
    def: WorkflowDefinition,
    graph: Graph,
    lease: ExecutionLease,
    parent?: { run: Run; nodeId: string },
  ): Run {
    const nodes = new Map<string, NodeState>();
    for (const n of def.nodes) nodes.set(n.id, { nodeId: n.id, kind: n.kind, status: "pending", attempts: 0 });
    const run: Run = {
      rec,
      def,
      graph,
      nodes,
      seq: 0,
      lease,
      journal: undefined as unknown as Journal,
      abort: new AbortController(),
      inFlight: new Set(),
      delayed: new Set(),
      deadlines: new Map(),
      done: deferred(),
      waitingWaiters: [],
      ...(parent ? { parent } : {}),
      finishing: false,
      ended: false,
      lost: false,
      outputs: {},
      log: this.d.log.child({ executionId: rec.id, templateId: rec.templateId }),
    };
    run.journal = new Journal(
      this.d.store,
      rec.id,
      () => run.lease.token,
      (events) => this.delivered(run, events),
      (error) => this.lose(run, error),
    );
    return run;
  }

  /** Persists a new execution (header, definition, first event, lease, idempotency key) and owns it. */
  async create(
    def: WorkflowDefinition,
    inputs: Record<string, unknown>,
    options: { userId: string; origin?: Origin; idempotencyKey?: string },
    parent?: { run: Run; nodeId: string },
  ): Promise<{ run?: Run; existing?: ExecutionRecord }> {
    const now = this.d.clock.now();
    const graph = buildGraph(def);
    const rec: ExecutionRecord = {
      id: newExecutionId(),
      templateId: def.id,
      version: def.version,
      hash: this.d.registry.hash(def),
      title: def.title,
      status: "running",
      inputs,
      userId: options.userId,
      ...(options.origin ? { origin: options.origin } : {}),
      provider: this.d.model.name,
      ...(parent ? { parent: { executionId: parent.run.rec.id, nodeId: parent.nodeId } } : {}),
      createdAt: now,
      startedAt: now,
      nodeIds: def.nodes.map((n) => n.id),
      plan: def.nodes.map((n) => ({ id: n.id, title: n.title ?? n.id, kind: n.kind, auxiliary: graph.auxiliary.has(n.id) })),
    };
    const started: EngineEvent = {
      executionId: rec.id,
      seq: 1,
      type: "execution.started",
      at: now,
      data: { templateId: def.id, version: def.version },
    };
    const owner = await this.d.owner();
    const result = await this.d.store.createExecution({
      header: rec,
      definition: def,
      owner,
      events: [started],
      ...(options.idempotencyKey !== undefined ? { idempotencyKey: options.idempotencyKey } : {}),
    });
    if (!result.created) return { existing: result.execution };
    const run = this.newRun(rec, def, graph, result.lease, parent);
    run.seq = 1;
    this.runs.set(rec.id, run);
    this.delivered(run, [started]);
    return { run };
  }

  /** The run in memory, or claims and hydrates a persisted unfinished one (`force`: hand-over from a live owner). */
  load(executionId: string, options: { force?: boolean; start?: boolean } = {}): Promise<Run | undefined> {
    const live = this.runs.get(executionId);
    if (live) return Promise.resolve(live);
    let pending = this.loading.get(executionId);
    if (!pending) {
      pending = this.hydrate(executionId, options).finally(() => this.loading.delete(executionId));
      this.loading.set(executionId, pending);
    }
    return pending;
  }

  private async hydrate(executionId: string, options: { force?: boolean; start?: boolean }): Promise<Run | undefined> {
    const rec = await this.d.store.getExecution(executionId);
    if (!rec || TERMINAL.has(rec.status)) return undefined;
    const def = (await this.d.store.getDefinition(rec.hash)) ?? this.d.registry.byHash(rec.templateId, rec.hash);
    if (!def) {
      this.d.log.error({ executionId, templateId: rec.templateId }, "definition of an unfinished execution is missing; cannot resume");
      return undefined;
    }
    const lease = await this.d.store.claim(executionId, await this.d.owner(), options.force ? { force: true } : {});
    if (!lease) return undefined;
    // Read after the claim: the previous owner can no longer write.
    const [fresh, stored, seq] = await Promise.all([
      this.d.store.getExecution(executionId),
      this.d.store.getNodes(executionId),
      this.d.store.lastSeq(executionId),
    ]);
    if (!fresh || TERMINAL.has(fresh.status)) return undefined;
    const graph = buildGraph(def);
    const run = this.newRun(fresh, def, graph, lease);
    for (const [id, st] of stored) run.nodes.set(id, st);
    run.seq = seq;
    for (const st of run.nodes.values()) {
      // An attempt cut off by the crash runs again; a completed node never does.
      if (st.status === "running") st.status = "pending";
      const node = graph.byId.get(st.nodeId);
      if (st.status === "failed" && node?.onError && !graph.auxiliary.has(st.nodeId)) st.status = "pending";
      if (st.status === "completed") run.outputs[st.nodeId] = st.output;
    }
    for (const id of graph.auxiliary) {
      const st = run.nodes.get(id);
      if (st && st.status !== "completed") run.nodes.set(id, { nodeId: id, kind: st.kind, status: "pending", attempts: st.attempts });
    }
    this.runs.set(executionId, run);
    this.rearm(run);
    run.log.info({ status: fresh.status }, "execution resumed");
    if (options.start !== false) this.advance(run);
    return run;
  }

  /** Another process took the execution (or the store refused a write): stop touching it here. */
  private lose(run: Run, error: FencedOutError): void {
    if (run.lost) return;
    run.lost = true;
    run.log.warn({ reason: error.reason }, "execution taken over by another process; stopped here");
    run.abort.abort(new CancelledError("This execution continues in another process."));
    this.dropJobs(run);
    if (this.runs.get(run.rec.id) === run) this.runs.delete(run.rec.id);
    run.done.resolve();
    for (const w of run.waitingWaiters.splice(0)) w();
  }

  /** Removes the run's delayed jobs (retry backoff, deadlines): nothing of it is due any more here. */
  private dropJobs(run: Run): void {
    for (const id of [...run.deadlines.values(), ...run.delayed]) void this.d.queue.remove(id);
    run.deadlines.clear();
    run.delayed.clear();
  }

  // ---- persistence and events -------------------------------------------------------------------

  /** A new event with the next seq (persisted by the step that carries it). */
  event(run: Run, type: EventType, nodeId?: string, data?: Record<string, unknown>, sub?: EngineEvent["sub"]): EngineEvent {
    return {
      executionId: run.rec.id,
      seq: ++run.seq,
      type,
      at: this.d.clock.now(),
      ...(nodeId !== undefined ? { nodeId } : {}),
      ...(data ? { data } : {}),
      ...(sub ? { sub } : {}),
    };
  }

  write(run: Run, step: Step): Promise<void> {
    return run.journal.write(step);
  }

  /** Writes a step without waiting for it; a failed write is already handled by the journal. */
  background(run: Run, step: Step): void {
    run.journal.write(step).catch((error: unknown) => {
      if (!(error instanceof FencedOutError)) run.log.error({ err: errorInfo(error) }, "store write failed");
    });
  }

  emit(run: Run, type: EventType, nodeId?: string, data?: Record<string, unknown>): Promise<void> {
    return this.write(run, { events: [this.event(run, type, nodeId, data)] });
  }

  /** Stored events go out: node.completed with the node's output; copies into a parent's log. */
  private delivered(run: Run, events: EngineEvent[]): void {
    for (const event of events) {
      const live =
        event.type === "node.completed" && event.nodeId !== undefined && !event.sub
          ? { ...event, data: { ...event.data, output: run.nodes.get(event.nodeId)?.output } }
          : event;
      this.d.hub.deliver(live);
      if (run.parent && !run.parent.run.ended && !run.parent.run.lost) {
        const { run: parent, nodeId } = run.parent;
        const copy = this.event(parent, event.type, event.nodeId, event.data, {
          executionId: event.sub?.executionId ?? run.rec.id,
          nodeId,
        });
        this.background(parent, { events: [copy] });
      }
    }
  }

  // ---- advancing --------------------------------------------------------------------------------

  /** The `advance` step: skip what cannot run, launch what is ready, finish when everything is done. */
  advance(run: Run): void {
    if (run.finishing || run.lost || TERMINAL.has(run.rec.status) || this.closing) return;
    const cap = Math.min(run.def.maxParallel, this.d.maxParallel ?? Number.POSITIVE_INFINITY);
    const next = plan(run.graph, run.nodes, run.inFlight, cap);
    if (next.skip.length > 0) {
      const nodes: NodeState[] = [];
      const events: EngineEvent[] = [];
      for (const id of next.skip) {
        const st = run.nodes.get(id) as NodeState;
        st.status = "skipped";
        nodes.push({ ...st });
        events.push(this.event(run, "node.skipped", id));
      }
      this.background(run, { nodes, events });
    }
    for (const id of next.launch) this.launch(run, id);
    if (next.done) void this.finish(run, "completed");
  }

  private launch(run: Run, id: string): void {
    const node = run.graph.byId.get(id);
    if (!node) return;
    run.inFlight.add(id);
    if (node.kind === "human") {
      this.beginWait(run, node)
        .catch((error: unknown) => this.crashed(run, id, error))
        .finally(() => {
          run.inFlight.delete(id);
          this.advance(run);
        });
      return;
    }
    this.schedule(run, node, { attempt: 1 });
  }

  private crashed(run: Run, nodeId: string, error: unknown): void {
    if (error instanceof FencedOutError || run.lost) return;
    run.log.error({ err: errorInfo(error), nodeId }, "node crashed");
    void this.fail(run, errorInfo(error)).catch(() => undefined);
  }

  /** Marks a node running and queues its attempt job (agent attempts share the provider's group). */
  private schedule(run: Run, node: WorkflowNode, data: AttemptData, delayMs?: number): void {
    const st = run.nodes.get(node.id) as NodeState;
    if (data.attempt === 1) {
      st.status = "running";
      st.startedAt ??= this.d.clock.now();
      delete st.error;
    }
    const id = `attempt:${run.rec.id}:${node.id}:${st.attempts + 1}`;
    if (delayMs !== undefined && delayMs > 0) run.delayed.add(id);
    void this.d.queue.enqueue({
      id,
      kind: "attempt",
      executionId: run.rec.id,
      nodeId: node.id,
      data: { ...data, attempt: st.attempts + 1 },
      ...(node.kind === "agent" ? { group: this.modelGroup } : {}),
      ...(delayMs !== undefined && delayMs > 0 ? { delayMs } : {}),
    });
  }

  /** Queue entry point. */
  async handle(job: Job): Promise<void> {
    if (job.kind === "attempt") return this.attemptStep(job);
    if (job.kind === "advance") {
      const run = this.runs.get(job.executionId) ?? (await this.load(job.executionId, { start: false }));
      if (run) this.advance(run);
    }
  }

  private stopped(run: Run, onFailure: boolean): boolean {
    return this.closing || run.lost || run.ended || (run.finishing && !onFailure);
  }

  // ---- one attempt ------------------------------------------------------------------------------

  private async attemptStep(job: Job): Promise<void> {
    const run = this.runs.get(job.executionId);
    const node = run?.graph.byId.get(job.nodeId ?? "");
    if (!run || !node) return;
    run.delayed.delete(job.id);
    const data = job.data as AttemptData;
    const onFailure = data.onFailure === true;
    const st = run.nodes.get(node.id) as NodeState;
    // Delivered twice, or the node moved on: nothing to do.
    if (this.stopped(run, onFailure) || st.status !== "running" || st.attempts >= data.attempt) return;
    st.attempts = data.attempt;
    const t0 = this.d.clock.now();
    this.background(run, { events: [this.event(run, "node.started", node.id, { attempt: data.attempt })] });
    const signal = onFailure ? (run.failureAbort?.signal ?? run.abort.signal) : run.abort.signal;
    const timeoutMs = node.timeoutMs ?? (node.kind === "agent" ? this.d.defaultTimeoutMs : undefined);
    const executor = this.executors[node.kind] as Executors["transform"];
    const scope = this.scopeFor(run, node);
    let result: Awaited<ReturnType<Executors["transform"]["run"]>>;
    try {
      result = await withTimeout(
        (sig) =>
          executor.run({
            node: node as never,
            scope,
            context: { inputs: run.rec.inputs, nodes: run.outputs },
            execution: run.rec,
            state: st,
            signal: sig,
            now: t0,
            ...(node.kind === "agent" && this.d.hub.wanted(run.rec.id)
              ? { onDelta: (text: string) => this.d.hub.delta({ executionId: run.rec.id, seq: run.seq, nodeId: node.id }, text) }
              : {}),
          }),
        signal,
        timeoutMs !== undefined ? { ms: timeoutMs, nodeId: node.id, clock: this.d.clock } : undefined,
      );
    } catch (error) {
      if (this.stopped(run, onFailure)) return;
      return this.attemptFailed(run, node, st, data, t0, error);
    }
    if (this.stopped(run, onFailure) || result.type !== "output") return;
    const t1 = this.d.clock.now();
    if (result.usage) {
      st.usage = addUsage(st.usage, result.usage);
      modelTokensTotal.inc({ provider: this.d.model.name, direction: "input" }, result.usage.inputTokens);
      modelTokensTotal.inc({ provider: this.d.model.name, direction: "output" }, result.usage.outputTokens);
    }
    st.output = node.kind === "condition" ? result.raw : mapOutput(node.out, result.raw);
    if (result.chose !== undefined) st.chose = result.chose;
    st.status = "completed";
    st.endedAt = t1;
    st.durationMs = t1 - (st.startedAt ?? t1);
    run.outputs[node.id] = st.output;
    const nodes: NodeState[] = [{ ...st }];
    const events: EngineEvent[] = [
      this.event(run, "node.completed", node.id, {
        attempt: data.attempt,
        durationMs: st.durationMs,
        ...(st.usage ? { usage: st.usage } : {}),
        ...(st.chose !== undefined ? { chose: st.chose } : {}),
      }),
    ];
    // Nodes this one stood in for (innermost first) complete with its output.
    let from = node.id;
    for (const id of [...(data.fallbackFor ?? [])].reverse()) {
      const orig = run.nodes.get(id) as NodeState;
      orig.status = "completed";
      orig.output = st.output;
      orig.fallbackFrom = from;
      orig.endedAt = t1;
      orig.durationMs = t1 - (orig.startedAt ?? t1);
      run.outputs[id] = orig.output;
      nodes.push({ ...orig });
      events.push(this.event(run, "node.completed", id, { attempt: orig.attempts, durationMs: orig.durationMs, fallbackFrom: from }));
      from = id;
    }
    // A successful first attempt is folded into the node record; later ones get their own.
    const attempts =
      data.attempt > 1
        ? [
            {
              nodeId: node.id,
              attempt: {
                attempt: data.attempt,
                startedAt: t0,
                endedAt: t1,
                durationMs: t1 - t0,
                ok: true,
                ...(result.usage ? { usage: result.usage } : {}),
              },
            },
          ]
        : undefined;
    const written = this.write(run, { node: { nodeId: node.id }, nodes, events, ...(attempts ? { attempts } : {}) });
    nodeDurationSeconds.observe(
      { template: run.rec.templateId, node: node.id, kind: node.kind, status: "completed" },
      st.durationMs / 1000,
    );
    if (onFailure) {
      await written.catch(() => undefined);
      await this.finish(run, "failed", run.rec.error);
      return;
    }
    written.catch((error: unknown) => {
      if (!(error instanceof FencedOutError)) run.log.error({ err: errorInfo(error) }, "store write failed");
    });
    // The next nodes start at once: their writes queue behind this one, so nothing is announced early.
    run.inFlight.delete(data.fallbackFor?.[0] ?? node.id);
    this.advance(run);
  }

  private async attemptFailed(run: Run, node: WorkflowNode, st: NodeState, data: AttemptData, t0: number, error: unknown): Promise<void> {
    const info = errorInfo(error);
    const t1 = this.d.clock.now();
    const attempt = data.attempt;
    const attemptRow = { nodeId: node.id, attempt: { attempt, startedAt: t0, endedAt: t1, durationMs: t1 - t0, ok: false, error: info } };
    const policy = { ...DEFAULT_RETRY, ...run.def.retry, ...node.retry };
    const decision = retryDecision(error, attempt, policy, this.d.random);
    if (decision.retry) {
      run.log.warn({ nodeId: node.id, attempt, code: info.code, delayMs: decision.delayMs }, "node attempt failed; retrying");
      if (error instanceof ModelRateLimitError && error.retryAfterMs !== undefined && node.kind === "agent")
        void this.d.queue.pauseGroup(this.modelGroup, error.retryAfterMs);
      await this.write(run, {
        attempts: [attemptRow],
        events: [
          this.event(run, "node.retrying", node.id, {
            attempt,
            delayMs: decision.delayMs,
            error: { code: info.code, message: info.message },
          }),
        ],
      }).catch(() => undefined);
      if (!this.stopped(run, data.onFailure === true)) this.schedule(run, node, data, decision.delayMs);
      return;
    }
    st.status = "failed";
    st.error = info;
    st.endedAt = t1;
    st.durationMs = t1 - (st.startedAt ?? t1);
    run.log.error({ nodeId: node.id, attempt, code: info.code, err: info }, "node failed");
    nodeDurationSeconds.observe({ template: run.rec.templateId, node: node.id, kind: node.kind, status: "failed" }, st.durationMs / 1000);
    const failed = this.event(run, "node.failed", node.id, { attempt, error: info });
    const fallback = node.onError ? run.graph.byId.get(node.onError) : undefined;
    if (fallback && !data.onFailure) {
      const fallbackEvent = this.event(run, "node.fallback", node.id, { from: node.id, to: fallback.id, error: info });
      await this.write(run, {
        node: { nodeId: node.id },
        nodes: [{ ...st }],
        attempts: [attemptRow],
        events: [failed, fallbackEvent],
      }).catch(() => undefined);
      if (this.stopped(run, false)) return;
      const fb = run.nodes.get(fallback.id) as NodeState;
      fb.attempts = 0;
      this.schedule(run, fallback, { attempt: 1, fallbackFor: [...(data.fallbackFor ?? []), node.id] });
      return;
    }
    await this.write(run, { node: { nodeId: node.id }, nodes: [{ ...st }], attempts: [attemptRow], events: [failed] }).catch(
      () => undefined,
    );
    if (data.onFailure) return this.finish(run, "failed", run.rec.error);
    const root = data.fallbackFor?.[0] ?? node.id;
    const rootError = run.nodes.get(root)?.error ?? info;
    run.inFlight.delete(root);
    await this.fail(run, rootError, root);
  }

  private scopeFor(run: Run, node: WorkflowNode): Record<string, unknown> {
    const scope = mapInputs(node.in, { inputs: run.rec.inputs, nodes: run.outputs });
    if (node.id === run.def.onFailure) scope.error = run.rec.error;
    return scope;
  }

  /** The node's scope (mapped inputs), for waits. */
  scope(run: Run, node: WorkflowNode): Record<string, unknown> {
    return this.scopeFor(run, node);
  }

  // ---- ending -----------------------------------------------------------------------------------

  async fail(run: Run, error: ErrorInfo, nodeId?: string): Promise<void> {
    if (run.finishing || run.lost || TERMINAL.has(run.rec.status)) return;
    run.finishing = true;
    run.abort.abort(new CancelledError("Another step failed."));
    run.rec.error = nodeId ? { ...error, nodeId } : error;
    const handler = run.def.onFailure ? run.graph.byId.get(run.def.onFailure) : undefined;
    if (handler) {
      // The failure handler runs with a signal of its own: the run's signal has already fired.
      run.failureAbort = new AbortController();
      const st = run.nodes.get(handler.id) as NodeState;
      st.attempts = 0;
      this.schedule(run, handler, { attempt: 1, onFailure: true });
      return;
    }
    await this.finish(run, "failed", run.rec.error);
  }

  async cancelRun(run: Run, reason = "Cancelled."): Promise<boolean> {
    if (run.finishing || run.lost || TERMINAL.has(run.rec.status)) return false;
    run.finishing = true;
    run.abort.abort(new CancelledError(reason));
    await this.finish(run, "cancelled", undefined, reason);
    return true;
  }

  async finish(run: Run, status: ExecutionStatus, error?: ErrorInfo, reason?: string): Promise<void> {
    if (run.ended || run.lost) return;
    run.ended = true;
    run.finishing = true;
    run.failureAbort?.abort(new CancelledError("The execution has finished."));
    this.dropJobs(run);
    const now = this.d.clock.now();
    const nodes: NodeState[] = [];
    if (status !== "completed") {
      for (const st of run.nodes.values()) {
        if (st.status === "running" || st.status === "waiting") {
          st.status = "cancelled";
          st.endedAt = now;
          nodes.push({ ...st });
        }
      }
    }
    run.rec.status = status;
    run.rec.endedAt = now;
    run.rec.durationMs = now - (run.rec.startedAt ?? now);
    if (error) run.rec.error = error;
    const type: EventType =
      status === "completed" ? "execution.completed" : status === "failed" ? "execution.failed" : "execution.cancelled";
    const event = this.event(run, type, undefined, {
      durationMs: run.rec.durationMs,
      ...(error ? { error } : {}),
      ...(reason ? { reason } : {}),
    });
    try {
      await this.write(run, { header: { ...run.rec }, nodes, events: [event] });
    } catch (err) {
      if (!(err instanceof FencedOutError)) run.log.error({ err: errorInfo(err) }, "store write failed");
    }
    await this.d.store
      .updateStats(run.rec.templateId, (prev) => foldExecution(prev, run.rec, [...run.nodes.values()]))
      .catch((e: unknown) => run.log.error({ err: errorInfo(e) }, "stats update failed"));
    executionsTotal.inc({ template: run.rec.templateId, status });
    if (status === "failed") run.log.error({ code: error?.code, err: error }, "execution failed");
    else run.log.info({ status, durationMs: run.rec.durationMs }, "execution finished");
    if (this.runs.get(run.rec.id) === run) this.runs.delete(run.rec.id);
    run.done.resolve();
    for (const w of run.waitingWaiters.splice(0)) w();
  }

  // ---- sub-workflows ----------------------------------------------------------------------------

  private async runChild(
    run: Run,
    node: SubWorkflowNode,
    scope: Record<string, unknown>,
    st: NodeState,
    signal: AbortSignal,
  ): Promise<Record<string, unknown>> {
    let childId = st.childExecutionId;
    if (childId === undefined) {
      const registered = this.d.registry.get(node.workflow, node.version);
      if (!registered) throw new StaffroomError("not_found", `No version ${node.version} of workflow "${node.workflow}" is registered.`);
      const inputs = this.d.registry.checkInputs(registered, node.in ? scope : run.rec.inputs);
      const { run: child } = await this.create(
        registered.definition,
        inputs,
        { userId: run.rec.userId, ...(run.rec.origin ? { origin: run.rec.origin } : {}) },
        { run, nodeId: node.id },
      );
      if (!child) throw new StaffroomError("internal_error", "The sub-workflow could not be started.");
      childId = child.rec.id;
      st.childExecutionId = childId;
      await this.write(run, { nodes: [{ ...st }] });
      this.advance(child);
    }
    const child = this.runs.get(childId) ?? (await this.load(childId));
    if (child) child.parent = { run, nodeId: node.id };
    const id = childId;
    const cascade = () => void this.cancelById(id).catch(() => undefined);
    signal.addEventListener("abort", cascade, { once: true });
    try {
      if (child) await child.done.promise;
    } finally {
      signal.removeEventListener("abort", cascade);
    }
    const rec = await this.d.store.getExecution(childId);
    if (!rec) throw new StaffroomError("not_found", `The sub-workflow execution ${childId} was not found.`);
    if (rec.status === "completed") {
      const outputs: Record<string, unknown> = {};
      for (const [nodeId, n] of await this.d.store.getNodes(childId)) if (n.status === "completed") outputs[nodeId] = n.output;
      return outputs;
    }
    if (rec.status === "cancelled") throw new CancelledError(`The sub-workflow "${node.workflow}" was cancelled.`);
    throw new StaffroomError("subworkflow_failed", `The sub-workflow "${node.workflow}" failed: ${rec.error?.message ?? "unknown error"}`);
  }

  cancelById(executionId: string, reason = "Cancelled on request."): Promise<boolean> {
    return this.mutex.run(`exec:${executionId}`, async () => {
      const run = await this.load(executionId, { force: true, start: false });
      if (!run) return false;
      return this.cancelRun(run, reason);
    });
  }

  /** Stops every run without recording anything: recovery runs their attempts again. */
  async close(): Promise<void> {
    this.closing = true;
    for (const run of this.runs.values()) {
      run.abort.abort(new CancelledError("The service is shutting down."));
      run.failureAbort?.abort(new CancelledError("The service is shutting down."));
    }
    await Promise.all([...this.runs.values()].map((r) => r.journal.settled()));
    this.runs.clear();
  }
}
