// The audit log in the dashboard, in a real browser (Debian's chromium through playwright-core): sign-ins
// (success, a wrong key, a teacher key refused) and API-key use are written to the store's audit log; the
// Audit log page lists them with forgets for admin sessions only, filters them, escapes every value, keeps the
// dashboard's CSP, and never shows an input's text. Screenshot in test-artifacts/admin/audit.png.
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiKeyId } from "../../src/http/auth.ts";
import type { AuditLog } from "../../src/privacy/audit.ts";
import { ADMIN_KEY, type Api, KEY, OTHER_KEY, startApi } from "../http/harness.ts";
import { ARTIFACTS, CHROMIUM_SETUP_MS, launchChromium } from "./browser.ts";

const TEACHER_KEY = "teacher-a-key-0123456789abcdef";
const MARKER = "Marblewing5512";
/** A teacher id that is markup: the page must show it as text. */
const HOSTILE = '<img src=x onerror="document.title=1">';

let api: Api;
let audit: AuditLog | undefined;
let chromium: Awaited<ReturnType<typeof launchChromium>>;
let page: Page;
let executionId = "";
beforeAll(async () => {
  api = await startApi({ audit: true, api: { apiKeys: [KEY, OTHER_KEY, `admin:${ADMIN_KEY}`, `user:teacher-a:${TEACHER_KEY}`] } });
  audit = api.audit!;
  const started = await api.call("POST", "/api/workflows/execute", {
    key: TEACHER_KEY,
    body: { workflow_id: "approval", input_data: { topic: `volcanoes ${MARKER}` }, user_id: "teacher-a" },
  });
  executionId = (started.body as { execution_id: string }).execution_id;
  expect((await api.call("GET", `/api/workflows/executions/${executionId}`, { key: TEACHER_KEY })).status).toBe(200);
  // A teacher's own forget from chat, as the one forget writes it.
  await audit.record({ action: "forget", actor: HOSTILE, teacher: HOSTILE, counts: { executions: 2, profile: 1 } });
  chromium = await launchChromium();
  page = chromium.context.pages()[0] ?? (await chromium.context.newPage());
}, CHROMIUM_SETUP_MS);

afterAll(async () => {
  await chromium?.close();
  await api?.close();
});

async function signIn(key: string) {
  await page.goto(`${api.base}/admin/login`);
  await page.getByLabel("API key").fill(key);
  await page.getByRole("button", { name: "Sign in" }).click();
}

async function signOut() {
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("button", { name: "Sign in" }).waitFor();
}

describe("sign-ins", () => {
  it("refuses a wrong key and a teacher key, audits both, and admits a plain key without the audit page", async () => {
    await signIn("not-a-key-at-all-0000000000");
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("not one of STAFFROOM_API_KEYS");
    await signIn(TEACHER_KEY);
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("That key belongs to one teacher");
    await signIn(KEY);
    await page.getByRole("heading", { name: "Overview" }).waitFor();
    await page.getByRole("link", { name: "Audit log" }).click();
    await page.getByRole("heading", { name: "Admins only" }).waitFor();
    expect(await page.locator("main").textContent()).toContain("The audit log needs an admin key");
    await signOut();
    const entries = await audit!.list();
    expect(entries.filter((e) => e.action === "signin-failed").map((e) => e.actor)).toEqual([
      `user:${apiKeyId(TEACHER_KEY)}`,
      "address:127.0.0.1",
    ]);
    expect(entries.find((e) => e.action === "signin")?.actor).toBe(`api:${apiKeyId(KEY)}`);
  });
});

describe("the Audit log page", () => {
  it("lists sign-ins, key use and forgets for an admin, escaped, under the dashboard's CSP, with no input text", async () => {
    await signIn(ADMIN_KEY);
    await page.getByRole("heading", { name: "Overview" }).waitFor();
    const response = await page.goto(`${api.base}/admin/audit`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()["content-security-policy"]).toContain("default-src 'none'");
    await page.getByRole("heading", { name: "Audit log" }).waitFor();
    const table = page.locator("#audit");
    const text = (await table.textContent()) ?? "";
    expect(text).toContain(`admin:${apiKeyId(ADMIN_KEY)}`);
    expect(text).toContain("signin-failed");
    expect(text).toContain("POST /api/workflows/execute");
    expect(text).toContain("2 executions, 1 profile");
    // The hostile id is shown as text, never run or turned into an element.
    expect(text).toContain(HOSTILE);
    expect(await table.locator("img").count()).toBe(0);
    expect(await page.title()).toBe("Audit log · Staffroom admin");
    expect(await page.content()).not.toContain(MARKER);
    await page.screenshot({ path: join(ARTIFACTS, "audit.png"), fullPage: true });

    await page.getByLabel("Action").selectOption("forget");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.waitForURL(/action=forget/);
    expect(await page.locator("#audit tbody tr").count()).toBe(1);

    await page.goto(`${api.base}/admin/audit?user=teacher-a`);
    const rows = await page.locator("#audit tbody tr").allTextContents();
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row).toContain("teacher-a");
    expect(rows.join("\n")).toContain(executionId);

    await page.goto(`${api.base}/admin/audit?since=yesterday-ish`);
    expect(await page.getByRole("alert").textContent()).toContain('Give "since" as a time back');
    await page.goto(`${api.base}/admin/audit?since=2999-01-01`);
    expect(await page.locator("p.empty").textContent()).toBe("No audit entries match.");
    await signOut();
  });
});
