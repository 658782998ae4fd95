// The one place an execution's next move is decided: a pure function of its stored state and one
// input (an attempt's result, an answer, a deadline, a cancel, a child's end, an advance). It returns
// the transition to commit (fenced by the state's version) and the jobs that commit dispatches;
// the step handlers (./handlers.ts) do the I/O around it. Time, tokens and the dispatcher's id come
// in through `DecideContext`, so the same state and input always give the same decision.
import type { TokenUsage } from "../../model/types.ts";
import { type Context, mapInputs, mapOutput } from "../context.ts";
import type { Graph } from "../graph.ts";
import { humanWait } from "../nodes/human.ts";
import type { JobSpec } from "../queue/types.ts";
import type { EngineEvent, ErrorInfo, EventType, ExecutionRecord, ExecutionStatus, HumanWait, NodeState } from "../records.ts";
import type { HumanNode, SubWorkflowNode, WorkflowDefinition, WorkflowNode } from "../schema.ts";
import type { NewExecution, Transition } from "../store/types.ts";
import type { RetryDecision } from "./attempt.ts";
import { plan } from "./scheduler.ts";

export const TERMINAL: ReadonlySet<string> = new Set(["completed", "failed", "cancelled"]);

/** An execution as one version of the store holds it, with its definition. */
export type ExecutionState = {
  readonly rec: ExecutionRecord;
  readonly def: WorkflowDefinition;
  readonly graph: Graph;
  /** Every node of the definition (never-written ones as `pending`). */
  readonly nodes: ReadonlyMap<string, NodeState>;
  readonly version: number;
  /** Last event seq. */
  readonly seq: number;
};

export type DecideContext = {
  now: number;
  /** This process's owner id, recorded on what it dispatches. */
  owner: string;
  newToken: () => string;
  /** The engine's cap on one execution's parallelism (a workflow's `maxParallel` applies below it). */
  maxParallel: number;
  /** The concurrency group of agent attempts (`model:<provider>`). */
  modelGroup: string;
  /** Builds a sub-workflow node's child execution; throws a reader-facing error when it cannot. */
  child: (node: SubWorkflowNode, scope: Record<string, unknown>, parent: ExecutionRecord) => NewExecution;
};

export type ChildEnd = { status: ExecutionStatus | "missing"; outputs?: Record<string, unknown>; error?: ErrorInfo };

export type DecideInput =
  | { type: "advance" }
  | {
      type: "succeeded";
      nodeId: string;
      token: string;
      startedAt: number;
      raw: unknown;
      usage?: TokenUsage;
      chose?: string | null;
    }
  | { type: "failed"; nodeId: string; token: string; startedAt: number; error: ErrorInfo; retry: RetryDecision }
  | { type: "answer"; nodeId: string; value: unknown; by: string }
  | { type: "deadline"; nodeId: string; round: number }
  | { type: "cancel"; reason: string }
  | { type: "child-done"; nodeId: string; childId: string; child: ChildEnd }
  /** The reconciler: these running nodes' jobs provably no longer exist; dispatch them again. */
  | { type: "redispatch"; nodeIds: string[] }
  /** A sub-workflow's events, copied into the parent's log. */
  | { type: "copy"; events: EngineEvent[] };

/** Whether the input applied, or why nothing changed. */
export type Outcome = "applied" | "stale" | "finished" | "already_answered" | "not_waiting" | "noop";

export type Effects = {
  /** The execution reached this terminal status. */
  finished?: ExecutionStatus;
  /** Nodes whose running attempts must stop (their tokens are no longer current). */
  abort: string[];
  /** Child executions to cancel. */
  cancelChildren: string[];
  /** Queued jobs no longer needed (a retry's backoff, a deadline): removed when still waiting. */
  removeJobs: string[];
  /** A sub-workflow ended: its parent's node is told by a `child-done` job. */
  parentDone?: { executionId: string; nodeId: string; childId: string };
};

export type Decision = {
  outcome: Outcome;
  /** Undefined when nothing changes. */
  transition?: Omit<Transition, "executionId">;
  /** The state once the transition is committed. */
  next: ExecutionState;
  /** Enqueued only after the commit succeeded. */
  jobs: JobSpec[];
  effects: Effects;
};

const isFailing = (rec: ExecutionRecord) => rec.error !== undefined && !TERMINAL.has(rec.status);

function addUsage(a: TokenUsage | undefined, b: TokenUsage | undefined): TokenUsage | undefined {
  if (!b) return a;
  return { inputTokens: (a?.inputTokens ?? 0) + b.inputTokens, outputTokens: (a?.outputTokens ?? 0) + b.outputTokens };
}

function withoutDispatch(st: NodeState): NodeState {
  const { token: _t, by: _b, dispatchedAt: _d, ...rest } = st;
  return rest;
}

/** The mutable working copy one decision builds. */
class Draft {
  readonly nodes: Map<string, NodeState>;
  readonly changed = new Map<string, NodeState>();
  readonly events: EngineEvent[] = [];
  readonly attempts: { nodeId: string; attempt: NonNullable<Transition["attempts"]>[number]["attempt"] }[] = [];
  readonly children: NewExecution[] = [];
  readonly jobs: JobSpec[] = [];
  readonly effects: Effects = { abort: [], cancelChildren: [], removeJobs: [] };
  header: ExecutionRecord | undefined;
  seq: number;

  constructor(
    readonly s: ExecutionState,
    readonly ctx: DecideContext,
  ) {
    this.nodes = new Map(s.nodes);
    this.seq = s.seq;
  }

  get rec(): ExecutionRecord {
    return this.header ?? this.s.rec;
  }

  setHeader(rec: ExecutionRecord): void {
    this.header = rec;
  }

  node(id: string): NodeState {
    return this.nodes.get(id) ?? { nodeId: id, kind: this.s.graph.byId.get(id)?.kind ?? "unknown", status: "pending", attempts: 0 };
  }

  set(st: NodeState): void {
    this.nodes.set(st.nodeId, st);
    this.changed.set(st.nodeId, st);
  }

  event(type: EventType, nodeId?: string, data?: Record<string, unknown>, sub?: EngineEvent["sub"]): void {
    this.events.push({
      executionId: this.s.rec.id,
      seq: ++this.seq,
      type,
      at: this.ctx.now,
      ...(nodeId !== undefined ? { nodeId } : {}),
      ...(data ? { data } : {}),
      ...(sub ? { sub } : {}),
    });
  }

  context(): Context {
    return contextOf(this.rec.inputs, this.nodes);
  }

  /** The version the commit will create: jobs ask for at least this one. */
  get nextVersion(): number {
    return this.s.version + 1;
  }

  done(outcome: Outcome): Decision {
    const changed = this.changed.size > 0 || this.events.length > 0 || this.header !== undefined || this.children.length > 0;
    if (!changed) return { outcome: outcome === "applied" ? "noop" : outcome, next: this.s, jobs: [], effects: this.effects };
    const transition: Omit<Transition, "executionId"> = {
      expectVersion: this.s.version,
      seq: this.s.seq,
      events: this.events,
      ...(this.header ? { header: this.header } : {}),
      ...(this.changed.size ? { nodes: [...this.changed.values()] } : {}),
      ...(this.attempts.length ? { attempts: this.attempts } : {}),
      ...(this.children.length ? { children: this.children } : {}),
    };
    const next: ExecutionState = { ...this.s, rec: this.rec, nodes: this.nodes, version: this.s.version + 1, seq: this.seq };
    return { outcome, transition, next, jobs: this.jobs, effects: this.effects };
  }
}

/** A node's mapped inputs (plus `error` for the onFailure handler). */
export function scopeOf(s: Pick<ExecutionState, "rec" | "def">, node: WorkflowNode, context: Context): Record<string, unknown> {
  const scope = mapInputs(node.in, context);
  if (node.id === s.def.onFailure) scope.error = s.rec.error;
  return scope;
}

/**
 * The context paths are read from: the inputs, and the completed outputs by node id, gathered only
 * when a path reads them (most mappings read only inputs, and this runs for every attempt).
 */
export function contextOf(inputs: Record<string, unknown>, nodes: ReadonlyMap<string, NodeState>): Context {
  let outputs: Record<string, unknown> | undefined;
  return {
    inputs,
    get nodes() {
      outputs ??= outputsOf(nodes);
      return outputs;
    },
  };
}

/** Completed outputs of a state's nodes by id. */
export function outputsOf(nodes: ReadonlyMap<string, NodeState>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const st of nodes.values()) if (st.status === "completed") out[st.nodeId] = st.output;
  return out;
}

export const attemptJobId = (executionId: string, nodeId: string, attempt: number) => `attempt:${executionId}:${nodeId}:${attempt}`;
export const deadlineJobId = (executionId: string, nodeId: string, round: number) => `deadline:${executionId}:${nodeId}:${round}`;

export function deadlineJob(executionId: string, nodeId: string, wait: HumanWait, now: number, minVersion: number): JobSpec {
  return {
    id: deadlineJobId(executionId, nodeId, wait.reminders),
    kind: "deadline",
    executionId,
    nodeId,
    data: { round: wait.reminders, minVersion },
    delayMs: Math.max(0, wait.deadlineAt - now),
  };
}

// ---- dispatching ----------------------------------------------------------------------------------

function waitingEvent(d: Draft, nodeId: string, wait: HumanWait): void {
  d.event("execution.waiting", nodeId, {
    prompt: wait.prompt,
    ...(wait.choices ? { choices: wait.choices } : {}),
    deadlineAt: wait.deadlineAt,
    allowed: wait.allowed,
    ...(wait.reminders > 0 ? { reminder: wait.reminders } : {}),
  });
}

function ask(d: Draft, node: HumanNode): void {
  const { now } = d.ctx;
  const st = d.node(node.id);
  const wait = humanWait(node, scopeOf({ rec: d.rec, def: d.s.def }, node, d.context()), now);
  const { error: _e, token: _t, ...rest } = st;
  d.set({ ...rest, status: "waiting", attempts: Math.max(1, st.attempts), startedAt: now, wait, by: d.ctx.owner });
  if (d.rec.status !== "waiting") d.setHeader({ ...d.rec, status: "waiting" });
  // The wait, the header and the question in one write: nobody is asked before it is stored.
  waitingEvent(d, node.id, wait);
  d.jobs.push(deadlineJob(d.rec.id, node.id, wait, now, d.nextVersion));
}

/** Marks a node running with a fresh attempt token and dispatches its job (or its child, or its question). */
function dispatch(d: Draft, id: string, opts: { fallbackFor?: string[]; delayMs?: number; reset?: boolean } = {}): void {
  const node = d.s.graph.byId.get(id);
  if (!node) return;
  if (node.kind === "human") {
    ask(d, node);
    return;
  }
  const prev = d.node(id);
  const base = opts.reset ? { ...prev, attempts: 0 } : prev;
  const attempt = base.attempts + 1;
  const token = d.ctx.newToken();
  const { error: _e, ...rest } = base;
  const st: NodeState = {
    ...rest,
    status: "running",
    attempts: attempt,
    startedAt: base.status === "running" && base.startedAt !== undefined ? base.startedAt : d.ctx.now,
    token,
    by: d.ctx.owner,
    dispatchedAt: d.ctx.now,
    ...(opts.fallbackFor ? { fallbackFor: opts.fallbackFor } : {}),
  };
  if (node.kind === "workflow") {
    let child: NewExecution;
    try {
      child = d.ctx.child(node, scopeOf({ rec: d.rec, def: d.s.def }, node, d.context()), d.rec);
    } catch (error) {
      d.set(st);
      d.event("node.started", id, { attempt });
      settleFailure(d, id, d.ctx.now, errorInfoOf(error), { retry: false });
      return;
    }
    // The child exists from the same write that dispatches it: no orphan, no missing child.
    d.children.push(child);
    d.set({ ...st, childExecutionId: child.header.id });
    d.event("node.started", id, { attempt });
    d.jobs.push({ id: `advance:${child.header.id}`, kind: "advance", executionId: child.header.id, data: { minVersion: 0 } });
    return;
  }
  d.set(st);
  d.event("node.started", id, { attempt });
  d.jobs.push({
    id: attemptJobId(d.rec.id, id, attempt),
    kind: "attempt",
    executionId: d.rec.id,
    nodeId: id,
    data: { attempt, token, minVersion: d.nextVersion },
    ...(node.kind === "agent" ? { group: d.ctx.modelGroup } : {}),
    ...(opts.delayMs !== undefined && opts.delayMs > 0 ? { delayMs: opts.delayMs } : {}),
  });
}

function errorInfoOf(error: unknown): ErrorInfo {
  const e = error as { code?: unknown; message?: unknown; retryable?: unknown };
  if (error instanceof Error && typeof e.code === "string")
    return { code: e.code, message: error.message, retryable: e.retryable === true };
  return { code: "internal_error", message: error instanceof Error ? error.message : String(error), retryable: false };
}

// ---- moving on ------------------------------------------------------------------------------------

/** Skip what cannot run, dispatch what is ready, finish when every main-graph node is done. */
function advance(d: Draft): void {
  const rec = d.rec;
  if (TERMINAL.has(rec.status)) return;
  if (isFailing(rec)) {
    const handler = d.s.def.onFailure;
    const st = handler ? d.node(handler) : undefined;
    if (!handler || !st || st.status === "completed" || st.status === "failed" || st.status === "cancelled") finish(d, "failed", rec.error);
    else if (st.status === "pending") dispatch(d, handler, { reset: true });
    return;
  }
  const running = new Set<string>();
  for (const st of d.nodes.values()) if (st.status === "running") running.add(st.nodeId);
  const cap = Math.min(d.s.def.maxParallel, d.ctx.maxParallel);
  const next = plan(d.s.graph, d.nodes, running, cap);
  for (const id of next.skip) {
    d.set({ ...d.node(id), status: "skipped" });
    d.event("node.skipped", id);
  }
  for (const id of next.launch) dispatch(d, id);
  if (next.done) finish(d, "completed");
}

/** Stops every running or waiting node (cancelled), with their attempts and children. */
function stopAll(d: Draft, except?: string): void {
  for (const st of [...d.nodes.values()]) {
    if (st.nodeId === except || (st.status !== "running" && st.status !== "waiting")) continue;
    if (st.status === "running") {
      d.effects.abort.push(st.nodeId);
      d.effects.removeJobs.push(attemptJobId(d.rec.id, st.nodeId, st.attempts));
    }
    if (st.status === "waiting" && st.wait) d.effects.removeJobs.push(deadlineJobId(d.rec.id, st.nodeId, st.wait.reminders));
    if (st.childExecutionId !== undefined && st.status === "running") d.effects.cancelChildren.push(st.childExecutionId);
    d.set({ ...withoutDispatch(st), status: "cancelled", endedAt: d.ctx.now });
  }
}

function finish(d: Draft, status: ExecutionStatus, error?: ErrorInfo, reason?: string): void {
  if (TERMINAL.has(d.rec.status)) return;
  const now = d.ctx.now;
  if (status !== "completed") stopAll(d);
  const rec: ExecutionRecord = { ...d.rec, status, endedAt: now, durationMs: now - (d.rec.startedAt ?? now) };
  if (error) rec.error = error;
  d.setHeader(rec);
  const type: EventType = status === "completed" ? "execution.completed" : status === "failed" ? "execution.failed" : "execution.cancelled";
  d.event(type, undefined, { durationMs: rec.durationMs, ...(error ? { error } : {}), ...(reason ? { reason } : {}) });
  d.effects.finished = status;
  if (rec.parent) d.effects.parentDone = { executionId: rec.parent.executionId, nodeId: rec.parent.nodeId, childId: rec.id };
}

/** A step failed for good: run the onFailure handler (once), else the execution fails. */
function failExecution(d: Draft, error: ErrorInfo, nodeId?: string): void {
  if (TERMINAL.has(d.rec.status) || isFailing(d.rec)) return;
  const info = nodeId ? { ...error, nodeId } : error;
  const handler = d.s.def.onFailure ? d.s.graph.byId.get(d.s.def.onFailure) : undefined;
  if (!handler) {
    finish(d, "failed", info);
    return;
  }
  stopAll(d, handler.id);
  d.setHeader({ ...d.rec, status: "running", error: info });
  dispatch(d, handler.id, { reset: true });
}

function settleSuccess(d: Draft, nodeId: string, startedAt: number, raw: unknown, usage?: TokenUsage, chose?: string | null): void {
  const node = d.s.graph.byId.get(nodeId) as WorkflowNode;
  const st = d.node(nodeId);
  const now = d.ctx.now;
  const output = node.kind === "condition" ? raw : mapOutput(node.out, raw);
  const total = addUsage(st.usage, usage);
  const done: NodeState = {
    ...withoutDispatch(st),
    status: "completed",
    output,
    endedAt: now,
    durationMs: now - (st.startedAt ?? now),
    ...(total ? { usage: total } : {}),
    ...(chose !== undefined ? { chose } : {}),
  };
  d.set(done);
  // A successful first attempt is folded into the node record; later ones get their own.
  if (st.attempts > 1)
    d.attempts.push({
      nodeId,
      attempt: { attempt: st.attempts, startedAt, endedAt: now, durationMs: now - startedAt, ok: true, ...(usage ? { usage } : {}) },
    });
  d.event("node.completed", nodeId, {
    attempt: st.attempts,
    durationMs: done.durationMs,
    ...(total ? { usage: total } : {}),
    ...(chose !== undefined ? { chose } : {}),
  });
  // Nodes this one stood in for (innermost first) complete with its output.
  let from = nodeId;
  for (const id of [...(st.fallbackFor ?? [])].reverse()) {
    const orig = d.node(id);
    const durationMs = now - (orig.startedAt ?? now);
    d.set({ ...withoutDispatch(orig), status: "completed", output, fallbackFrom: from, endedAt: now, durationMs });
    d.event("node.completed", id, { attempt: orig.attempts, durationMs, fallbackFrom: from });
    from = id;
  }
  if (isFailing(d.rec) && nodeId === d.s.def.onFailure) finish(d, "failed", d.rec.error);
  else advance(d);
}

/**
 * The error a node ends with. A fault that may pass on its own (a 429, a server error) and was tried more than
 * once says so, so the failure reads as the final state it is, not as the first attempt's report.
 */
export function finalError(error: ErrorInfo, attempts: number): ErrorInfo {
  if (!error.retryable || attempts < 2) return error;
  return { ...error, message: `${error.message} Stopped after ${attempts} attempts.` };
}

function settleFailure(d: Draft, nodeId: string, startedAt: number, attemptError: ErrorInfo, retry: RetryDecision): void {
  const node = d.s.graph.byId.get(nodeId) as WorkflowNode;
  const st = d.node(nodeId);
  const now = d.ctx.now;
  const attempt = st.attempts;
  const row = { nodeId, attempt: { attempt, startedAt, endedAt: now, durationMs: now - startedAt, ok: false, error: attemptError } };
  d.attempts.push(row);
  if (retry.retry) {
    d.event("node.retrying", nodeId, {
      attempt,
      delayMs: retry.delayMs,
      error: { code: attemptError.code, message: attemptError.message },
    });
    dispatch(d, nodeId, { delayMs: retry.delayMs, ...(st.fallbackFor ? { fallbackFor: st.fallbackFor } : {}) });
    return;
  }
  const error = finalError(attemptError, attempt);
  d.set({ ...withoutDispatch(st), status: "failed", error, endedAt: now, durationMs: now - (st.startedAt ?? now) });
  d.event("node.failed", nodeId, { attempt, error });
  const isHandler = isFailing(d.rec) && nodeId === d.s.def.onFailure;
  if (isHandler) {
    finish(d, "failed", d.rec.error);
    return;
  }
  const fallback = node.onError ? d.s.graph.byId.get(node.onError) : undefined;
  if (fallback) {
    d.event("node.fallback", nodeId, { from: nodeId, to: fallback.id, error });
    dispatch(d, fallback.id, { reset: true, fallbackFor: [...(st.fallbackFor ?? []), nodeId] });
    return;
  }
  const root = st.fallbackFor?.[0] ?? nodeId;
  failExecution(d, d.node(root).error ?? error, root);
}

function completeWait(d: Draft, node: HumanNode, answer: unknown, by: string, skipped = false): void {
  const st = d.node(node.id);
  if (st.wait && by !== "deadline") d.effects.removeJobs.push(deadlineJobId(d.rec.id, node.id, st.wait.reminders));
  const now = d.ctx.now;
  const done: NodeState = {
    ...withoutDispatch(st),
    status: "completed",
    output: answer,
    answeredBy: by,
    endedAt: now,
    durationMs: now - (st.startedAt ?? now),
  };
  d.set(done);
  const stillWaiting = [...d.nodes.values()].some((n) => n.status === "waiting");
  if (!stillWaiting && d.rec.status === "waiting") d.setHeader({ ...d.rec, status: "running" });
  d.event("execution.resumed", node.id, { by, ...(skipped ? { skipped: true } : {}) });
  d.event("node.completed", node.id, { attempt: st.attempts, durationMs: done.durationMs, ...(skipped ? { skipped: true } : {}) });
  advance(d);
}

// ---- the decision ---------------------------------------------------------------------------------

/** The transition and jobs one input causes in one state. Never throws for a stale input: it says so. */
export function decide(s: ExecutionState, input: DecideInput, ctx: DecideContext): Decision {
  const d = new Draft(s, ctx);
  const terminal = TERMINAL.has(s.rec.status);
  switch (input.type) {
    case "advance":
      advance(d);
      return d.done("applied");
    case "succeeded":
    case "failed": {
      const st = s.nodes.get(input.nodeId);
      // Only the attempt that was dispatched may complete the node (its token), and only once.
      if (terminal || st?.status !== "running" || st.token !== input.token) return d.done("stale");
      if (input.type === "succeeded") settleSuccess(d, input.nodeId, input.startedAt, input.raw, input.usage, input.chose);
      else settleFailure(d, input.nodeId, input.startedAt, input.error, input.retry);
      return d.done("applied");
    }
    case "answer": {
      const node = s.graph.byId.get(input.nodeId);
      const st = s.nodes.get(input.nodeId);
      if (node?.kind !== "human" || !st) return d.done("stale");
      if (st.status === "completed") return d.done("already_answered");
      if (terminal || st.status !== "waiting") return d.done("not_waiting");
      completeWait(d, node, input.value, input.by);
      return d.done("applied");
    }
    case "deadline": {
      const node = s.graph.byId.get(input.nodeId);
      const st = s.nodes.get(input.nodeId);
      // A deadline of an earlier reminder round, or a wait already answered: nothing to do.
      if (terminal || node?.kind !== "human" || st?.status !== "waiting" || !st.wait || st.wait.reminders !== input.round)
        return d.done("stale");
      const title = node.title ?? node.id;
      switch (node.deadline.action) {
        case "default":
          completeWait(d, node, node.deadline.defaultAnswer, "deadline");
          break;
        case "skip":
          completeWait(d, node, null, "deadline", true);
          break;
        case "cancel":
          finish(d, "cancelled", undefined, `No answer to "${title}" before its deadline.`);
          break;
        case "remind": {
          if (st.wait.reminders >= node.deadline.maxReminders) {
            finish(d, "cancelled", undefined, `No answer to "${title}" after ${st.wait.reminders} reminders.`);
            break;
          }
          const wait: HumanWait = { ...st.wait, reminders: st.wait.reminders + 1, deadlineAt: ctx.now + node.deadline.afterMs };
          d.set({ ...st, wait, by: ctx.owner });
          waitingEvent(d, node.id, wait);
          d.jobs.push(deadlineJob(s.rec.id, node.id, wait, ctx.now, d.nextVersion));
          break;
        }
      }
      return d.done("applied");
    }
    case "cancel":
      if (terminal) return d.done("finished");
      finish(d, "cancelled", undefined, input.reason);
      return d.done("applied");
    case "child-done": {
      const st = s.nodes.get(input.nodeId);
      if (terminal || st?.status !== "running" || st.childExecutionId !== input.childId || st.token === undefined) return d.done("stale");
      const node = s.graph.byId.get(input.nodeId) as SubWorkflowNode;
      const { child } = input;
      if (child.status === "completed") settleSuccess(d, input.nodeId, st.startedAt ?? ctx.now, child.outputs ?? {});
      else {
        const error: ErrorInfo =
          child.status === "cancelled"
            ? { code: "cancelled", message: `The sub-workflow "${node.workflow}" was cancelled.`, retryable: false }
            : child.status === "missing"
              ? { code: "not_found", message: `The sub-workflow execution ${input.childId} was not found.`, retryable: false }
              : {
                  code: "subworkflow_failed",
                  message: `The sub-workflow "${node.workflow}" failed: ${child.error?.message ?? "unknown error"}`,
                  retryable: false,
                };
        settleFailure(d, input.nodeId, st.startedAt ?? ctx.now, error, { retry: false });
      }
      return d.done("applied");
    }
    case "redispatch": {
      if (terminal) return d.done("stale");
      for (const id of input.nodeIds) {
        const st = d.node(id);
        const node = s.graph.byId.get(id);
        if (st.status !== "running" || !node || node.kind === "workflow" || node.kind === "human") continue;
        // A new token: should the old attempt still be alive somewhere, its completion is refused.
        dispatch(d, id, st.fallbackFor ? { fallbackFor: st.fallbackFor } : {});
      }
      return d.done("applied");
    }
    case "copy": {
      if (terminal) return d.done("stale");
      for (const e of input.events) d.event(e.type, e.nodeId, e.data, e.sub);
      return d.done("applied");
    }
  }
}
