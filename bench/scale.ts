// bench/scale.ts (not part of `npm run bench` or `npm test`; needs PostgreSQL and Redis): executions per
// minute with 1 and with 3 replicas on one PostgreSQL store and one BullMQ prefix, a fake model at a fixed
// delay, each replica running at most WORKER model calls at once under a cluster-wide limit of
// 3 x WORKER (STAFFROOM_MODEL_CONCURRENCY's role); then one of three replicas killed with SIGKILL: lost
// executions, model calls repeated beyond the ones it had in flight, and time until its work resumed.
//   node bin/run-ts.js bench/scale.ts
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { openPostgresStore } from "../src/drivers/postgres/open.ts";
import { chooseStore } from "../src/drivers/urls.ts";
import {
  callsPerStep,
  inFlight,
  peakConcurrency,
  type Replica,
  type ReplicaConfig,
  sideLog,
  spawnReplica,
  startMany,
  until,
} from "../test/distributed/fixtures/replicas.ts";
import { type BenchRow, renderRows } from "./lib.ts";

const POSTGRES = process.env.STAFFROOM_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const REDIS = process.env.STAFFROOM_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const DELAY_MS = 500;
const WORKER = 8;
const CLUSTER_LIMIT = 3 * WORKER;
const AREA = "scale";

type Setup = { schema: string; storeUrl: string; prefix: string; log: string; dir: string };

function setup(tag: string): Setup {
  const id = `${tag}_${process.pid}_${Date.now().toString(36)}`;
  const url = new URL(POSTGRES);
  url.searchParams.set("schema", `bench_${id}`);
  const dir = mkdtempSync(join(tmpdir(), "staffroom-scale-"));
  return { schema: `bench_${id}`, storeUrl: url.toString(), prefix: `bench_${id}`, log: join(dir, "side.log"), dir };
}

async function teardown(s: Setup, replicas: Replica[]): Promise<void> {
  for (const r of replicas) await r.stop("SIGKILL");
  const client = new pg.Client({ connectionString: POSTGRES });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS "${s.schema}" CASCADE`);
  await client.end();
  const { Redis } = await import("ioredis");
  const redis = new Redis(REDIS);
  const keys = await redis.keys(`${s.prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
  rmSync(s.dir, { recursive: true, force: true });
}

const config = (s: Setup, name: string): ReplicaConfig => ({
  name,
  store: s.storeUrl,
  queue: { url: REDIS, prefix: s.prefix },
  log: s.log,
  delayMs: DELAY_MS,
  leaseMs: 5_000,
  lockMs: 5_000,
  concurrency: CLUSTER_LIMIT,
  workerConcurrency: WORKER,
});

async function statusReader(s: Setup) {
  const choice = chooseStore(s.storeUrl);
  if (choice?.kind !== "postgres") throw new Error("expected postgres");
  return openPostgresStore(choice, { ttlMs: 86_400_000, poolSize: 2, sweepEveryMs: 0 });
}

async function allCompleted(store: Awaited<ReturnType<typeof statusReader>>, ids: string[]): Promise<number> {
  const recs = await store.executions.getExecutions(ids);
  return recs.filter((r) => r.status === "completed").length;
}

/** Executions per minute with `n` replicas: `count` 3-step chains started at once, timed to the last completion. */
async function throughput(n: number, count: number): Promise<{ perMinute: number; peak: number; repeats: number }> {
  const s = setup(`r${n}`);
  const replicas: Replica[] = [];
  try {
    for (let i = 0; i < n; i++) replicas.push(await spawnReplica(config(s, `R${i}`)));
    const store = await statusReader(s);
    try {
      // Warm-up: one execution per replica's worth.
      const warm = await startMany(replicas[0] as Replica, "chain3", ["warm-0", "warm-1", "warm-2"]);
      await until(async () => (await allCompleted(store, warm)) === warm.length, "warm-up", 60_000);
      const t0 = performance.now();
      const ids: string[] = [];
      const per = Math.ceil(count / n);
      const started = await Promise.all(
        replicas.map((r, i) =>
          startMany(
            r,
            "chain3",
            Array.from({ length: per }, (_, j) => `run-${i}-${j}`),
          ),
        ),
      );
      for (const list of started) ids.push(...list);
      await until(async () => (await allCompleted(store, ids)) === ids.length, "all completed", 300_000);
      const minutes = (performance.now() - t0) / 60_000;
      const lines = sideLog(s.log);
      const calls = callsPerStep(lines, ids);
      const repeats = [...calls.values()].reduce((sum, c) => sum + c - 1, 0);
      return { perMinute: ids.length / minutes, peak: peakConcurrency(lines), repeats };
    } finally {
      await store.close();
    }
  } finally {
    await teardown(s, replicas);
  }
}

/** Three replicas, one killed mid-run: lost executions, repeats beyond its in-flight calls, time to resume. */
async function killOne(count: number): Promise<{ lost: number; repeatedBeyond: number; resumeMs: number; inflight: number }> {
  const s = setup("kill");
  const replicas: Replica[] = [];
  try {
    for (let i = 0; i < 3; i++) replicas.push(await spawnReplica(config(s, `R${i}`)));
    const store = await statusReader(s);
    try {
      const ids = await startMany(
        replicas[0] as Replica,
        "chain3",
        Array.from({ length: count }, (_, j) => `kill-${j}`),
      );
      await until(() => inFlight(sideLog(s.log), "R1") >= 2 && true, "R1 busy", 60_000);
      const killedAt = Date.now();
      await (replicas[1] as Replica).stop("SIGKILL");
      const lines = sideLog(s.log);
      const inflight = inFlight(lines, "R1");
      // The steps R1 had in flight: when does the first of them start again elsewhere?
      const open = new Map<string, number>();
      for (const l of lines.filter((x) => x.replica === "R1")) {
        const key = `${l.execution} ${l.node}`;
        open.set(key, (open.get(key) ?? 0) + (l.what === "call" ? 1 : -1));
      }
      const orphaned = new Set([...open].filter(([, v]) => v > 0).map(([k]) => k));
      const resumedAt = await until(
        () => sideLog(s.log).find((l) => l.what === "call" && l.at >= killedAt && orphaned.has(`${l.execution} ${l.node}`))?.at,
        "R1's work resumed",
        120_000,
      );
      await until(async () => (await allCompleted(store, ids)) === ids.length, "all completed", 300_000).catch(() => undefined);
      const lost = ids.length - (await allCompleted(store, ids));
      const calls = callsPerStep(sideLog(s.log), ids);
      const repeats = [...calls.values()].reduce((sum, c) => sum + c - 1, 0);
      return { lost, repeatedBeyond: Math.max(0, repeats - inflight), resumeMs: resumedAt - killedAt, inflight };
    } finally {
      await store.close();
    }
  } finally {
    await teardown(s, replicas);
  }
}

const one = await throughput(1, 48);
const three = await throughput(3, 144);
const killed = await killOne(60);
const ratio = three.perMinute / one.perMinute;
const rows: BenchRow[] = [
  {
    area: AREA,
    metric: `1 replica: executions/minute (3-step chains, ${DELAY_MS} ms model, ${WORKER} calls per replica)`,
    value: one.perMinute,
    unit: "/min",
    target: "(info)",
    ok: true,
  },
  { area: AREA, metric: "3 replicas: executions/minute", value: three.perMinute, unit: "/min", target: "(info)", ok: true },
  { area: AREA, metric: "  3 replicas / 1 replica", value: ratio, unit: "x", target: ">= 2.5", ok: ratio >= 2.5 },
  {
    area: AREA,
    metric: `  peak model calls at once over all replicas (cluster limit ${CLUSTER_LIMIT})`,
    value: three.peak,
    unit: "calls",
    target: `<= ${CLUSTER_LIMIT}`,
    ok: three.peak <= CLUSTER_LIMIT,
  },
  {
    area: AREA,
    metric: "  model calls repeated (no crash)",
    value: one.repeats + three.repeats,
    unit: "calls",
    target: "0",
    ok: one.repeats + three.repeats === 0,
  },
  { area: AREA, metric: "one of 3 replicas killed: executions lost", value: killed.lost, unit: "", target: "0", ok: killed.lost === 0 },
  {
    area: AREA,
    metric: `  model calls repeated beyond the ${killed.inflight} it had in flight`,
    value: killed.repeatedBeyond,
    unit: "calls",
    target: "0",
    ok: killed.repeatedBeyond === 0,
  },
  {
    area: AREA,
    metric: "  time until its in-flight work ran again (job lock 5 s)",
    value: killed.resumeMs / 1000,
    unit: "s",
    target: "< 45 s",
    ok: killed.resumeMs < 45_000,
  },
];
process.stdout.write(`${renderRows(rows)}\n`);
process.exit(0);
