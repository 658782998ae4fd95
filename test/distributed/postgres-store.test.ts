// The PostgreSQL ExecutionStore against the engine's driver conformance suite, on the real server, in a
// schema of its own; plus what only a shared server shows: several pools (replicas) racing on one row.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { openPostgresStore, type PostgresStore } from "../../src/drivers/postgres/open.ts";
import { chooseStore } from "../../src/drivers/urls.ts";
import type { ExecutionRecord } from "../../src/engine/records.ts";
import { describeExecutionStore } from "../engine/drivers/store-conformance.ts";
import { describeWithPostgres, testSchema } from "./helpers.ts";

describeWithPostgres("PostgreSQL ExecutionStore", () => {
  const target = testSchema();
  const open = () => {
    const choice = chooseStore(target.storeUrl);
    if (choice?.kind !== "postgres") throw new Error("expected postgres");
    return openPostgresStore(choice, { ttlMs: 30 * 86_400_000, poolSize: 8 });
  };
  let shared: PostgresStore;
  beforeAll(async () => {
    shared = await open();
  });
  afterAll(async () => {
    await shared?.close();
    await target.drop();
  });

  describeExecutionStore("postgres", async () => {
    // Each test gets a store of its own on a fresh pool, as a replica would.
    const s = await open();
    return { store: s.executions, cleanup: () => s.close() };
  });

  it("fences across replicas: of three replicas deciding on the same version (the same step delivered thrice), exactly one commits", async () => {
    const replicas = await Promise.all(Array.from({ length: 3 }, () => open()));
    try {
      const header = {
        id: randomBytes(9).toString("base64url"),
        templateId: "t",
        version: 1,
        hash: "h",
        title: "T",
        status: "running",
        inputs: {},
        userId: "u",
        createdAt: Date.now(),
        nodeIds: ["a"],
        plan: [],
      } as unknown as ExecutionRecord;
      const made = await replicas[0]!.executions.createExecution({ header, definition: {} as never, events: [] });
      if (!made.created) throw new Error("expected creation");
      // All write node "a" as completed at version 0, seq 1, at once: one transaction each, under the row lock.
      const node = { nodeId: "a", kind: "agent", status: "completed", attempts: 1 } as const;
      const results = await Promise.all(
        replicas.map((r, i) =>
          r.executions.commit({
            executionId: header.id,
            expectVersion: 0,
            seq: 0,
            nodes: [{ ...node, output: i }],
            events: [{ executionId: header.id, seq: 1, type: "node.completed", at: i, nodeId: "a" }],
          }),
        ),
      );
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      expect(results.filter((r) => !r.ok)).toEqual([
        { ok: false, reason: "version_conflict" },
        { ok: false, reason: "version_conflict" },
      ]);
      expect((await shared.executions.getEvents(header.id)).map((e) => e.seq)).toEqual([1]);
      expect((await shared.executions.loadExecution(header.id))?.version).toBe(1);
    } finally {
      await Promise.all(replicas.map((r) => r.close()));
    }
  });

  it("keeps other layers' Keyv records in the same schema, namespaced", async () => {
    const chat = shared.namespace("chat");
    const profiles = shared.namespace("profiles");
    await chat.set("thread:1", { phase: "asking" });
    await profiles.set("thread:1", { grade: "5" });
    expect(await chat.get("thread:1")).toEqual({ phase: "asking" });
    expect(await profiles.get("thread:1")).toEqual({ grade: "5" });
    await chat.clear();
    expect(await chat.get("thread:1")).toBeUndefined();
    expect(await profiles.get("thread:1")).toEqual({ grade: "5" });
    const { rows } = await shared.pool.query("SELECT count(*)::int AS n FROM keyv");
    expect(rows[0].n).toBe(1);
  });
});
