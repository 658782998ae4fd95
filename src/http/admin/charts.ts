// Server-rendered SVG charts for the admin pages: runs and success rate per day, p50/p95 per step, and an
// execution's timeline. Pure functions returning markup; every chart has a title and description for
// screen readers, and the pages show the same numbers in a table.

import type { DayStats } from "./daily.ts";
import { escapeHtml as esc } from "./html.ts";
import type { Timeline } from "./timeline.ts";

const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));
let serial = 0;
const uid = (prefix: string) => `${prefix}${++serial}`;

function frame(width: number, height: number, title: string, desc: string, body: string): string {
  const t = uid("t");
  const d = uid("d");
  return `<svg class="chart" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-labelledby="${t} ${d}" xmlns="http://www.w3.org/2000/svg"><title id="${t}">${esc(title)}</title><desc id="${d}">${esc(desc)}</desc>${body}</svg>`;
}

/** Bars of runs per day (left axis) and a line of the success rate (right axis, 0-100 %). */
export function dailyChart(templateId: string, days: readonly DayStats[]): string {
  const W = 640;
  const H = 220;
  const L = 44;
  const R = 44;
  const T = 16;
  const B = 40;
  const plotW = W - L - R;
  const plotH = H - T - B;
  const maxRuns = Math.max(1, ...days.map((d) => d.runs));
  const step = plotW / Math.max(1, days.length);
  const y = (runs: number) => T + plotH - (runs / maxRuns) * plotH;
  const yRate = (rate: number) => T + plotH - rate * plotH;
  let body = "";
  // Grid and left axis: 0, half, max runs.
  for (const v of [0, maxRuns / 2, maxRuns]) {
    body += `<line class="grid" x1="${L}" x2="${W - R}" y1="${fmt(y(v))}" y2="${fmt(y(v))}"/>`;
    body += `<text class="axis" x="${L - 6}" y="${fmt(y(v) + 4)}" text-anchor="end">${fmt(v)}</text>`;
  }
  for (const v of [0, 0.5, 1]) body += `<text class="axis" x="${W - R + 6}" y="${fmt(yRate(v) + 4)}">${v * 100}%</text>`;
  const points: string[] = [];
  days.forEach((d, i) => {
    const x = L + i * step;
    const h = T + plotH - y(d.runs);
    body += `<rect class="bar" x="${fmt(x + step * 0.15)}" y="${fmt(y(d.runs))}" width="${fmt(step * 0.7)}" height="${fmt(h)}"><title>${esc(d.day)}: ${d.runs} run${d.runs === 1 ? "" : "s"}${d.successRate === null ? "" : `, ${Math.round(d.successRate * 100)}% succeeded`}</title></rect>`;
    if (i % Math.ceil(days.length / 7) === 0)
      body += `<text class="axis" x="${fmt(x + step / 2)}" y="${H - B + 16}" text-anchor="middle">${esc(d.day.slice(5))}</text>`;
    if (d.successRate !== null) points.push(`${fmt(x + step / 2)},${fmt(yRate(d.successRate))}`);
  });
  if (points.length > 1) body += `<polyline class="rate" fill="none" points="${points.join(" ")}"/>`;
  for (const p of points) {
    const [px, py] = p.split(",");
    body += `<circle class="rate-dot" cx="${px}" cy="${py}" r="3.5"/>`;
  }
  body += `<rect class="key k-bar" x="${L}" y="${H - 16}" width="14" height="10"/><text class="legend" x="${L + 20}" y="${H - 7}">runs per day (left axis)</text>`;
  body += `<circle class="key k-rate" cx="${L + 207}" cy="${H - 11}" r="4"/><text class="legend" x="${L + 216}" y="${H - 7}">success rate (right axis)</text>`;
  const total = days.reduce((n, d) => n + d.runs, 0);
  return frame(
    W,
    H,
    `${templateId}: runs and success rate per day`,
    `${total} runs from ${days[0]?.day ?? ""} to ${days.at(-1)?.day ?? ""}.`,
    body,
  );
}

export type StepTiming = { nodeId: string; p50Ms: number | null; p95Ms: number | null };

/** Two horizontal bars per step: the median and the 95th percentile of its duration. */
export function stepChart(templateId: string, steps: readonly StepTiming[]): string {
  const W = 640;
  const L = 170;
  const R = 70;
  const rowH = 30;
  const T = 8;
  const H = T + steps.length * rowH + 30;
  const max = Math.max(1, ...steps.flatMap((s) => [s.p50Ms ?? 0, s.p95Ms ?? 0]));
  const plotW = W - L - R;
  const w = (ms: number | null) => ((ms ?? 0) / max) * plotW;
  let body = "";
  steps.forEach((s, i) => {
    const top = T + i * rowH;
    body += `<text class="label" x="${L - 8}" y="${top + 17}" text-anchor="end">${esc(s.nodeId.length > 22 ? `${s.nodeId.slice(0, 21)}…` : s.nodeId)}</text>`;
    body += `<rect class="p50" x="${L}" y="${top + 3}" width="${fmt(w(s.p50Ms))}" height="10"><title>${esc(s.nodeId)} p50 ${fmtMs(s.p50Ms)}</title></rect>`;
    body += `<rect class="p95" x="${L}" y="${top + 15}" width="${fmt(w(s.p95Ms))}" height="10"><title>${esc(s.nodeId)} p95 ${fmtMs(s.p95Ms)}</title></rect>`;
    body += `<text class="axis" x="${fmt(L + w(s.p95Ms) + 6)}" y="${top + 24}">${fmtMs(s.p95Ms)}</text>`;
  });
  body += `<rect class="key k-p50" x="${L}" y="${H - 18}" width="14" height="10"/><text class="legend" x="${L + 20}" y="${H - 9}">p50 (median)</text>`;
  body += `<rect class="key k-p95" x="${L + 120}" y="${H - 18}" width="14" height="10"/><text class="legend" x="${L + 140}" y="${H - 9}">p95</text>`;
  return frame(W, H, `${templateId}: step durations`, `Median and 95th percentile duration of each of ${steps.length} steps.`, body);
}

function fmtMs(ms: number | null): string {
  if (ms === null) return "–";
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** Nodes as rows, attempts as bars over time; backoff before a retry hatched, waits for a person striped. */
export function timelineChart(t: Timeline): string {
  const W = 900;
  const L = 190;
  const R = 20;
  const rowH = 34;
  const T = 26;
  const H = T + t.rows.length * rowH + 34;
  const span = Math.max(1, t.end - t.start);
  const plotW = W - L - R;
  const x = (at: number) => L + (Math.min(Math.max(at, t.start), t.end) - t.start) * (plotW / span);
  let body = `<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="3" height="6" class="hatch"/></pattern></defs>`;
  for (let i = 0; i <= 4; i++) {
    const at = t.start + (span * i) / 4;
    const gx = fmt(x(at));
    body += `<line class="grid" x1="${gx}" x2="${gx}" y1="${T - 6}" y2="${H - 30}"/>`;
    body += `<text class="axis" x="${gx}" y="${T - 10}" text-anchor="${i === 0 ? "start" : i === 4 ? "end" : "middle"}">+${fmtMs(span * (i / 4))}</text>`;
  }
  t.rows.forEach((row, i) => {
    const top = T + i * rowH;
    const label = row.title.length > 26 ? `${row.title.slice(0, 25)}…` : row.title;
    body += `<text class="label" x="${L - 8}" y="${top + 20}" text-anchor="end">${esc(label)}</text>`;
    row.attempts.forEach((a, n) => {
      const bw = Math.max(2, x(a.to) - x(a.from));
      const last = n === row.attempts.length - 1;
      const cls = last ? `node s-${row.status}` : "node s-failed";
      body += `<rect class="${cls}" x="${fmt(x(a.from))}" y="${top + 6}" width="${fmt(bw)}" height="20" rx="3"><title>${esc(row.title)}: attempt ${n + 1}, ${fmtMs(a.to - a.from)}${last ? ` (${esc(row.status)})` : " (failed, retried)"}</title></rect>`;
    });
    for (const r of row.retries) {
      const bw = Math.max(2, x(r.to) - x(r.from));
      body += `<rect class="retry" x="${fmt(x(r.from))}" y="${top + 6}" width="${fmt(bw)}" height="20" fill="url(#hatch)"><title>${esc(row.title)}: waiting ${fmtMs(r.to - r.from)} before a retry${r.error ? ` after: ${esc(r.error.slice(0, 120))}` : ""}</title></rect>`;
      body += `<text class="marker" x="${fmt(x(r.from))}" y="${top + 4}" text-anchor="middle">↻</text>`;
    }
    for (const w of row.waits) {
      const bw = Math.max(2, x(w.to) - x(w.from));
      body += `<rect class="wait" x="${fmt(x(w.from))}" y="${top + 6}" width="${fmt(bw)}" height="20" rx="3"><title>${esc(row.title)}: waited ${fmtMs(w.to - w.from)} for a person</title></rect>`;
      // A pause sign drawn as two bars (the glyph is missing from many server fonts).
      body += `<rect class="pause" x="${fmt(x(w.from) + 5)}" y="${top + 10}" width="3" height="12"/><rect class="pause" x="${fmt(x(w.from) + 10)}" y="${top + 10}" width="3" height="12"/>`;
    }
  });
  const y = H - 20;
  body += `<rect class="key k-attempt" x="${L}" y="${y}" width="14" height="12"/><text class="legend" x="${L + 20}" y="${y + 10}">attempt</text>`;
  body += `<rect class="key k-retry" x="${L + 90}" y="${y}" width="14" height="12" fill="url(#hatch)"/><text class="legend" x="${L + 110}" y="${y + 10}">backoff before a retry (↻)</text>`;
  body += `<rect class="key k-wait" x="${L + 290}" y="${y}" width="14" height="12"/><text class="legend" x="${L + 310}" y="${y + 10}">waiting for a person</text>`;
  return frame(
    W,
    H,
    "Execution timeline",
    `${t.rows.length} steps over ${fmtMs(span)}; retries: ${t.rows.reduce((n, r) => n + r.retries.length, 0)}; waits: ${t.rows.reduce((n, r) => n + r.waits.length, 0)}.`,
    body,
  );
}
