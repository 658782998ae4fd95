// Shared helpers for `npm run bench`: the row type every area module returns, order statistics, and
// the table printer. Area modules measure; only bench/index.ts prints.

/** One measured metric of one area. `value` is already the median over the runs the area made. */
export type BenchRow = {
  area: string;
  metric: string;
  value: number;
  /** Unit appended when printing (ms, MB, x, %...). */
  unit?: string;
  /** Human-readable target, e.g. "<= 1 ms". */
  target: string;
  ok: boolean;
};

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** Nearest-rank percentile (p in 0..100); NaN for an empty list. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] as number;
}

export function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** Rounds for display: more decimals for small numbers so sub-millisecond values stay readable. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(2);
  return value.toFixed(3);
}

/** Plain-text table with left-aligned columns; the header row is separated by dashes. */
export function renderTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

export function renderRows(rows: readonly BenchRow[]): string {
  return renderTable(
    ["area", "metric", "median", "target", "ok"],
    rows.map((r) => [r.area, r.metric, `${formatNumber(r.value)}${r.unit ? ` ${r.unit}` : ""}`, r.target, r.ok ? "yes" : "NO"]),
  );
}

/** Runs `fn` `runs` times sequentially and returns each result (for medians over runs). */
export async function repeat<T>(runs: number, fn: (run: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < runs; i++) out.push(await fn(i));
  return out;
}
