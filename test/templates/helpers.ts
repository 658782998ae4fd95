// Shared setup for the template suites: a real engine on an in-memory store with the given model provider.

import { openStore, type Store } from "../../src/drivers/local/database.ts";
import { createEngine, type Engine } from "../../src/engine/index.ts";
import type { ExecutionView } from "../../src/engine/records.ts";
import { createOpenAIProvider } from "../../src/model/openai.ts";
import type { ModelProvider } from "../../src/model/types.ts";
import { loadNameModel, storeBoundary, workflowVocabulary } from "../../src/privacy/index.ts";
import type { Template } from "../../src/templates/index.ts";
import { type FakeOpenAI, startFakeOpenAI } from "../fakes/openai-server.ts";

export type Harness = {
  engine: Engine;
  store: Store;
  close(): Promise<void>;
  run(id: string, inputs: Record<string, unknown>): Promise<ExecutionView>;
};

/** `model` may be built over the store (the privacy boundary keeps its maps there). */
export async function harness(templates: readonly Template[], model: ModelProvider | ((store: Store) => ModelProvider)): Promise<Harness> {
  const store = await openStore("memory:");
  const engine = createEngine({ store, model: typeof model === "function" ? model(store) : model, defaultTimeoutMs: 20_000 });
  for (const t of templates) engine.register(t.workflow);
  return {
    engine,
    store,
    async run(id, inputs) {
      const started = await engine.start(id, { inputs, userId: "U-teacher" });
      return engine.wait(started.id, { timeoutMs: 20_000 });
    },
    async close() {
      await engine.close();
      await store.close();
    },
  };
}

export type OpenAIHarness = Harness & {
  fake: FakeOpenAI;
  /** The user prompt of the fake's request `i`, with the privacy boundary's data fences taken out (asserted in test/privacy). */
  prompt(i: number): string;
};

/**
 * The harness as the runtime builds its model: the real openai SDK against the local OpenAI-compatible fake,
 * behind the privacy boundary. `close` closes both.
 */
export async function openAIHarness(templates: readonly Template[]): Promise<OpenAIHarness> {
  const fake = await startFakeOpenAI();
  // The name detector loads once per process (seconds on a busy machine); not part of any test's time.
  await loadNameModel();
  const vocabulary = workflowVocabulary(templates.map((t) => t.workflow.definition));
  const h = await harness(templates, (store) =>
    storeBoundary(createOpenAIProvider({ apiKey: "sk-test", baseURL: fake.url, model: "gpt-test" }), store, { vocabulary }),
  );
  return {
    ...h,
    fake,
    prompt: (i) => (fake.requests[i]?.messages.find((m) => m.role === "user")?.content ?? "").replace(/<\/?data(?:-[a-z0-9]+)?>/g, ""),
    async close() {
      await h.close();
      await fake.close();
    },
  };
}

/** The `## ` and `### ` headings of a Markdown document, in order. */
export function headings(markdown: string): string[] {
  return markdown
    .split("\n")
    .filter((l) => /^#{2,3} /.test(l))
    .map((l) => l.replace(/^#+ /, ""));
}

/** Minutes per row of the lesson plan's timing table, and its stated total. */
export function timingTable(markdown: string): { rows: number[]; total: number } {
  const section = markdown.split("## Timing")[1]?.split("\n## ")[0] ?? "";
  const rows = [...section.matchAll(/^\| (?!Section|---|\*\*Total)[^|]+\| (\d+) \|/gm)].map((m) => Number(m[1]));
  const total = Number(/\| \*\*Total\*\* \| \*\*(\d+)\*\*/.exec(section)?.[1] ?? Number.NaN);
  return { rows, total };
}
