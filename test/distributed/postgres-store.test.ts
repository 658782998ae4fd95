// The PostgreSQL ExecutionStore against the engine's driver conformance suite, on the real server, in a
// schema of its own; plus what only a shared server shows: several pools (replicas) racing on one row.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { openPostgresStore, type PostgresStore } from "../../src/drivers/postgres/open.ts";
import { chooseStore } from "../../src/drivers/select.ts";
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

  it("fences across replicas: after a forced hand-over the old owner writes nothing, and of two replicas completing the same node only one does", async () => {
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
      const made = await replicas[0]!.executions.createExecution({ header, definition: {} as never, owner: "r0", events: [] });
      if (!made.created) throw new Error("expected creation");
      const taken = await replicas[1]!.executions.claim(header.id, "r1", { force: true });
      // Both write node "a" as completed, seq 1, at once: one transaction each, under the row lock.
      const node = { nodeId: "a", kind: "agent", status: "completed", attempts: 1 } as const;
      const results = await Promise.all([
        replicas[0]!.executions.commit({
          executionId: header.id,
          token: made.lease.token,
          node: { nodeId: "a" },
          nodes: [node],
          events: [{ executionId: header.id, seq: 1, type: "node.completed", at: 1, nodeId: "a" }],
        }),
        replicas[1]!.executions.commit({
          executionId: header.id,
          token: taken!.token,
          node: { nodeId: "a" },
          nodes: [node],
          events: [{ executionId: header.id, seq: 1, type: "node.completed", at: 2, nodeId: "a" }],
        }),
        replicas[2]!.executions.commit({
          executionId: header.id,
          token: taken!.token,
          node: { nodeId: "a" },
          nodes: [node],
          events: [{ executionId: header.id, seq: 1, type: "node.completed", at: 3, nodeId: "a" }],
        }),
      ]);
      expect(results[0]).toEqual({ ok: false, reason: "stale_lease" });
      // The same step delivered twice to two replicas: exactly one completes it.
      expect(
        results
          .slice(1)
          .map((r) => r.ok)
          .sort(),
      ).toEqual([false, true]);
      expect(results.slice(1).find((r) => !r.ok)).toMatchObject({ reason: expect.stringMatching(/node_settled|seq_conflict/) });
      expect((await shared.executions.getEvents(header.id)).map((e) => e.seq)).toEqual([1]);
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
