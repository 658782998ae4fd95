// Pure formatting for the CLI: JSON shapes of executions, progress lines from engine events, plain tables.
import type { WorkflowStats } from "../engine/api.ts";
import type { EngineEvent, ExecutionRecord, ExecutionView } from "../engine/records.ts";
import { formatDuration } from "../util/duration.ts";

export type ExecutionJson = {
  id: string;
  templateId: string;
  version: number;
  title: string;
  status: string;
  provider?: string;
  userId: string;
  createdAt: number;
  startedAt?: number;
  endedAt?: number;
  totalMs: number | null;
  error?: { code: string; message: string };
  nodes: {
    id: string;
    kind: string;
    status: string;
    attempts: number;
    durationMs: number | null;
    error?: { code: string; message: string };
    fallbackFrom?: string;
    usage?: { inputTokens: number; outputTokens: number };
  }[];
  outputs: Record<string, unknown>;
};

/** The execution record as `--json` prints it (run, show, resume). */
export function executionJson(view: ExecutionView): ExecutionJson {
  const outputs: Record<string, unknown> = {};
  for (const n of view.nodes) if (n.status === "completed" && n.output !== undefined) outputs[n.nodeId] = n.output;
  return {
    id: view.id,
    templateId: view.templateId,
    version: view.version,
    title: view.title,
    status: view.status,
    ...(view.provider ? { provider: view.provider } : {}),
    userId: view.userId,
    createdAt: view.createdAt,
    ...(view.startedAt === undefined ? {} : { startedAt: view.startedAt }),
    ...(view.endedAt === undefined ? {} : { endedAt: view.endedAt }),
    totalMs: view.totalMs ?? view.durationMs ?? null,
    ...(view.error ? { error: { code: view.error.code, message: view.error.message } } : {}),
    nodes: view.nodes.map((n) => ({
      id: n.nodeId,
      kind: n.kind,
      status: n.status,
      attempts: n.attempts,
      durationMs: n.durationMs ?? null,
      ...(n.error ? { error: { code: n.error.code, message: n.error.message } } : {}),
      ...(n.fallbackFrom ? { fallbackFrom: n.fallbackFrom } : {}),
      ...(n.usage ? { usage: n.usage } : {}),
    })),
    outputs,
  };
}

/** One human line per event worth showing while a run progresses; undefined for the rest. */
export function progressLine(event: EngineEvent, labels: Record<string, string> = {}): string | undefined {
  const data = (event.data ?? {}) as {
    attempt?: number;
    durationMs?: number;
    delayMs?: number;
    error?: { message?: string };
    to?: string;
    reminder?: number;
  };
  const label = event.nodeId ? (labels[event.nodeId] ?? event.nodeId) : "";
  const indent = event.sub ? "    " : "  ";
  const attempt = data.attempt && data.attempt > 1 ? ` (attempt ${data.attempt})` : "";
  switch (event.type) {
    case "execution.started":
      return event.sub ? `${indent}sub-workflow ${event.sub.executionId} started` : undefined;
    case "node.started":
      return `${indent}… ${label}${attempt}`;
    case "node.completed":
      return `${indent}✓ ${label} (${formatDuration(data.durationMs)})`;
    case "node.retrying":
      return `${indent}↻ ${label} failed: ${data.error?.message ?? "error"} Trying again in ${formatDuration(data.delayMs)}.`;
    case "node.failed":
      return `${indent}✗ ${label}: ${data.error?.message ?? "failed"}`;
    case "node.skipped":
      return `${indent}– ${label} skipped`;
    case "node.fallback":
      return `${indent}↪ ${label} failed; using ${data.to ? (labels[data.to] ?? data.to) : "its fallback"} instead`;
    case "execution.resumed":
      return `${indent}✓ answer received${label ? ` for ${label}` : ""}`;
    case "execution.waiting":
      return data.reminder ? `${indent}⏳ still waiting for an answer (reminder ${data.reminder})` : undefined;
    case "execution.completed":
      return event.sub ? `${indent}sub-workflow completed` : undefined;
    case "execution.failed":
      return event.sub ? `${indent}sub-workflow failed` : undefined;
    case "execution.cancelled":
      return event.sub ? `${indent}sub-workflow cancelled` : undefined;
    default:
      return undefined;
  }
}

/** Left-aligned columns separated by two spaces. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

function when(ms: number | undefined): string {
  if (ms === undefined) return "-";
  return new Date(ms).toISOString().replace("T", " ").slice(0, 19);
}

/** One row per run; `number` and `version` are the teacher's short number (#7 v2) when known. */
export function executionsTable(records: (ExecutionRecord & { number?: number; version?: number; topic?: string })[]): string {
  if (records.length === 0) return "No executions yet. Start one with: staffroom run <template> key=value ...";
  return table(
    ["#", "TITLE", "STATUS", "CREATED (UTC)", "DURATION", "USER", "ID"],
    records.map((r) => [
      r.number !== undefined ? `#${r.number}${r.version && r.version > 1 ? ` v${r.version}` : ""}` : "",
      `${r.title}${r.topic ? `: ${r.topic}` : ""}`,
      r.status,
      when(r.createdAt),
      formatDuration(r.durationMs),
      r.userId,
      r.id,
    ]),
  );
}

export function executionText(view: ExecutionView): string {
  const lines = [
    `${view.title} (${view.templateId} v${view.version})`,
    `ID:       ${view.id}`,
    `Status:   ${view.status}`,
    `Started:  ${when(view.startedAt ?? view.createdAt)} UTC`,
    `Duration: ${formatDuration(view.totalMs ?? view.durationMs)}`,
  ];
  if (view.provider) lines.push(`Model:    ${view.provider}`);
  if (view.error) lines.push(`Error:    ${view.error.message}`);
  lines.push(
    "",
    table(
      ["NODE", "KIND", "STATUS", "ATTEMPTS", "DURATION", "NOTE"],
      view.nodes.map((n) => [
        n.nodeId,
        n.kind,
        n.status,
        String(n.attempts),
        formatDuration(n.durationMs),
        n.error
          ? n.error.message
          : n.fallbackFrom
            ? `answered by fallback ${n.fallbackFrom}`
            : n.status === "waiting"
              ? (n.wait?.prompt ?? "")
              : "",
      ]),
    ),
  );
  return lines.join("\n");
}

export function statsText(stats: WorkflowStats[]): string {
  if (stats.length === 0) return "No finished executions yet.";
  const pct = (x: number) => `${Math.round(x * 100)}%`;
  return stats
    .map((s) =>
      [
        `${s.templateId}: ${s.runs} run${s.runs === 1 ? "" : "s"}, ${s.completed} completed, ${s.failed} failed, ${s.cancelled} cancelled (success ${pct(s.successRate)})`,
        `  duration: p50 ${formatDuration(s.p50Ms)}, p95 ${formatDuration(s.p95Ms)}, mean ${formatDuration(s.meanMs)}, max ${formatDuration(s.maxMs)}`,
        table(
          ["  NODE", "RUNS", "FAILURE", "RETRIES", "FALLBACKS", "P50", "P95"],
          s.nodes.map((n) => [
            `  ${n.nodeId}`,
            String(n.runs),
            pct(n.failureRate),
            String(n.retries),
            String(n.fallbacks),
            formatDuration(n.p50Ms),
            formatDuration(n.p95Ms),
          ]),
        ),
      ].join("\n"),
    )
    .join("\n\n");
}
