// NUL characters and lone surrogates in what the API is sent (body strings, keys, query values) are refused
// at the edge with 400 and one sentence naming the field, over a real socket; nothing is started.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { storableAnswer, stripUnstorable, unstorableIn } from "../../src/util/unstorable.ts";
import { type Api, startApi } from "./harness.ts";

let api: Api;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api?.close();
});

type Problem = { detail: string; code?: string; errors?: { field: string; message: string }[] };

describe("unstorable characters at the HTTP API edge", () => {
  const execute = (user_id: string, topic: string) =>
    api.call("POST", "/api/workflows/execute", { body: { workflow_id: "approval", input_data: { topic }, user_id } });

  for (const [name, bad] of [
    ["a NUL character", "\u0000"],
    ["a lone surrogate", "\uD800"],
  ] as const) {
    it(`answers 400 for ${name} in user_id or an input, and starts nothing`, async () => {
      const before = (await api.engine.list({ limit: 1000 })).length;
      const inUser = await execute(`teacher${bad}1`, "volcanoes");
      expect(inUser.status).toBe(400);
      const p = inUser.body as Problem;
      expect(p.detail).toMatch(/^user_id contains a .+; remove it and send the text again\.$/);
      expect(p.errors?.[0]?.field).toBe("user_id");
      const inInput = await execute("teacher1", `volca${bad}noes`);
      expect(inInput.status).toBe(400);
      expect((inInput.body as Problem).errors?.[0]?.field).toBe("input_data.topic");
      expect((inInput.body as Problem).detail).not.toMatch(/\n|at .+\.ts/);
      expect((await api.engine.list({ limit: 1000 })).length).toBe(before);
    });
  }

  it("answers 400 for a NUL character in a query value", async () => {
    const reply = await api.call("GET", "/api/workflows/executions?user_id=teacher%001");
    expect(reply.status).toBe(400);
    expect((reply.body as Problem).errors?.[0]?.field).toBe("query.user_id");
  });

  it("still accepts emoji and other well-formed surrogate pairs", async () => {
    expect((await execute("teacher1", "volcanoes 🌋")).status).toBe(202);
  });
});

describe("the unstorable-character rules", () => {
  it("finds and strips NUL and lone surrogates, keeping pairs", () => {
    expect(unstorableIn("ok 🌋")).toBeUndefined();
    expect(unstorableIn("a\u0000")).toContain("NUL");
    expect(unstorableIn("\uDC00x")).toContain("lone surrogate");
    expect(stripUnstorable("a\u0000b\uD800c\uDFFFd🌋")).toBe("abcd🌋");
    // A JSON answer carrying them as escapes is cleaned once parsed.
    expect(JSON.parse(storableAnswer('{"t":"a\\u0000b\\ud800c"}', true))).toEqual({ t: "abc" });
    expect(storableAnswer('{"t":"a\\\\u0000"}', true)).toBe('{"t":"a\\\\u0000"}');
  });
});
