// The admin pages as pure renderers: data in, a full HTML page out (see html.ts for the frame and escaping).
import type { WorkflowStats } from "../../engine/api.ts";
import type { EngineEvent, ExecutionRecord, ExecutionView } from "../../engine/records.ts";
import { formatDuration } from "../../util/duration.ts";
import { dailyChart, stepChart, timelineChart } from "./charts.ts";
import type { DayStats } from "./daily.ts";
import { errorNote } from "./error-note.ts";
import { formatTime, type Html, html, page, raw, statusBadge } from "./html.ts";
import type { Timeline } from "./timeline.ts";

export type HealthCheck = { name: string; ok: boolean; state?: string; detail?: string | undefined };
export type TemplateRow = { id: string; title: string; command: string; source: string; steps: number; studentData: boolean };
export type StandardsRow = { dir: string; rows: number; frameworks: string[]; subjects: string[] };
export type Problem = { file: string; path: string; message: string };
export type Catalog = { standards: StandardsRow[]; problems: Problem[] };

const CHECK_NAMES: Record<string, string> = { store: "Store", slack: "Slack", discord: "Discord", console: "Console", http: "HTTP port" };
const checkName = (n: string) => CHECK_NAMES[n] ?? n.charAt(0).toUpperCase() + n.slice(1);

export function loginPage(opts: { loginToken: string; error?: string; status?: string }): string {
  return page({
    title: "Sign in",
    body: html`<section class="card narrow">
<p>Sign in with one of the API keys in <code>STAFFROOM_API_KEYS</code>. The key is checked once; after that a
session cookie keeps you signed in for 8 hours on this browser.</p>
${opts.error ? html`<p class="error" role="alert" id="login-error">${opts.error}</p>` : ""}
<form method="post" action="/admin/login">
<input type="hidden" name="csrf" value="${opts.loginToken}">
<label for="key">API key</label>
<input id="key" name="key" type="password" autocomplete="current-password" required${opts.error ? raw(' aria-describedby="login-error" aria-invalid="true"') : ""}>
<button type="submit">Sign in</button>
</form></section>`,
  });
}

export function messagePage(title: string, sentence: string, csrf?: string): string {
  return page({
    title,
    ...(csrf ? { csrf } : {}),
    body: html`<section class="card"><p>${sentence}</p><p><a href="/admin">Back to the overview</a></p></section>`,
  });
}

function healthList(checks: readonly HealthCheck[]): Html {
  if (checks.length === 0) return html`<p>No checks are configured.</p>`;
  return html`<ul class="health">${checks.map(
    (c) =>
      html`<li class="${c.ok ? "ok" : "bad"}"><span class="sym" aria-hidden="true">${c.ok ? "✓" : "✗"}</span> <strong>${checkName(c.name)}</strong>: ${c.ok ? "working" : c.state && c.state !== "failed" ? c.state : "not working"}${c.detail ? html` <span class="muted">(${c.detail})</span>` : ""}</li>`,
  )}</ul>`;
}

function executionTable(records: readonly ExecutionRecord[], now: number): Html {
  if (records.length === 0) return html`<p class="empty">No executions match.</p>`;
  return html`<div class="table-wrap"><table>
<caption class="sr-only">Executions, newest first</caption>
<thead><tr><th scope="col">Started</th><th scope="col">Template</th><th scope="col">Status</th><th scope="col">Teacher</th><th scope="col">Duration</th><th scope="col">Id</th></tr></thead>
<tbody>${records.map(
    (r) => html`<tr>
<td>${formatTime(r.createdAt)}</td><td>${r.templateId}</td><td>${statusBadge(r.status)}${r.error ? html`<br><span class="muted small"><code>${r.error.code}</code> ${errorNote(r.error).slice(0, 140)}</span>` : ""}</td>
<td>${r.userId}</td><td>${formatDuration(r.durationMs ?? (r.status === "running" ? now - (r.startedAt ?? r.createdAt) : undefined))}</td>
<td><a href="/admin/executions/${encodeURIComponent(r.id)}"><code>${r.id}</code></a></td></tr>`,
  )}</tbody></table></div>`;
}

export function overviewPage(d: {
  csrf: string;
  checks: HealthCheck[];
  recent: ExecutionRecord[];
  stats: WorkflowStats[];
  counts: { running: number; waiting: number; failedToday: number };
  /** The retention sweep's last run; absent when the server was not told. */
  retention?: { lastSweep: number | undefined };
  now: number;
}): string {
  const ready = d.checks.every((c) => c.ok);
  const sweep = d.retention?.lastSweep;
  return page({
    title: "Overview",
    current: "/admin",
    csrf: d.csrf,
    body: html`<div class="grid">
<section class="card" aria-labelledby="h-health"><h2 id="h-health">Health</h2>
<p class="${ready ? "ok" : "bad"} big">${ready ? "✓ Ready: everything is working." : "✗ Something needs attention."}</p>${healthList(d.checks)}</section>
<section class="card" aria-labelledby="h-now"><h2 id="h-now">Right now</h2>
<dl class="counts"><div><dt>Running</dt><dd>${d.counts.running}</dd></div><div><dt>Waiting for a teacher</dt><dd>${d.counts.waiting}</dd></div><div><dt>Failed today</dt><dd>${d.counts.failedToday}</dd></div></dl>${
      d.retention
        ? html`<p id="retention">Retention sweep: ${sweep === undefined ? "has not run yet" : html`last ran <time datetime="${new Date(sweep).toISOString()}">${new Date(sweep).toISOString().slice(0, 16).replace("T", " ")} UTC</time> (${formatDuration(Math.max(0, d.now - sweep))} ago)`}</p>`
        : ""
    }</section>
</div>
<section class="card" aria-labelledby="h-templates"><h2 id="h-templates">Templates</h2>${
      d.stats.length === 0
        ? html`<p class="empty">Nothing has run yet.</p>`
        : html`<div class="table-wrap"><table><thead><tr><th scope="col">Template</th><th scope="col">Runs</th><th scope="col">Success rate</th><th scope="col">Median time</th></tr></thead><tbody>${d.stats.map(
            (s) =>
              html`<tr><td><a href="/admin/executions?template=${encodeURIComponent(s.templateId)}">${s.templateId}</a></td><td>${s.runs}</td><td>${s.completed + s.failed + s.cancelled === 0 ? "–" : `${Math.round(s.successRate * 100)}%`}</td><td>${formatDuration(s.p50Ms)}</td></tr>`,
          )}</tbody></table></div>`
    }</section>
<section class="card" aria-labelledby="h-recent"><h2 id="h-recent">Latest executions</h2>${executionTable(d.recent, d.now)}<p><a href="/admin/executions">All executions →</a></p></section>`,
  });
}

export type ListFilters = { template?: string; status?: string; user?: string; limit: number };

export function executionsPage(d: {
  csrf: string;
  filters: ListFilters;
  templates: string[];
  statuses: readonly string[];
  records: ExecutionRecord[];
  now: number;
  problem?: string;
}): string {
  const f = d.filters;
  const option = (value: string, label: string, selected: boolean) =>
    html`<option value="${value}"${selected ? raw(" selected") : ""}>${label}</option>`;
  return page({
    title: "Executions",
    current: "/admin/executions",
    csrf: d.csrf,
    body: html`<form method="get" action="/admin/executions" class="filters card" role="search" aria-label="Filter executions">
<div><label for="f-template">Template</label><select id="f-template" name="template">${option("", "Any template", !f.template)}${d.templates.map((t) => option(t, t, f.template === t))}</select></div>
<div><label for="f-status">Status</label><select id="f-status" name="status">${option("", "Any status", !f.status)}${d.statuses.map((s) => option(s, s, f.status === s))}</select></div>
<div><label for="f-user">Teacher id</label><input id="f-user" name="user" value="${f.user ?? ""}" maxlength="200"></div>
<div><label for="f-limit">Show</label><select id="f-limit" name="limit">${[25, 50, 100, 200].map((n) => option(String(n), `${n} rows`, f.limit === n))}</select></div>
<div class="actions"><button type="submit">Filter</button> <a href="/admin/executions">Clear</a></div>
</form>
${d.problem ? html`<p class="error" role="alert">${d.problem}</p>` : ""}
<p class="muted" aria-live="polite">${d.records.length} execution${d.records.length === 1 ? "" : "s"} shown, newest first.</p>
${executionTable(d.records, d.now)}`,
  });
}

export function executionPage(d: { csrf: string; view: ExecutionView; timeline: Timeline; events: EngineEvent[]; flash?: string }): string {
  const v = d.view;
  const canCancel = v.status === "running" || v.status === "waiting" || v.status === "pending";
  const titles = new Map(v.plan.map((p) => [p.id, p.title]));
  return page({
    title: `${v.title}`,
    current: "/admin/executions",
    csrf: d.csrf,
    ...(d.flash ? { flash: d.flash } : {}),
    body: html`<section class="card"><dl class="facts">
<div><dt>Id</dt><dd><code>${v.id}</code></dd></div>
<div><dt>Template</dt><dd>${v.templateId} v${v.version}</dd></div>
<div><dt>Status</dt><dd>${statusBadge(v.status)}</dd></div>
<div><dt>Teacher</dt><dd>${v.userId}</dd></div>
<div><dt>Started</dt><dd>${formatTime(v.startedAt ?? v.createdAt)}</dd></div>
<div><dt>Duration</dt><dd>${formatDuration(v.durationMs)}</dd></div>
${v.provider ? html`<div><dt>Model</dt><dd>${v.provider}</dd></div>` : ""}
${v.parent ? html`<div><dt>Part of</dt><dd><a href="/admin/executions/${encodeURIComponent(v.parent.executionId)}">${v.parent.executionId}</a></dd></div>` : ""}
</dl>
${v.error ? html`<p class="error">✗ <code>${v.error.code}</code> ${errorNote(v.error)}</p>` : ""}
${
  canCancel
    ? html`<form method="post" action="/admin/executions/${encodeURIComponent(v.id)}/cancel" class="inline"><input type="hidden" name="csrf" value="${d.csrf}"><button type="submit" class="danger">Cancel this execution</button></form>`
    : ""
}</section>
<section class="card" aria-labelledby="h-timeline"><h2 id="h-timeline">Timeline</h2>${raw(timelineChart(d.timeline))}</section>
<section class="card" aria-labelledby="h-steps"><h2 id="h-steps">Steps</h2><div class="table-wrap"><table>
<thead><tr><th scope="col">Step</th><th scope="col">Status</th><th scope="col">Attempts</th><th scope="col">Started</th><th scope="col">Duration</th><th scope="col">Note</th></tr></thead>
<tbody>${v.nodes.map(
      (n) =>
        html`<tr><td>${titles.get(n.nodeId) ?? n.nodeId}<br><code class="small">${n.nodeId}</code></td><td>${statusBadge(n.status)}</td><td>${n.attempts}${n.attempts > 1 ? html` <span class="muted">(${n.attempts - 1} retr${n.attempts === 2 ? "y" : "ies"})</span>` : ""}</td>
<td>${n.startedAt ? `+${formatDuration(n.startedAt - d.timeline.start)}` : "–"}</td><td>${formatDuration(n.durationMs)}</td>
<td>${n.error ? html`<code>${n.error.code}</code> ${errorNote(n.error).slice(0, 200)}` : n.fallbackFrom ? `fallback for ${n.fallbackFrom}` : n.status === "waiting" ? "waiting for a person" : n.answeredBy ? `answered by ${n.answeredBy}` : ""}</td></tr>`,
    )}</tbody></table></div></section>
<section class="card" aria-labelledby="h-events"><h2 id="h-events">Events</h2><details><summary>${d.events.length} events</summary><ol class="events">${d.events.map(
      (e) =>
        html`<li><code>${formatTime(e.at)}</code> ${e.type}${e.nodeId ? html` · <code>${e.nodeId}</code>` : ""}${typeof e.data?.attempt === "number" ? ` · attempt ${e.data.attempt}` : ""}${e.sub ? " · (sub-workflow)" : ""}</li>`,
    )}</ol></details></section>`,
  });
}

export function statsPage(d: {
  csrf: string;
  days: number;
  daily: Map<string, DayStats[]>;
  stats: WorkflowStats[];
  sampled: number;
}): string {
  const ids = [...new Set([...d.daily.keys(), ...d.stats.map((s) => s.templateId)])].sort();
  return page({
    title: "Stats",
    current: "/admin/stats",
    csrf: d.csrf,
    body: html`<p class="muted">The last ${d.days} days (UTC), counted from the ${d.sampled} most recent executions; step timings cover every stored run.</p>
${ids.length === 0 ? html`<p class="empty card">Nothing has run yet.</p>` : ""}
${ids.map((id) => {
  const days = d.daily.get(id) ?? [];
  const stats = d.stats.find((s) => s.templateId === id);
  return html`<section class="card" aria-labelledby="h-${id}"><h2 id="h-${id}">${id}</h2>
<div class="charts">
<figure>${days.length ? raw(dailyChart(id, days)) : html`<p class="empty">No runs in this period.</p>`}<figcaption>Runs and success rate per day</figcaption></figure>
<figure>${stats?.nodes.length ? raw(stepChart(id, stats.nodes)) : html`<p class="empty">No step timings yet.</p>`}<figcaption>Step durations, p50 and p95</figcaption></figure>
</div>
<details><summary>The numbers as a table</summary><div class="table-wrap"><table><thead><tr><th scope="col">Day</th><th scope="col">Runs</th><th scope="col">Completed</th><th scope="col">Failed</th><th scope="col">Cancelled</th><th scope="col">Success rate</th></tr></thead><tbody>${days.map(
    (s) =>
      html`<tr><td>${s.day}</td><td>${s.runs}</td><td>${s.completed}</td><td>${s.failed}</td><td>${s.cancelled}</td><td>${s.successRate === null ? "–" : `${Math.round(s.successRate * 100)}%`}</td></tr>`,
  )}</tbody></table></div>
${
  stats
    ? html`<div class="table-wrap"><table><thead><tr><th scope="col">Step</th><th scope="col">Runs</th><th scope="col">p50</th><th scope="col">p95</th><th scope="col">Retries</th><th scope="col">Failure rate</th></tr></thead><tbody>${stats.nodes.map(
        (n) =>
          html`<tr><td><code>${n.nodeId}</code></td><td>${n.runs}</td><td>${formatDuration(n.p50Ms)}</td><td>${formatDuration(n.p95Ms)}</td><td>${n.retries}</td><td>${Math.round(n.failureRate * 100)}%</td></tr>`,
      )}</tbody></table></div>`
    : ""
}</details></section>`;
})}`,
  });
}

export function templatesPage(d: { csrf: string; templates: TemplateRow[]; catalog: Catalog }): string {
  const { standards, problems } = d.catalog;
  return page({
    title: "Templates and standards",
    current: "/admin/templates",
    csrf: d.csrf,
    body: html`<section class="card" aria-labelledby="h-problems"><h2 id="h-problems">Problems found at start-up</h2>${
      problems.length === 0
        ? html`<p class="ok">✓ No problems: every template file and standards row loaded.</p>`
        : html`<p class="bad">✗ ${problems.length} problem${problems.length === 1 ? "" : "s"}; fix the file and restart staffroom.</p><ul class="problems">${problems.map(
            (p) => html`<li><code>${p.file}</code>${p.path ? html` at <code>${p.path}</code>` : ""}: ${p.message}</li>`,
          )}</ul>`
    }</section>
<section class="card" aria-labelledby="h-tpl"><h2 id="h-tpl">Templates (${d.templates.length})</h2><div class="table-wrap"><table>
<thead><tr><th scope="col">Command</th><th scope="col">Title</th><th scope="col">Id</th><th scope="col">Steps</th><th scope="col">Source</th><th scope="col">Student data</th></tr></thead>
<tbody>${d.templates.map(
      (t) =>
        html`<tr><td><code>/${t.command}</code></td><td>${t.title}</td><td><code>${t.id}</code></td><td>${t.steps}</td><td>${t.source}</td><td>${t.studentData ? "yes" : "no"}</td></tr>`,
    )}</tbody></table></div></section>
<section class="card" aria-labelledby="h-std"><h2 id="h-std">Standards sets</h2>${
      standards.length === 0
        ? html`<p>No standards set is loaded (<code>STAFFROOM_STANDARDS_DIR=none</code>): plans name standards in words, without codes.</p>`
        : html`<div class="table-wrap"><table><thead><tr><th scope="col">Folder</th><th scope="col">Rows</th><th scope="col">Frameworks</th><th scope="col">Subjects</th></tr></thead><tbody>${standards.map(
            (s) =>
              html`<tr><td><code>${s.dir}</code></td><td>${s.rows}</td><td>${s.frameworks.join(", ")}</td><td>${s.subjects.join(", ")}</td></tr>`,
          )}</tbody></table></div>`
    }</section>`,
  });
}
