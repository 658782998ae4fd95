// HTTP benchmark: GET /api/workflows/executions/{id} under load from a second process on loopback,
// 50 keep-alive connections, SQLite store: a finished lesson plan (its answer cached for 1 s, as in
// production) and one still running (read from the engine's memory). Requests/s and p50/p99 latency.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore } from "../src/drivers/local/database.ts";
import { createEngine } from "../src/engine/index.ts";
import { createHttpServer } from "../src/http/index.ts";
import { silentLogger } from "../src/log.ts";
import { createOfflineProvider } from "../src/model/index.ts";
import type { ModelProvider } from "../src/model/types.ts";
import { AuditLog } from "../src/privacy/audit.ts";
import { loadTemplates, offlineDrafters } from "../src/templates/index.ts";
import { type BenchRow, median } from "./lib.ts";

const AREA = "http";
const CONNECTIONS = 50;
const WARMUP_MS = 1_000;
const MEASURE_MS = 3_000;
const RUNS = 3;
/** Upper bound of requests per run, whatever the machine's speed. */
const MAX_REQUESTS = 200_000;
const KEY = "bench-key-0123456789abcdef0123";

/**
 * The load generator, run by a separate `node` process so its work does not share the server's
 * event loop: CONNECTIONS workers on one keep-alive agent, latencies from hrtime, JSON on stdout.
 */
const LOAD_SCRIPT = `
import http from "node:http";
const [url, key, conns, warmupMs, measureMs, maxRequests] = process.argv.slice(1);
const agent = new http.Agent({ keepAlive: true, maxSockets: Number(conns) });
const target = new URL(url);
function get() {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const req = http.get({ host: target.hostname, port: target.port, path: target.pathname, agent, headers: { authorization: "Bearer " + key } }, (res) => {
      res.resume();
      res.on("end", () => resolve({ ok: res.statusCode === 200, ms: Number(process.hrtime.bigint() - started) / 1e6 }));
    });
    req.on("error", () => resolve({ ok: false, ms: Number(process.hrtime.bigint() - started) / 1e6 }));
  });
}
async function phase(ms, record) {
  const until = Date.now() + ms;
  const lat = [];
  let errors = 0;
  let sent = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: Number(conns) }, async () => {
    while (Date.now() < until && sent < Number(maxRequests)) {
      sent++;
      const r = await get();
      if (!r.ok) errors++;
      if (record) lat.push(r.ms);
    }
  }));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { lat, errors, seconds };
}
await phase(Number(warmupMs), false);
const { lat, errors, seconds } = await phase(Number(measureMs), true);
lat.sort((a, b) => a - b);
const at = (p) => lat[Math.min(lat.length - 1, Math.max(0, Math.ceil((p / 100) * lat.length) - 1))];
process.stdout.write(JSON.stringify({ count: lat.length, errors, rps: lat.length / seconds, p50: at(50), p99: at(99) }));
agent.destroy();
`;

type LoadResult = { count: number; errors: number; rps: number; p50: number; p99: number };

function load(url: string): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        LOAD_SCRIPT,
        url,
        KEY,
        String(CONNECTIONS),
        String(WARMUP_MS),
        String(MEASURE_MS),
        String(MAX_REQUESTS),
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    const kill = setTimeout(() => child.kill("SIGKILL"), WARMUP_MS + MEASURE_MS + 30_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(kill);
      try {
        resolve(JSON.parse(out) as LoadResult);
      } catch {
        reject(new Error(`load generator exited with ${code} and no result`));
      }
    });
  });
}

/** The offline model, or (once `hold` is set) one that never answers until aborted: a run that stays running. */
function holdingModel(drafters: Parameters<typeof createOfflineProvider>[0]): { model: ModelProvider; hold: { on: boolean } } {
  const offline = createOfflineProvider(drafters);
  const hold = { on: false };
  return {
    hold,
    model: {
      name: "offline",
      complete(request) {
        if (!hold.on) return offline.complete(request);
        return new Promise((_, reject) => request.signal.addEventListener("abort", () => reject(request.signal.reason), { once: true }));
      },
    },
  };
}

async function measure(url: string, label: string): Promise<BenchRow[]> {
  const results: LoadResult[] = [];
  for (let i = 0; i < RUNS; i++) results.push(await load(url));
  const errors = results.reduce((n, r) => n + r.errors, 0);
  const p99 = median(results.map((r) => r.p99));
  const ok = errors === 0;
  return [
    {
      area: AREA,
      metric: `GET ${label} execution: req/s, ${CONNECTIONS} conns`,
      value: median(results.map((r) => r.rps)),
      unit: "req/s",
      target: "report",
      ok,
    },
    {
      area: AREA,
      metric: `GET ${label} execution: p50, ${CONNECTIONS} conns`,
      value: median(results.map((r) => r.p50)),
      unit: "ms",
      target: "report",
      ok,
    },
    {
      area: AREA,
      metric: `GET ${label} execution: p99, ${CONNECTIONS} conns`,
      value: p99,
      unit: "ms",
      target: "< 20 ms",
      ok: ok && p99 < 20,
    },
  ];
}

export async function run(): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), "staffroom-http-bench-"));
  const store = await openStore(`sqlite://${join(dir, "bench.sqlite")}`);
  // The shipped templates on the sample standards set, as `staffroom start` loads them.
  const { templates } = await loadTemplates();
  const { model, hold } = holdingModel({ drafters: offlineDrafters(templates) });
  const engine = createEngine({ store, model, logger: silentLogger });
  for (const t of templates) engine.register(t.workflow);
  const http = createHttpServer({
    port: 0,
    host: "127.0.0.1",
    logger: silentLogger,
    readiness: async () => ({ store: true }),
    // As `staffroom start` runs it: every key use goes to the audit log (deduplicated per key, route, target, minute).
    api: { engine, templates, apiKeys: [KEY], rateLimitPerMinute: 100_000_000, audit: new AuditLog(store.namespace("audit")) },
  });
  const inputs = { grade: "5", subject: "Science", topic: "Solar System", duration: 45 };
  let runningId: string | undefined;
  try {
    const finished = await engine.start("lesson-plan", { inputs, userId: "bench" });
    const done = await engine.wait(finished.id);
    if (done.status !== "completed") throw new Error(`the benchmark's lesson plan ended ${done.status}`);
    hold.on = true;
    runningId = (await engine.start("lesson-plan", { inputs, userId: "bench" })).id;
    const { port } = await http.listen();
    const base = `http://127.0.0.1:${port}/api/workflows/executions`;
    return [...(await measure(`${base}/${finished.id}`, "finished")), ...(await measure(`${base}/${runningId}`, "running"))];
  } finally {
    if (runningId) await engine.cancel(runningId);
    await http.close();
    await engine.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
