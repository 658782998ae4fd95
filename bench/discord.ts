// Discord benchmark: 500 interactions dispatched at once through the fake Gateway into the real discord.js
// client, adapter, chat core and engine; time from dispatch to the deferred response reaching the fake.
// The fake runs in a worker thread, as Discord would be elsewhere, so its own work is not counted.
import { Worker } from "node:worker_threads";
import { newcomer, startStack, teacher } from "../test/discord/helpers.ts";
import type { WorkerRequest } from "../test/fakes/discord/worker-main.ts";
import { type BenchRow, median, percentile } from "./lib.ts";

const AT_ONCE = 500;
const RUNS = 3;
const TARGET_MS = 100;

type Reply = {
  type: string;
  times?: number[];
  violations?: string[];
  apiUrl?: string;
  token?: string;
  applicationId?: string;
  guildId?: string;
};

function fakeInWorker(): { ask(msg: WorkerRequest): Promise<Reply>; stop(): Promise<void> } {
  const worker = new Worker(new URL("../test/fakes/discord/worker.mjs", import.meta.url));
  const pending: ((r: Reply) => void)[] = [];
  const ready = new Promise<void>((resolve, reject) => {
    worker.once("error", reject);
    worker.on("message", (m: Reply) => {
      if (m.type === "ready") resolve();
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
    async stop() {
      await worker.terminate();
    },
  };
}

export async function run(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const violations: string[] = [];
  const fake = fakeInWorker();
  const started = await fake.ask({ type: "start", members: [] });
  const address = {
    apiUrl: started.apiUrl ?? "",
    token: started.token ?? "",
    applicationId: started.applicationId ?? "",
    guild: { id: started.guildId ?? "" },
  };
  const stack = await startStack(address);
  const burst = async (msg: Omit<Extract<WorkerRequest, { type: "burst" }>, "type">) => {
    const r = await fake.ask({ type: "burst", ...msg });
    violations.push(...(r.violations ?? []));
    return r.times ?? [];
  };
  const add = (what: string, p50: number, p99: number) => {
    rows.push(
      {
        area: "discord",
        metric: `defer p50, ${AT_ONCE} × ${what} at once`,
        value: p50,
        unit: "ms",
        target: `< ${TARGET_MS} ms`,
        ok: p50 < TARGET_MS,
      },
      {
        area: "discord",
        metric: `defer p99, ${AT_ONCE} × ${what} at once`,
        value: p99,
        unit: "ms",
        target: `< ${TARGET_MS} ms (Discord: 3000)`,
        ok: p99 < TARGET_MS,
      },
    );
  };
  try {
    await burst({ n: 20, name: "staffroom", subcommand: "help", user: teacher });
    const p50s: number[] = [];
    const p99s: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      const times = await burst({ n: AT_ONCE, name: "staffroom", subcommand: "help", user: teacher });
      p50s.push(percentile(times, 50));
      p99s.push(percentile(times, 99));
    }
    add("/staffroom help", median(p50s), median(p99s));
    // Requests that open threads and start conversations: their work after the deferral competes for the CPU.
    const times = await burst({
      n: AT_ONCE,
      name: "lesson-plan",
      user: newcomer,
      distinctUsers: true,
      options: { grade: "5", subject: "Science", topic: "Photosynthesis", duration: 45 },
    });
    add("/lesson-plan", percentile(times, 50), percentile(times, 99));
    if (violations.length > 0)
      rows.push({ area: "discord", metric: "API contract violations", value: violations.length, target: "0", ok: false });
  } finally {
    // Thread openings queued behind Discord's 50 requests/s would take a while: stop as after a crash.
    await stack.crash().catch(() => undefined);
    await fake.stop();
  }
  return rows;
}
