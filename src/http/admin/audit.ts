// The audit log page: filters (teacher, action, since) and a table of entries, newest first. Pure: data in,
// page out; every value is escaped by `html`. Entries hold ids and counts only, never content.
import { AUDIT_ACTIONS, type AuditEntry, auditSummary } from "../../privacy/index.ts";
import { formatTime, html, page, raw } from "./html.ts";

export type AuditFilters = { user?: string; action?: string; since?: string; limit: number };

export function auditPage(d: { csrf: string; filters: AuditFilters; entries: AuditEntry[]; problem?: string }): string {
  const f = d.filters;
  const option = (value: string, label: string, selected: boolean) =>
    html`<option value="${value}"${selected ? raw(" selected") : ""}>${label}</option>`;
  const rows = d.entries.map(
    (e) => html`<tr>
<td>${formatTime(e.at)}</td><td>${e.action}${e.dryRun ? html` <span class="muted">(dry run)</span>` : ""}</td><td><code>${e.actor}</code></td>
<td>${e.teacher ?? "–"}</td><td>${auditSummary(e)}</td></tr>`,
  );
  return page({
    title: "Audit log",
    current: "/admin/audit",
    csrf: d.csrf,
    body: html`<form method="get" action="/admin/audit" class="filters card" role="search" aria-label="Filter the audit log">
<div><label for="a-user">Teacher or actor id</label><input id="a-user" name="user" value="${f.user ?? ""}" maxlength="200"></div>
<div><label for="a-action">Action</label><select id="a-action" name="action">${option("", "Any action", !f.action)}${AUDIT_ACTIONS.map((a) => option(a, a, f.action === a))}</select></div>
<div><label for="a-since">Since</label><input id="a-since" name="since" value="${f.since ?? ""}" maxlength="40" placeholder="7d or 2026-12-01"></div>
<div class="actions"><button type="submit">Filter</button> <a href="/admin/audit">Clear</a></div>
</form>
${d.problem ? html`<p class="error" role="alert">${d.problem}</p>` : ""}
<p class="muted" aria-live="polite">${d.entries.length} entr${d.entries.length === 1 ? "y" : "ies"} shown, newest first (at most ${f.limit}). API use is recorded once per key, route, execution and minute.</p>
${
  d.entries.length === 0
    ? html`<p class="empty">No audit entries match.</p>`
    : html`<div class="table-wrap"><table id="audit">
<caption class="sr-only">Audit entries, newest first</caption>
<thead><tr><th scope="col">When (UTC)</th><th scope="col">Action</th><th scope="col">Who</th><th scope="col">Teacher</th><th scope="col">What</th></tr></thead>
<tbody>${rows}</tbody></table></div>`
}`,
  });
}
