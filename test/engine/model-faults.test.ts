// Model faults end to end: the engine driving the real `openai` SDK against the local fake over real sockets.
// A body broken in transit is retried and the run completes; a 429 then success completes; a 429 every time
// fails with a sentence that describes the final state; an oversized answer fails at once with its own sentence.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { WorkflowBuilder } from "../../src/engine/index.ts";
import { createOpenAIProvider } from "../../src/model/openai.ts";
import { type FakeOpenAI, startFakeOpenAI } from "../fakes/openai-server.ts";
import { type ScriptedModel, startEngine } from "./helpers.ts";

let fake: FakeOpenAI;
beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterAll(async () => {
  await fake.close();
});
let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

const Plan = z.object({ title: z.string(), steps: z.array(z.string()) });
const retry = { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 50 };

async function run() {
  const model = createOpenAIProvider({ apiKey: "sk-test", baseURL: fake.url, model: "gpt-test", maxAnswerBytes: 64 * 1024 });
  // The rig types its model as the scripted one; the engine takes any ModelProvider.
  const rig = await startEngine({ model: model as unknown as ScriptedModel });
  cleanups.push(rig.close);
  rig.engine.register({
    definition: new WorkflowBuilder("faults", 1, "Faults").agent("plan", { prompt: "Plan a lesson", outputSchema: "Plan", retry }).build(),
    schemas: { Plan },
  });
  const exec = await rig.engine.start("faults", { inputs: {}, userId: "U" });
  const view = await rig.engine.wait(exec.id);
  return { view, events: rig.events.filter((e) => e.executionId === exec.id) };
}

const good = { json: { title: "Fractions", steps: ["fold", "compare"] } };

describe("model faults through the real SDK", () => {
  for (const truncate of ["cut", "end"] as const) {
    it(`retries a body ${truncate === "cut" ? "cut off" : "ended early"} in transit and completes when the next answer is whole`, async () => {
      const before = fake.requests.length;
      fake.enqueue({ ...good, truncate }, good);
      const { view, events } = await run();
      expect(view.status).toBe("completed");
      expect(view.nodes[0]).toMatchObject({ status: "completed", attempts: 2, output: good.json });
      expect(events.find((e) => e.type === "node.retrying")?.data).toMatchObject({ error: { code: "model_answer_broken" } });
      // Retried as a new call, not "repaired" as if the model had written the wrong shape.
      expect(fake.requests.length - before).toBe(2);
      expect(fake.requests.at(-1)?.messages.some((m) => /did not match/.test(m.content))).toBe(false);
    });
  }

  it("still treats valid JSON of the wrong shape as the answer's shape: one repair call, then a shape error", async () => {
    fake.enqueue({ notFitting: { nope: 1 } }, { notFitting: { nope: 2 } });
    const { view } = await run();
    expect(view.status).toBe("failed");
    expect(view.error).toMatchObject({ code: "model_output_invalid" });
    expect(view.nodes[0]).toMatchObject({ attempts: 1 });
  });

  it("completes after a 429 then success", async () => {
    fake.enqueue({ status: 429 }, good);
    const { view, events } = await run();
    expect(view.status).toBe("completed");
    expect(view.nodes[0]).toMatchObject({ attempts: 2, output: good.json });
    expect(events.find((e) => e.type === "node.retrying")?.data).toMatchObject({ error: { code: "model_rate_limited" } });
  });

  it("fails after 429 every time with a sentence about the final state, not a promise to try again", async () => {
    fake.enqueue({ status: 429 }, { status: 429 }, { status: 429 });
    const { view } = await run();
    expect(view.status).toBe("failed");
    expect(view.error?.code).toBe("model_rate_limited");
    expect(view.error?.message).toMatch(/is rate limiting requests \(HTTP 429\)\. Stopped after 3 attempts\.$/);
    expect(view.error?.message).not.toMatch(/will wait|try again/);
  });

  it("fails an oversized answer at once (no retry) with the size sentence", async () => {
    fake.enqueue({ text: "word ".repeat(1 << 20) });
    const { view } = await run();
    expect(view.status).toBe("failed");
    expect(view.error).toMatchObject({ code: "model_answer_too_large" });
    expect(view.error?.message).toContain("past the 64 KB limit");
    expect(view.nodes[0]).toMatchObject({ attempts: 1 });
  });
});
