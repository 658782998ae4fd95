// Engine benchmarks against the targets, on a temp SQLite file with the real store: overhead
// per node with a zero-latency model, bytes stored per execution, parallel branches against their
// critical path, and RSS with 1,000 executions waiting on a slow model (measured in a fresh child).
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { EngineApi } from "../src/engine/api.ts";
import { createEngine, openStore, WorkflowBuilder } from "../src/engine/index.ts";
import type { WorkflowDefinition } from "../src/engine/schema.ts";
import type { ModelProvider, ModelRequest, ModelResponse } from "../src/model/types.ts";
import { type BenchRow, median, percentile, repeat } from "./lib.ts";

const here = dirname(fileURLToPath(import.meta.url));
const AREA = "engine";

/** A provider with a fixed latency (0 = answers on the next tick), or held until `release()`. */
class LatencyModel implements ModelProvider {
  readonly name = "bench";
  inFlight = 0;
  private held: (() => void)[] = [];
  constructor(
    private readonly latencyMs: number | "hold",
    private readonly answer: (req: ModelRequest) => string = (req) => `answer for ${req.meta.nodeId}`,
  ) {}

  async complete(request: ModelRequest): Promise<ModelResponse> {
    this.inFlight++;
    try {
      if (this.latencyMs === "hold") await new Promise<void>((r) => this.held.push(r));
      else if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs as number));
      return { text: this.answer(request), usage: { inputTokens: 20, outputTokens: 40 }, model: "bench-1" };
    } finally {
      this.inFlight--;
    }
  }

  release(): void {
    for (const r of this.held.splice(0)) r();
  }
}

function tempStoreFile(): { file: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "staffroom-bench-"));
  return { file: join(dir, "bench.sqlite"), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

async function withEngine<T>(
  model: ModelProvider,
  fn: (engine: EngineApi, store: Awaited<ReturnType<typeof openStore>>) => Promise<T>,
  providerConcurrency = 4,
): Promise<T> {
  const { file, cleanup } = tempStoreFile();
  const store = await openStore(`sqlite://${file}`);
  const engine = createEngine({ store, model, providerConcurrency });
  try {
    return await fn(engine, store);
  } finally {
    await engine.close();
    await store.close();
    cleanup();
  }
}

function agentChain(id: string, n: number, prompt = "Write step {{topic}}"): WorkflowDefinition {
  let b = new WorkflowBuilder(id, 1, id).inputs("topic");
  for (let i = 1; i <= n; i++) b = b.agent(`n${i}`, { after: i > 1 ? `n${i - 1}` : undefined, in: { topic: "inputs.topic" }, prompt });
  return b.build();
}

/**
 * Per-node overhead: time from a node's predecessor being persisted as completed to the node itself
 * being persisted as completed, with a model that answers at once. Percentiles are taken over every
 * node of a round (10 executions of a 20-node chain); the table shows the median over rounds.
 */
async function overhead(): Promise<BenchRow[]> {
  const nodes = 20;
  const perRound = 10;
  const rounds = 5;
  const model = new LatencyModel(0);
  const results = await withEngine(model, async (engine) => {
    engine.register({ definition: agentChain("overhead", nodes) });
    const stamps = new Map<string, number[]>();
    engine.onEvent((e) => {
      if (e.type === "execution.started" || e.type === "node.completed") {
        const list = stamps.get(e.executionId) ?? [];
        list.push(performance.now());
        stamps.set(e.executionId, list);
      }
    });
    // Warm-up: JIT, sqlite page cache.
    for (let i = 0; i < 5; i++) await engine.wait((await engine.start("overhead", { inputs: { topic: "warm" }, userId: "bench" })).id);
    return repeat(rounds, async () => {
      const gaps: number[] = [];
      const t0 = performance.now();
      for (let i = 0; i < perRound; i++) {
        const exec = await engine.start("overhead", { inputs: { topic: "fractions" }, userId: "bench" });
        await engine.wait(exec.id);
        const s = stamps.get(exec.id) ?? [];
        gaps.push(...s.slice(1).map((t, j) => t - (s[j] as number)));
      }
      return {
        p50: percentile(gaps, 50),
        p95: percentile(gaps, 95),
        perNodeWall: (performance.now() - t0) / (perRound * nodes),
        samples: gaps.length,
      };
    });
  });
  const p50 = median(results.map((r) => r.p50));
  const p95 = median(results.map((r) => r.p95));
  const samples = results.reduce((a, r) => a + r.samples, 0);
  return [
    {
      area: AREA,
      metric: `overhead per node p50 (sqlite, 0 ms model, ${samples} nodes in ${rounds} rounds)`,
      value: p50,
      unit: "ms",
      target: "<= 1 ms",
      ok: p50 <= 1,
    },
    { area: AREA, metric: "overhead per node p95", value: p95, unit: "ms", target: "<= 5 ms", ok: p95 <= 5 },
    {
      area: AREA,
      metric: "  wall time per node incl. start and wait",
      value: median(results.map((r) => r.perNodeWall)),
      unit: "ms",
      target: "(info)",
      ok: true,
    },
  ];
}

/** Bytes of every record keyed by the execution, against 2 x node outputs + 1 KB per node. */
async function bytesStored(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const outputText = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. ".repeat(8);
  const model = new LatencyModel(0, () => outputText);
  await withEngine(model, async (engine, store) => {
    for (const n of [5, 20, 80]) {
      engine.register({ definition: agentChain(`bytes-${n}`, n) });
      const ratios = await repeat(3, async () => {
        const exec = await engine.start(`bytes-${n}`, { inputs: { topic: "fractions" }, userId: "bench" });
        const view = await engine.wait(exec.id);
        const outputs = view.nodes.reduce((a, node) => a + Buffer.byteLength(JSON.stringify(node.output ?? null)), 0);
        const [row] = (await store.query(
          "SELECT SUM(LENGTH(CAST(key AS BLOB)) + LENGTH(CAST(value AS BLOB))) AS bytes FROM keyv WHERE key LIKE ?",
          `%${exec.id}%`,
        )) as {
          bytes: number;
        }[];
        const bytes = row?.bytes ?? 0;
        const budget = 2 * outputs + 1024 * n;
        return { bytes, ratio: bytes / budget, perNode: (bytes - outputs) / n };
      });
      const ratio = median(ratios.map((r) => r.ratio));
      rows.push({
        area: AREA,
        metric: `bytes stored / (2 x outputs + 1 KB per node), ${n} nodes (${Math.round(median(ratios.map((r) => r.bytes)) / 1024)} KB)`,
        value: ratio,
        unit: "x",
        target: "<= 1",
        ok: ratio <= 1,
      });
      rows.push({
        area: AREA,
        metric: `  bookkeeping bytes per node beyond outputs, ${n} nodes`,
        value: median(ratios.map((r) => r.perNode)),
        unit: "B",
        target: "(info)",
        ok: true,
      });
    }
  });
  return rows;
}

/** Three branches of different lengths between a start and a join; 200 ms per model call. */
async function parallelCriticalPath(): Promise<BenchRow[]> {
  const latency = 200;
  const def = new WorkflowBuilder("parallel", 1, "Parallel")
    .inputs("topic")
    .agent("start", { in: { topic: "inputs.topic" }, prompt: "Start {{topic}}" })
    .agent("a1", { after: "start", prompt: "a1" })
    .agent("b1", { after: "start", prompt: "b1" })
    .agent("b2", { after: "b1", prompt: "b2" })
    .agent("c1", { after: "start", prompt: "c1" })
    .agent("c2", { after: "c1", prompt: "c2" })
    .agent("c3", { after: "c2", prompt: "c3" })
    .agent("join", { after: ["a1", "b2", "c3"], prompt: "join" })
    .build();
  const critical = 5 * latency; // start, c1, c2, c3, join
  const model = new LatencyModel(latency);
  const walls = await withEngine(model, async (engine) => {
    engine.register({ definition: def });
    return repeat(5, async () => {
      const t0 = performance.now();
      const view = await engine.wait((await engine.start("parallel", { inputs: { topic: "t" }, userId: "bench" })).id);
      if (view.status !== "completed") throw new Error(`parallel run ended ${view.status}`);
      return performance.now() - t0;
    });
  });
  const wall = median(walls);
  const ratio = wall / critical;
  return [
    {
      area: AREA,
      metric: `parallel branches wall time (critical path ${critical} ms)`,
      value: wall,
      unit: "ms",
      target: `<= ${critical * 1.05} ms`,
      ok: ratio <= 1.05,
    },
    { area: AREA, metric: "  wall / critical path", value: ratio, unit: "x", target: "<= 1.05", ok: ratio <= 1.05 },
  ];
}

/** Child-process side of the RSS benchmark: prints `{ rssMb, inFlight }` once 1,000 calls are pending. */
async function rssChild(count: number): Promise<void> {
  const model = new LatencyModel("hold");
  await withEngine(
    model,
    async (engine) => {
      engine.register({ definition: agentChain("slow", 1) });
      const ids: string[] = [];
      for (let i = 0; i < count; i++) ids.push((await engine.start("slow", { inputs: { topic: `t${i}` }, userId: `u${i % 50}` })).id);
      const stop = Date.now() + 60_000;
      while (model.inFlight < count && Date.now() < stop) await new Promise((r) => setTimeout(r, 20));
      (globalThis as { gc?: () => void }).gc?.();
      await new Promise((r) => setTimeout(r, 50));
      const rssMb = process.memoryUsage().rss / 1024 / 1024;
      const heapMb = process.memoryUsage().heapUsed / 1024 / 1024;
      model.release();
      const views = await Promise.all(ids.map((id) => engine.wait(id)));
      const completed = views.filter((v) => v.status === "completed").length;
      process.stdout.write(`${JSON.stringify({ rssMb, heapMb, inFlight: count, completed })}\n`);
    },
    count,
  );
}

async function rss(): Promise<BenchRow[]> {
  const count = 1000;
  const results = await repeat(3, async () => {
    const child = spawn(
      process.execPath,
      ["--expose-gc", resolve(here, "../bin/run-ts.js"), join(here, "engine.ts"), "--rss-child", String(count)],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    let out = "";
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
    });
    const code = await new Promise<number | null>((r) => child.on("exit", r));
    if (code !== 0) throw new Error(`rss child exited with ${code}`);
    return JSON.parse(out.trim().split("\n").at(-1) ?? "{}") as { rssMb: number; heapMb: number; completed: number };
  });
  const rssMb = median(results.map((r) => r.rssMb));
  const allCompleted = results.every((r) => r.completed === count);
  return [
    {
      area: AREA,
      metric: `RSS with ${count} executions waiting on a slow model`,
      value: rssMb,
      unit: "MB",
      target: "< 300 MB",
      ok: rssMb < 300 && allCompleted,
    },
    {
      area: AREA,
      metric: "  heap used at that point",
      value: median(results.map((r) => r.heapMb)),
      unit: "MB",
      target: "(info)",
      ok: true,
    },
  ];
}

export async function run(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const area of [overhead, bytesStored, parallelCriticalPath, rss]) rows.push(...(await area()));
  return rows;
}

if (process.argv[2] === "--rss-child") {
  await rssChild(Number(process.argv[3] ?? 1000));
  process.exit(0);
}
