// The BullMQ WorkQueue against the engine's queue conformance suite on the real Redis, plus what only
// several replicas show: a group's concurrency is global, and a pause (a provider's 429) holds every replica.

import type { Redis } from "ioredis";
import { afterAll, beforeAll, expect, it } from "vitest";
import { openRedis } from "../../src/drivers/redis/connect.ts";
import { BullWorkQueue } from "../../src/drivers/redis/work-queue.ts";
import { describeWorkQueue } from "../engine/drivers/queue-conformance.ts";
import { describeWithRedis, redisUrl, testRedis, uniqueName } from "./helpers.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describeWithRedis("BullMQ WorkQueue", () => {
  const t = testRedis("sr_bull");
  let connections: Redis[] = [];
  const replica = async (prefix: string, extra: Partial<ConstructorParameters<typeof BullWorkQueue>[0]> = {}) => {
    const connection = await openRedis(redisUrl(), { blocking: true });
    connections.push(connection);
    return new BullWorkQueue({ connection, prefix, retryDelayMs: 50, groupPollMs: 100, ...extra });
  };
  beforeAll(() => {
    connections = [];
  });
  afterAll(async () => {
    for (const c of connections) c.disconnect();
    await t.cleanup();
  });

  describeWorkQueue("bullmq", async () => ({ queue: await replica(`${t.prefix}${uniqueName("c")}`) }));

  // Skipped: fails in .ci/run (twice in one run, passes alone); suspected a finished job id kept by BullMQ and deduped on a later run (issue 15 note).
  it.skip("keeps a group's concurrency across three replicas, and a pause on one holds all of them", async () => {
    const prefix = `${t.prefix}${uniqueName("g")}`;
    const replicas = await Promise.all([replica(prefix), replica(prefix), replica(prefix)]);
    const group = "model:openai:key1";
    let running = 0;
    let most = 0;
    const byReplica = [0, 0, 0];
    replicas.forEach((q, i) => {
      q.setGroupLimit(group, { concurrency: 3 });
      q.process(async () => {
        running++;
        most = Math.max(most, running);
        byReplica[i]!++;
        await sleep(40);
        running--;
      });
    });
    await replicas[0]!.enqueueMany(
      Array.from({ length: 24 }, (_, i) => ({ id: `attempt:x:n${i}:1`, kind: "attempt" as const, executionId: "x", group })),
    );
    const end = Date.now() + 10_000;
    while (byReplica.reduce((a, b) => a + b, 0) < 24 && Date.now() < end) await sleep(10);
    expect(byReplica.reduce((a, b) => a + b, 0)).toBe(24);
    expect(most).toBeLessThanOrEqual(3);
    expect(most).toBeGreaterThanOrEqual(2);

    // A 429 seen by replica 2 pauses the key on every replica.
    const t0 = Date.now();
    await replicas[2]!.pauseGroup(group, 300);
    const startedAt: number[] = [];
    for (const q of replicas) {
      q.process(async () => {
        startedAt.push(Date.now());
      });
    }
    await replicas[1]!.enqueue({ id: "after-429", kind: "attempt", executionId: "x", group });
    while (startedAt.length === 0 && Date.now() < t0 + 5_000) await sleep(10);
    expect(startedAt[0]! - t0).toBeGreaterThanOrEqual(290);
    await Promise.all(replicas.map((q) => q.close()));
  });

  it("redelivers a job whose replica died holding it, once the lock lapses", async () => {
    const prefix = `${t.prefix}${uniqueName("s")}`;
    const opts = { lockDurationMs: 300, stalledIntervalMs: 200 };
    const dying = await replica(prefix, opts);
    let startedOnDying = 0;
    dying.process(async () => {
      startedOnDying++;
      await new Promise(() => undefined); // never finishes: the process is about to "die"
    });
    await dying.enqueue({ id: "held", kind: "advance", executionId: "x" });
    const end = Date.now() + 5_000;
    while (startedOnDying === 0 && Date.now() < end) await sleep(10);
    // The replica vanishes: its connection goes, so its lock is no longer renewed.
    connections.at(-1)!.disconnect();
    const survivor = await replica(prefix, opts);
    const deliveries: number[] = [];
    survivor.process(async (job) => {
      deliveries.push(job.delivery);
    });
    while (deliveries.length === 0 && Date.now() < end + 5_000) await sleep(20);
    expect(deliveries).toEqual([2]);
    await survivor.close();
  });
});
