// The sealing area of `npm run bench`: what sealing a teacher's executions costs. The same 20-node chains run
// through the engine on a SQLite file with the plain local driver and with SealedExecutionStore over it (the
// app's setting), interleaved in the same run; the row is the ratio of their medians (the plain one is the floor).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore } from "../src/drivers/local/database.ts";
import { SealedExecutionStore } from "../src/drivers/sealed-executions.ts";
import { createEngine, WorkflowBuilder } from "../src/engine/index.ts";
import type { ExecutionStore } from "../src/engine/store/types.ts";
import type { ModelProvider } from "../src/model/types.ts";
import { type BenchRow, median } from "./lib.ts";

const NODES = 20;
const PER_ROUND = 20;
const ROUNDS = 9;

const model: ModelProvider = {
  name: "bench",
  complete: async () => ({
    text: "Short output about the water cycle for the class.",
    usage: { inputTokens: 20, outputTokens: 40 },
    model: "bench-1",
  }),
};

function chain() {
  let b = new WorkflowBuilder("sealed-chain", 1, "sealed-chain").inputs("topic");
  for (let i = 1; i <= NODES; i++)
    b = b.agent(`n${i}`, { after: i > 1 ? `n${i - 1}` : undefined, in: { topic: "inputs.topic" }, prompt: "Write step {{topic}}" });
  return b.build();
}

/** Milliseconds per execution, one round of PER_ROUND chains run one after another. */
async function round(sealed: boolean): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "staffroom-bench-sealed-"));
  const store = await openStore(`sqlite://${join(dir, "bench.sqlite")}`);
  const executions: ExecutionStore = sealed ? new SealedExecutionStore(store.executions, store.keys) : store.executions;
  const engine = createEngine({ executions, model });
  try {
    engine.register({ definition: chain() });
    // Warm-up, one run per teacher: JIT, page cache, and each teacher's data key (made once in a teacher's life).
    for (let i = 0; i < 3; i++)
      await engine.wait((await engine.start("sealed-chain", { inputs: { topic: "warm" }, userId: `teacher-${i}` })).id);
    const t0 = performance.now();
    for (let i = 0; i < PER_ROUND; i++)
      await engine.wait((await engine.start("sealed-chain", { inputs: { topic: "the water cycle" }, userId: `teacher-${i % 3}` })).id);
    return (performance.now() - t0) / PER_ROUND;
  } finally {
    await engine.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<BenchRow[]> {
  const plain: number[] = [];
  const sealed: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    // Interleaved, the order alternating, so drift on a shared machine hits both alike.
    if (r % 2 === 0) {
      plain.push(await round(false));
      sealed.push(await round(true));
    } else {
      sealed.push(await round(true));
      plain.push(await round(false));
    }
  }
  const ratio = median(sealed) / median(plain);
  return [
    {
      area: "sealing",
      metric: `20-node execution, plain SQLite driver (floor)`,
      value: median(plain),
      unit: "ms",
      target: "floor",
      ok: true,
    },
    {
      area: "sealing",
      metric: `20-node execution, sealed (SealedExecutionStore)`,
      value: median(sealed),
      unit: "ms",
      target: "measured",
      ok: true,
    },
    { area: "sealing", metric: "sealed / plain", value: ratio, unit: "x", target: "<= 1.25 x", ok: ratio <= 1.25 },
  ];
}
