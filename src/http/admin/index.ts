// The admin dashboard at /admin: sign-in with an API key, a cookie session (HttpOnly, SameSite=Strict, a
// CSRF token on every POST), and server-rendered pages over EngineApi reads. No script, no build step.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { EngineApi } from "../../engine/api.ts";
import { ExecutionStatus } from "../../engine/records.ts";
import type { Logger } from "../../log.ts";
import { AUDIT_ACTIONS, type AuditAction, type AuditLog, parseSince } from "../../privacy/index.ts";
import type { PartStatus } from "../../readiness.ts";
import type { Template } from "../../templates/types.ts";
import { EXECUTION_ID, pathParam } from "../api/params.ts";
import type { ApiKeys } from "../auth.ts";
import { readFormBody } from "../body.ts";
import { HttpProblem } from "../problem.ts";
import { ADMIN_CSS } from "./assets.ts";
import { type AuditFilters, auditPage } from "./audit.ts";
import { dailyStats } from "./daily.ts";
import {
  type Catalog,
  executionPage,
  executionsPage,
  type HealthCheck,
  type ListFilters,
  loginPage,
  messagePage,
  overviewPage,
  statsPage,
  type TemplateRow,
  templatesPage,
} from "./pages.ts";
import {
  type AdminSession,
  AdminSessions,
  cookie,
  csrfMatches,
  isHttps,
  LOGIN_COOKIE,
  newLoginToken,
  parseCookies,
  SESSION_COOKIE,
} from "./session.ts";
import { SignInPause } from "./signin-pause.ts";
import { buildTimeline } from "./timeline.ts";

export type { Catalog } from "./pages.ts";

export type AdminOptions = {
  engine: EngineApi;
  keys: ApiKeys;
  templates: ReadonlyMap<string, Template>;
  /** Loaded standards sets and the problems found loading them and the admin templates. */
  catalog: () => Catalog;
  /** The same named checks as /readyz: plain booleans or part statuses (connecting, retrying, ...). */
  health: () => Promise<Record<string, boolean | PartStatus>>;
  logger: Logger;
  /** When the store's retention sweep last finished (epoch ms; undefined before its first run). */
  lastSweep?: () => Promise<number | undefined>;
  /** Sign-ins (success and failure) are audited here, and the audit page reads it. */
  audit?: Pick<AuditLog, "record" | "list">;
  now?: () => number;
  sessionTtlMs?: number;
};

const FORM_MAX_BYTES = 4 * 1024;
const STATS_DAYS = 14;
const STATS_SAMPLE = 5_000;
const LIMITS = [25, 50, 100, 200];
const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "x-frame-options": "DENY",
  "referrer-policy": "same-origin",
  "cache-control": "no-store",
};

function sendHtml(res: ServerResponse, status: number, text: string, headers: Record<string, string | string[]> = {}): void {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    ...headers,
    "content-type": "text/html; charset=utf-8",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

function redirect(res: ServerResponse, to: string, headers: Record<string, string | string[]> = {}): void {
  res.writeHead(303, { ...SECURITY_HEADERS, ...headers, location: to, "content-length": 0 });
  res.end();
}

function healthChecks(parts: Record<string, boolean | PartStatus>): HealthCheck[] {
  return Object.entries(parts).map(([name, part]) => {
    if (typeof part === "boolean") return { name, ok: part };
    const attempts = part.attempts && part.attempts > 1 ? `, attempt ${part.attempts}` : "";
    return {
      name,
      ok: part.ready,
      state: part.state,
      detail: `${part.detail ?? ""}${attempts && part.detail ? attempts : ""}`.trim() || undefined,
    };
  });
}

/** A form POST must come from our own pages: no Origin (older browsers) or the same host. */
function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  const host = req.headers.host;
  return host !== undefined && (origin === `http://${host}` || origin === `https://${host}`);
}

export function createAdmin(options: AdminOptions) {
  const { engine, logger } = options;
  const now = options.now ?? Date.now;
  const sessions = new AdminSessions(options.sessionTtlMs, now);
  const pause = new SignInPause(now);

  const sessionOf = (req: IncomingMessage): { id: string; session: AdminSession } | undefined => {
    const id = parseCookies(req.headers.cookie)[SESSION_COOKIE];
    const session = sessions.get(id);
    return session && id ? { id, session } : undefined;
  };

  async function showLogin(
    req: IncomingMessage,
    res: ServerResponse,
    status = 200,
    error?: string,
    headers: Record<string, string> = {},
  ): Promise<void> {
    const loginToken = newLoginToken();
    sendHtml(res, status, loginPage({ loginToken, ...(error ? { error } : {}) }), {
      ...headers,
      "set-cookie": cookie(LOGIN_COOKIE, loginToken, { maxAgeSeconds: 3600, secure: isHttps(req) }),
    });
  }

  async function login(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = await readFormBody(req, FORM_MAX_BYTES);
    const expected = parseCookies(req.headers.cookie)[LOGIN_COOKIE];
    if (!sameOrigin(req) || !csrfMatches(expected, form.csrf)) {
      await showLogin(req, res, 403, "The sign-in form had expired. Enter your key again.");
      return;
    }
    const address = req.socket.remoteAddress ?? "unknown";
    // During a pause no key is checked at all: the right key is refused too, so guessing cannot go on.
    const paused = pause.check(address);
    if (paused.paused) {
      logger.warn({ address, scope: paused.scope }, "admin: sign-in refused during a pause after wrong keys");
      const who = paused.scope === "global" ? "to this dashboard" : "from this address";
      await showLogin(
        req,
        res,
        429,
        `Sign-in is paused after too many wrong keys ${who}; wait ${paused.retryAfterSeconds} seconds and try again.`,
        { "retry-after": String(paused.retryAfterSeconds) },
      );
      return;
    }
    const { keyId, scope } = options.keys.checkToken(form.key);
    if (!keyId || scope === "teacher") {
      await audited({ action: "signin-failed", actor: keyId ? `user:${keyId}` : `address:${address}` });
    }
    if (keyId && scope === "teacher") {
      // A teacher key sees one teacher's executions; the dashboard shows every teacher's.
      logger.warn({ keyId }, "admin: sign-in with a teacher key refused");
      await showLogin(
        req,
        res,
        403,
        "That key belongs to one teacher; the dashboard needs an admin key (admin:<key> in STAFFROOM_API_KEYS).",
      );
      return;
    }
    if (!keyId) {
      pause.fail(address);
      logger.warn({ address }, "admin: sign-in with a wrong key refused");
      await showLogin(req, res, 401, "That key is not one of STAFFROOM_API_KEYS. Check it and try again.");
      return;
    }
    const { id } = sessions.create(keyId, scope);
    logger.info({ keyId }, "admin: signed in");
    await audited({ action: "signin", actor: `${scope === "admin" ? "admin" : "api"}:${keyId}` });
    const secure = isHttps(req);
    redirect(res, "/admin", {
      "set-cookie": [
        cookie(SESSION_COOKIE, id, { maxAgeSeconds: sessions.ttlSeconds, secure }),
        cookie(LOGIN_COOKIE, "", { maxAgeSeconds: 0, secure }),
      ],
    });
  }

  /** Writes an audit entry; a failing log costs a warning, never the sign-in page. */
  async function audited(entry: { action: AuditAction; actor: string }): Promise<void> {
    await options.audit?.record(entry).catch((error: unknown) => logger.warn({ err: error }, "admin: writing the audit entry failed"));
  }

  async function auditLog(res: ServerResponse, url: URL, session: AdminSession): Promise<void> {
    if (session.scope !== "admin" || !options.audit) {
      sendHtml(
        res,
        403,
        messagePage(
          "Admins only",
          options.audit
            ? "The audit log needs an admin key; sign out and sign in again with a key listed as admin:<key> in STAFFROOM_API_KEYS."
            : "This server keeps no audit log.",
          session.csrf,
        ),
      );
      return;
    }
    const q = url.searchParams;
    const problems: string[] = [];
    const filters: AuditFilters = { limit: 200 };
    const user = (q.get("user") ?? "").trim();
    if (user) {
      if (user.length <= 200) filters.user = user;
      else problems.push("An id is at most 200 characters; showing everyone.");
    }
    const action = q.get("action") ?? "";
    if (action) {
      if ((AUDIT_ACTIONS as readonly string[]).includes(action)) filters.action = action;
      else problems.push("That action does not exist; showing every action.");
    }
    const sinceText = (q.get("since") ?? "").trim();
    const since = sinceText ? parseSince(sinceText, now()) : undefined;
    if (sinceText && since === undefined)
      problems.push('Give "since" as a time back (7d, 24h) or a date (2026-12-01); showing every time.');
    else if (sinceText) filters.since = sinceText;
    const entries = await options.audit.list({
      ...(filters.user ? { teacher: filters.user } : {}),
      ...(filters.action ? { action: filters.action as AuditAction } : {}),
      ...(since !== undefined ? { since } : {}),
      limit: filters.limit,
    });
    sendHtml(res, 200, auditPage({ csrf: session.csrf, filters, entries, ...(problems.length ? { problem: problems.join(" ") } : {}) }));
  }

  /** Every POST past sign-in: same origin and the session's own CSRF token, compared in constant time. */
  async function checkedForm(
    req: IncomingMessage,
    res: ServerResponse,
    session: AdminSession,
  ): Promise<Record<string, string> | undefined> {
    const form = await readFormBody(req, FORM_MAX_BYTES);
    if (!sameOrigin(req) || !csrfMatches(session.csrf, form.csrf)) {
      logger.warn("admin: form without a valid CSRF token refused");
      sendHtml(
        res,
        403,
        messagePage("Form expired", "This form is no longer valid. Go back, reload the page and try again.", session.csrf),
      );
      return undefined;
    }
    return form;
  }

  async function overview(res: ServerResponse, session: AdminSession): Promise<void> {
    const startOfDay = new Date(now()).setUTCHours(0, 0, 0, 0);
    const [health, recent, stats, running, waiting, failed, lastSweep] = await Promise.all([
      options.health().catch(() => ({ readiness: false })),
      engine.list({ limit: 10 }),
      engine.stats(),
      engine.list({ status: ["running"], limit: 1000 }),
      engine.list({ status: ["waiting"], limit: 1000 }),
      engine.list({ status: ["failed"], limit: 1000 }),
      options.lastSweep?.().catch(() => undefined),
    ]);
    sendHtml(
      res,
      200,
      overviewPage({
        csrf: session.csrf,
        checks: healthChecks(health),
        recent,
        stats,
        counts: { running: running.length, waiting: waiting.length, failedToday: failed.filter((r) => r.createdAt >= startOfDay).length },
        ...(options.lastSweep ? { retention: { lastSweep } } : {}),
        now: now(),
      }),
    );
  }

  function templateIds(): string[] {
    return [...new Set([...options.templates.keys(), ...engine.workflows().map((w) => w.definition.id)])].sort();
  }

  async function executions(res: ServerResponse, url: URL, session: AdminSession): Promise<void> {
    const q = url.searchParams;
    const problems: string[] = [];
    const filters: ListFilters = { limit: 50 };
    const template = q.get("template") ?? "";
    if (template) {
      if (templateIds().includes(template)) filters.template = template;
      else problems.push("That template is not loaded; showing every template.");
    }
    const status = q.get("status") ?? "";
    if (status) {
      const parsed = ExecutionStatus.safeParse(status);
      if (parsed.success) filters.status = parsed.data;
      else problems.push("That status does not exist; showing every status.");
    }
    const user = (q.get("user") ?? "").trim();
    if (user) {
      if (user.length <= 200) filters.user = user;
      else problems.push("A teacher id is at most 200 characters; showing every teacher.");
    }
    const limit = Number(q.get("limit") ?? 50);
    if (LIMITS.includes(limit)) filters.limit = limit;
    const records = await engine.list({
      ...(filters.template ? { templateId: filters.template } : {}),
      ...(filters.status ? { status: [filters.status as ExecutionStatus] } : {}),
      ...(filters.user ? { userId: filters.user } : {}),
      limit: filters.limit,
    });
    sendHtml(
      res,
      200,
      executionsPage({
        csrf: session.csrf,
        filters,
        templates: templateIds(),
        statuses: ExecutionStatus.options,
        records,
        now: now(),
        ...(problems.length ? { problem: problems.join(" ") } : {}),
      }),
    );
  }

  async function execution(res: ServerResponse, id: string, session: AdminSession, flash?: string): Promise<void> {
    const view = await engine.get(id);
    if (!view) {
      sendHtml(
        res,
        404,
        messagePage("Not found", "No execution with that id exists; it may have expired after the retention period.", session.csrf),
      );
      return;
    }
    const events = await engine.events(id);
    sendHtml(
      res,
      200,
      executionPage({ csrf: session.csrf, view, events, timeline: buildTimeline(view, events, now()), ...(flash ? { flash } : {}) }),
    );
  }

  async function stats(res: ServerResponse, session: AdminSession): Promise<void> {
    const [records, all] = await Promise.all([engine.list({ limit: STATS_SAMPLE }), engine.stats()]);
    sendHtml(
      res,
      200,
      statsPage({
        csrf: session.csrf,
        days: STATS_DAYS,
        daily: dailyStats(records, now(), STATS_DAYS),
        stats: all,
        sampled: records.length,
      }),
    );
  }

  function templates(res: ServerResponse, session: AdminSession): void {
    const rows: TemplateRow[] = [...options.templates.values()].map((t) => ({
      id: t.id,
      title: t.title,
      command: t.command,
      source: !t.source || t.source === "builtin" ? "built-in" : t.source,
      steps: t.workflow.definition.nodes.length,
      studentData: t.studentData,
    }));
    sendHtml(res, 200, templatesPage({ csrf: session.csrf, templates: rows, catalog: options.catalog() }));
  }

  /** Serves everything under /admin; `label` gets the route template for logs and metrics. */
  async function handle(req: IncomingMessage, res: ServerResponse, url: URL, label: { route: string }): Promise<void> {
    const path = url.pathname.replace(/\/+$/, "") || "/admin";
    const method = req.method ?? "GET";
    const isGet = method === "GET" || method === "HEAD";
    try {
      if (path === "/admin/assets/admin.css") {
        label.route = path;
        res.writeHead(200, {
          "content-type": "text/css; charset=utf-8",
          "cache-control": "max-age=300",
          "x-content-type-options": "nosniff",
        });
        res.end(method === "HEAD" ? undefined : ADMIN_CSS);
        return;
      }
      if (path === "/admin/login") {
        label.route = path;
        if (isGet) {
          if (sessionOf(req)) redirect(res, "/admin");
          else await showLogin(req, res);
          return;
        }
        if (method === "POST") return await login(req, res);
        sendHtml(res, 405, messagePage("Not allowed", "Use the sign-in form."), { allow: "GET, POST" });
        return;
      }
      const current = sessionOf(req);
      if (!current) {
        label.route = "/admin/*";
        if (isGet) redirect(res, "/admin/login");
        else sendHtml(res, 403, messagePage("Signed out", "Your session has ended. Sign in again, then repeat what you were doing."));
        return;
      }
      const { session } = current;
      if (path === "/admin/logout" && method === "POST") {
        label.route = path;
        if (!(await checkedForm(req, res, session))) return;
        sessions.destroy(current.id);
        redirect(res, "/admin/login", { "set-cookie": cookie(SESSION_COOKIE, "", { maxAgeSeconds: 0, secure: isHttps(req) }) });
        return;
      }
      const cancel = /^\/admin\/executions\/([^/]+)\/cancel$/.exec(path);
      if (cancel && method === "POST") {
        label.route = "/admin/executions/{id}/cancel";
        const id = pathParam("id", cancel[1] ?? "", EXECUTION_ID);
        if (!(await checkedForm(req, res, session))) return;
        const done = await engine.cancel(id);
        logger.info({ executionId: id, keyId: session.keyId, cancelled: done }, "admin: cancel");
        redirect(res, `/admin/executions/${encodeURIComponent(id)}?flash=${done ? "cancelled" : "finished"}`);
        return;
      }
      if (!isGet) {
        label.route = "/admin/*";
        sendHtml(res, 405, messagePage("Not allowed", "That page cannot be changed from here.", session.csrf), { allow: "GET" });
        return;
      }
      const detail = /^\/admin\/executions\/([^/]+)$/.exec(path);
      if (path === "/admin") {
        label.route = "/admin";
        await overview(res, session);
      } else if (path === "/admin/executions") {
        label.route = path;
        await executions(res, url, session);
      } else if (detail) {
        label.route = "/admin/executions/{id}";
        const id = pathParam("id", detail[1] ?? "", EXECUTION_ID);
        const flag = url.searchParams.get("flash");
        const flash =
          flag === "cancelled" ? "Cancelled." : flag === "finished" ? "It had already finished; nothing was cancelled." : undefined;
        await execution(res, id, session, flash);
      } else if (path === "/admin/stats") {
        label.route = path;
        await stats(res, session);
      } else if (path === "/admin/templates") {
        label.route = path;
        templates(res, session);
      } else if (path === "/admin/audit") {
        label.route = path;
        await auditLog(res, url, session);
      } else {
        label.route = "/admin/*";
        sendHtml(res, 404, messagePage("Not found", "There is no admin page here.", session.csrf));
      }
    } catch (error) {
      if (!(error instanceof HttpProblem) || res.headersSent) throw error;
      const headers: Record<string, string> = error.status === 413 ? { connection: "close" } : {};
      sendHtml(res, error.status, messagePage(error.status === 400 ? "Not valid" : "Refused", error.message), headers);
    }
  }

  return { handle };
}

/** What /admin answers when STAFFROOM_API_KEYS is empty: the dashboard signs in with those keys. */
export function sendAdminDisabled(res: ServerResponse): void {
  sendHtml(
    res,
    404,
    messagePage(
      "The dashboard is off",
      "The admin dashboard signs in with an API key, and none is configured. Set STAFFROOM_API_KEYS (for example to the output of openssl rand -hex 24) and restart staffroom.",
    ),
  );
}
