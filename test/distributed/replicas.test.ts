// Full runtimes from their own configuration on the real PostgreSQL and Redis: replicas sharing one
// PostgreSQL store (each running what it started, taking over what a stopped replica left), and a
// replica on the BullMQ queue running work to completion with a gap-free log.

import pg from "pg";
import { afterAll, expect, it } from "vitest";
import { createRuntime, type Runtime } from "../../src/app/runtime.ts";
import { loadConfig } from "../../src/config.ts";
import { describeWithServices, postgresUrl, redisUrl, testRedis, testSchema, uniqueName } from "./helpers.ts";

describeWithServices("replicas on PostgreSQL (and BullMQ on Redis)", () => {
  const schema = testSchema("sr_replicas");
  const redis = testRedis("sr_replicas");
  const prefix = uniqueName("sr_replicas");
  const env = (queue: boolean) => ({
    STAFFROOM_STORE_URL: schema.storeUrl,
    STAFFROOM_DATA_KEY: "5a".repeat(32),
    ...(queue ? { STAFFROOM_QUEUE_URL: `${redisUrl()}?prefix=${prefix}` } : {}),
    STAFFROOM_STANDARDS_DIR: "none",
    LOG_LEVEL: "silent",
  });
  const opened: Runtime[] = [];
  const open = async (queue: boolean) => {
    const r = await createRuntime(loadConfig(env(queue)));
    opened.push(r);
    return r;
  };
  afterAll(async () => {
    for (const r of opened) await r.close().catch(() => undefined);
    await schema.drop();
    const keys = await redis.redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.redis.del(...keys);
    await redis.cleanup();
  });

  const start = (r: Runtime, i: number) =>
    r.engine.start("demo-lesson", { inputs: { topic: `Volcanoes ${i}`, grade: "5", minutes: 45 }, userId: "U1" });

  async function expectCleanLog(r: Runtime, id: string) {
    const events = await r.engine.events(id);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    // Every node completed exactly once, whichever replica ran it.
    const completed = events.filter((e) => e.type === "node.completed").map((e) => e.nodeId);
    expect(new Set(completed).size).toBe(completed.length);
  }

  it("two replicas starting at once on one store: each runs its own work, both see all of it, and one takes over what a stopped one left", async () => {
    // Both start at once: the migrations run under the advisory lock, each exactly once.
    const [a, b] = await Promise.all([open(false), open(false)]);
    expect(a.store.executions.driver).toBe("postgres");
    const runs = await Promise.all([0, 1, 2, 3].map((i) => start(i % 2 ? a : b, i)));
    for (const r of runs) expect((await (runs.indexOf(r) % 2 ? a : b).engine.wait(r.id, { timeoutMs: 20_000 })).status).toBe("completed");
    for (const r of runs) {
      expect((await a.engine.get(r.id))?.status).toBe("completed");
      await expectCleanLog(b, r.id);
    }
    expect((await b.engine.list({ userId: "U1" })).length).toBe(4);

    // A replica stops with work in flight; the other resumes it from the first unfinished step.
    const left = await Promise.all([10, 11, 12].map((i) => start(a, i)));
    await a.close();
    const resumed = await b.engine.recover();
    for (const r of left) {
      const view = await b.engine.wait(r.id, { timeoutMs: 20_000 });
      expect(view.status).toBe("completed");
      await expectCleanLog(b, r.id);
    }
    expect(resumed.length).toBeLessThanOrEqual(left.length);
    const client = new pg.Client({ connectionString: postgresUrl() });
    await client.connect();
    const { rows } = await client.query(`SELECT id FROM "${schema.schema}".staffroom_migrations ORDER BY id`).finally(() => client.end());
    expect(rows.map((row) => row.id)).toEqual([1, 2, 3, 4, 5]);
  });

  it("runs work on the BullMQ queue to completion, with the cluster recovery schedule on", async () => {
    const r = await open(true);
    const runs = await Promise.all([0, 1, 2, 3, 4].map((i) => start(r, 20 + i)));
    const done = await Promise.all(runs.map((x) => r.engine.wait(x.id, { timeoutMs: 20_000 })));
    expect(done.map((v) => v.status)).toEqual(runs.map(() => "completed"));
    for (const x of runs) await expectCleanLog(r, x.id);
    // The recovery job scheduler exists once in Redis, however many replicas upserted it.
    const schedulers = await redis.redis.keys(`${prefix}:recovery:repeat*`);
    expect(schedulers.length).toBeGreaterThan(0);
  });
});
