// The dashboard's pure parts and its HTTP edges without a browser: timeline spans from events, per-day
// buckets, escaping, part statuses in the health list, the page when no key is configured, and cookies.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EngineEvent, ExecutionRecord, ExecutionView } from "../../src/engine/records.ts";
import { dailyStats } from "../../src/http/admin/daily.ts";
import { html } from "../../src/http/admin/html.ts";
import { overviewPage } from "../../src/http/admin/pages.ts";
import { buildTimeline } from "../../src/http/admin/timeline.ts";
import { type Api, KEY, startApi } from "../http/harness.ts";

const T0 = Date.UTC(2026, 10, 20, 9, 0, 0);
const ev = (seq: number, type: EngineEvent["type"], at: number, nodeId?: string, data?: Record<string, unknown>): EngineEvent => ({
  executionId: "x",
  seq,
  type,
  at: T0 + at,
  ...(nodeId ? { nodeId } : {}),
  ...(data ? { data } : {}),
});

describe("buildTimeline", () => {
  it("turns attempts, backoff and a wait for a person into spans", () => {
    const view = {
      id: "x",
      createdAt: T0,
      startedAt: T0,
      endedAt: T0 + 1000,
      plan: [
        { id: "a", title: "Fetch", kind: "transform", auxiliary: false },
        { id: "h", title: "Review", kind: "human", auxiliary: false },
      ],
      nodes: [
        { nodeId: "a", kind: "transform", status: "completed", attempts: 2, startedAt: T0 },
        { nodeId: "h", kind: "human", status: "completed", attempts: 1, startedAt: T0 + 400 },
      ],
    } as unknown as ExecutionView;
    const t = buildTimeline(
      view,
      [
        ev(1, "execution.started", 0),
        ev(2, "node.started", 0, "a", { attempt: 1 }),
        ev(3, "node.retrying", 100, "a", { attempt: 1, delayMs: 200, error: { code: "busy", message: "503" } }),
        ev(4, "node.started", 300, "a", { attempt: 2 }),
        ev(5, "node.completed", 400, "a"),
        ev(6, "execution.waiting", 400, "h"),
        ev(7, "execution.resumed", 900, "h"),
        ev(8, "node.completed", 900, "h"),
      ],
      T0 + 5000,
    );
    expect(t.end - t.start).toBe(1000);
    const [a, h] = t.rows;
    expect(a?.attempts.map((s) => [s.from - T0, s.to - T0])).toEqual([
      [0, 100],
      [300, 400],
    ]);
    expect(a?.retries).toEqual([{ from: T0 + 100, to: T0 + 300, error: "503" }]);
    expect(h?.attempts).toEqual([]);
    expect(h?.waits.map((s) => [s.from - T0, s.to - T0])).toEqual([[400, 900]]);
  });
});

describe("dailyStats", () => {
  it("counts top-level runs per template per UTC day and the success rate of those finished", () => {
    const rec = (templateId: string, at: number, status: ExecutionRecord["status"], parent = false) =>
      ({
        id: `${at}`,
        templateId,
        createdAt: at,
        status,
        ...(parent ? { parent: { executionId: "p", nodeId: "n" } } : {}),
      }) as ExecutionRecord;
    const day = 86_400_000;
    const now = T0 + 2 * day;
    const stats = dailyStats(
      [
        rec("plan", T0, "completed"),
        rec("plan", T0 + 1000, "failed"),
        rec("plan", T0 + 2000, "running"),
        rec("plan", T0 + 3000, "completed", true),
        rec("plan", T0 - 10 * day, "completed"),
        rec("quiz", now, "cancelled"),
      ],
      now,
      3,
    );
    expect(stats.get("plan")?.map((d) => [d.day, d.runs, d.successRate])).toEqual([
      ["2026-11-20", 3, 0.5],
      ["2026-11-21", 0, null],
      ["2026-11-22", 0, null],
    ]);
    expect(stats.get("quiz")?.at(-1)).toMatchObject({ runs: 1, cancelled: 1, successRate: 0 });
  });
});

describe("pages", () => {
  it("escapes every value, including inside attributes", () => {
    expect(html`<a title="${'"><script>'}">${"<b>&"}</a>`.text).toBe('<a title="&quot;&gt;&lt;script&gt;">&lt;b&gt;&amp;</a>');
  });

  it("names a part that is still connecting, with the readiness board's sentence", () => {
    const text = overviewPage({
      csrf: "t",
      checks: [
        { name: "store", ok: true },
        { name: "slack", ok: false, state: "retrying", detail: "Slack is not reachable (network); retrying in 4 s" },
      ],
      recent: [],
      stats: [],
      counts: { running: 0, waiting: 0, failedToday: 0 },
      now: T0,
    });
    expect(text).toContain("<strong>Slack</strong>: retrying");
    expect(text).toContain("Slack is not reachable (network); retrying in 4 s");
    expect(text).toContain("Something needs attention");
  });
});

describe("the dashboard's HTTP edges", () => {
  let api: Api;
  let off: Api;
  beforeAll(async () => {
    api = await startApi();
    off = await startApi({ api: false });
  });
  afterAll(async () => {
    await api?.close();
    await off?.close();
  });

  it("explains how to turn it on when no API key is configured", async () => {
    const res = await fetch(`${off.base}/admin`);
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await res.text()).toContain("Set STAFFROOM_API_KEYS");
  });

  it("sets the session cookie Secure behind an HTTPS proxy, and refuses a sign-in without the form's token", async () => {
    const login = await fetch(`${api.base}/admin/login`, { headers: { "x-forwarded-proto": "https" } });
    const loginCookie = login.headers.get("set-cookie") ?? "";
    expect(loginCookie).toMatch(/^staffroom_login=[\w-]{40,}; Path=\/admin; HttpOnly; SameSite=Strict; Max-Age=3600; Secure$/);
    const token = /name="csrf" value="([\w-]+)"/.exec(await login.text())?.[1];
    const post = (body: string, cookie: string) =>
      fetch(`${api.base}/admin/login`, {
        method: "POST",
        redirect: "manual",
        headers: { "content-type": "application/x-www-form-urlencoded", cookie, "x-forwarded-proto": "https" },
        body,
      });
    const pair = loginCookie.split(";")[0] ?? "";
    expect((await post(`key=${KEY}`, pair)).status).toBe(403);
    expect((await post(`key=${KEY}&csrf=${token}`, "")).status).toBe(403);
    const ok = await post(`key=${KEY}&csrf=${token}`, pair);
    expect(ok.status).toBe(303);
    const cookies = ok.headers.getSetCookie();
    expect(cookies[0]).toMatch(/^staffroom_admin=[\w-]{40,}; Path=\/admin; HttpOnly; SameSite=Strict; Max-Age=28800; Secure$/);
    expect(cookies[1]).toMatch(/^staffroom_login=; .*Max-Age=0/);
  });

  it("refuses an oversized form with a page, not a stack trace", async () => {
    const res = await fetch(`${api.base}/admin/login`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `key=${"k".repeat(10_000)}`,
    });
    expect(res.status).toBe(413);
    expect(await res.text()).toContain("larger than 4 KiB");
  });
});
