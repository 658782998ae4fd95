// API keys with scopes, over real sockets: a teacher key (user:<user_id>:<key>) is refused (403, documented in
// the OpenAPI document the harness checks every answer against) on every route that touches another teacher's
// execution, cannot start or list as another teacher, and lists only its own; an admin key sees every teacher;
// a plain key works as before. Every key use is audited (once per key, route, target and minute) with ids and
// never the inputs' text; the config grammar reports one sentence per bad entry.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { ConfigError } from "../../src/errors.ts";
import { apiKeyId, apiKeyProblems, parseApiKey } from "../../src/http/auth.ts";
import type { AuditLog } from "../../src/privacy/audit.ts";
import { ADMIN_KEY, type Api, KEY, OTHER_KEY, startApi } from "./harness.ts";

type Json = Record<string, unknown>;
const TEACHER_A = "teacher-a-key-0123456789abcdef";
/** A user id with colons, as the CLI gives them: the key is what follows the last colon. */
const TEACHER_B = "teacher-b-key-0123456789abcdef";
const USER_B = "cli:bo";
const MARKER = "Lanternfish9023";

let api: Api;
let audit: AuditLog | undefined;
const ids: Record<string, string> = {};
beforeAll(async () => {
  api = await startApi({
    audit: true,
    api: { apiKeys: [KEY, OTHER_KEY, `admin:${ADMIN_KEY}`, `user:teacher-a:${TEACHER_A}`, `user:${USER_B}:${TEACHER_B}`] },
  });
  audit = api.audit!;
}, 30_000);

afterAll(async () => {
  await api?.close();
});

async function start(key: string, userId: string, workflow = "approval"): Promise<string> {
  const res = await api.call("POST", "/api/workflows/execute", {
    key,
    body: { workflow_id: workflow, input_data: { topic: `fractions ${MARKER}` }, user_id: userId },
  });
  expect(res.status).toBe(202);
  const id = (res.body as Json).execution_id as string;
  await api.engine.wait(id, { untilWaiting: true });
  return id;
}

describe("API key grammar", () => {
  it("parses the three kinds and reports one sentence per bad entry, never the key", () => {
    expect(parseApiKey("admin:abc")).toEqual({ key: "abc", scope: "admin" });
    expect(parseApiKey("user:cli:ana:k3y")).toEqual({ key: "k3y", scope: "teacher", userId: "cli:ana" });
    expect(parseApiKey("user:a%2Cb:k3y")).toEqual({ key: "k3y", scope: "teacher", userId: "a,b" });
    expect(parseApiKey("0123abcd")).toEqual({ key: "0123abcd", scope: "api" });
    expect(apiKeyProblems(["user:nokey", "admin:", "teacher:abc", "user:a:same", "admin:same", "user:%zz:k"])).toEqual([
      'entry 1: "user:…" needs both a user id and a key; write user:<user_id>:<key>',
      'entry 2: "admin:" is followed by no key; write admin:<key>',
      'entry 3: "teacher:" is not a scope; write admin:<key>, user:<user_id>:<key> or the key alone',
      "entry 5: the same key is listed before with another scope; give each scope its own key",
      'entry 6: the user id in "user:%zz:…" has a stray %; percent-encode it (a comma is %2C)',
    ]);
    let error: unknown;
    try {
      loadConfig({ STAFFROOM_API_KEYS: `user:only-one-part, admin:${ADMIN_KEY}` });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'STAFFROOM_API_KEYS: entry 1: "user:…" needs both a user id and a key; write user:<user_id>:<key>',
    ]);
    expect(loadConfig({ STAFFROOM_API_KEYS: `user:${USER_B}:${TEACHER_B},${KEY}` }).STAFFROOM_API_KEYS).toHaveLength(2);
  });
});

describe("teacher keys", () => {
  beforeAll(async () => {
    ids.a = await start(TEACHER_A, "teacher-a");
    ids.b = await start(TEACHER_B, USER_B);
    ids.plain = await start(KEY, "teacher-c");
  }, 30_000);

  it("refuse every route on another teacher's execution with 403", async () => {
    const other = ids.b!;
    const routes: [string, string, unknown?][] = [
      ["GET", `/api/workflows/executions/${other}`],
      ["POST", `/api/workflows/executions/${other}/cancel`],
      ["POST", `/api/workflows/executions/${other}/answer`, { answer: "approve", user_id: "teacher-a" }],
      ["GET", `/api/workflows/executions/${other}/events`],
      ["GET", `/api/workflows/executions/${other}/document?format=md`],
    ];
    for (const [method, path, body] of routes) {
      const res = await api.call(method, path, { key: TEACHER_A, ...(body ? { body } : {}) });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect((res.body as Json).code).toBe("not_your_execution");
      expect(res.text).not.toContain(MARKER);
    }
    // The cached answer an admin read warmed is no shortcut either.
    expect((await api.call("GET", `/api/workflows/executions/${other}`, { key: ADMIN_KEY })).status).toBe(200);
    expect((await api.call("GET", `/api/workflows/executions/${other}`, { key: TEACHER_A })).status).toBe(403);
    // Nothing changed: B's execution still waits.
    expect((await api.engine.get(other))?.status).toBe("waiting");
  });

  it("cannot start, answer or list as another teacher", async () => {
    const asB = await api.call("POST", "/api/workflows/execute", {
      key: TEACHER_A,
      body: { workflow_id: "approval", input_data: { topic: "x" }, user_id: USER_B },
    });
    expect(asB.status).toBe(403);
    expect((asB.body as Json).code).toBe("not_your_user");
    const quick = await api.call("POST", "/api/workflows/quick/lesson-plan", {
      key: TEACHER_A,
      body: { grade: "5th", subject: "Science", topic: "Moons", user_id: USER_B },
    });
    expect(quick.status).toBe(403);
    const answerAsB = await api.call("POST", `/api/workflows/executions/${ids.a}/answer`, {
      key: TEACHER_A,
      body: { answer: "approve", user_id: USER_B },
    });
    expect(answerAsB.status).toBe(403);
    const listB = await api.call("GET", `/api/workflows/executions?user_id=${encodeURIComponent(USER_B)}`, { key: TEACHER_A });
    expect(listB.status).toBe(403);
  });

  it("list only their own teacher's executions, and read, stream, answer and cancel their own", async () => {
    const mine = await api.call("GET", "/api/workflows/executions", { key: TEACHER_A });
    expect(mine.status).toBe(200);
    const listed = (mine.body as { executions: { execution_id?: string; id?: string; user_id: string }[] }).executions;
    expect(listed.length).toBeGreaterThan(0);
    expect(new Set(listed.map((e) => e.user_id))).toEqual(new Set(["teacher-a"]));
    const asB = await api.call("GET", "/api/workflows/executions", { key: TEACHER_B });
    expect(new Set((asB.body as { executions: { user_id: string }[] }).executions.map((e) => e.user_id))).toEqual(new Set([USER_B]));
    expect((await api.call("GET", `/api/workflows/executions/${ids.a}`, { key: TEACHER_A })).status).toBe(200);
    const answered = await api.call("POST", `/api/workflows/executions/${ids.a}/answer`, {
      key: TEACHER_A,
      body: { answer: "approve", user_id: "teacher-a" },
    });
    expect(answered.status).toBe(200);
    const stream = await api.call("GET", `/api/workflows/executions/${ids.a}/events`, { key: TEACHER_A });
    expect(stream.status).toBe(200);
    expect(stream.text).toContain("execution.completed");
    expect((await api.call("POST", `/api/workflows/executions/${ids.b}/cancel`, { key: TEACHER_B })).status).toBe(200);
  });

  it("download their own documents only", async () => {
    const made = await api.call("POST", "/api/workflows/quick/lesson-plan?wait=true", {
      key: TEACHER_A,
      body: { grade: "5th", subject: "Science", topic: "Tides", user_id: "teacher-a" },
    });
    expect(made.status).toBe(200);
    const id = (made.body as Json).execution_id as string;
    expect((await api.call("GET", `/api/workflows/executions/${id}/document?format=md`, { key: TEACHER_A })).status).toBe(200);
    expect((await api.call("GET", `/api/workflows/executions/${id}/document?format=md`, { key: TEACHER_B })).status).toBe(403);
    expect((await api.call("GET", `/api/workflows/executions/${id}/document?format=md`, { key: ADMIN_KEY })).status).toBe(200);
  });

  it("are refused the admin-only routes", async () => {
    const res = await api.call("DELETE", `/api/users/${encodeURIComponent(USER_B)}`, { key: TEACHER_A });
    expect(res.status).toBe(403);
  });
});

describe("admin and plain keys", () => {
  it("see every teacher's executions", async () => {
    for (const key of [ADMIN_KEY, KEY]) {
      const res = await api.call("GET", "/api/workflows/executions?limit=200", { key });
      const users = new Set((res.body as { executions: { user_id: string }[] }).executions.map((e) => e.user_id));
      for (const u of ["teacher-a", USER_B, "teacher-c"]) expect(users.has(u), `${u} with ${key.slice(0, 5)}`).toBe(true);
      expect((await api.call("GET", `/api/workflows/executions/${ids.a}`, { key })).status).toBe(200);
    }
  });
});

describe("the audit log of key use", () => {
  it("has who (key id and scope), when, the route and the execution, once per key, route, target and minute; never the inputs", async () => {
    const path = `/api/workflows/executions/${ids.plain}`;
    for (let i = 0; i < 5; i++) expect((await api.call("GET", path, { key: ADMIN_KEY })).status).toBe(200);
    // Written without holding up the request: wait for the entries to land.
    let entries: Awaited<ReturnType<AuditLog["list"]>> = [];
    for (let i = 0; i < 50; i++) {
      entries = await audit!.list({ action: "api" });
      if (entries.some((e) => e.targets?.[0] === ids.plain && e.actor.startsWith("admin:"))) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const admin = entries.filter((e) => e.actor === `admin:${apiKeyId(ADMIN_KEY)}` && e.route === "GET /api/workflows/executions/{id}");
    expect(admin.filter((e) => e.targets?.[0] === ids.plain)).toHaveLength(1);
    // The refused attempt of teacher A's key on B's execution is there, with the key's teacher.
    const refused = entries.find(
      (e) =>
        e.actor === `user:${apiKeyId(TEACHER_A)}` && e.route === "POST /api/workflows/executions/{id}/cancel" && e.targets?.[0] === ids.b,
    );
    expect(refused).toMatchObject({ action: "api", teacher: "teacher-a" });
    expect(entries.some((e) => e.actor === `api:${apiKeyId(KEY)}` && e.route === "POST /api/workflows/execute")).toBe(true);
    const raw = JSON.stringify(entries);
    expect(raw).not.toContain(MARKER);
    expect(raw).not.toContain("fractions");
    for (const key of [KEY, ADMIN_KEY, TEACHER_A, TEACHER_B]) expect(raw).not.toContain(key);
  });
});
