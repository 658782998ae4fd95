// Engine benchmarks against the targets, on a temp SQLite file with the real store: overhead
// per node with a zero-latency model, bytes stored per execution, parallel branches against their
// critical path, and RSS with 1,000 executions waiting on a slow model (measured in a fresh child).
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { openStore } from "../src/drivers/local/database.ts";
import type { EngineApi } from "../src/engine/api.ts";
import { createEngine, WorkflowBuilder } from "../src/engine/index.ts";
import type { WorkflowDefinition } from "../src/engine/schema.ts";
import type { ExecutionStore } from "../src/engine/store/types.ts";
import type { ModelProvider, ModelRequest, ModelResponse } from "../src/model/types.ts";
import { floorExecution, openFloor } from "./engine-floor.ts";
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
  providerConcurrency?: number,
): Promise<T> {
  const { file, cleanup } = tempStoreFile();
  const store = await openStore(`sqlite://${file}`);
  // Default settings unless a benchmark needs otherwise.
  const engine = createEngine({ store, model, ...(providerConcurrency !== undefined ? { providerConcurrency } : {}) });
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

type ChainStats = { p50: number; p95: number; perNodeWall: number };

/** Gaps between consecutive node persists of one execution, and wall time per node including start and finish. */
function chainStats(stamps: number[][], wallMs: number, nodes: number): ChainStats {
  const gaps = stamps.flatMap((s) => s.slice(1).map((t, j) => t - (s[j] as number)));
  return { p50: percentile(gaps, 50), p95: percentile(gaps, 95), perNodeWall: wallMs / (stamps.length * nodes) };
}

const NODES = 20;
const PER_ROUND = 10;
const ROUNDS = 5;
const CONCURRENT = 200;

/** Staffroom: 20-node chains one after another (per-node overhead, wall per node), then 200 at once. */
async function staffroomChains(): Promise<{ rounds: ChainStats[]; throughput: number[]; bytes: number[] }> {
  const model = new LatencyModel(0, () => "short output");
  return withEngine(model, async (engine, store) => {
    engine.register({ definition: agentChain("overhead", NODES) });
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
    const rounds = await repeat(ROUNDS, async () => {
      const t0 = performance.now();
      const ids: string[] = [];
      for (let i = 0; i < PER_ROUND; i++) {
        const exec = await engine.start("overhead", { inputs: { topic: "fractions" }, userId: "bench" });
        await engine.wait(exec.id);
        ids.push(exec.id);
      }
      return chainStats(
        ids.map((id) => stamps.get(id) ?? []),
        performance.now() - t0,
        NODES,
      );
    });
    const throughput = await repeat(3, async () => {
      const t0 = performance.now();
      const execs = await Promise.all(
        Array.from({ length: CONCURRENT }, (_, i) => engine.start("overhead", { inputs: { topic: `t${i}` }, userId: `u${i % 20}` })),
      );
      await Promise.all(execs.map((e) => engine.wait(e.id)));
      return CONCURRENT / ((performance.now() - t0) / 1000);
    });
    const bytes = await repeat(3, async () => {
      const exec = await engine.start("overhead", { inputs: { topic: "fractions" }, userId: "bench" });
      await engine.wait(exec.id);
      const [row] = (await store.query(
        "SELECT SUM(LENGTH(CAST(key AS BLOB)) + LENGTH(CAST(value AS BLOB))) AS bytes FROM keyv WHERE key LIKE ?",
        `%${exec.id}%`,
      )) as { bytes: number }[];
      return row?.bytes ?? 0;
    });
    return { rounds, throughput, bytes };
  });
}

/** The floor: the same scenarios on the minimal design, same file system, same model. */
async function floorChains(): Promise<{ rounds: ChainStats[]; throughput: number[]; bytes: number[] }> {
  const { file, cleanup } = tempStoreFile();
  const db = await openFloor(file);
  const model = new LatencyModel(0, () => "short output");
  const call = (nodeId: string) =>
    model
      .complete({ messages: [], signal: new AbortController().signal, meta: { executionId: "", nodeId, templateId: "", vars: {} } })
      .then((r) => r.text);
  try {
    for (let i = 0; i < 5; i++) await floorExecution(db, NODES, call);
    const rounds = await repeat(ROUNDS, async () => {
      const t0 = performance.now();
      const all: number[][] = [];
      for (let i = 0; i < PER_ROUND; i++) {
        const s = [performance.now()];
        await floorExecution(db, NODES, call, (t) => s.push(t));
        all.push(s);
      }
      return chainStats(all, performance.now() - t0, NODES);
    });
    const throughput = await repeat(3, async () => {
      const t0 = performance.now();
      await Promise.all(Array.from({ length: CONCURRENT }, () => floorExecution(db, NODES, call)));
      return CONCURRENT / ((performance.now() - t0) / 1000);
    });
    const bytes = await repeat(3, async () => {
      const id = await floorExecution(db, NODES, call);
      const [row] = (await db.sqlite.query(
        "SELECT SUM(LENGTH(CAST(key AS BLOB)) + LENGTH(CAST(value AS BLOB))) AS bytes FROM keyv WHERE key LIKE ?",
        `%:${id}%`,
      )) as { bytes: number }[];
      return row?.bytes ?? 0;
    });
    return { rounds, throughput, bytes };
  } finally {
    await db.close();
    cleanup();
  }
}

/** Staffroom against the floor, measured in this run: the targets are ratios. */
export async function againstFloor(): Promise<BenchRow[]> {
  const floor = await floorChains();
  const ours = await staffroomChains();
  const med = (xs: number[]) => median(xs);
  const p50 = med(ours.rounds.map((r) => r.p50));
  const floorP50 = med(floor.rounds.map((r) => r.p50));
  const wall = med(ours.rounds.map((r) => r.perNodeWall));
  const floorWall = med(floor.rounds.map((r) => r.perNodeWall));
  const tput = med(ours.throughput);
  const floorTput = med(floor.throughput);
  const bytes = med(ours.bytes);
  const floorBytes = med(floor.bytes);
  const row = (metric: string, value: number, unit: string, target: string, ok: boolean): BenchRow => ({
    area: AREA,
    metric,
    value,
    unit,
    target,
    ok,
  });
  return [
    row(`overhead per node p50, ${NODES}-node chain, 0 ms model (staffroom)`, p50, "ms", "(info)", true),
    row("  floor: header set + one set per node, same @keyv/sqlite", floorP50, "ms", "(info)", true),
    row("  staffroom / floor", p50 / floorP50, "x", "<= 1.5", p50 / floorP50 <= 1.5),
    row("overhead per node p95 (staffroom)", med(ours.rounds.map((r) => r.p95)), "ms", "<= 5 ms", med(ours.rounds.map((r) => r.p95)) <= 5),
    row("wall time per node, start to completed (staffroom)", wall, "ms", "(info)", true),
    row("  floor per-node time", floorWall, "ms", "(info)", true),
    row("  staffroom / floor", wall / floorWall, "x", "<= 2", wall / floorWall <= 2),
    row(`${CONCURRENT} concurrent ${NODES}-node executions (staffroom)`, tput, "exec/s", "(info)", true),
    row("  floor", floorTput, "exec/s", "(info)", true),
    row("  staffroom / floor", tput / floorTput, "x", ">= 1.0", tput / floorTput >= 1.0),
    row(`bytes stored per execution, ${NODES} nodes, short outputs (staffroom)`, bytes, "B", "(info)", true),
    row("  floor", floorBytes, "B", "(info)", true),
    row("  staffroom / floor", bytes / floorBytes, "x", "<= 2", bytes / floorBytes <= 2),
  ];
}

/** Five parallel branches between a start and a join, 200 ms per model call, with default settings. */
async function parallelCriticalPath(): Promise<BenchRow[]> {
  const latency = 200;
  let b = new WorkflowBuilder("parallel", 1, "Parallel")
    .inputs("topic")
    .agent("start", { in: { topic: "inputs.topic" }, prompt: "Start {{topic}}" });
  for (let i = 1; i <= 5; i++) b = b.agent(`b${i}`, { after: "start", prompt: `branch ${i}` });
  const def = b.agent("join", { after: ["b1", "b2", "b3", "b4", "b5"], prompt: "join" }).build();
  const critical = 3 * latency; // start, one branch, join
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

/** Counts the reads an engine makes through its store (every read method of the ExecutionStore). */
function countingReads(store: ExecutionStore): { store: ExecutionStore; reads: () => number } {
  let reads = 0;
  const readMethods = new Set([
    "loadExecution",
    "getExecution",
    "getExecutions",
    "getNodes",
    "getAttempts",
    "getEvents",
    "lastSeq",
    "getDefinition",
  ]);
  const proxy = new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        if (readMethods.has(String(prop))) reads++;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store: proxy, reads: () => reads };
}

/** A step handled by a replica that has never seen the execution: one store read, then it runs from its cache. */
export async function coldReplicaReads(): Promise<BenchRow[]> {
  const { file, cleanup } = tempStoreFile();
  const store = await openStore(`sqlite://${file}`);
  const def = new WorkflowBuilder("cold", 1, "Cold")
    .inputs("topic")
    .human("q", { prompt: "Go?", deadline: { afterMs: 3_600_000, action: "cancel" } })
    .agent("after", { after: "q", in: { topic: "inputs.topic" }, prompt: "Write {{topic}}" })
    .build();
  const model = new LatencyModel(0);
  const a = createEngine({ store, model, reconcileEveryMs: 0 });
  const counted = countingReads(store.executions);
  const b = createEngine({ executions: counted.store, model, reconcileEveryMs: 0 });
  try {
    a.register({ definition: def });
    b.register({ definition: def });
    const samples = await repeat(5, async () => {
      const exec = await a.start("cold", { inputs: { topic: "t" }, userId: "bench" });
      await a.wait(exec.id, { untilWaiting: true });
      const before = counted.reads();
      // B answers (a job it never saw), then runs the next step from its cache.
      const res = await b.resume(exec.id, "q", "yes", { userId: "bench" });
      if (!res.accepted) throw new Error("the answer was refused");
      await a.wait(exec.id);
      return counted.reads() - before;
    });
    const reads = median(samples);
    return [
      {
        area: AREA,
        metric: "store reads: an answer on a replica without the cached state, and the step it dispatches",
        value: reads,
        unit: "reads",
        target: "1",
        ok: reads === 1,
      },
    ];
  } finally {
    await a.close();
    await b.close();
    await store.close();
    cleanup();
  }
}

export async function run(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const area of [againstFloor, coldReplicaReads, parallelCriticalPath, rss]) rows.push(...(await area()));
  return rows;
}

if (process.argv[2] === "--rss-child") {
  await rssChild(Number(process.argv[3] ?? 1000));
  process.exit(0);
}
