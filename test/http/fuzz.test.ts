// Property test: whatever body, content type or query a caller sends to the API's POST endpoints, the
// answer is never a 5xx, every 4xx is a documented problem body, and nothing is created by a refusal.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Api, startApi } from "./harness.ts";

let api: Api;
let waitingId = "";

beforeAll(async () => {
  api = await startApi();
  const started = await api.call("POST", "/api/workflows/execute", {
    body: { workflow_id: "approval", input_data: { topic: "fuzz" }, user_id: "owner" },
  });
  waitingId = (started.body as { execution_id: string }).execution_id;
  await api.engine.wait(waitingId, { untilWaiting: true });
});

afterAll(async () => {
  await api?.close();
});

const count = async () => (await api.engine.list({ limit: 10_000 })).length;

/** Values that look like the fields callers send, and values that do not. */
const anyValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom("5", "5th", "K", "", " ", "Science", "lesson-plan", "greet", "approve", "\u0000", "🚀", "x".repeat(5000)),
  fc.integer(),
  fc.double(),
);
const fieldNames = fc.constantFrom(
  "workflow_id",
  "input_data",
  "user_id",
  "version",
  "grade",
  "subject",
  "topic",
  "duration",
  "name",
  "node_id",
  "answer",
  "__proto__",
  "constructor",
  "extra",
);
const objectBody = fc.dictionary(fieldNames, anyValue, { maxKeys: 8 });
const nearlyValid = fc.record({
  workflow_id: fc.oneof(fc.constantFrom("greet", "lesson-plan", "held", "approval", "nope"), anyValue),
  input_data: fc.oneof(fc.dictionary(fc.constantFrom("name", "grade", "topic", "token", "subject", "duration", "x"), anyValue), anyValue),
  user_id: fc.oneof(fc.constantFrom("teacher123", "owner"), anyValue),
});
const body = fc.oneof(
  objectBody.map((b) => ({ text: JSON.stringify(b), type: "application/json" })),
  nearlyValid.map((b) => ({ text: JSON.stringify(b), type: "application/json" })),
  fc.jsonValue().map((b) => ({ text: JSON.stringify(b) ?? "null", type: "application/json" })),
  fc.string({ maxLength: 200 }).map((text) => ({ text, type: "application/json" })),
  fc
    .tuple(
      fc.string({ maxLength: 100 }),
      fc.constantFrom("text/plain", "application/x-www-form-urlencoded", "", "application/json; charset=latin1"),
    )
    .map(([text, type]) => ({ text, type })),
);
const query = fc.oneof(
  fc.constant(""),
  fc
    .record({ wait: fc.constantFrom("true", "false", "maybe", ""), timeout: fc.constantFrom("1", "0", "-5", "abc", "999", "1.5") })
    .map((q) => `?wait=${q.wait}&timeout=${q.timeout}`),
  fc.string({ maxLength: 20 }).map((s) => `?${encodeURIComponent(s)}=1`),
);

describe("request fuzzing", () => {
  it("never answers 5xx, and refused requests create nothing", async () => {
    const endpoints = [
      "/api/workflows/execute",
      "/api/workflows/quick/lesson-plan",
      () => `/api/workflows/executions/${waitingId}/answer`,
      "/api/workflows/executions/no-such-execution/cancel",
    ];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...endpoints), body, query, async (endpoint, b, q) => {
        const path = typeof endpoint === "function" ? endpoint() : endpoint;
        const before = await count();
        const res = await api.call("POST", `${path}${path.includes("quick") ? q : ""}`, {
          raw: b.text,
          headers: b.type ? { "content-type": b.type } : {},
        });
        expect(res.status).toBeLessThan(500);
        if (res.status >= 400) {
          expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
          expect(typeof (res.body as { detail: string }).detail).toBe("string");
          expect(res.text).not.toMatch(/\bat .+:\d+:\d+\)?/);
          expect(await count()).toBe(before);
        }
      }),
      { numRuns: 300 },
    );
  });
});
