// One execution's timeline as data: each node's attempts as spans over time, the backoff between them, and
// the time it waited for a person. Pure; built from the execution view and its event log.
import type { EngineEvent, ExecutionView } from "../../engine/records.ts";

export type Span = { from: number; to: number };
export type TimelineRow = {
  nodeId: string;
  title: string;
  status: string;
  /** One span per attempt, in order. */
  attempts: Span[];
  /** Backoff before a retry: from the failed attempt's end to the next start. */
  retries: (Span & { error?: string })[];
  /** Waiting for a person's answer (human steps). */
  waits: Span[];
};
export type Timeline = { start: number; end: number; rows: TimelineRow[] };

export function buildTimeline(view: ExecutionView, events: readonly EngineEvent[], now: number): Timeline {
  const titles = new Map(view.plan.map((p) => [p.id, p.title]));
  const own = events.filter((e) => !e.sub && e.nodeId);
  const start = view.startedAt ?? view.createdAt;
  const end = Math.max(view.endedAt ?? now, start + 1);
  const rows: TimelineRow[] = [];
  for (const node of view.nodes) {
    const mine = own.filter((e) => e.nodeId === node.nodeId);
    const attempts: Span[] = [];
    const retries: TimelineRow["retries"] = [];
    const waits: Span[] = [];
    let open: number | undefined;
    let waitingSince: number | undefined;
    for (const e of mine) {
      if (e.type === "node.started") {
        if (open !== undefined) attempts.push({ from: open, to: e.at });
        open = e.at;
      } else if (e.type === "node.retrying") {
        const at = open ?? e.at;
        attempts.push({ from: at, to: e.at });
        open = undefined;
        const delay = typeof e.data?.delayMs === "number" ? e.data.delayMs : 0;
        const error = (e.data?.error as { message?: string } | undefined)?.message;
        retries.push({ from: e.at, to: e.at + delay, ...(error ? { error } : {}) });
      } else if (e.type === "node.completed" || e.type === "node.failed") {
        if (waitingSince !== undefined) {
          waits.push({ from: waitingSince, to: e.at });
          waitingSince = undefined;
        } else if (open !== undefined) attempts.push({ from: open, to: e.at });
        else if (waits.length === 0 && attempts.length === 0) attempts.push({ from: node.startedAt ?? e.at, to: e.at });
        open = undefined;
      } else if (e.type === "execution.waiting") {
        waitingSince = e.at;
        open = undefined;
      } else if (e.type === "execution.resumed" && waitingSince !== undefined) {
        waits.push({ from: waitingSince, to: e.at });
        waitingSince = undefined;
      }
    }
    // Still going: the open attempt or wait runs up to now (or the execution's end).
    if (open !== undefined) attempts.push({ from: open, to: end });
    if (waitingSince !== undefined) waits.push({ from: waitingSince, to: end });
    if (attempts.length === 0 && waits.length === 0 && node.startedAt !== undefined) {
      attempts.push({ from: node.startedAt, to: node.endedAt ?? end });
    }
    rows.push({ nodeId: node.nodeId, title: titles.get(node.nodeId) ?? node.nodeId, status: node.status, attempts, retries, waits });
  }
  return { start, end, rows };
}
