// Discord benchmark: 500 interactions dispatched at once through the fake Gateway into the real discord.js
// client, adapter, chat core and engine; time from dispatch to the deferred response reaching the fake
// (stamped when its request arrives; the fake's Gateway side sends in slices so its API side can take
// responses in meanwhile, as Discord's separate machines would). The fake runs in a worker thread. On a
// shared 2-core machine those times follow the load, so the table also gives what does not: the client
// thread's CPU per interaction until it hears of the last deferral (a little of the work after it
// included), and the floor: the thinnest possible client (WebSocket, JSON.parse, one HTTP request per
// interaction) against the same fake at the same moment.
import * as http from "node:http";
import { cpus, loadavg } from "node:os";
import { Worker } from "node:worker_threads";
import WebSocket from "ws";
import { newcomer, startStack, teacher } from "../test/discord/helpers.ts";
import { threadCpu } from "../test/fakes/discord/thread-cpu.ts";
import type { WorkerRequest } from "../test/fakes/discord/worker-main.ts";
import { type BenchRow, median, percentile } from "./lib.ts";

const AT_ONCE = 500;
const RUNS = 5;
const TARGET_MS = 100;

type Reply = {
  type: string;
  times?: number[];
  cpu?: { runMs: number; waitMs: number };
  violations?: string[];
  apiUrl?: string;
  gatewayUrl?: string;
  token?: string;
  applicationId?: string;
  guildId?: string;
};

type Fake = {
  ask(msg: WorkerRequest): Promise<Reply>;
  /** This thread's CPU when the fake last saw every interaction of a burst answered. */
  cpuAtLastAck(): ReturnType<typeof threadCpu>;
  stop(): Promise<void>;
};

function fakeInWorker(): Fake {
  const worker = new Worker(new URL("../test/fakes/discord/worker.mjs", import.meta.url));
  const pending: ((r: Reply) => void)[] = [];
  let atLastAck: ReturnType<typeof threadCpu>;
  const ready = new Promise<void>((resolve, reject) => {
    worker.once("error", reject);
    worker.on("message", (m: Reply) => {
      if (m.type === "ready") resolve();
      else if (m.type === "acked") atLastAck = threadCpu();
      else pending.shift()?.(m);
    });
  });
  return {
    async ask(msg) {
      await ready;
      return new Promise<Reply>((resolve) => {
        pending.push(resolve);
        worker.postMessage(msg);
      });
    },
    cpuAtLastAck: () => atLastAck,
    async stop() {
      await worker.terminate();
    },
  };
}

type Burst = Omit<Extract<WorkerRequest, { type: "burst" }>, "type" | "n">;
type Measured = { p50: number; p99: number; cpuPerInteractionUs: number; waitMs: number };

/** Runs `runs` bursts of AT_ONCE after one of the same size to warm up (JIT, connections); medians. */
async function measure(fake: Fake, burst: Burst, runs: number, violations: string[]): Promise<Measured> {
  await fake.ask({ type: "burst", n: AT_ONCE, ...burst });
  const p50s: number[] = [];
  const p99s: number[] = [];
  const cpus: number[] = [];
  const waits: number[] = [];
  for (let r = 0; r < runs; r++) {
    const before = threadCpu();
    const reply = await fake.ask({ type: "burst", n: AT_ONCE, ...burst });
    const after = fake.cpuAtLastAck();
    violations.push(...(reply.violations ?? []));
    const times = reply.times ?? [];
    p50s.push(percentile(times, 50));
    p99s.push(percentile(times, 99));
    if (before && after) {
      cpus.push(((after.runMs - before.runMs) * 1000) / AT_ONCE);
      waits.push(after.waitMs - before.waitMs + (reply.cpu?.waitMs ?? 0));
    }
  }
  return { p50: median(p50s), p99: median(p99s), cpuPerInteractionUs: median(cpus), waitMs: median(waits) };
}

/** The thinnest client: identify, then one kept-alive HTTP request per INTERACTION_CREATE, nothing else. */
async function floorClient(gatewayUrl: string, apiUrl: string, token: string): Promise<{ close(): void }> {
  const api = new URL(`${apiUrl}/v10`);
  const agent = new http.Agent({ keepAlive: true });
  const body = JSON.stringify({ type: 5, data: { flags: 64 } });
  const ws = new WebSocket(`${gatewayUrl}?v=10&encoding=json`);
  await new Promise<void>((resolve, reject) => {
    ws.once("error", reject);
    ws.on("message", (raw: Buffer) => {
      const frame = JSON.parse(raw.toString()) as { op: number; t?: string; d?: { id: string; token: string } };
      if (frame.op === 10)
        ws.send(JSON.stringify({ op: 2, d: { token, intents: 1, properties: { os: "linux", browser: "floor", device: "floor" } } }));
      else if (frame.t === "READY") resolve();
      else if (frame.t === "INTERACTION_CREATE" && frame.d) {
        const path = `${api.pathname}/interactions/${frame.d.id}/${frame.d.token}/callback`;
        const headers = { "content-type": "application/json", "content-length": Buffer.byteLength(body) };
        http.request({ hostname: api.hostname, port: api.port, path, method: "POST", agent, headers }, (res) => res.resume()).end(body);
      }
    });
  });
  return {
    close() {
      ws.close();
      agent.destroy();
    },
  };
}

export async function run(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const violations: string[] = [];
  const loadBefore = loadavg()[0] ?? Number.NaN;
  const fake = fakeInWorker();
  const started = await fake.ask({ type: "start", members: [] });
  const address = {
    apiUrl: started.apiUrl ?? "",
    token: started.token ?? "",
    applicationId: started.applicationId ?? "",
    guild: { id: started.guildId ?? "" },
  };
  const help: Burst = { name: "staffroom", subcommand: "help", user: teacher };
  // Requests that open threads and start conversations: their work after the deferral competes for the CPU.
  const lesson: Burst = {
    name: "lesson-plan",
    user: newcomer,
    distinctUsers: true,
    options: { grade: "5", subject: "Science", topic: "Photosynthesis", duration: 45 },
  };
  const add = (what: string, m: Measured) => {
    rows.push(
      {
        area: "discord",
        metric: `defer p50, ${AT_ONCE} × ${what} at once`,
        value: m.p50,
        unit: "ms",
        target: `< ${TARGET_MS} ms`,
        ok: m.p50 < TARGET_MS,
      },
      {
        area: "discord",
        metric: `defer p99, ${AT_ONCE} × ${what} at once`,
        value: m.p99,
        unit: "ms",
        target: `< ${TARGET_MS} ms (Discord: 3000)`,
        ok: m.p99 < TARGET_MS,
      },
    );
    if (Number.isFinite(m.cpuPerInteractionUs)) {
      rows.push(
        {
          area: "discord",
          metric: `client CPU per interaction up to the last deferral, ${what}`,
          value: m.cpuPerInteractionUs,
          unit: "µs",
          target: "info (load-independent)",
          ok: true,
        },
        {
          area: "discord",
          metric: `time both threads waited for a core, ${what} burst`,
          value: m.waitMs,
          unit: "ms",
          target: "info (machine load)",
          ok: true,
        },
      );
    }
  };
  const stack = await startStack(address);
  try {
    add("/staffroom help", await measure(fake, help, RUNS, violations));
    add("/lesson-plan", await measure(fake, lesson, RUNS, violations));
  } finally {
    // Thread openings queued behind Discord's 50 requests/s would take a while: stop as after a crash.
    await stack.crash().catch(() => undefined);
  }
  try {
    const floor = await floorClient(started.gatewayUrl ?? "", address.apiUrl, address.token);
    const m = await measure(fake, help, RUNS, violations);
    floor.close();
    rows.push(
      { area: "discord", metric: "floor: thinnest client, defer p50", value: m.p50, unit: "ms", target: "info (harness + load)", ok: true },
      { area: "discord", metric: "floor: thinnest client, defer p99", value: m.p99, unit: "ms", target: "info (harness + load)", ok: true },
      {
        area: "discord",
        metric: "floor: thinnest client, CPU per interaction",
        value: m.cpuPerInteractionUs,
        unit: "µs",
        target: "info",
        ok: true,
      },
    );
  } finally {
    await fake.stop();
  }
  const loadAfter = loadavg()[0] ?? Number.NaN;
  rows.push({
    area: "discord",
    metric: "load average (1 min) after the runs",
    value: loadAfter,
    target: `info (before: ${loadBefore.toFixed(1)}; ${cpus().length} cores)`,
    ok: true,
  });
  if (violations.length > 0)
    rows.push({ area: "discord", metric: "API contract violations", value: violations.length, target: "0", ok: false });
  return rows;
}
