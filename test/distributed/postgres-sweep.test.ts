// PostgreSQL runs the retention sweep itself, on a schedule, one replica at a time: expired executions
// (with their nodes and events) and other layers' expired Keyv records (the privacy maps of real names)
// are deleted; while another replica holds the sweep's advisory lock, a sweep does nothing.
import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { openPostgresStore, type PostgresStore } from "../../src/drivers/postgres/open.ts";
import { chooseStore } from "../../src/drivers/urls.ts";
import type { ExecutionRecord } from "../../src/engine/records.ts";
import { describeWithPostgres, postgresUrl, testSchema } from "./helpers.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describeWithPostgres("PostgreSQL retention sweep", () => {
  const target = testSchema("sr_sweep");
  let store: PostgresStore;
  beforeAll(async () => {
    const choice = chooseStore(target.storeUrl);
    if (choice?.kind !== "postgres") throw new Error("expected postgres");
    // Retention of 300 ms stands in for 30 days; the sweep runs every 200 ms.
    store = await openPostgresStore(choice, { ttlMs: 300, poolSize: 4, sweepEveryMs: 200 });
  });
  afterAll(async () => {
    await store?.close();
    await target.drop();
  });

  const header = (id: string) =>
    ({
      id,
      templateId: "t",
      version: 1,
      hash: "h",
      title: "T",
      status: "completed",
      inputs: { name: "Ada Lovelace" },
      userId: "u",
      createdAt: Date.now(),
      nodeIds: [],
      plan: [],
    }) as unknown as ExecutionRecord;

  it("deletes expired executions and Keyv records on its own schedule, and skips while another replica sweeps", async () => {
    const admin = new pg.Client({ connectionString: postgresUrl() });
    await admin.connect();
    try {
      // Another replica is sweeping: it holds the lock.
      await admin.query("SELECT pg_advisory_lock($1, $2)", [0x5354_4146, 0x5357_4550]);
      await store.executions.createExecution({
        header: header("old-1"),
        definition: {} as never,
        events: [{ executionId: "old-1", seq: 1, type: "execution.started", at: 1 }],
      });
      await store.namespace("privacy").set("map:u", { "Student 1": "Ada Lovelace" }, 300);
      const count = async () =>
        (await admin.query(`SELECT count(*)::int AS n FROM "${target.schema}".keyv WHERE key LIKE '%map:u%'`)).rows[0].n as number;
      expect(await count()).toBe(1);
      await sleep(700);
      expect(await store.executions.sweepExpired()).toBe(0);
      expect(await count()).toBe(1);
      expect(await store.executions.getExecution("old-1")).toBeDefined();
      await admin.query("SELECT pg_advisory_unlock($1, $2)", [0x5354_4146, 0x5357_4550]);
      // The scheduled sweep (no call from here) deletes both.
      const stop = Date.now() + 5_000;
      while ((await store.executions.getExecution("old-1")) && Date.now() < stop) await sleep(50);
      expect(await store.executions.getExecution("old-1")).toBeUndefined();
      expect(await store.executions.getEvents("old-1")).toEqual([]);
      expect(await count()).toBe(0);
    } finally {
      await admin.end();
    }
  });
});
