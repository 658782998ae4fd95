// A model answer holding NUL (raw, and as a JSON escape) or a lone surrogate, through the real openai SDK
// against the fake OpenAI server, on PostgreSQL (which refuses NUL: such an answer once left the execution
// `running` forever): the execution completes and what is stored has neither.
import { afterAll, beforeAll, expect, it } from "vitest";
import { openPostgresStore, type PostgresStore } from "../../src/drivers/postgres/open.ts";
import { chooseStore } from "../../src/drivers/urls.ts";
import { createEngine, WorkflowBuilder } from "../../src/engine/index.ts";
import { createOpenAIProvider } from "../../src/model/openai.ts";
import { type FakeOpenAI, startFakeOpenAI } from "../fakes/openai-server.ts";
import { describeWithPostgres, testSchema } from "./helpers.ts";

describeWithPostgres("model answers with characters no store can keep, on PostgreSQL", () => {
  const target = testSchema("sr_nul");
  let store: PostgresStore;
  let fake: FakeOpenAI;
  beforeAll(async () => {
    const choice = chooseStore(target.storeUrl);
    if (choice?.kind !== "postgres") throw new Error("expected postgres");
    store = await openPostgresStore(choice, { ttlMs: 86_400_000, poolSize: 4, sweepEveryMs: 0 });
    fake = await startFakeOpenAI();
  });
  afterAll(async () => {
    await store?.close();
    await fake?.close();
    await target.drop();
  });

  it("completes the execution and stores the answer without NUL or lone surrogates", async () => {
    const engine = createEngine({
      executions: store.executions,
      model: createOpenAIProvider({ apiKey: "sk-test", baseURL: fake.url, model: "gpt-test" }),
      reconcileEveryMs: 0,
    });
    try {
      engine.register({ definition: new WorkflowBuilder("nul-answer", 1, "NUL answer").agent("draft", { prompt: "Write it." }).build() });
      fake.enqueue({ text: "Volcanoes\u0000 erupt \uD800when pressure\uDFFF builds 🌋." });
      const exec = await engine.start("nul-answer", { inputs: {}, userId: "U" });
      const done = await engine.wait(exec.id, { timeoutMs: 20_000 });
      expect(done.status).toBe("completed");
      // Stored at the first answer: no failed write and no second call.
      expect(fake.requests).toHaveLength(1);
      const view = await engine.get(exec.id);
      expect(view?.nodes[0]?.output).toBe("Volcanoes erupt when pressure builds 🌋.");
      const stored = JSON.stringify(view);
      expect(stored).not.toMatch(/\\u0000|\\ud800|\\udfff/i);
    } finally {
      await engine.close();
    }
  });
});
