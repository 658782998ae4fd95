import { afterAll, beforeAll, expect, it } from "vitest";
import { openRedis, RedisUnavailableError } from "../../src/drivers/redis/connect.ts";
import { RedisLeases } from "../../src/drivers/redis/lease.ts";
import { SharedRateBuckets } from "../../src/drivers/redis/rate-buckets.ts";
import { describeWithRedis, redisUrl, testRedis } from "./helpers.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describeWithRedis("Redis leases (connection slots, shards, thread locks)", () => {
  const t = testRedis();
  // Two replicas: two connections, one keyspace.
  let a: RedisLeases;
  let b: RedisLeases;
  let second: Awaited<ReturnType<typeof openRedis>>;
  beforeAll(async () => {
    second = await openRedis(redisUrl());
    a = new RedisLeases(t.redis, t.prefix);
    b = new RedisLeases(second, t.prefix);
  });
  afterAll(async () => {
    second.disconnect();
    await t.cleanup();
  });

  it("gives a name to one holder at a time; expiry passes it on with a larger fence", async () => {
    const results = await Promise.all([a, b, a, b].map((l) => l.take("discord:shard:0", 150)));
    const winners = results.filter((r) => r !== undefined);
    expect(winners).toHaveLength(1);
    const first = winners[0]!;
    expect(await a.holder("discord:shard:0")).toBe(first.token);
    expect(await b.take("discord:shard:0", 150)).toBeUndefined();
    await sleep(200);
    const next = await b.take("discord:shard:0", 5_000);
    expect(next?.fence).toBeGreaterThan(first.fence);
    // The old holder woke up: it can neither extend nor drop its successor's lease.
    expect(await a.renew(first, 5_000)).toBe(false);
    expect(await a.release(first)).toBe(false);
    expect(await a.holder("discord:shard:0")).toBe(next!.token);
    expect(await b.release(next!)).toBe(true);
    expect(await a.holder("discord:shard:0")).toBeUndefined();
  });

  it("hands out at most N connection slots across replicas", async () => {
    const slots = Array.from({ length: 3 }, (_, i) => `slack:socket:${i}`);
    const taken = await Promise.all(Array.from({ length: 5 }, (_, i) => (i % 2 ? a : b).takeAny(slots, 5_000)));
    const held = taken.filter((l) => l !== undefined);
    expect(held.map((l) => l.name).sort()).toEqual(slots);
    await Promise.all(held.map((l) => a.release(l)));
  });

  it("keeps a lease alive past its ttl, and says when it was lost", async () => {
    const lease = (await a.take("slack:socket:keep", 90))!;
    const lost: string[] = [];
    const kept = a.keep(lease, 90, (l) => lost.push(l.name));
    await sleep(250);
    expect(await b.take("slack:socket:keep", 90)).toBeUndefined();
    expect(lost).toEqual([]);
    // Someone else ends up holding it (as after a pause longer than the ttl).
    await t.redis.del(`${t.prefix}lease:slack:socket:keep`);
    const thief = await b.take("slack:socket:keep", 5_000);
    await sleep(120);
    expect(lost).toEqual(["slack:socket:keep"]);
    await kept.stop();
    expect(await a.holder("slack:socket:keep")).toBe(thief!.token);
  });

  it("runs per-thread critical sections one at a time across replicas", async () => {
    let inside = 0;
    let most = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        (i % 2 ? a : b).withLock("thread:C1:T1", async () => {
          inside++;
          most = Math.max(most, inside);
          await sleep(10);
          order.push(i);
          inside--;
        }),
      ),
    );
    expect(most).toBe(1);
    expect(order.sort()).toEqual([0, 1, 2, 3, 4, 5]);
    // A lock held elsewhere past the wait: the section does not run.
    const held = (await a.take("thread:C1:T2", 5_000))!;
    let ran = false;
    expect(await b.withLock("thread:C1:T2", async () => (ran = true), { waitMs: 50 })).toBeUndefined();
    expect(ran).toBe(false);
    await a.release(held);
  });

  it("shares one rate bucket between replicas, and a pause empties it for all", async () => {
    const prefix = `${t.prefix}rate`;
    const bucketA = new SharedRateBuckets(t.redis, { prefix, points: 5, durationSeconds: 10 });
    const bucketB = new SharedRateBuckets(second, { prefix, points: 5, durationSeconds: 10 });
    const decisions = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? bucketA : bucketB).take("slack:T1:C1")));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(5);
    const refused = decisions.find((d) => !d.allowed)!;
    expect(refused.retryAfterMs).toBeGreaterThan(0);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(10_000);
    // Another key is untouched, until a 429 pauses it everywhere.
    expect((await bucketA.take("slack:T1:C2")).allowed).toBe(true);
    await bucketA.pause("slack:T1:C2", 2_000);
    const paused = await bucketB.take("slack:T1:C2");
    expect(paused.allowed).toBe(false);
    expect(paused.retryAfterMs).toBeGreaterThan(1_000);
    expect(await bucketB.wait("slack:T1:C2", { maxWaitMs: 100 })).toBe(false);
  });

  it("says in one sentence which Redis it could not reach", async () => {
    const error = await openRedis("redis://:hunter2@127.0.0.1:1").catch((e) => e);
    expect(error).toBeInstanceOf(RedisUnavailableError);
    expect(error.message).toMatch(/^Cannot reach Redis at 127\.0\.0\.1:1 \(.+\); check STAFFROOM_QUEUE_URL/);
    expect(error.message).not.toContain("hunter2");
  });
});
