// Runs and success rate per template per UTC day, from execution headers (EngineApi.list). Pure.
import type { ExecutionRecord } from "../../engine/records.ts";

export type DayStats = { day: string; runs: number; completed: number; failed: number; cancelled: number; successRate: number | null };

const DAY_MS = 86_400_000;
export const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The last `days` UTC days up to `now`, oldest first, for every template seen (top-level runs only). */
export function dailyStats(records: readonly ExecutionRecord[], now: number, days: number): Map<string, DayStats[]> {
  const labels = Array.from({ length: days }, (_, i) => dayOf(now - (days - 1 - i) * DAY_MS));
  const first = labels[0] ?? dayOf(now);
  const out = new Map<string, DayStats[]>();
  for (const r of records) {
    if (r.parent) continue;
    const day = dayOf(r.createdAt);
    if (day < first) continue;
    let series = out.get(r.templateId);
    if (!series) {
      series = labels.map((d) => ({ day: d, runs: 0, completed: 0, failed: 0, cancelled: 0, successRate: null }));
      out.set(r.templateId, series);
    }
    const slot = series.find((s) => s.day === day);
    if (!slot) continue;
    slot.runs++;
    if (r.status === "completed") slot.completed++;
    else if (r.status === "failed") slot.failed++;
    else if (r.status === "cancelled") slot.cancelled++;
  }
  for (const series of out.values()) {
    for (const s of series) {
      const finished = s.completed + s.failed + s.cancelled;
      s.successRate = finished === 0 ? null : s.completed / finished;
    }
  }
  return out;
}
