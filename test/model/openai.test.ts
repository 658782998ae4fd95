import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { ModelRateLimitError, ModelRequestError, ModelUnavailableError, NodeTimeoutError } from "../../src/errors.ts";
import { createOpenAIProvider } from "../../src/model/openai.ts";
import type { ModelRequest } from "../../src/model/types.ts";
import { type FakeOpenAI, startFakeOpenAI } from "../fakes/openai-server.ts";

const Plan = z.object({ title: z.string().min(1), steps: z.array(z.string()).min(2), minutes: z.number().int().min(5).max(90) });
const planSchema = { name: "lesson_plan", zod: Plan, jsonSchema: z.toJSONSchema(Plan) as Record<string, unknown> };

function request(overrides: Partial<ModelRequest> = {}): ModelRequest {
  return {
    messages: [
      { role: "system", content: "You help teachers." },
      { role: "user", content: "Plan a lesson on fractions." },
    ],
    signal: new AbortController().signal,
    meta: { executionId: "ex1", nodeId: "plan", templateId: "demo", vars: { topic: "fractions" } },
    ...overrides,
  };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to fail");
}

describe("openai provider against a fake OpenAI server", () => {
  let fake: FakeOpenAI;
  beforeAll(async () => {
    fake = await startFakeOpenAI();
  });
  afterAll(async () => {
    await fake.close();
  });
  const provider = () => createOpenAIProvider({ apiKey: "sk-test", baseURL: fake.url, model: "gpt-test" });

  it("returns plain text with usage and sends the configured model and options", async () => {
    fake.enqueue({ text: "Start with pizza slices.", usage: { prompt_tokens: 12, completion_tokens: 4 } });
    const before = fake.requests.length;
    const res = await provider().complete(request({ temperature: 0.3, maxTokens: 200 }));
    expect(res).toEqual({ text: "Start with pizza slices.", usage: { inputTokens: 12, outputTokens: 4 }, model: "gpt-test" });
    const sent = fake.requests[before]!;
    expect(sent.model).toBe("gpt-test");
    expect(sent.temperature).toBe(0.3);
    expect(sent.max_tokens).toBe(200);
    expect(sent.messages).toEqual(request().messages);
    expect(sent.response_format).toBeUndefined();
  });

  it("asks for structured output with the JSON schema, and the default fake answer fits it", async () => {
    const before = fake.requests.length;
    const res = await provider().complete(request({ schema: planSchema, model: "gpt-other" }));
    const sent = fake.requests[before]!;
    expect(sent.model).toBe("gpt-other");
    expect(sent.response_format).toEqual({
      type: "json_schema",
      json_schema: { name: "lesson_plan", schema: planSchema.jsonSchema, strict: false },
    });
    expect(Plan.safeParse(JSON.parse(res.text)).success).toBe(true);
    expect(res.usage.outputTokens).toBeGreaterThan(0);
  });

  it("returns scripted JSON as text", async () => {
    const value = { title: "Fractions", steps: ["a", "b"], minutes: 40 };
    fake.enqueue({ json: value });
    const res = await provider().complete(request({ schema: planSchema }));
    expect(JSON.parse(res.text)).toEqual(value);
  });

  it("streams deltas when onDelta is set and returns the full text plus usage", async () => {
    const text = "First, fold paper strips. Then compare halves and quarters.";
    fake.enqueue({ text, usage: { prompt_tokens: 20, completion_tokens: 11 } });
    const deltas: string[] = [];
    const before = fake.requests.length;
    const res = await provider().complete(request({ onDelta: (d) => deltas.push(d) }));
    expect(fake.requests[before]!.stream).toBe(true);
    expect(fake.requests[before]!.stream_options).toEqual({ include_usage: true });
    expect(deltas.length).toBeGreaterThan(3);
    expect(deltas.join("")).toBe(text);
    expect(res.text).toBe(text);
    expect(res.usage).toEqual({ inputTokens: 20, outputTokens: 11 });
  });

  it("maps a 500 to a retryable ModelUnavailableError", async () => {
    fake.enqueue({ status: 500 });
    const error = await rejection(provider().complete(request()));
    expect(error).toBeInstanceOf(ModelUnavailableError);
    expect((error as ModelUnavailableError).retryable).toBe(true);
    expect((error as ModelUnavailableError).message).toMatch(/server error \(HTTP 500\)/);
  });

  it("maps a 429 with Retry-After to ModelRateLimitError with retryAfterMs, without SDK retries", async () => {
    fake.enqueue({ status: 429, retryAfter: 2 });
    const before = fake.requests.length;
    const error = await rejection(provider().complete(request()));
    expect(error).toBeInstanceOf(ModelRateLimitError);
    expect((error as ModelRateLimitError).retryAfterMs).toBe(2000);
    expect((error as ModelRateLimitError).retryable).toBe(true);
    expect(fake.requests.length).toBe(before + 1);
  });

  it("maps a 401 to a non-retryable ModelRequestError that names OPENAI_API_KEY", async () => {
    fake.enqueue({ status: 401 });
    const error = await rejection(provider().complete(request()));
    expect(error).toBeInstanceOf(ModelRequestError);
    expect((error as ModelRequestError).retryable).toBe(false);
    expect((error as ModelRequestError).message).toBe("The model endpoint rejected the API key. Check OPENAI_API_KEY.");
  });

  it("closes the HTTP request when the signal aborts, rejecting promptly with the signal's reason", async () => {
    fake.enqueue({ delayMs: 20_000 });
    const controller = new AbortController();
    const before = fake.requests.length;
    const abortedBefore = fake.aborted;
    const call = provider().complete(request({ signal: controller.signal }));
    await vi.waitFor(() => expect(fake.requests.length).toBe(before + 1));
    const started = Date.now();
    controller.abort(new NodeTimeoutError("plan", 50));
    const error = await rejection(call);
    expect(error).toBeInstanceOf(NodeTimeoutError);
    // Far below the 20 s the fake would have waited: the call did not wait for the answer.
    expect(Date.now() - started).toBeLessThan(10_000);
    await vi.waitFor(() => expect(fake.aborted).toBe(abortedBefore + 1));
  });

  it("aborts a stream mid-way instead of returning a partial answer", async () => {
    fake.enqueue({ delayMs: 20_000, text: "First word, then nothing more." });
    const controller = new AbortController();
    const deltas: string[] = [];
    const before = fake.requests.length;
    const abortedBefore = fake.aborted;
    const call = provider().complete(request({ signal: controller.signal, onDelta: (d) => deltas.push(d) }));
    await vi.waitFor(() => expect(deltas).toEqual(["First "]));
    expect(fake.requests.length).toBe(before + 1);
    const reason = new Error("cancelled by the teacher");
    controller.abort(reason);
    expect(await rejection(call)).toBe(reason);
    await vi.waitFor(() => expect(fake.aborted).toBe(abortedBefore + 1));
  });
});

describe("openai provider with an unreachable endpoint", () => {
  it("says in one sentence that the endpoint could not be reached", async () => {
    // A port that was just free and is now closed: connection refused.
    const port = await new Promise<number>((resolve) => {
      const srv = createServer();
      srv.listen(0, "127.0.0.1", () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolve(p));
      });
    });
    const provider = createOpenAIProvider({ baseURL: `http://127.0.0.1:${port}/v1`, model: "m" });
    const error = await rejection(provider.complete(request()));
    expect(error).toBeInstanceOf(ModelUnavailableError);
    expect((error as Error).message).toBe(
      `Could not reach the model endpoint at 127.0.0.1:${port}: the connection was refused (is the server running?). Check OPENAI_BASE_URL.`,
    );
    expect((error as ModelUnavailableError).retryable).toBe(true);
  });
});

describe("retryAfterMs", () => {
  it("reads retry-after-ms, retry-after seconds and retry-after HTTP dates", async () => {
    const { retryAfterMs } = await import("../../src/model/openai.ts");
    const now = Date.parse("2025-01-01T00:00:00Z");
    expect(retryAfterMs(new Headers({ "retry-after-ms": "250", "retry-after": "9" }), now)).toBe(250);
    expect(retryAfterMs(new Headers({ "retry-after": "1.5" }), now)).toBe(1500);
    expect(retryAfterMs(new Headers({ "retry-after": "Wed, 01 Jan 2025 00:00:03 GMT" }), now)).toBe(3000);
    expect(retryAfterMs(new Headers({ "retry-after": "soon" }), now)).toBeUndefined();
    expect(retryAfterMs(new Headers(), now)).toBeUndefined();
  });
});
