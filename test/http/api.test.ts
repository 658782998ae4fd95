// End-to-end over 127.0.0.1: every endpoint of the API and the operations endpoints against a real
// engine, each response checked against the OpenAPI document the server serves.
import { createHash } from "node:crypto";
import { Validator } from "@seriousme/openapi-schema-validator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_KEY, type Api, gate, KEY, OTHER_KEY, readSse, startApi } from "./harness.ts";

// biome-ignore lint/suspicious/noExplicitAny: response bodies are read loosely; their shapes are checked against the OpenAPI document
type Json = Record<string, any>;

let api: Api;
const mounted: { body: string; sha: string; path: string }[] = [];

beforeAll(async () => {
  api = await startApi({
    mounts: [
      {
        path: "/slack/events",
        handler: async (req, res) => {
          const chunks: Buffer[] = [];
          for await (const c of req) chunks.push(c as Buffer);
          const raw = Buffer.concat(chunks);
          mounted.push({ body: raw.toString("utf8"), sha: createHash("sha256").update(raw).digest("hex"), path: req.url ?? "" });
          res.writeHead(200, { "content-type": "text/plain" });
          res.end("ok");
        },
      },
    ],
  });
});

afterAll(async () => {
  await api?.close();
});

const execCount = async () => (await api.engine.list({ limit: 1000 })).length;

describe("operations endpoints", () => {
  it("answers healthz, readyz (ready and not) and Prometheus metrics without a key", async () => {
    const health = await api.call("GET", "/healthz", { key: null });
    expect(health.status).toBe(200);
    expect(health.body).toEqual({ status: "ok" });

    const ready = await api.call("GET", "/readyz", { key: null });
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: "ready", checks: { store: true, slack: true } });
    api.ready.value = false;
    const notReady = await api.call("GET", "/readyz", { key: null });
    api.ready.value = true;
    expect(notReady.status).toBe(503);
    expect((notReady.body as Json).checks.store).toBe(false);

    const metrics = await api.call("GET", "/metrics", { key: null });
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(metrics.text).toContain("staffroom_http_requests_total");
    expect(metrics.text).toContain("staffroom_executions_total");
    expect(metrics.text).toContain('route="/healthz"');

    const wrongMethod = await api.call("POST", "/healthz", { key: null });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get("allow")).toBe("GET");
  });

  it("passes the raw body to a mount untouched (Slack verifies signatures on it)", async () => {
    const raw = 'token=x&payload=%7B%22a%22%3A1%7D&  spaced = "kept" ';
    const res = await fetch(`${api.base}/slack/events?x=1`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: raw,
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("ok");
    const got = mounted.at(-1)!;
    expect(got.body).toBe(raw);
    expect(got.sha).toBe(createHash("sha256").update(raw).digest("hex"));
    expect(got.path).toBe("/slack/events?x=1");
  });

  it("answers unknown paths with a problem, never HTML or a stack", async () => {
    const res = await api.call("GET", "/nope", { key: null });
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect((res.body as Json).detail).toContain("/nope");
  });
});

describe("OpenAPI document", () => {
  it("is a valid OpenAPI 3.1 document describing every route", async () => {
    const res = await api.call("GET", "/api/openapi.json");
    expect(res.status).toBe(200);
    const validator = new Validator();
    const result = await validator.validate(res.body as Json);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
    const paths = Object.keys((res.body as Json).paths);
    for (const p of [
      "/api/workflows",
      "/api/workflows/{id}",
      "/api/workflows/execute",
      "/api/workflows/executions/{id}",
      "/api/workflows/executions/{id}/cancel",
      "/api/workflows/executions/{id}/answer",
      "/api/workflows/executions/{id}/events",
      "/api/workflows/templates",
      "/api/workflows/templates/{id}",
      "/api/workflows/quick/lesson-plan",
      "/api/workflows/quick/assessment",
      "/api/workflows/stats/overview",
      "/api/workflows/stats/{workflow_id}",
      "/healthz",
      "/readyz",
      "/metrics",
    ]) {
      expect(paths).toContain(p);
    }
    // The request schemas are the zod schemas the server validates with.
    const execute = (res.body as Json).components.schemas.ExecuteRequest;
    expect(execute.required).toEqual(["workflow_id", "user_id"]);
    expect(execute.additionalProperties).toBe(false);
    const quick = (res.body as Json).components.schemas.QuickLessonPlanRequest;
    expect(quick.required).toEqual(expect.arrayContaining(["grade", "subject", "topic", "user_id"]));
    expect(quick.required).not.toContain("duration");
  });
});

describe("authentication and rate limits", () => {
  it("refuses a missing or wrong key with 401 and runs nothing", async () => {
    const before = await execCount();
    const body = { workflow_id: "greet", input_data: { name: "Ada", grade: "5" }, user_id: "t1" };
    const missing = await api.call("POST", "/api/workflows/execute", { body, key: null });
    expect(missing.status).toBe(401);
    expect(missing.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect((missing.body as Json).code).toBe("unauthorized");
    const wrong = await api.call("POST", "/api/workflows/execute", { body, key: `${KEY}x` });
    expect(wrong.status).toBe(401);
    const basic = await api.call("GET", "/api/workflows", { key: null, headers: { authorization: `Basic ${KEY}` } });
    expect(basic.status).toBe(401);
    const doc = await api.call("GET", "/api/openapi.json", { key: null });
    expect(doc.status).toBe(401);
    expect(await execCount()).toBe(before);
  });

  it("limits each key separately with 429 and Retry-After", async () => {
    const limited = await startApi({ api: { rateLimitPerMinute: 3 } });
    try {
      for (let i = 0; i < 3; i++) expect((await limited.call("GET", "/api/workflows")).status).toBe(200);
      const over = await limited.call("GET", "/api/workflows");
      expect(over.status).toBe(429);
      expect(Number(over.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect((over.body as Json).code).toBe("rate_limited");
      // Another key has its own budget (the harness spent one of its three on the document).
      expect((await limited.call("GET", "/api/workflows", { key: OTHER_KEY })).status).toBe(200);
      expect((await limited.call("GET", "/api/workflows", { key: OTHER_KEY })).status).toBe(200);
      expect((await limited.call("GET", "/api/workflows", { key: OTHER_KEY })).status).toBe(429);
    } finally {
      await limited.close();
    }
  });

  it("answers 503 with Retry-After while the engine shuts down, and creates nothing", async () => {
    const closing = await startApi();
    try {
      await closing.engine.close();
      const res = await closing.call("POST", "/api/workflows/execute", {
        body: { workflow_id: "greet", input_data: { name: "Ada", grade: "5" }, user_id: "t" },
      });
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBe("5");
      expect((res.body as Json).code).toBe("engine_closing");
    } finally {
      await closing.close();
    }
  });

  it("keeps the API off without keys while health and mounts still work", async () => {
    const off = await startApi({ api: { apiKeys: [] } });
    try {
      const res = await fetch(`${off.base}/api/workflows`, { headers: { authorization: `Bearer ${KEY}` } });
      expect(res.status).toBe(404);
      expect(((await res.json()) as Json).code).toBe("api_disabled");
      expect((await fetch(`${off.base}/healthz`)).status).toBe(200);
    } finally {
      await off.close();
    }
  });
});

describe("workflows and templates", () => {
  it("lists workflows (templates and admin-added) and shows one with nodes and input schema", async () => {
    const list = await api.call("GET", "/api/workflows");
    expect(list.status).toBe(200);
    const byId = new Map((list.body as Json).workflows.map((w: Json) => [w.id, w]));
    expect(byId.get("lesson-plan")).toMatchObject({ kind: "template", command: "lesson-plan" });
    expect(byId.get("greet")).toMatchObject({ kind: "workflow", node_count: 2, inputs: ["name", "grade"] });

    const one = await api.call("GET", "/api/workflows/greet");
    expect(one.status).toBe(200);
    const body = one.body as Json;
    expect(body.nodes.map((n: Json) => [n.id, n.kind, n.next])).toEqual([
      ["shout", "transform", ["poem"]],
      ["poem", "agent", []],
    ]);
    expect(body.input_schema.properties.grade.enum).toContain("5");
    expect(body.input_schema.required).toEqual(["name", "grade"]);

    const missing = await api.call("GET", "/api/workflows/no-such-thing");
    expect(missing.status).toBe(404);
    expect((missing.body as Json).code).toBe("unknown_workflow");
  });

  it("lists templates with their questions and shows one", async () => {
    const list = await api.call("GET", "/api/workflows/templates");
    expect(list.status).toBe(200);
    const lp = (list.body as Json).templates.find((t: Json) => t.id === "lesson-plan");
    expect(lp.fields.find((f: Json) => f.name === "grade")).toMatchObject({ required: true, question: expect.any(String) });
    const one = await api.call("GET", "/api/workflows/templates/lesson-plan");
    expect(one.status).toBe(200);
    expect((one.body as Json).input_schema.type).toBe("object");
    expect((await api.call("GET", "/api/workflows/templates/greet")).status).toBe(404);
  });
});

describe("executions", () => {
  it("starts an execution (202 + status URL) and reports per-node status, timings and outputs when done", async () => {
    const res = await api.call("POST", "/api/workflows/execute", {
      body: { workflow_id: "greet", input_data: { name: " Ada ", grade: "5" }, user_id: "teacher123" },
    });
    expect(res.status).toBe(202);
    const accepted = res.body as Json;
    expect(accepted.status_url).toBe(`/api/workflows/executions/${accepted.execution_id}`);
    expect(res.headers.get("location")).toBe(accepted.status_url);
    await api.engine.wait(accepted.execution_id);

    const status = await api.call("GET", accepted.status_url);
    expect(status.status).toBe(200);
    const view = status.body as Json;
    expect(view).toMatchObject({ id: accepted.execution_id, workflow_id: "greet", status: "completed", user_id: "teacher123" });
    expect(view.input_data).toEqual({ name: "Ada", grade: "5" });
    expect(view.nodes.map((n: Json) => [n.id, n.status, n.title])).toEqual([
      ["shout", "completed", "Shout"],
      ["poem", "completed", "Write"],
    ]);
    for (const n of view.nodes) expect(n.duration_ms).toBeGreaterThanOrEqual(0);
    expect(view.outputs.shout).toEqual({ text: "ADA" });
    expect(typeof view.outputs.poem).toBe("string");
    expect(view.nodes[1].usage.output_tokens).toBeGreaterThan(0);

    const list = await api.call("GET", "/api/workflows/executions?workflow_id=greet&user_id=teacher123&limit=5");
    expect(list.status).toBe(200);
    expect((list.body as Json).executions.map((e: Json) => e.id)).toContain(accepted.execution_id);
    // Each run carries its teacher's short number and version, as chat history and the CLI show them.
    const listed = (list.body as Json).executions.find((e: Json) => e.id === accepted.execution_id);
    expect(listed.number).toBeGreaterThanOrEqual(1);
    expect(listed.request_version).toBe(1);
    const badQuery = await api.call("GET", "/api/workflows/executions?limit=zero&colour=red");
    expect(badQuery.status).toBe(400);
    expect((badQuery.body as Json).errors.map((e: Json) => e.field).sort()).toEqual(["query.colour", "query.limit"]);

    expect((await api.call("GET", "/api/workflows/executions/nope")).status).toBe(404);
  });

  it("rejects bad requests with a problem naming the field and the fix, creating nothing", async () => {
    const before = await execCount();
    const post = (body: unknown, headers?: Record<string, string>) =>
      api.call("POST", "/api/workflows/execute", { body, ...(headers ? { headers } : {}) });

    const unknownField = await post({ workflow_id: "greet", input_data: { name: "Ada", grade: "5" }, user_id: "t", colour: "red" });
    expect(unknownField.status).toBe(400);
    expect((unknownField.body as Json).errors).toEqual([{ field: "colour", message: "is not a known field; remove it" }]);

    const unknownInput = await post({ workflow_id: "greet", input_data: { name: "Ada", grade: "5", age: 9 }, user_id: "t" });
    expect(unknownInput.status).toBe(400);
    expect((unknownInput.body as Json).errors[0].field).toBe("input_data.age");

    const wrongTypes = await post({ workflow_id: "greet", input_data: { name: 42, grade: "13" }, user_id: "t" });
    expect(wrongTypes.status).toBe(400);
    const errors = (wrongTypes.body as Json).errors as Json[];
    expect(errors.map((e) => e.field)).toEqual(["input_data.name", "input_data.grade"]);
    expect(errors[0]!.message).toMatch(/should be text, not a number/);
    expect(errors[1]!.message).toMatch(/one of/);
    expect((wrongTypes.body as Json).detail).toMatch(/^input_data\.name should be text/);

    const missing = await post({ workflow_id: "greet", input_data: { grade: "5" }, user_id: "t" });
    expect((missing.body as Json).errors).toEqual([{ field: "input_data.name", message: 'is required; Name, for example "Ada"' }]);

    const topLevel = await post({ workflow_id: 7, user_id: "" });
    expect(topLevel.status).toBe(400);
    expect((topLevel.body as Json).errors.map((e: Json) => e.field)).toEqual(["workflow_id", "user_id"]);

    const unknownWorkflow = await post({ workflow_id: "nope", input_data: {}, user_id: "t" });
    expect(unknownWorkflow.status).toBe(422);
    expect((unknownWorkflow.body as Json).detail).toContain("greet");
    const unknownVersion = await post({ workflow_id: "greet", version: 9, input_data: {}, user_id: "t" });
    expect(unknownVersion.status).toBe(422);
    expect((unknownVersion.body as Json).errors[0].field).toBe("version");

    const malformed = await api.call("POST", "/api/workflows/execute", {
      raw: '{"workflow_id": "greet",',
      headers: { "content-type": "application/json" },
    });
    expect(malformed.status).toBe(400);
    expect((malformed.body as Json).code).toBe("malformed_json");

    const notJson = await api.call("POST", "/api/workflows/execute", {
      raw: "workflow_id=greet",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(notJson.status).toBe(415);

    const empty = await api.call("POST", "/api/workflows/execute", { headers: { "content-type": "application/json" } });
    expect(empty.status).toBe(400);
    expect((empty.body as Json).code).toBe("missing_body");

    const huge = await post({ workflow_id: "greet", input_data: { name: "x".repeat(70_000), grade: "5" }, user_id: "t" });
    expect(huge.status).toBe(413);

    const deep = await api.call("POST", "/api/workflows/execute", {
      raw: `${"[".repeat(40)}${"]".repeat(40)}`,
      headers: { "content-type": "application/json" },
    });
    expect(deep.status).toBe(400);

    const array = await post([1, 2]);
    expect(array.status).toBe(400);

    for (const r of [unknownField, wrongTypes, malformed, huge, unknownWorkflow]) {
      expect(r.text).not.toMatch(/at .*\.ts:\d+/);
      expect(r.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    }
    expect(await execCount()).toBe(before);
  });

  it("returns the same execution for a repeated Idempotency-Key, scoped per API key", async () => {
    const before = await execCount();
    const body = { workflow_id: "greet", input_data: { name: "Bo", grade: "K" }, user_id: "t-idem" };
    const headers = { "idempotency-key": "3f1c2a9e-idem-1" };
    const first = await api.call("POST", "/api/workflows/execute", { body, headers });
    const second = await api.call("POST", "/api/workflows/execute", { body, headers });
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect((second.body as Json).execution_id).toBe((first.body as Json).execution_id);
    expect(await execCount()).toBe(before + 1);

    const reused = await api.call("POST", "/api/workflows/execute", { body: { ...body, input_data: { name: "Cy", grade: "K" } }, headers });
    expect(reused.status).toBe(422);
    expect((reused.body as Json).code).toBe("idempotency_key_reused");

    const otherKey = await api.call("POST", "/api/workflows/execute", { body, headers, key: OTHER_KEY });
    expect((otherKey.body as Json).execution_id).not.toBe((first.body as Json).execution_id);

    const badKey = await api.call("POST", "/api/workflows/execute", { body, headers: { "idempotency-key": "has space" } });
    expect(badKey.status).toBe(400);
    expect(await execCount()).toBe(before + 2);
  });

  it("streams the event log live to completion and resumes after Last-Event-ID", async () => {
    const token = `sse-${Date.now()}`;
    const started = await api.call("POST", "/api/workflows/execute", {
      body: { workflow_id: "held", input_data: { token }, user_id: "t-sse" },
    });
    const { events_url: eventsUrl, execution_id: id } = started.body as Json;
    const headers = { authorization: `Bearer ${KEY}` };

    // Release the held step once the stream has shown it running: the rest arrives live.
    const live = await readSse(`${api.base}${eventsUrl}`, headers, {
      onEvent: (e) => {
        if (e.event === "node.started" && JSON.parse(e.data).node_id === "hold") gate(token).resolve();
      },
    });
    expect(live.res.status).toBe(200);
    expect(live.res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(live.ended).toBe(true);
    const seqs = live.events.map((e) => Number(e.id));
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    expect(live.events.at(0)!.event).toBe("execution.started");
    expect(live.events.at(-1)!.event).toBe("execution.completed");
    for (const [i, e] of live.events.map((x) => api.checkEvent(x.data)).entries()) {
      expect(e.seq).toBe(i + 1);
      expect(e.execution_id).toBe(id);
      expect(e.type).toBe(live.events[i]!.event);
    }

    // Resume after the second event: exactly the rest, in order.
    const resumed = await readSse(`${api.base}${eventsUrl}`, { ...headers, "last-event-id": "2" });
    expect(resumed.ended).toBe(true);
    expect(resumed.events.map((e) => Number(e.id))).toEqual(seqs.slice(2));
    expect(resumed.events.map((e) => e.data)).toEqual(live.events.slice(2).map((e) => e.data));

    // Past the end: the finished stream closes at once with nothing.
    const past = await readSse(`${api.base}${eventsUrl}`, { ...headers, "last-event-id": String(seqs.length) });
    expect(past.ended).toBe(true);
    expect(past.events).toEqual([]);

    const bad = await api.call("GET", `${eventsUrl}`, { headers: { "last-event-id": "abc" } });
    expect(bad.status).toBe(400);
    expect((await api.call("GET", "/api/workflows/executions/nope/events")).status).toBe(404);
  });

  it("resumes a stream that was cut mid-run without losing or repeating events", async () => {
    const token = `cut-${Date.now()}`;
    const started = await api.call("POST", "/api/workflows/execute", {
      body: { workflow_id: "held", input_data: { token }, user_id: "t-sse" },
    });
    const url = `${api.base}${(started.body as Json).events_url}`;
    const headers = { authorization: `Bearer ${KEY}` };
    const first = await readSse(url, headers, { stopAfter: 2 });
    expect(first.ended).toBe(false);
    gate(token).resolve();
    const rest = await readSse(url, { ...headers, "last-event-id": first.events.at(-1)!.id! });
    const all = [...first.events, ...rest.events].map((e) => Number(e.id));
    expect(all).toEqual(all.map((_, i) => i + 1));
    expect(rest.events.at(-1)!.event).toBe("execution.completed");
  });

  it("answers a waiting human step, refusing the wrong user, a bad choice and a second answer", async () => {
    const started = await api.call("POST", "/api/workflows/execute", {
      body: { workflow_id: "approval", input_data: { topic: "fractions" }, user_id: "teacher-a" },
    });
    const id = (started.body as Json).execution_id as string;
    await api.engine.wait(id, { untilWaiting: true });
    const waiting = await api.call("GET", `/api/workflows/executions/${id}`);
    expect((waiting.body as Json).status).toBe("waiting");
    const review = (waiting.body as Json).nodes.find((n: Json) => n.id === "review");
    expect(review).toMatchObject({ status: "waiting", wait: { prompt: "Approve the draft?", allowed: "requester" } });

    const url = `/api/workflows/executions/${id}/answer`;
    const stranger = await api.call("POST", url, { body: { answer: "approve", user_id: "someone-else" } });
    expect(stranger.status).toBe(403);
    const badChoice = await api.call("POST", url, { body: { node_id: "review", answer: "maybe", user_id: "teacher-a" } });
    expect(badChoice.status).toBe(400);
    expect((badChoice.body as Json).errors[0].field).toBe("answer");
    const unknownNode = await api.call("POST", url, { body: { node_id: "nope", answer: "approve", user_id: "teacher-a" } });
    expect([404, 409]).toContain(unknownNode.status);

    const ok = await api.call("POST", url, { body: { answer: "approve", user_id: "teacher-a" } });
    expect(ok.status).toBe(200);
    expect((ok.body as Json).nodes.find((n: Json) => n.id === "review").answered_by).toBe("teacher-a");
    const done = await api.engine.wait(id);
    expect(done.status).toBe("completed");
    // The "waiting" view served above was cached; the execution's events must have dropped it.
    const after = await api.call("GET", `/api/workflows/executions/${id}`);
    expect((after.body as Json).status).toBe("completed");
    expect((after.body as Json).nodes.find((n: Json) => n.id === "review").status).toBe("completed");
    const again = await api.call("POST", url, { body: { node_id: "review", answer: "reject", user_id: "teacher-a" } });
    expect(again.status).toBe(409);
    const noneWaiting = await api.call("POST", url, { body: { answer: "reject", user_id: "teacher-a" } });
    expect(noneWaiting.status).toBe(409);
    expect((await api.call("POST", "/api/workflows/executions/nope/answer", { body: { answer: "x", user_id: "u" } })).status).toBe(404);
  });

  it("cancels a running execution once", async () => {
    const token = `cancel-${Date.now()}`;
    const started = await api.call("POST", "/api/workflows/execute", {
      body: { workflow_id: "held", input_data: { token }, user_id: "t-c" },
    });
    const id = (started.body as Json).execution_id as string;
    const cancel = await api.call("POST", `/api/workflows/executions/${id}/cancel`);
    expect(cancel.status).toBe(200);
    expect(cancel.body).toEqual({ execution_id: id, status: "cancelled", cancelled: true });
    expect((await api.engine.wait(id)).status).toBe("cancelled");
    const again = await api.call("POST", `/api/workflows/executions/${id}/cancel`);
    expect(again.status).toBe(409);
    expect((await api.call("POST", "/api/workflows/executions/nope/cancel")).status).toBe(404);
    gate(token).resolve();
  });
});

describe("quick actions", () => {
  const seed = { grade: "5th", subject: "Science", topic: "Solar System", user_id: "teacher123" };

  it("takes the seed request and with wait=true returns the rendered document", async () => {
    const res = await api.call("POST", "/api/workflows/quick/lesson-plan?wait=true", { body: seed });
    expect(res.status).toBe(200);
    const body = res.body as Json;
    expect(body.status).toBe("completed");
    expect(body.document.markdown).toContain("Solar System");
    expect(body.document.filename).toMatch(/\.md$/);
    const view = await api.call("GET", body.status_url);
    expect((view.body as Json).input_data).toMatchObject({ grade: "5", duration: 45 });
    expect((view.body as Json).document.title).toBe(body.document.title);
  });

  it("answers 202 without wait, and 202 when the bounded wait passes", async () => {
    const quick = await api.call("POST", "/api/workflows/quick/lesson-plan", { body: seed });
    expect(quick.status).toBe(202);
    await api.engine.wait((quick.body as Json).execution_id);

    const { deferred } = await import("./harness.ts");
    api.slow.gate = deferred();
    try {
      const bounded = await api.call("POST", "/api/workflows/quick/lesson-plan?wait=true&timeout=1", { body: { ...seed, topic: "Moons" } });
      expect(bounded.status).toBe(202);
      expect((bounded.body as Json).status).toBe("running");
      const id = (bounded.body as Json).execution_id;
      api.slow.gate.resolve();
      api.slow.gate = undefined;
      expect((await api.engine.wait(id)).status).toBe("completed");
    } finally {
      api.slow.gate?.resolve();
      api.slow.gate = undefined;
    }
  });

  it("names the field and the fix for bad quick requests", async () => {
    const before = await execCount();
    const res = await api.call("POST", "/api/workflows/quick/lesson-plan?wait=true", {
      body: { grade: "14th", subject: "Science", topik: "x", user_id: "t" },
    });
    expect(res.status).toBe(400);
    const fields = (res.body as Json).errors.map((e: Json) => e.field);
    expect(fields).toEqual(expect.arrayContaining(["grade", "topic", "topik"]));
    const badWait = await api.call("POST", "/api/workflows/quick/lesson-plan?wait=maybe", { body: seed });
    expect(badWait.status).toBe(400);
    expect((badWait.body as Json).errors[0].field).toBe("query.wait");
    expect(await execCount()).toBe(before);
  });

  it("makes an assessment from its fields at the top level", async () => {
    const res = await api.call("POST", "/api/workflows/quick/assessment?wait=true&timeout=30", {
      body: { grade: "4", subject: "Math", topic: "Adding fractions", user_id: "teacher123" },
    });
    expect(res.status).toBe(200);
    const body = res.body as Json;
    expect(body.status).toBe("completed");
    expect(body.document.markdown).toContain("fractions");
    const view = await api.call("GET", body.status_url);
    expect((view.body as Json).input_data.questionCount).toBe(10);
    // Its answer key as Markdown, checked against the document like every answer (test/http/documents.test.ts has the rest).
    const key = await api.call("GET", `/api/workflows/executions/${body.execution_id}/document?format=md&part=answer-key`);
    expect(key.status).toBe(200);
    expect(key.text).toMatch(/^# Answer key: Adding fractions/);
  });

  it("says when a quick action's template is not loaded", async () => {
    const partial = await startApi({ templates: (t) => t.id !== "assessment" });
    try {
      const res = await partial.call("POST", "/api/workflows/quick/assessment", { body: { user_id: "t" } });
      expect(res.status).toBe(404);
      expect((res.body as Json).detail).toContain("assessment");
    } finally {
      await partial.close();
    }
  });
});

describe("stats", () => {
  it("reports runs, success rate and per-node timings overall and per workflow", async () => {
    const overview = await api.call("GET", "/api/workflows/stats/overview");
    expect(overview.status).toBe(200);
    const o = overview.body as Json;
    expect(o.totals.runs).toBeGreaterThan(0);
    const greet = o.workflows.find((w: Json) => w.workflow_id === "greet");
    expect(greet.completed).toBeGreaterThan(0);

    const one = await api.call("GET", "/api/workflows/stats/greet");
    expect(one.status).toBe(200);
    const s = one.body as Json;
    expect(s.success_rate).toBe(1);
    const poem = s.nodes.find((n: Json) => n.node_id === "poem");
    expect(poem.runs).toBeGreaterThan(0);
    expect(poem.failure_rate).toBe(0);
    for (const k of ["min_ms", "mean_ms", "p50_ms", "p95_ms", "max_ms"]) expect(poem[k]).toBeGreaterThanOrEqual(0);
    expect(poem.min_ms).toBeLessThanOrEqual(poem.max_ms);

    const unknown = await api.call("GET", "/api/workflows/stats/nope");
    expect(unknown.status).toBe(404);
  });
});

describe("users (admin keys)", () => {
  it("DELETE /api/users/{user_id}: an ordinary key is refused (403); an admin key deletes the teacher's executions from every surface", async () => {
    const start = async (user_id: string) => {
      const r = await api.call("POST", "/api/workflows/execute", {
        body: { workflow_id: "greet", input_data: { name: "Ada", grade: "5" }, user_id },
      });
      expect(r.status).toBe(202);
    };
    await start("api-teacher-1");
    await start("api-teacher-1");
    await start("api-teacher-2");
    const refused = await api.call("DELETE", "/api/users/api-teacher-1");
    expect(refused.status).toBe(403);
    expect((refused.body as Json).detail).toMatch(/needs an admin API key/);
    expect(await api.engine.list({ userId: "api-teacher-1" })).toHaveLength(2);

    const done = await api.call("DELETE", "/api/users/api-teacher-1", { key: ADMIN_KEY });
    expect(done.status).toBe(200);
    expect(done.body).toEqual({ user_id: "api-teacher-1", deleted: { executions: 2, "data key": 0 } });
    expect(await api.engine.list({ userId: "api-teacher-1" })).toEqual([]);
    expect(await api.engine.list({ userId: "api-teacher-2" })).toHaveLength(1);
    // Ids with characters a path needs encoded reach the same forget.
    const odd = await api.call("DELETE", `/api/users/${encodeURIComponent("cli:teacher one")}`, { key: ADMIN_KEY });
    expect(odd.status).toBe(200);
    expect((odd.body as Json).user_id).toBe("cli:teacher one");
    // The admin key is an ordinary key everywhere else.
    expect((await api.call("GET", "/api/workflows", { key: ADMIN_KEY })).status).toBe(200);
  });
});

describe("coverage", () => {
  it("exercised every documented operation", () => {
    const ops = new Set<string>();
    for (const item of Object.values((api.doc as Json).paths) as Json[])
      for (const op of Object.values(item) as Json[]) ops.add(op.operationId);
    const seenOps = new Set([...api.seen].map((s) => s.split(" ")[0]));
    // The SSE operation is read through readSse (its records checked above); mark it from its 4xx answers.
    expect([...ops].filter((o) => !seenOps.has(o))).toEqual([]);
  });
});
