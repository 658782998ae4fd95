// The admin dashboard end to end in a real browser (Debian's chromium through playwright-core): sign-in with an
// API key, the cookie session and its CSRF protection, filters, one execution's timeline with a retry and a
// wait, the stats charts over several days, templates and standards with their problems, and surface health.
// Screenshots land in test-artifacts/admin/.
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { type Clock, systemClock, WorkflowDefinition } from "../../src/engine/index.ts";
import { StaffroomError } from "../../src/errors.ts";
import { type Api, KEY, startApi } from "../http/harness.ts";
import { ARTIFACTS, CHROMIUM_SETUP_MS, launchChromium } from "./browser.ts";

const DAY = 86_400_000;
let shift = 0;
const clock: Clock = { now: () => systemClock.now() - shift, sleep: systemClock.sleep };

let api: Api;
let chromium: Awaited<ReturnType<typeof launchChromium>>;
let context: BrowserContext;
let page: Page;
let timelineId = "";
let waitingId = "";
let flakyCalls = 0;

const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

beforeAll(async () => {
  api = await startApi({
    clock,
    api: {
      catalog: () => ({
        standards: [{ dir: "/srv/staffroom/standards/ohio", rows: 412, frameworks: ["CCSS", "NGSS"], subjects: ["Math", "Science"] }],
        problems: [{ file: "templates/field-trip.yaml", path: "nodes[2].next", message: 'names a step "sumary" that does not exist' }],
      }),
    },
  });
  // A step that fails twice (retryable) before it works, then waits for a person: the timeline's subject.
  api.engine.register({
    definition: WorkflowDefinition.parse({
      id: "flaky-review",
      version: 1,
      title: "Draft, retry, review",
      inputs: ["topic"],
      nodes: [
        {
          id: "fetch",
          kind: "transform",
          title: "Fetch sources",
          fn: "t.flaky",
          retry: { maxAttempts: 3, baseDelayMs: 120, maxDelayMs: 200 },
          next: ["review"],
        },
        {
          id: "review",
          kind: "human",
          title: "Teacher review",
          prompt: "Approve?",
          allowed: "anyone",
          deadline: { afterMs: 600_000, action: "cancel" },
          next: ["publish"],
        },
        { id: "publish", kind: "transform", title: "Publish", fn: "t.ok" },
      ],
    }),
    inputSchema: z.object({ topic: z.string() }),
    transforms: {
      "t.flaky": async () => {
        flakyCalls++;
        if (flakyCalls % 3 !== 0) throw new StaffroomError("source_busy", "The source answered 503.", { retryable: true });
        return { ok: true };
      },
      "t.ok": async () => ({ ok: true }),
    },
  });
  // History: greetings on earlier days (some failing input-free), so the per-day charts have several bars.
  const start = (workflow: string, input: Record<string, unknown>, user = "teacher123") =>
    api.engine.start(workflow, { inputs: input, userId: user });
  for (const [daysAgo, count] of [
    [6, 2],
    [4, 3],
    [2, 1],
    [1, 4],
  ] as const) {
    shift = daysAgo * DAY;
    for (let i = 0; i < count; i++) {
      const r = await start("greet", { name: `Ada${i}`, grade: "5" });
      await api.engine.wait(r.id);
    }
  }
  shift = 1 * DAY;
  const cancelled = await start("approval", { topic: "old" }, "teacher456");
  await api.engine.wait(cancelled.id, { untilWaiting: true });
  await api.engine.cancel(cancelled.id);
  shift = 0;
  for (let i = 0; i < 2; i++) await api.engine.wait((await start("greet", { name: "Bo", grade: "3" })).id);
  const t = await start("flaky-review", { topic: "volcanoes" }, "teacher789");
  timelineId = t.id;
  await api.engine.wait(t.id, { untilWaiting: true });
  await new Promise((r) => setTimeout(r, 250));
  await api.engine.resume(t.id, "review", "yes", { userId: "teacher789" });
  await api.engine.wait(t.id);
  const w = await start("approval", { topic: "field trip" }, "teacher456");
  waitingId = w.id;
  await api.engine.wait(w.id, { untilWaiting: true });

  chromium = await launchChromium();
  context = chromium.context;
  page = context.pages()[0] ?? (await context.newPage());
}, CHROMIUM_SETUP_MS);

afterAll(async () => {
  await chromium?.close();
  await api?.close();
});

async function signIn(key: string) {
  await page.goto(`${api.base}/admin`);
  await page.getByLabel("API key").fill(key);
  await page.getByRole("button", { name: "Sign in" }).click();
}

describe("the admin dashboard in chromium", { timeout: 120_000 }, () => {
  it("asks for a key, refuses a wrong one, and signs in with a right one into an HttpOnly, SameSite=Strict session", async () => {
    const first = await page.goto(`${api.base}/admin/executions`);
    expect(new URL(page.url()).pathname).toBe("/admin/login");
    expect(first?.headers()["content-security-policy"]).toContain("default-src 'none'");
    await shot("01-sign-in");
    await signIn("not-the-key");
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("not one of STAFFROOM_API_KEYS");
    expect(await context.cookies()).not.toContainEqual(expect.objectContaining({ name: "staffroom_admin" }));
    await signIn(KEY);
    await page.getByRole("heading", { name: "Overview" }).waitFor();
    const session = (await context.cookies()).find((c) => c.name === "staffroom_admin");
    expect(session).toMatchObject({ httpOnly: true, sameSite: "Strict", path: "/admin" });
    expect(session?.value).not.toContain(KEY);
    // Scripts on the page cannot read the session cookie.
    expect(await page.evaluate("document.cookie")).not.toContain("staffroom_admin");
  });

  it("shows each surface's health, and a failing one as failing", async () => {
    await page.goto(`${api.base}/admin`);
    const health = page.locator(".health");
    expect(await health.textContent()).toMatch(/Store: working[\s\S]*Slack: working/);
    await expect.poll(() => page.locator("dd").first().textContent()).toBe("0");
    expect(await page.locator(".counts").textContent()).toMatch(/Waiting for a teacher\s*1/);
    await shot("02-overview");
    api.ready.value = false;
    try {
      await page.reload();
      expect(await page.locator(".health li.bad").textContent()).toContain("Store: not working");
      expect(await page.locator("p.big").textContent()).toContain("Something needs attention");
    } finally {
      api.ready.value = true;
    }
  });

  it("lists executions with filters", async () => {
    await page.goto(`${api.base}/admin/executions`);
    const all = await page.locator("tbody tr").count();
    const stored = (await api.engine.list({ limit: 50 })).length;
    expect(all).toBe(stored);
    await page.getByLabel("Template").selectOption("greet");
    await page.getByLabel("Status").selectOption("completed");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.waitForURL(/template=greet/);
    const greet = (await api.engine.list({ templateId: "greet", status: ["completed"], limit: 50 })).length;
    expect(greet).toBe(12);
    expect(await page.locator("tbody tr").count()).toBe(greet);
    expect(await page.locator("tbody").textContent()).not.toContain("approval");
    await shot("03-executions-filtered");
    await page.getByLabel("Template").selectOption("");
    await page.getByLabel("Status").selectOption("");
    await page.getByLabel("Teacher id").fill("teacher456");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.waitForURL(/user=teacher456/);
    expect(await page.locator("tbody tr").count()).toBe(2);
    // A filter that makes no sense is named, not a crash.
    await page.goto(`${api.base}/admin/executions?status=exploded`);
    expect(await page.getByRole("alert").textContent()).toContain("That status does not exist");
  });

  it("draws one execution's timeline with its retries and its wait for a person", async () => {
    await page.goto(`${api.base}/admin/executions?template=flaky-review`);
    await page.getByRole("link", { name: timelineId }).click();
    await page.getByRole("heading", { name: "Timeline" }).waitFor();
    const svg = page.locator("svg.chart");
    expect(await svg.locator("rect.node").count()).toBe(3 + 0 + 1); // fetch: three attempts; review: a wait, no attempt; publish: one
    expect(await svg.locator("rect.retry").count()).toBe(2);
    expect(await svg.locator("rect.wait").count()).toBe(1);
    expect(await svg.locator("title").first().textContent()).toBe("Execution timeline");
    const steps = await page.locator("tbody").textContent();
    expect(steps).toMatch(/Fetch sources[\s\S]*3 \(2 retries\)/);
    expect(steps).toContain("answered by teacher789");
    await shot("04-execution-timeline");
  });

  it("cancels a waiting execution from its page, with the session's CSRF token, and refuses a POST without it", async () => {
    // Without the token (a forged form), with the session cookie: refused, nothing changes.
    const cookieHeader = (await context.cookies()).map((c) => `${c.name}=${c.value}`).join("; ");
    const forged = await fetch(`${api.base}/admin/executions/${waitingId}/cancel`, {
      method: "POST",
      headers: { cookie: cookieHeader, "content-type": "application/x-www-form-urlencoded" },
      body: "csrf=forged",
      redirect: "manual",
    });
    expect(forged.status).toBe(403);
    expect((await api.engine.get(waitingId))?.status).toBe("waiting");
    // The right token from another site's page: refused too.
    await page.goto(`${api.base}/admin/executions/${waitingId}`);
    const token = await page.locator("form.inline input[name=csrf]").getAttribute("value");
    const crossSite = await fetch(`${api.base}/admin/executions/${waitingId}/cancel`, {
      method: "POST",
      headers: { cookie: cookieHeader, origin: "https://evil.example", "content-type": "application/x-www-form-urlencoded" },
      body: `csrf=${token}`,
      redirect: "manual",
    });
    expect(crossSite.status).toBe(403);
    expect((await api.engine.get(waitingId))?.status).toBe("waiting");
    await page.getByRole("button", { name: "Cancel this execution" }).click();
    await page.getByRole("status").waitFor();
    expect(await page.getByRole("status").textContent()).toBe("Cancelled.");
    expect((await api.engine.get(waitingId))?.status).toBe("cancelled");
  });

  it("charts runs and success rate per template per day, and p50/p95 per step", async () => {
    await page.getByRole("link", { name: "Stats" }).click();
    await page.getByRole("heading", { name: "Stats" }).waitFor();
    const greet = page.locator("section", { has: page.getByRole("heading", { name: "greet", exact: true }) });
    const bars = greet.locator("svg.chart").first().locator("rect.bar");
    expect(await bars.count()).toBe(14);
    const runs = await bars.evaluateAll((els) => els.map((e) => Number(/: (\d+) run/.exec(e.textContent ?? "")?.[1])));
    expect(runs.slice(-7)).toEqual([2, 0, 3, 0, 1, 4, 2]);
    expect(await greet.locator("rect.p50").count()).toBe(2);
    expect(await greet.locator("rect.p95").count()).toBe(2);
    const approval = page.locator("section", { has: page.getByRole("heading", { name: "approval", exact: true }) });
    expect(await approval.locator("circle.rate-dot").count()).toBeGreaterThan(0);
    await shot("05-stats");
  });

  it("lists templates and standards sets with the problems found loading them", async () => {
    await page.getByRole("link", { name: "Templates and standards" }).click();
    const text = await page.locator("main").textContent();
    expect(text).toContain("1 problem");
    expect(text).toContain('names a step "sumary" that does not exist');
    expect(text).toContain("/lesson-plan");
    expect(text).toContain("/srv/staffroom/standards/ohio");
    await shot("06-templates");
  });

  it("signs out with a POST carrying the token, and the old cookie no longer works", async () => {
    const old = (await context.cookies()).find((c) => c.name === "staffroom_admin")?.value;
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(/\/admin\/login$/);
    const reuse = await fetch(`${api.base}/admin`, { headers: { cookie: `staffroom_admin=${old}` }, redirect: "manual" });
    expect(reuse.status).toBe(303);
    expect(reuse.headers.get("location")).toBe("/admin/login");
  });
});
