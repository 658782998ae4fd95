// The stateless step handlers. No process owns an execution: every job names an execution (ids only),
// and its handler loads the state (this process's cache, else one store read), runs the side effect
// it is for (an attempt), decides with the pure `decide()`, commits once fenced by the state's
// version, and only then enqueues what that commit dispatched. A version conflict (another replica,
// or a redelivered job, moved the execution on) reloads and decides again: nothing is dropped, and an
// attempt's output is kept (no second model call). Any replica runs any job.
import { randomBytes } from "node:crypto";
import { CancelledError, ModelRateLimitError, StaffroomError } from "../../errors.ts";
import type { Logger } from "../../log.ts";
import { executionsTotal, modelTokensTotal, nodeDurationSeconds } from "../../metrics.ts";
import type { ModelProvider } from "../../model/types.ts";
import { KeyedMutex } from "../../util/mutex.ts";
import type { ResumeResult } from "../api.ts";
import type { EventHub } from "../events.ts";
import { buildGraph, type Graph, nodePlan } from "../graph.ts";
import { createExecutors, type Executors } from "../nodes/index.ts";
import type { Job, JobContext, JobSpec, WorkQueue } from "../queue/types.ts";
import type { EngineEvent, ErrorInfo, ExecutionRecord, NodeState, Origin } from "../records.ts";
import type { Registry } from "../registry.ts";
import type { SubWorkflowNode, WorkflowDefinition } from "../schema.ts";
import { foldExecution } from "../stats.ts";
import type { ExecutionStore, NewExecution } from "../store/types.ts";
import { type Clock, DEFAULT_RETRY } from "../timing.ts";
import { retryDecision, withTimeout } from "./attempt.ts";
import {
  type ChildEnd,
  contextOf,
  type DecideContext,
  type DecideInput,
  type Decision,
  decide,
  type ExecutionState,
  outputsOf,
  scopeOf,
  TERMINAL,
} from "./decide.ts";

export type HandlerDeps = {
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
  maxParallel?: number | undefined;
  /** Tells every replica to stop the running attempts of an execution (after its cancel is committed). */
  broadcastAbort?: (executionId: string) => void;
};

export function errorInfo(error: unknown): ErrorInfo {
  if (error instanceof StaffroomError) return { code: error.code, message: error.message, retryable: error.retryable };
  return { code: "internal_error", message: error instanceof Error ? error.message : String(error), retryable: false };
}

/** 16 url-safe characters (96 random bits): short in keys and chat action ids. */
export function newExecutionId(): string {
  return randomBytes(12).toString("base64url");
}

/**
 * Attempt tokens need to be unique, not secret: a random prefix per process and a counter (a
 * `randomBytes` call per dispatch showed up in the bench's profile).
 */
const TOKEN_PREFIX = randomBytes(6).toString("base64url");
let tokenCounter = 0;
const newToken = () => `${TOKEN_PREFIX}${(tokenCounter++).toString(36)}`;
const CACHE_LIMIT = 2_000;
/** Decisions retried after version conflicts before the job is handed back to the queue. */
const MAX_TRIES = 12;

type AttemptData = { attempt: number; token: string; minVersion?: number };

export class Handlers {
  /** Execution snapshots by id, current after this process's own commits; evicted on any conflict. */
  private readonly cache = new Map<string, ExecutionState>();
  /** Definitions by hash with their graph (and, for ones this process starts, the header's node plan, shared by its headers). */
  private readonly graphs = new Map<string, { def: WorkflowDefinition; graph: Graph; plan?: Pick<ExecutionRecord, "nodeIds" | "plan"> }>();
  /** Decisions about one execution are serialised within this process (across processes the version fences them). */
  private readonly mutex = new KeyedMutex();
  /** Running attempts here, by execution then token: a cancel stops them. */
  private readonly attempts = new Map<string, Map<string, (reason: unknown) => void>>();
  private readonly executors: Executors;
  readonly modelGroup: string;
  closing = false;

  constructor(readonly d: HandlerDeps) {
    this.modelGroup = `model:${d.model.name}`;
    this.executors = createExecutors({
      model: d.model,
      ...(d.defaultModel ? { defaultModel: d.defaultModel } : {}),
      transforms: d.registry.transforms,
      schemas: d.registry.schemas,
    });
  }

  // ---- state ------------------------------------------------------------------------------------

  private async definition(rec: ExecutionRecord): Promise<{ def: WorkflowDefinition; graph: Graph } | undefined> {
    const known = this.graphs.get(rec.hash);
    if (known) return known;
    const def = this.d.registry.byHash(rec.templateId, rec.hash) ?? (await this.d.store.getDefinition(rec.hash));
    if (!def) return undefined;
    const entry = { def, graph: buildGraph(def) };
    this.graphs.set(rec.hash, entry);
    return entry;
  }

  /** A definition's cached graph entry (built once per hash). */
  private known(
    hash: string,
    def: WorkflowDefinition,
  ): { def: WorkflowDefinition; graph: Graph; plan?: Pick<ExecutionRecord, "nodeIds" | "plan"> } {
    let entry = this.graphs.get(hash);
    if (!entry) {
      entry = { def, graph: buildGraph(def) };
      this.graphs.set(hash, entry);
    }
    return entry;
  }

  /** The state from the cache when it is at least `minVersion`, else from the store (one read). */
  async state(executionId: string, minVersion = 0): Promise<ExecutionState | undefined> {
    const cached = this.cache.get(executionId);
    if (cached && cached.version >= minVersion) return cached;
    return this.load(executionId);
  }

  async load(executionId: string): Promise<ExecutionState | undefined> {
    const loaded = await this.d.store.loadExecution(executionId);
    if (!loaded) {
      this.cache.delete(executionId);
      return undefined;
    }
    const known = await this.definition(loaded.header);
    if (!known) {
      this.d.log.error({ executionId, templateId: loaded.header.templateId }, "definition of an execution is missing; cannot run it");
      return undefined;
    }
    const nodes = new Map<string, NodeState>();
    for (const n of known.def.nodes)
      nodes.set(n.id, loaded.nodes.get(n.id) ?? { nodeId: n.id, kind: n.kind, status: "pending", attempts: 0 });
    const state: ExecutionState = {
      rec: loaded.header,
      def: known.def,
      graph: known.graph,
      nodes,
      version: loaded.version,
      seq: loaded.seq,
    };
    this.remember(state);
    return state;
  }

  private remember(state: ExecutionState): void {
    this.cache.delete(state.rec.id);
    if (TERMINAL.has(state.rec.status)) return;
    this.cache.set(state.rec.id, state);
    if (this.cache.size > CACHE_LIMIT) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
  }

  /** The status in this process's snapshot of an execution, if it holds one (current after its own commits). */
  cachedStatus(executionId: string): ExecutionRecord["status"] | undefined {
    return this.cache.get(executionId)?.rec.status;
  }

  forget(executionId: string): void {
    this.cache.delete(executionId);
  }

  private async context(): Promise<DecideContext> {
    return {
      now: this.d.clock.now(),
      owner: await this.d.owner(),
      newToken,
      maxParallel: this.d.maxParallel ?? Number.POSITIVE_INFINITY,
      modelGroup: this.modelGroup,
      child: (node, scope, parent) => this.childExecution(node, scope, parent),
    };
  }

  // ---- deciding and committing -------------------------------------------------------------------

  /**
   * Decides `input` on the current state and commits it, fenced by the version; on a conflict reloads
   * and decides again. After the commit: events go out, dispatched jobs are enqueued, effects run.
   * Throws only when the store keeps failing (the job is then redelivered, or reconciled).
   */
  apply(executionId: string, input: DecideInput, minVersion = 0): Promise<Decision | undefined> {
    return this.mutex.run(executionId, async () => {
      let failures = 0;
      for (let tries = 0; tries < MAX_TRIES; tries++) {
        const state = tries === 0 ? await this.state(executionId, minVersion) : await this.load(executionId);
        if (!state) return undefined;
        const decision = decide(state, input, await this.context());
        if (!decision.transition) return decision;
        let result: Awaited<ReturnType<ExecutionStore["commit"]>>;
        try {
          result = await this.d.store.commit({ executionId, hash: state.rec.hash, ...decision.transition });
        } catch (error) {
          // The write may or may not have landed: forget the snapshot, read again, decide again.
          this.cache.delete(executionId);
          if (++failures > 3) throw error;
          this.d.log.warn({ executionId, err: errorInfo(error) }, "store write failed; deciding again");
          // Real time, not the injected clock: infrastructure retries must not wait for a test to move time.
          await new Promise((r) => setTimeout(r, 100 * failures));
          continue;
        }
        if (result.ok) {
          this.remember(decision.next);
          await this.after(state, decision);
          return decision;
        }
        this.cache.delete(executionId);
        if (result.reason === "not_found") return undefined;
      }
      throw new StaffroomError("commit_contended", "The request changed too often to record this step; it will be retried.", {
        retryable: true,
      });
    });
  }

  /** What a committed decision causes: events delivered, jobs enqueued, attempts stopped, the parent told. */
  private async after(before: ExecutionState, decision: Decision): Promise<void> {
    const { next, effects } = decision;
    const events = decision.transition?.events ?? [];
    // Stats first: whoever the terminal event wakes reads them folded.
    if (effects.finished) await this.finished(next, before);
    for (const event of events) {
      const live =
        event.type === "node.completed" && event.nodeId !== undefined && !event.sub
          ? { ...event, data: { ...event.data, output: next.nodes.get(event.nodeId)?.output } }
          : event;
      this.d.hub.deliver(live);
    }
    for (const child of decision.transition?.children ?? []) this.deliverStarted(child);
    if (decision.jobs.length > 0) await this.d.queue.enqueueMany(decision.jobs);
    for (const nodeId of effects.abort) this.abortNode(next.rec.id, before.nodes.get(nodeId)?.token);
    for (const id of effects.removeJobs) void this.d.queue.remove(id).catch(() => false);
    const jobs: JobSpec[] = effects.cancelChildren.map((childId) => ({
      id: `cancel:${childId}`,
      kind: "cancel" as const,
      executionId: childId,
      data: { reason: "The parent request stopped." },
    }));
    if (next.rec.parent) await this.copyToParent(next.rec, events);
    if (effects.parentDone) {
      const p = effects.parentDone;
      jobs.push({
        id: `child:${p.executionId}:${p.nodeId}:${p.childId}`,
        kind: "child-done",
        executionId: p.executionId,
        nodeId: p.nodeId,
        data: { childId: p.childId },
      });
    }
    if (jobs.length > 0) await this.d.queue.enqueueMany(jobs);
  }

  private deliverStarted(child: NewExecution): void {
    for (const e of child.events) this.d.hub.deliver(e);
  }

  /** A sub-workflow's events are copied into its parent's log (fenced like any other decision there). */
  private async copyToParent(rec: ExecutionRecord, events: EngineEvent[]): Promise<void> {
    if (!rec.parent || events.length === 0) return;
    const { executionId, nodeId } = rec.parent;
    const copies = events.map((e) => ({ ...e, executionId, sub: { executionId: e.sub?.executionId ?? rec.id, nodeId } }));
    await this.apply(executionId, { type: "copy", events: copies }).catch((error: unknown) =>
      this.d.log.warn({ executionId, err: errorInfo(error) }, "copying sub-workflow events failed"),
    );
  }

  private async finished(next: ExecutionState, before: ExecutionState): Promise<void> {
    const rec = next.rec;
    const log = this.d.log.child({ executionId: rec.id, templateId: rec.templateId });
    this.abortAll(rec.id);
    if (rec.status !== "completed") this.d.broadcastAbort?.(rec.id);
    // Folded only after the terminal write succeeded, so a refused or failed write counts nothing.
    await this.d.store
      .updateStats(rec.templateId, (prev) => foldExecution(prev, rec, [...next.nodes.values()]))
      .catch((e: unknown) => log.error({ err: errorInfo(e) }, "stats update failed"));
    executionsTotal.inc({ template: rec.templateId, status: rec.status });
    for (const st of next.nodes.values()) {
      const was = before.nodes.get(st.nodeId);
      if (st.status === "cancelled" && was?.status === "running")
        nodeDurationSeconds.observe({ template: rec.templateId, node: st.nodeId, kind: st.kind, status: "cancelled" }, 0);
    }
    if (rec.status === "failed") log.error({ code: rec.error?.code, err: rec.error }, "execution failed");
    else log.info({ status: rec.status, durationMs: rec.durationMs }, "execution finished");
  }

  // ---- creating -----------------------------------------------------------------------------------

  private header(
    def: WorkflowDefinition,
    inputs: Record<string, unknown>,
    options: { userId: string; origin?: Origin },
    parent?: { executionId: string; nodeId: string },
  ): { rec: ExecutionRecord; events: EngineEvent[] } {
    const now = this.d.clock.now();
    const hash = this.d.registry.hash(def);
    const known = this.known(hash, def);
    known.plan ??= nodePlan(def, known.graph);
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
      provider: this.d.model.name,
      ...(parent ? { parent } : {}),
      createdAt: now,
      startedAt: now,
      ...known.plan,
    };
    const started: EngineEvent = {
      executionId: rec.id,
      seq: 1,
      type: "execution.started",
      at: now,
      data: { templateId: def.id, version: def.version },
    };
    return { rec, events: [started] };
  }

  private childExecution(node: SubWorkflowNode, scope: Record<string, unknown>, parent: ExecutionRecord): NewExecution {
    const registered = this.d.registry.get(node.workflow, node.version);
    if (!registered) throw new StaffroomError("not_found", `No version ${node.version} of workflow "${node.workflow}" is registered.`);
    const inputs = this.d.registry.checkInputs(registered, node.in ? scope : parent.inputs);
    const { rec, events } = this.header(
      registered.definition,
      inputs,
      { userId: parent.userId, ...(parent.origin ? { origin: parent.origin } : {}) },
      { executionId: parent.id, nodeId: node.id },
    );
    return { header: rec, definition: registered.definition, events };
  }

  /**
   * Persists a new execution with its first dispatch (decided on the new state and stored by the
   * creating write, so starting needs no decision of its own), then enqueues what that dispatched.
   * A first step that changes the header (a question) or creates a child starts through an `advance` job.
   */
  async create(
    def: WorkflowDefinition,
    inputs: Record<string, unknown>,
    options: { userId: string; origin?: Origin; idempotencyKey?: string },
  ): Promise<{ rec: ExecutionRecord; created: boolean }> {
    const { rec, events } = this.header(def, inputs, options);
    await this.d.owner();
    const { graph } = this.known(rec.hash, def);
    const pending = new Map<string, NodeState>(
      def.nodes.map((n) => [n.id, { nodeId: n.id, kind: n.kind, status: "pending", attempts: 0 }]),
    );
    const fresh: ExecutionState = { rec, def, graph, nodes: pending, version: 0, seq: events.length };
    const first = decide(fresh, { type: "advance" }, await this.context());
    const t = first.transition;
    const folded = t && !t.header && !t.children?.length && !t.attempts?.length && !first.effects.finished ? t : undefined;
    const result = await this.d.store.createExecution({
      header: rec,
      definition: def,
      events: folded ? [...events, ...folded.events] : events,
      ...(folded?.nodes ? { nodes: folded.nodes } : {}),
      ...(options.idempotencyKey !== undefined ? { idempotencyKey: options.idempotencyKey } : {}),
    });
    if (!result.created) return { rec: result.execution, created: false };
    if (!folded) {
      this.remember(fresh);
      for (const e of events) this.d.hub.deliver(e);
      await this.d.queue.enqueue({ id: `advance:${rec.id}`, kind: "advance", executionId: rec.id, data: { minVersion: 0 } });
      return { rec, created: true };
    }
    // The dispatch is part of version 0: its jobs need no newer state than that.
    this.remember({ ...first.next, version: 0 });
    for (const e of events) this.d.hub.deliver(e);
    for (const e of folded.events) this.d.hub.deliver(e);
    await this.d.queue.enqueueMany(first.jobs.map((job) => ({ ...job, data: { ...job.data, minVersion: 0 } })));
    return { rec, created: true };
  }

  // ---- jobs ---------------------------------------------------------------------------------------

  /** Queue entry point: every job kind. */
  async handle(job: Job, context: JobContext): Promise<void> {
    if (this.closing) return;
    const minVersion = typeof job.data?.minVersion === "number" ? job.data.minVersion : 0;
    switch (job.kind) {
      case "attempt":
        return this.attempt(job, context);
      case "advance":
        await this.apply(job.executionId, { type: "advance" }, minVersion);
        return;
      case "deadline":
        await this.apply(job.executionId, { type: "deadline", nodeId: job.nodeId ?? "", round: Number(job.data?.round ?? 0) }, minVersion);
        return;
      case "cancel":
        await this.cancel(job.executionId, String(job.data?.reason ?? "Cancelled."));
        return;
      case "child-done":
        await this.childDone(job.executionId, job.nodeId ?? "", String(job.data?.childId ?? ""));
        return;
      case "answer":
        // Answers are handled where they arrive (Engine.resume); a queued one gets the same checks.
        await this.answer(job.executionId, job.nodeId ?? "", job.data?.value, String(job.data?.by ?? ""));
        return;
    }
  }

  /**
   * The answer handler, run where the answer arrives (an `answer` job runs the same): it reads the state,
   * checks who may answer and what, and commits the answer fenced by the version, so of two answers
   * racing on two replicas one wins and the other is told `already_answered`.
   */
  async answer(executionId: string, nodeId: string, answer: unknown, by: string): Promise<ResumeResult> {
    const state = await this.load(executionId);
    if (!state) return { accepted: false, reason: "not_found", message: `No request with id ${executionId} was found.` };
    const node = state.graph.byId.get(nodeId);
    const st = state.nodes.get(nodeId);
    if (node?.kind !== "human" || !st) {
      if (TERMINAL.has(state.rec.status))
        return { accepted: false, reason: "not_waiting", message: `This request is ${state.rec.status} and is not waiting for an answer.` };
      return { accepted: false, reason: "not_found", message: `This request has no question "${nodeId}".` };
    }
    if (st.status === "completed")
      return { accepted: false, reason: "already_answered", message: "This question has already been answered." };
    if (st.status !== "waiting") {
      if (TERMINAL.has(state.rec.status))
        return { accepted: false, reason: "not_waiting", message: `This request is ${state.rec.status} and is not waiting for an answer.` };
      return { accepted: false, reason: "not_waiting", message: "This question is not waiting for an answer." };
    }
    const allowed = node.allowed;
    const ok = allowed === "anyone" || (allowed === "requester" ? by === state.rec.userId : allowed.includes(by));
    if (!ok) return { accepted: false, reason: "not_allowed", message: "Only the teacher who made this request can answer this question." };
    if (node.choices && !node.choices.some((c) => c.value === String(answer)))
      return {
        accepted: false,
        reason: "invalid_answer",
        message: `Please answer with one of: ${node.choices.map((c) => c.label).join(", ")}.`,
      };
    let value = node.choices ? String(answer) : answer;
    if (node.answerSchema) {
      const parsed = this.d.registry.schemas.get(node.answerSchema)?.safeParse(value);
      if (parsed && !parsed.success)
        return {
          accepted: false,
          reason: "invalid_answer",
          message: `That answer does not fit: ${parsed.error.issues[0]?.message ?? "invalid"}.`,
        };
      if (parsed?.success) value = parsed.data;
    }
    const decision = await this.apply(executionId, { type: "answer", nodeId, value, by });
    if (!decision) return { accepted: false, reason: "not_found", message: `No request with id ${executionId} was found.` };
    if (decision.outcome === "applied") return { accepted: true, execution: { ...decision.next.rec } };
    if (decision.outcome === "already_answered")
      return { accepted: false, reason: "already_answered", message: "This question has already been answered." };
    return { accepted: false, reason: "not_waiting", message: "This question is not waiting for an answer." };
  }

  async childDone(parentId: string, nodeId: string, childId: string): Promise<void> {
    const loaded = await this.d.store.loadExecution(childId);
    let child: ChildEnd;
    if (!loaded) child = { status: "missing" };
    else if (!TERMINAL.has(loaded.header.status)) return;
    else
      child = {
        status: loaded.header.status,
        ...(loaded.header.status === "completed" ? { outputs: outputsOf(loaded.nodes) } : {}),
        ...(loaded.header.error ? { error: loaded.header.error } : {}),
      };
    await this.apply(parentId, { type: "child-done", nodeId, childId, child });
  }

  /** Commits the cancel, then stops the attempts here and (broadcast) on every replica. */
  async cancel(executionId: string, reason: string): Promise<"cancelled" | "finished" | "missing"> {
    const decision = await this.apply(executionId, { type: "cancel", reason });
    if (!decision) return "missing";
    return decision.outcome === "applied" ? "cancelled" : "finished";
  }

  /** One attempt of a node: only the dispatched one (its token) runs; its result is decided and committed. */
  private async attempt(job: Job, context: JobContext): Promise<void> {
    const data = job.data as AttemptData | undefined;
    const nodeId = job.nodeId;
    if (!data || nodeId === undefined) return;
    const state = await this.state(job.executionId, data.minVersion ?? 0);
    const st = state?.nodes.get(nodeId);
    const node = state?.graph.byId.get(nodeId);
    // Delivered twice, dispatched again elsewhere, cancelled: not this attempt's to run.
    if (!state || !node || TERMINAL.has(state.rec.status) || st?.status !== "running" || st.token !== data.token) return;
    if (node.kind === "human" || node.kind === "workflow") return;
    if (context.signal.aborted) return;
    // The attempt stops through the job's own signal when the queue lets it abort that (an abort
    // signal costs microseconds on every step); otherwise through a controller that follows it.
    const own = context.abort ? undefined : new AbortController();
    const signal = own ? own.signal : context.signal;
    const abort = context.abort ?? ((reason: unknown) => own?.abort(reason));
    const stop = () => own?.abort(context.signal.reason ?? new CancelledError("The job was stopped."));
    if (own) context.signal.addEventListener("abort", stop, { once: true });
    let running = this.attempts.get(job.executionId);
    if (!running) {
      running = new Map();
      this.attempts.set(job.executionId, running);
    }
    running.set(data.token, abort);
    const t0 = this.d.clock.now();
    const timeoutMs = node.timeoutMs ?? (node.kind === "agent" ? this.d.defaultTimeoutMs : undefined);
    const executor = this.executors[node.kind] as Executors["transform"];
    const rec = state.rec;
    const paths = contextOf(rec.inputs, state.nodes);
    let input: DecideInput;
    try {
      const result = await withTimeout(
        (signal) =>
          executor.run({
            node: node as never,
            scope: scopeOf(state, node, paths),
            context: paths,
            execution: rec,
            state: st,
            signal,
            now: t0,
            ...(node.kind === "agent" && this.d.hub.wanted(rec.id)
              ? { onDelta: (text: string) => this.d.hub.delta({ executionId: rec.id, seq: state.seq, nodeId }, text) }
              : {}),
          }),
        signal,
        timeoutMs !== undefined ? { ms: timeoutMs, nodeId, clock: this.d.clock } : undefined,
      );
      if (result.usage) {
        modelTokensTotal.inc({ provider: this.d.model.name, direction: "input" }, result.usage.inputTokens);
        modelTokensTotal.inc({ provider: this.d.model.name, direction: "output" }, result.usage.outputTokens);
      }
      input = {
        type: "succeeded",
        nodeId,
        token: data.token,
        startedAt: t0,
        raw: result.raw,
        ...(result.usage ? { usage: result.usage } : {}),
        ...(result.chose !== undefined ? { chose: result.chose } : {}),
      };
    } catch (error) {
      // Stopped (cancel, shutdown, a lost job lock): write nothing; whoever stopped it has decided.
      if (signal.aborted || this.closing) return;
      const info = errorInfo(error);
      const policy = { ...DEFAULT_RETRY, ...state.def.retry, ...node.retry };
      const retry = retryDecision(error, data.attempt, policy, this.d.random);
      const log = this.d.log.child({ executionId: rec.id, templateId: rec.templateId });
      if (retry.retry) {
        log.warn({ nodeId, attempt: data.attempt, code: info.code, delayMs: retry.delayMs }, "node attempt failed; retrying");
        if (error instanceof ModelRateLimitError && error.retryAfterMs !== undefined && node.kind === "agent")
          void this.d.queue.pauseGroup(this.modelGroup, error.retryAfterMs).catch(() => undefined);
      } else log.error({ nodeId, attempt: data.attempt, code: info.code, err: info }, "node failed");
      input = { type: "failed", nodeId, token: data.token, startedAt: t0, error: info, retry };
    } finally {
      // The model call is over: recording its result must not hold the provider's slot.
      context.release?.();
      if (own) context.signal.removeEventListener("abort", stop);
      running.delete(data.token);
      if (running.size === 0 && this.attempts.get(job.executionId) === running) this.attempts.delete(job.executionId);
    }
    if (signal.aborted || this.closing) return;
    const decision = await this.apply(job.executionId, input, data.minVersion ?? 0);
    if (decision?.outcome === "applied") {
      const done = decision.next.nodes.get(nodeId);
      if (done && (done.status === "completed" || done.status === "failed"))
        nodeDurationSeconds.observe(
          { template: rec.templateId, node: nodeId, kind: node.kind, status: done.status },
          (done.durationMs ?? 0) / 1000,
        );
    }
  }

  private abortNode(executionId: string, token: string | undefined): void {
    if (token === undefined) return;
    this.attempts.get(executionId)?.get(token)?.(new CancelledError("This step was stopped."));
  }

  /** Stops every attempt of an execution running in this process (cancel, here or broadcast from another replica). */
  abortAll(executionId: string, reason = "This request was stopped."): void {
    this.cache.delete(executionId);
    const running = this.attempts.get(executionId);
    if (!running) return;
    for (const abort of running.values()) abort(new CancelledError(reason));
  }

  /** Stops every attempt without recording anything: the reconciler dispatches them again. */
  close(): void {
    this.closing = true;
    for (const running of this.attempts.values())
      for (const abort of running.values()) abort(new CancelledError("The service is shutting down."));
  }
}
