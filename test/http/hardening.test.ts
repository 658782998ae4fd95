// The HTTP port against hostile clients, over real sockets on 127.0.0.1: slow headers and bodies are cut,
// dot-segment paths reach no other route, execution ids are checked before any lookup and never echoed
// whole, and event streams are capped per key and in total.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Api, gate, KEY, OTHER_KEY, readSse, startApi } from "./harness.ts";
import { rawPath, slowClient } from "./sockets.ts";

let api: Api;
let port: number;

beforeAll(async () => {
  api = await startApi({ timeouts: { headersMs: 300, requestMs: 600 }, api: { sseMaxStreams: 3, sseMaxStreamsPerKey: 2 } });
  port = Number(new URL(api.base).port);
});
afterAll(async () => {
  await api?.close();
});

const auth = { authorization: `Bearer ${KEY}` };

describe("slow clients", () => {
  it("cuts a client that never finishes its headers with a 408, within a second", async () => {
    const reply = await slowClient(port, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: `, 5_000);
    expect(reply.closed).toBe(true);
    expect(reply.status).toBe(408);
    expect(reply.ms).toBeGreaterThanOrEqual(250);
    expect(reply.ms).toBeLessThan(2_000);
  });

  it("cuts a client that sends a tenth of its declared body, and nothing runs", async () => {
    const before = (await api.engine.list({ limit: 1000 })).length;
    const head =
      "POST /api/workflows/execute HTTP/1.1\r\nHost: x\r\n" +
      `Authorization: Bearer ${KEY}\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n` +
      '{"workflow_id":"greet",';
    const reply = await slowClient(port, head, 5_000);
    expect(reply.closed).toBe(true);
    expect(reply.status).toBe(408);
    expect(reply.ms).toBeLessThan(2_500);
    expect((await api.engine.list({ limit: 1000 })).length).toBe(before);
  });

  it("leaves a request that arrived in time alone while its answer takes longer (an event stream)", async () => {
    const token = "slow-ok";
    const started = await api.call("POST", "/api/workflows/execute", {
      body: { workflow_id: "held", input_data: { token }, user_id: "t1" },
    });
    const id = (started.body as { execution_id: string }).execution_id;
    setTimeout(() => gate(token).resolve(), 1_200);
    const { res, events, ended } = await readSse(`${api.base}/api/workflows/executions/${id}/events`, auth);
    expect(res.status).toBe(200);
    expect(ended).toBe(true);
    expect(events.at(-1)?.event).toBe("execution.completed");
  });
});

describe("dot segments", () => {
  const targets = [
    "/api/workflows/executions/%2e%2e",
    "/api/workflows/executions/%2E%2e",
    "/api/workflows/executions/..",
    "/api/workflows/executions/.",
    "/api/workflows/executions/%2e%2e/events",
    "/api/workflows/executions/x/%2e%2e/%2e%2e/execute",
    "/api/workflows/templates/%2e%2e",
    "/api/workflows/executions\\..",
    "/api/workflows/%2e",
    "/admin/%2e%2e/api/workflows",
  ];
  it.each(targets)("%s is refused with a 400, not answered by another route", async (path) => {
    const reply = await rawPath(port, path, auth);
    expect(reply.status).toBe(400);
    const body = JSON.parse(reply.text) as { code: string; detail: string };
    expect(body.code).toBe("invalid_path");
    expect(reply.text).not.toContain(path);
  });

  it("still serves the same routes without dot segments", async () => {
    expect((await rawPath(port, "/api/workflows/", auth)).status).toBe(200);
    expect((await rawPath(port, "/api/workflows/executions", auth)).status).toBe(200);
    // A dot inside a segment is an ordinary character.
    expect((await rawPath(port, "/api/workflows/executions/a..b", auth)).status).toBe(400);
    expect((await rawPath(port, "/healthz?x=/../..", auth)).status).toBe(200);
  });
});

describe("execution ids", () => {
  it("refuses a 10 KB id with a short 400 that does not echo it, before any lookup", async () => {
    const id = `A${"x".repeat(10_000)}`;
    let looked = 0;
    const get = api.engine.get.bind(api.engine);
    api.engine.get = async (i) => {
      looked++;
      return get(i);
    };
    try {
      for (const path of [`/api/workflows/executions/${id}`, `/api/workflows/executions/${id}/events`]) {
        const reply = await rawPath(port, path, auth);
        expect(reply.status).toBe(400);
        expect(reply.text.length).toBeLessThan(600);
        expect(reply.text).not.toContain("xxxxxxxxxxxxxxxxxxxx");
        expect(JSON.parse(reply.text)).toMatchObject({ code: "invalid_path", errors: [{ field: "id" }] });
      }
      const cancel = await rawPath(port, `/api/workflows/executions/${id}/cancel`, auth, "POST");
      expect(cancel.status).toBe(400);
      expect(looked).toBe(0);
    } finally {
      api.engine.get = get;
    }
  });

  it("refuses characters no id has, encoded or not", async () => {
    for (const bad of ["abc$def", "abc%20def", "%00", "%ZZ", "a%2Fb", "%F0%9F%9A%80", "x".repeat(65)]) {
      const reply = await rawPath(port, `/api/workflows/executions/${bad}`, auth);
      expect(reply.status, bad).toBe(400);
      expect(reply.text, bad).not.toContain(bad);
    }
  });

  it("answers an unknown id of the right shape 404, quoting only its start", async () => {
    const id = "Zz".repeat(32);
    const reply = await api.call("GET", `/api/workflows/executions/${id}`);
    expect(reply.status).toBe(404);
    const detail = (reply.body as { detail: string }).detail;
    expect(detail).toContain("ZzZzZzZz…");
    expect(reply.text).not.toContain(id);
  });
});

describe("event stream caps", () => {
  it("allows so many open streams per key and in total, and one more once a stream closes", async () => {
    const token = "sse-cap";
    const started = await api.call("POST", "/api/workflows/execute", {
      body: { workflow_id: "held", input_data: { token }, user_id: "t1" },
    });
    const id = (started.body as { execution_id: string }).execution_id;
    const url = `${api.base}/api/workflows/executions/${id}/events`;
    const controllers: AbortController[] = [];
    const open = async (key: string) => {
      const c = new AbortController();
      const res = await fetch(url, { headers: { authorization: `Bearer ${key}` }, signal: c.signal });
      if (res.status === 200) controllers.push(c);
      else await res.text();
      return res;
    };
    try {
      expect((await open(KEY)).status).toBe(200);
      expect((await open(KEY)).status).toBe(200);
      const third = await open(KEY);
      expect(third.status).toBe(429);
      expect(third.headers.get("retry-after")).toBe("5");
      // Another key has its own allowance, up to the server's total of 3.
      expect((await open(OTHER_KEY)).status).toBe(200);
      const overTotal = await open(OTHER_KEY);
      expect(overTotal.status).toBe(503);
      // Closing one stream frees its place.
      controllers.shift()?.abort();
      await expect.poll(async () => (await open(KEY)).status, { timeout: 3_000, interval: 50 }).toBe(200);
    } finally {
      for (const c of controllers) c.abort();
      gate(token).resolve();
    }
  });
});
