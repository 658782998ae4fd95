// Engine v3 on real replica processes sharing one PostgreSQL store and one BullMQ prefix: any replica runs
// any step (no owner), answers, deadlines and cancels work through whichever replica gets them, and a
// replica killed with SIGKILL loses nothing and repeats no model call beyond the ones it had in flight.
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { openPostgresStore, type PostgresStore } from "../../src/drivers/postgres/open.ts";
import { chooseStore } from "../../src/drivers/urls.ts";
import { tempDir } from "../engine/helpers.ts";
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
} from "./fixtures/replicas.ts";
import { describeWithServices, redisUrl, testRedis, testSchema, uniqueName } from "./helpers.ts";

describeWithServices("engine replicas as processes (PostgreSQL + BullMQ)", () => {
  const schema = testSchema("sr_v3");
  const redis = testRedis("sr_v3");
  const prefix = uniqueName("sr_v3");
  const tmp = tempDir("staffroom-replicas-");
  const log = join(tmp.dir, "side.log");
  const replicas: Replica[] = [];
  let store: PostgresStore;
  const config = (name: string): ReplicaConfig => ({
    name,
    store: schema.storeUrl,
    queue: { url: redisUrl(), prefix },
    log,
    delayMs: 250,
    leaseMs: 2_000,
    lockMs: 2_000,
  });
  const status = async (id: string) => (await store.executions.getExecution(id))?.status;
  const allIn = async (ids: string[], wanted: string) => {
    for (const id of ids) if ((await status(id)) !== wanted) return false;
    return true;
  };

  beforeAll(async () => {
    const choice = chooseStore(schema.storeUrl);
    if (choice?.kind !== "postgres") throw new Error("expected postgres");
    // The first replica migrates; the rest find the schema ready.
    replicas.push(await spawnReplica(config("A")));
    replicas.push(await spawnReplica(config("B")));
    store = await openPostgresStore(choice, { ttlMs: 86_400_000, poolSize: 2, sweepEveryMs: 0 });
  }, 90_000);

  afterAll(async () => {
    for (const r of replicas) await r.stop("SIGKILL");
    await store?.close();
    await schema.drop();
    const keys = await redis.redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.redis.del(...keys);
    await redis.cleanup();
    tmp.cleanup();
  });

  it("two replicas on one prefix, no crash: every execution completes, each model call is made once, and steps run on the replica that did not start them", async () => {
    const [a] = replicas as [Replica, Replica];
    const ids = await startMany(
      a,
      "chain3",
      Array.from({ length: 12 }, (_, i) => `two-${i}`),
    );
    await until(() => allIn(ids, "completed"), "all 12 completed", 45_000);
    const lines = sideLog(log).filter((l) => ids.includes(l.execution));
    const calls = callsPerStep(lines, ids);
    expect(calls.size).toBe(36);
    expect([...calls.values()].every((n) => n === 1)).toBe(true);
    // Jobs were taken by the other replica (before v3 it dropped them and the executions stalled).
    expect(lines.filter((l) => l.what === "call" && l.replica === "B").length).toBeGreaterThan(0);
    // STAFFROOM_MODEL_CONCURRENCY (6 here) holds for the cluster, not per replica.
    expect(peakConcurrency(lines)).toBeLessThanOrEqual(6);
    for (const id of ids) {
      const events = await store.executions.getEvents(id);
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    }
  }, 60_000);

  it("answer, deadline and cancel through the other replica", async () => {
    const [a, b] = replicas as [Replica, Replica];
    // Answers: started on A, answered on B.
    const asks = await startMany(a, "ask", ["ask-0", "ask-1", "ask-2"]);
    await until(() => allIn(asks, "waiting"), "questions asked");
    for (const id of asks) b.send({ op: "answer", id, node: "q" });
    for (const id of asks) {
      const m = await b.marker((x) => x.answered === id, `answer ${id}`);
      expect(m.result).toMatchObject({ accepted: true });
    }
    // Deadlines: whichever replica's worker takes the delayed job applies the default answer.
    const timed = await startMany(a, "deadline", ["dl-0", "dl-1"]);
    await until(() => allIn([...asks, ...timed], "completed"), "answered and timed-out runs completed", 30_000);
    for (const id of timed)
      expect((await store.executions.getNodes(id)).get("q")).toMatchObject({ status: "completed", output: "auto", answeredBy: "deadline" });
    const answered = callsPerStep(sideLog(log), asks);
    expect([...answered.values()]).toEqual(Array(6).fill(1));

    // Cancel: slow model calls started (on either replica), cancelled through B.
    const slow = await startMany(a, "slow", ["slow-0", "slow-1", "slow-2"], { slow: true });
    await until(() => callsPerStep(sideLog(log), slow).size === 3 && true, "slow calls started");
    const cancelAt = sideLog(log).length;
    for (const id of slow) b.send({ op: "cancel", id });
    for (const id of slow) expect((await b.marker((x) => x.cancelled === id, `cancel ${id}`)).result).toBe(true);
    for (const id of slow) expect(await status(id)).toBe("cancelled");
    // Every running attempt stops, on whichever replica it ran (broadcast), and nothing starts after the cancel.
    await until(
      () => sideLog(log).filter((l) => l.what === "abort" && slow.includes(l.execution)).length === 3 && true,
      "attempts aborted",
      10_000,
    );
    await new Promise((r) => setTimeout(r, 500));
    const after = sideLog(log)
      .slice(cancelAt)
      .filter((l) => slow.includes(l.execution));
    expect(after.filter((l) => l.what === "call")).toEqual([]);
    expect(after.filter((l) => l.what === "done")).toEqual([]);
  }, 90_000);

  it("kill -9 of one of three replicas: nothing lost, no model call repeated beyond the killed replica's in-flight ones", async () => {
    const [a, b] = replicas as [Replica, Replica];
    const c = await spawnReplica(config("C"));
    replicas.push(c);
    // Start work until B has a model call in flight (under load BullMQ may hand the first batch to A and C).
    const ids: string[] = [];
    for (let batch = 0; batch < 8 && inFlight(sideLog(log), "B") === 0; batch++) {
      ids.push(
        ...(await startMany(
          a,
          "chain3",
          Array.from({ length: 6 }, (_, i) => `kill-${batch}-${i}`),
        )),
      );
      await until(
        () =>
          inFlight(sideLog(log), "B") > 0 ||
          sideLog(log).filter((l) => l.what === "done" && ids.includes(l.execution)).length >= ids.length * 3,
        "B or the batch busy",
        30_000,
      ).catch(() => undefined);
    }
    expect(inFlight(sideLog(log), "B")).toBeGreaterThan(0);
    const killedAt = Date.now();
    await b.stop("SIGKILL");
    // Read after its death: the calls B started and never finished are exactly the ones in flight.
    const inflightB = inFlight(sideLog(log), "B");
    await until(() => allIn(ids, "completed"), "all completed after the kill", 60_000);
    const resumedIn = Date.now() - killedAt;
    const calls = callsPerStep(sideLog(log), ids);
    expect(calls.size).toBe(ids.length * 3);
    const repeated = [...calls.values()].reduce((sum, n) => sum + (n - 1), 0);
    expect(repeated).toBeLessThanOrEqual(inflightB);
    // Within one lease period (the jobs' lock, 2 s here; 30 s by default) plus the work itself.
    expect(resumedIn).toBeLessThan(45_000);
  }, 120_000);
});
