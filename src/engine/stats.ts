// Persisted per-template and per-node statistics, folded in once per finished execution, so they
// survive restarts without scanning every execution.
import type { NodeStats, WorkflowStats } from "./api.ts";
import type { ExecutionRecord, NodeState } from "./records.ts";

const SAMPLE_CAP = 1000;

type Agg = { count: number; sum: number; min: number | null; max: number | null; samples: number[] };
type NodeAgg = { runs: number; failures: number; retries: number; fallbacks: number; duration: Agg };
export type StatsRecord = {
  templateId: string;
  runs: number;
  completed: number;
  failed: number;
  cancelled: number;
  duration: Agg;
  nodes: Record<string, NodeAgg>;
  /** Node order for display. */
  order: string[];
};

const emptyAgg = (): Agg => ({ count: 0, sum: 0, min: null, max: null, samples: [] });

function addSample(agg: Agg, ms: number): void {
  agg.count++;
  agg.sum += ms;
  agg.min = agg.min === null ? ms : Math.min(agg.min, ms);
  agg.max = agg.max === null ? ms : Math.max(agg.max, ms);
  agg.samples.push(ms);
  // Percentiles come from the most recent samples; min/max/mean cover every run.
  if (agg.samples.length > SAMPLE_CAP) agg.samples.splice(0, agg.samples.length - SAMPLE_CAP);
}

export function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))] ?? null;
}

function summary(agg: Agg) {
  const sorted = [...agg.samples].sort((a, b) => a - b);
  return {
    minMs: agg.min,
    meanMs: agg.count > 0 ? Math.round((agg.sum / agg.count) * 100) / 100 : null,
    p50Ms: percentile(sorted, 50),
    p95Ms: percentile(sorted, 95),
    maxMs: agg.max,
  };
}

/** Folds one finished execution into its template's record. */
export function foldExecution(prev: StatsRecord | undefined, rec: ExecutionRecord, nodes: NodeState[]): StatsRecord {
  const s: StatsRecord = prev ?? {
    templateId: rec.templateId,
    runs: 0,
    completed: 0,
    failed: 0,
    cancelled: 0,
    duration: emptyAgg(),
    nodes: {},
    order: [],
  };
  s.runs++;
  if (rec.status === "completed") s.completed++;
  else if (rec.status === "failed") s.failed++;
  else if (rec.status === "cancelled") s.cancelled++;
  if (rec.durationMs !== undefined && rec.status === "completed") addSample(s.duration, rec.durationMs);
  for (const id of rec.nodeIds) if (!s.order.includes(id)) s.order.push(id);
  for (const n of nodes) {
    if (n.status === "pending" || n.status === "skipped") continue;
    const agg = s.nodes[n.nodeId] ?? { runs: 0, failures: 0, retries: 0, fallbacks: 0, duration: emptyAgg() };
    s.nodes[n.nodeId] = agg;
    agg.runs++;
    if (n.status === "failed") agg.failures++;
    agg.retries += Math.max(0, n.attempts - 1);
    if (n.fallbackFrom) agg.fallbacks++;
    if (n.status === "completed" && n.durationMs !== undefined && n.kind !== "human") addSample(agg.duration, n.durationMs);
  }
  return s;
}

export function toWorkflowStats(s: StatsRecord): WorkflowStats {
  const finished = s.completed + s.failed;
  const nodes: NodeStats[] = s.order
    .filter((id) => s.nodes[id])
    .map((id) => {
      const n = s.nodes[id] as NodeAgg;
      return {
        nodeId: id,
        runs: n.runs,
        failures: n.failures,
        failureRate: n.runs > 0 ? n.failures / n.runs : 0,
        retries: n.retries,
        fallbacks: n.fallbacks,
        ...summary(n.duration),
      };
    });
  return {
    templateId: s.templateId,
    runs: s.runs,
    completed: s.completed,
    failed: s.failed,
    cancelled: s.cancelled,
    successRate: finished > 0 ? s.completed / finished : 0,
    ...summary(s.duration),
    nodes,
  };
}
