// Pure mappers from engine records to the API's snake_case shapes (see schemas.ts).
import type { z } from "zod";
import type { NodeStats, RegisteredWorkflow, WorkflowStats } from "../../engine/api.ts";
import type { EngineEvent, ExecutionRecord, ExecutionView, NodeState } from "../../engine/records.ts";
import type { Template } from "../../templates/types.ts";
import type { Document, ExecutionDetail, ExecutionEvent, NodeStatsView, NodeView, WorkflowStatsView, WorkflowSummary } from "./schemas.ts";

export const API_BASE = "/api/workflows";

const iso = (ms: number | undefined) => (ms === undefined || !Number.isFinite(ms) ? undefined : new Date(ms).toISOString());
const finite = (n: number | null | undefined) => (typeof n === "number" && Number.isFinite(n) ? n : null);

/**
 * Drops undefined values so optional fields are absent rather than null. Copies instead of deleting
 * (delete turns objects into slow dictionaries, and views are built on every status poll).
 */
function compact<T extends Record<string, unknown>>(value: T): T {
  const out: Record<string, unknown> = {};
  for (const key in value) if (value[key] !== undefined) out[key] = value[key];
  return out as T;
}

export const executionUrl = (id: string) => `${API_BASE}/executions/${encodeURIComponent(id)}`;

function header(r: ExecutionRecord) {
  return compact({
    id: r.id,
    workflow_id: r.templateId,
    version: r.version,
    title: r.title,
    status: r.status,
    user_id: r.userId,
    provider: r.provider,
    parent: r.parent ? { execution_id: r.parent.executionId, node_id: r.parent.nodeId } : undefined,
    created_at: iso(r.createdAt) ?? new Date(0).toISOString(),
    started_at: iso(r.startedAt),
    ended_at: iso(r.endedAt),
    duration_ms: r.durationMs,
    error: r.error ? compact({ code: r.error.code, message: r.error.message, retryable: r.error.retryable }) : undefined,
  });
}

export function executionSummary(r: ExecutionRecord) {
  return { ...header(r), status_url: executionUrl(r.id) };
}

export function nodeView(n: NodeState, title: string | undefined): z.input<typeof NodeView> {
  return compact({
    id: n.nodeId,
    kind: n.kind,
    title,
    status: n.status,
    attempts: n.attempts,
    started_at: iso(n.startedAt),
    ended_at: iso(n.endedAt),
    duration_ms: n.durationMs,
    error: n.error ? compact({ code: n.error.code, message: n.error.message, retryable: n.error.retryable }) : undefined,
    usage: n.usage ? { input_tokens: n.usage.inputTokens, output_tokens: n.usage.outputTokens } : undefined,
    fallback_from: n.fallbackFrom,
    chose: n.chose,
    wait:
      n.wait && n.status === "waiting"
        ? compact({
            prompt: n.wait.prompt,
            choices: n.wait.choices,
            allowed: n.wait.allowed,
            asked_at: iso(n.wait.askedAt) ?? new Date(0).toISOString(),
            deadline_at: iso(n.wait.deadlineAt) ?? new Date(0).toISOString(),
            reminders: n.wait.reminders ?? 0,
          })
        : undefined,
    answered_by: n.answeredBy,
    child_execution_id: n.childExecutionId,
  });
}

export function executionDetail(
  view: ExecutionView,
  workflow: RegisteredWorkflow | undefined,
  document: z.input<typeof Document> | undefined,
): z.input<typeof ExecutionDetail> {
  const titles = new Map(workflow?.definition.nodes.map((n) => [n.id, n.title]) ?? []);
  const self = executionUrl(view.id);
  const outputs =
    view.status === "completed"
      ? Object.fromEntries(view.nodes.filter((n) => n.output !== undefined).map((n) => [n.nodeId, n.output]))
      : undefined;
  return compact({
    ...header(view),
    input_data: view.inputs,
    nodes: view.nodes.map((n) => nodeView(n, titles.get(n.nodeId))),
    outputs,
    document,
    links: {
      self,
      events: `${self}/events`,
      cancel: `${self}/cancel`,
      answer: `${self}/answer`,
      ...(document ? { document: `${self}/document` } : {}),
    },
  });
}

export function eventView(e: EngineEvent): z.input<typeof ExecutionEvent> {
  return compact({
    execution_id: e.executionId,
    seq: e.seq,
    type: e.type,
    at: iso(e.at) ?? new Date(0).toISOString(),
    node_id: e.nodeId,
    data: e.data,
    sub: e.sub ? { execution_id: e.sub.executionId, node_id: e.sub.nodeId } : undefined,
  });
}

export function workflowSummary(w: RegisteredWorkflow, template: Template | undefined): z.input<typeof WorkflowSummary> {
  const d = w.definition;
  return compact({
    id: d.id,
    version: d.version,
    title: d.title,
    description: d.description,
    kind: template ? ("template" as const) : ("workflow" as const),
    command: template?.command,
    inputs: d.inputs,
    node_count: d.nodes.length,
    url: `${API_BASE}/${encodeURIComponent(d.id)}`,
  });
}

function nodeStatsView(n: NodeStats): z.input<typeof NodeStatsView> {
  return {
    node_id: n.nodeId,
    runs: n.runs,
    failures: n.failures,
    failure_rate: finite(n.failureRate),
    retries: n.retries,
    fallbacks: n.fallbacks,
    min_ms: finite(n.minMs),
    mean_ms: finite(n.meanMs),
    p50_ms: finite(n.p50Ms),
    p95_ms: finite(n.p95Ms),
    max_ms: finite(n.maxMs),
  };
}

export function workflowStatsView(s: WorkflowStats): z.input<typeof WorkflowStatsView> {
  const finished = s.completed + s.failed + s.cancelled;
  return {
    workflow_id: s.templateId,
    runs: s.runs,
    completed: s.completed,
    failed: s.failed,
    cancelled: s.cancelled,
    success_rate: finished === 0 ? null : finite(s.successRate),
    min_ms: finite(s.minMs),
    mean_ms: finite(s.meanMs),
    p50_ms: finite(s.p50Ms),
    p95_ms: finite(s.p95Ms),
    max_ms: finite(s.maxMs),
    nodes: s.nodes.map(nodeStatsView),
  };
}

/** Stats of a workflow that has not run yet: zero runs, every node listed. */
export function emptyStats(w: RegisteredWorkflow): z.input<typeof WorkflowStatsView> {
  return {
    workflow_id: w.definition.id,
    runs: 0,
    completed: 0,
    failed: 0,
    cancelled: 0,
    success_rate: null,
    min_ms: null,
    mean_ms: null,
    p50_ms: null,
    p95_ms: null,
    max_ms: null,
    nodes: w.definition.nodes.map((n) => ({
      node_id: n.id,
      runs: 0,
      failures: 0,
      failure_rate: null,
      retries: 0,
      fallbacks: 0,
      min_ms: null,
      mean_ms: null,
      p50_ms: null,
      p95_ms: null,
      max_ms: null,
    })),
  };
}
