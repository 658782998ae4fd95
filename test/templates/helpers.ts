// Shared setup for the template suites: a real engine on an in-memory store with the given model provider.

import { openStore, type Store } from "../../src/drivers/local/database.ts";
import { createEngine, type Engine } from "../../src/engine/index.ts";
import type { ExecutionView } from "../../src/engine/records.ts";
import type { ModelProvider } from "../../src/model/types.ts";
import type { Template } from "../../src/templates/index.ts";

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
