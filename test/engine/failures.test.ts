// Failure handling: retry with full-jitter backoff and Retry-After on a fake clock, non-retryable errors,
// timeouts that abort the provider call, onError fallbacks, onFailure, structured-output repair, cancel.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { type createEngine, WorkflowBuilder } from "../../src/engine/index.ts";
import { ModelRateLimitError, ModelRequestError, ModelUnavailableError } from "../../src/errors.ts";
import { FakeClock, flush, gate, ScriptedModel, startEngine, until } from "./helpers.ts";

let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

async function setup(model: ScriptedModel, extra: Partial<Parameters<typeof createEngine>[0]> = {}) {
  const rig = await startEngine({ model, engine: extra });
  cleanups.push(rig.close);
  return rig;
}

const unavailable = () => ({ error: new ModelUnavailableError("The model service is down.", { status: 503 }) });

describe("retry and backoff", () => {
  it("retries retryable errors with full-jitter exponential delays on the injected clock", async () => {
    const clock = new FakeClock();
    const model = new ScriptedModel().script("draft", unavailable(), unavailable(), "third time lucky");
    const { engine, events } = await setup(model, { clock, random: () => 0.5 });
    engine.register({
      definition: new WorkflowBuilder("retry", 1, "Retry")
        .agent("draft", { prompt: "Go", retry: { maxAttempts: 3, baseDelayMs: 100 } })
        .build(),
    });
    const exec = await engine.start("retry", { inputs: {}, userId: "U" });
    const retrying = () => events.filter((e) => e.type === "node.retrying");

    await until(() => retrying().length === 1, "first retry");
    expect(retrying()[0]).toMatchObject({ nodeId: "draft", data: { delayMs: 50, error: { code: "model_unavailable" } } });
    await clock.advance(49);
    expect(model.callsFor("draft")).toHaveLength(1);
    await clock.advance(1);
    await until(() => retrying().length === 2, "second retry");
    expect(model.callsFor("draft")).toHaveLength(2);
    // 0.5 * min(30000, 100 * 2^1)
    expect(retrying()[1]?.data).toMatchObject({ delayMs: 100 });
    await clock.advance(99);
    expect(model.callsFor("draft")).toHaveLength(2);
    await clock.advance(1);

    const view = await engine.wait(exec.id);
    expect(view.status).toBe("completed");
    expect(view.nodes[0]).toMatchObject({ status: "completed", attempts: 3, output: "third time lucky" });
    expect(clock.sleeps).toEqual(expect.arrayContaining([50, 100]));
    const attempts = retrying().map((e) => e.data?.attempt);
    expect(attempts).toEqual([attempts[0], (attempts[0] as number) + 1]);
  });

  it("waits Retry-After for a 429, capped by maxDelayMs, and uses the workflow policy under a node override", async () => {
    const clock = new FakeClock();
    const model = new ScriptedModel()
      .script("a", { error: new ModelRateLimitError("Slow down.", 2000) }, "A")
      .script("b", { error: new ModelRateLimitError("Slow down.", 5000) }, "B");
    const { engine, events } = await setup(model, { clock, random: () => 0 });
    const def = new WorkflowBuilder("limits", 1, "Limits")
      .agent("a", { prompt: "a" })
      .agent("b", { after: "a", prompt: "b", retry: { maxDelayMs: 1000 } })
      .retry({ maxAttempts: 2, baseDelayMs: 10 })
      .build();
    engine.register({ definition: def });
    const exec = await engine.start("limits", { inputs: {}, userId: "U" });
    await until(() => events.some((e) => e.type === "node.retrying" && e.nodeId === "a"), "a to back off");
    expect(events.find((e) => e.type === "node.retrying")?.data).toMatchObject({ delayMs: 2000, error: { code: "model_rate_limited" } });
    await clock.advance(1999);
    expect(model.callsFor("a")).toHaveLength(1);
    await clock.advance(1);
    await until(() => events.some((e) => e.type === "node.retrying" && e.nodeId === "b"), "b to back off");
    expect(events.find((e) => e.type === "node.retrying" && e.nodeId === "b")?.data).toMatchObject({ delayMs: 1000 });
    await clock.advance(1000);
    expect((await engine.wait(exec.id)).status).toBe("completed");
  });

  it("gives up after maxAttempts, and never retries a non-retryable error", async () => {
    const clock = new FakeClock();
    const model = new ScriptedModel()
      .script("flaky", unavailable(), unavailable())
      .script("rejected", { error: new ModelRequestError("Unknown model.", { status: 404 }) });
    const { engine, events } = await setup(model, { clock, random: () => 1 });
    engine.register({
      definition: new WorkflowBuilder("flaky", 1, "Flaky")
        .agent("flaky", { prompt: "x", retry: { maxAttempts: 2, baseDelayMs: 40 } })
        .build(),
    });
    engine.register({ definition: new WorkflowBuilder("rejected", 1, "Rejected").agent("rejected", { prompt: "x" }).build() });

    const flaky = await engine.start("flaky", { inputs: {}, userId: "U" });
    await until(() => events.some((e) => e.type === "node.retrying"), "a retry");
    expect(events.find((e) => e.type === "node.retrying")?.data).toMatchObject({ delayMs: 40 });
    await clock.advance(40);
    const failed = await engine.wait(flaky.id);
    expect(failed.status).toBe("failed");
    expect(failed.error).toMatchObject({ code: "model_unavailable" });
    expect(failed.nodes[0]).toMatchObject({ status: "failed", attempts: 2, error: { code: "model_unavailable" } });

    const rejected = await engine.wait((await engine.start("rejected", { inputs: {}, userId: "U" })).id);
    expect(rejected.status).toBe("failed");
    expect(rejected.nodes[0]).toMatchObject({ status: "failed", attempts: 1, error: { code: "model_request_rejected" } });
    expect(model.callsFor("rejected")).toHaveLength(1);
    expect(events.filter((e) => e.executionId === rejected.id && e.type === "node.retrying")).toHaveLength(0);
    expect(events.filter((e) => e.executionId === rejected.id).at(-1)?.type).toBe("execution.failed");
  });
});

describe("cancel during backoff", () => {
  it("cancelling while a node waits to retry ends the execution without advancing the clock", async () => {
    const clock = new FakeClock();
    const model = new ScriptedModel().script("draft", unavailable());
    const { engine, events } = await setup(model, { clock, random: () => 1 });
    engine.register({
      definition: new WorkflowBuilder("backoff", 1, "Backoff").agent("draft", { prompt: "x", retry: { baseDelayMs: 10_000 } }).build(),
    });
    const exec = await engine.start("backoff", { inputs: {}, userId: "U" });
    await until(() => events.some((e) => e.type === "node.retrying"), "a retry");
    expect(await engine.cancel(exec.id)).toBe(true);
    const view = await engine.wait(exec.id);
    expect(view.status).toBe("cancelled");
    expect(model.callsFor("draft")).toHaveLength(1);
    expect(clock.pending).toBe(0);
  });
});

describe("timeouts", () => {
  it("aborts a slow call when its timeout elapses and fails the attempt at once, then retries", async () => {
    const model = new ScriptedModel().script("slow", { hang: true }, { hang: true });
    const { engine, events } = await setup(model);
    engine.register({
      definition: new WorkflowBuilder("slow", 1, "Slow")
        .agent("slow", { prompt: "x", timeoutMs: 20, retry: { maxAttempts: 2, baseDelayMs: 0 } })
        .build(),
    });
    const view = await engine.wait((await engine.start("slow", { inputs: {}, userId: "U" })).id);
    expect(view.status).toBe("failed");
    expect(view.nodes[0]).toMatchObject({ status: "failed", attempts: 2, error: { code: "node_timeout" } });
    // The provider saw its signal fire on both attempts (the calls never end on their own).
    expect(model.aborted).toEqual(["slow", "slow"]);
    expect(events.filter((e) => e.type === "node.retrying")[0]?.data).toMatchObject({ error: { code: "node_timeout" } });
  });

  it("applies defaultTimeoutMs to agent nodes without their own timeout", async () => {
    const model = new ScriptedModel().script("slow", { hang: true });
    const { engine } = await setup(model, { defaultTimeoutMs: 15 });
    engine.register({
      definition: new WorkflowBuilder("slow2", 1, "Slow").agent("slow", { prompt: "x", retry: { maxAttempts: 1 } }).build(),
    });
    const view = await engine.wait((await engine.start("slow2", { inputs: {}, userId: "U" })).id);
    expect(view.nodes[0]).toMatchObject({ status: "failed", error: { code: "node_timeout" } });
    expect(model.aborted).toEqual(["slow"]);
  });
});

describe("fallbacks", () => {
  it("runs onError after the node fails for good and stands its output in for the failed node", async () => {
    const model = new ScriptedModel().script("primary", { error: new ModelRequestError("No.") });
    const { engine, events } = await setup(model);
    const def = new WorkflowBuilder("fallback", 1, "Fallback")
      .inputs("topic")
      .agent("primary", { in: { topic: "inputs.topic" }, prompt: "Write about {{topic}}", onError: "backup" })
      .transform("backup", { in: { topic: "inputs.topic" }, fn: "canned" })
      .transform("use", { after: "primary", in: { text: "nodes.primary" }, fn: "echo" })
      .build();
    engine.register({ definition: def, transforms: { canned: (i) => `canned ${String(i.topic)}`, echo: (i) => i.text } });
    const exec = await engine.start("fallback", { inputs: { topic: "owls" }, userId: "U" });
    const view = await engine.wait(exec.id);
    expect(view.status).toBe("completed");
    const byId = Object.fromEntries(view.nodes.map((n) => [n.nodeId, n]));
    expect(byId.primary).toMatchObject({ status: "completed", output: "canned owls", fallbackFrom: "backup" });
    expect(byId.use?.output).toBe("canned owls");
    const fb = events.filter((e) => e.executionId === exec.id && e.type === "node.fallback");
    expect(fb).toHaveLength(1);
    expect(fb[0]?.data).toMatchObject({ from: "primary", to: "backup" });
    // The fallback did not also run as an ordinary root node.
    expect(events.filter((e) => e.executionId === exec.id && e.type === "node.started" && e.nodeId === "backup")).toHaveLength(1);
  });

  it("runs the workflow's onFailure node once with the inputs and the error, then reports execution.failed", async () => {
    const model = new ScriptedModel().script("only", { error: new ModelRequestError("Refused.") });
    const { engine, events } = await setup(model);
    const seen: Record<string, unknown>[] = [];
    const def = new WorkflowBuilder("fails", 1, "Fails")
      .inputs("topic")
      .agent("only", { prompt: "x" })
      .transform("notify", { fn: "notify" })
      .onFailure("notify")
      .build();
    engine.register({
      definition: def,
      transforms: {
        notify: (i) => {
          seen.push(i);
          return "notified";
        },
      },
    });
    const exec = await engine.start("fails", { inputs: { topic: "t" }, userId: "U" });
    const view = await engine.wait(exec.id);
    expect(view.status).toBe("failed");
    expect(view.error).toMatchObject({ code: "model_request_rejected" });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ inputs: { topic: "t" }, error: { code: "model_request_rejected" } });
    const mine = events.filter((e) => e.executionId === exec.id);
    expect(mine.at(-1)?.type).toBe("execution.failed");
    expect(mine.findIndex((e) => e.type === "node.completed" && e.nodeId === "notify")).toBeLessThan(mine.length - 1);
  });
});

describe("structured output", () => {
  const Plan = z.object({ steps: z.array(z.string()).min(1) });
  const def = () =>
    new WorkflowBuilder("structured", 1, "Structured")
      .agent("plan", { prompt: "Plan", outputSchema: "Plan", retry: { maxAttempts: 3 } })
      .build();

  it("makes one repair call that tells the model what was wrong", async () => {
    const model = new ScriptedModel().script("plan", "Sure! Here is a plan", JSON.stringify({ steps: ["one"] }));
    const { engine } = await setup(model);
    engine.register({ definition: def(), schemas: { Plan } });
    const view = await engine.wait((await engine.start("structured", { inputs: {}, userId: "U" })).id);
    expect(view.status).toBe("completed");
    expect(view.nodes[0]?.output).toEqual({ steps: ["one"] });
    const calls = model.callsFor("plan");
    expect(calls).toHaveLength(2);
    expect(calls[0]?.schema?.jsonSchema).toBeTypeOf("object");
    // The repair request carries the bad answer and a correction after the original conversation.
    expect(calls[1]!.messages.length).toBeGreaterThan(calls[0]!.messages.length);
    expect(calls[1]!.messages.some((m) => m.role === "assistant" && m.content === "Sure! Here is a plan")).toBe(true);
  });

  it("fails with ModelOutputError after the repair also misses the schema, without retrying", async () => {
    const model = new ScriptedModel().script(
      "plan",
      JSON.stringify({ steps: [] }),
      JSON.stringify({ nope: true }),
      JSON.stringify({ steps: ["x"] }),
    );
    const { engine, events } = await setup(model);
    engine.register({ definition: def(), schemas: { Plan } });
    const view = await engine.wait((await engine.start("structured", { inputs: {}, userId: "U" })).id);
    expect(view.status).toBe("failed");
    expect(view.nodes[0]).toMatchObject({ status: "failed", error: { code: "model_output_invalid" } });
    expect(model.callsFor("plan")).toHaveLength(2);
    expect(events.filter((e) => e.type === "node.retrying")).toHaveLength(0);
  });
});

describe("concurrency and cancel", () => {
  it("shares one provider limiter across executions (providerConcurrency)", async () => {
    const gates = [gate(), gate(), gate()];
    let i = 0;
    const model = new ScriptedModel();
    model.fallback = () => ({ gate: gates[i++]!, text: "ok" });
    const { engine } = await setup(model, { providerConcurrency: 2 });
    engine.register({ definition: new WorkflowBuilder("one", 1, "One").agent("x", { prompt: "x" }).build() });
    const ids = await Promise.all([0, 1, 2].map(() => engine.start("one", { inputs: {}, userId: "U" }).then((r) => r.id)));
    await until(() => model.requests.length === 2, "two calls");
    await flush(20);
    expect(model.requests).toHaveLength(2);
    gates[0]!.release();
    await until(() => model.requests.length === 3, "the third call");
    gates[1]!.release();
    gates[2]!.release();
    for (const id of ids) expect((await engine.wait(id)).status).toBe("completed");
  });

  it("cancel aborts the in-flight call, records cancelled, and is false once finished", async () => {
    const model = new ScriptedModel().script("long", { hang: true });
    const { engine, events } = await setup(model);
    engine.register({
      definition: new WorkflowBuilder("cancel-me", 1, "Cancel")
        .agent("long", { prompt: "x" })
        .agent("later", { after: "long", prompt: "y" })
        .build(),
    });
    const exec = await engine.start("cancel-me", { inputs: {}, userId: "U" });
    await until(() => model.requests.length === 1, "the call");
    expect(await engine.cancel(exec.id)).toBe(true);
    const view = await engine.wait(exec.id);
    expect(view.status).toBe("cancelled");
    expect(model.aborted).toEqual(["long"]);
    expect(model.callsFor("later")).toHaveLength(0);
    expect(view.nodes.find((n) => n.nodeId === "later")?.status).not.toBe("completed");
    expect(events.filter((e) => e.executionId === exec.id).at(-1)?.type).toBe("execution.cancelled");
    expect(await engine.cancel(exec.id)).toBe(false);
    expect(await engine.cancel("no-such-execution")).toBe(false);
  });
});
