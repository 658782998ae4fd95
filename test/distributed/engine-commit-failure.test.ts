// One PostgreSQL backend killed in the middle of a commit (pg_terminate_backend while commit_v3 waits on
// the execution's row): the write fails, the handler reads the state again and decides again, keeping the
// step's output (no second run), and the execution completes; stats count it once, after the real end.
import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { openPostgresStore, type PostgresStore } from "../../src/drivers/postgres/open.ts";
import { chooseStore } from "../../src/drivers/urls.ts";
import { createEngine, WorkflowBuilder } from "../../src/engine/index.ts";
import { gate, ScriptedModel } from "../engine/helpers.ts";
import { describeWithPostgres, postgresUrl, testSchema } from "./helpers.ts";

describeWithPostgres("a PostgreSQL backend killed mid-commit", () => {
  const target = testSchema("sr_kill");
  let store: PostgresStore;
  beforeAll(async () => {
    const choice = chooseStore(target.storeUrl);
    if (choice?.kind !== "postgres") throw new Error("expected postgres");
    store = await openPostgresStore(choice, { ttlMs: 86_400_000, poolSize: 4, sweepEveryMs: 0 });
  });
  afterAll(async () => {
    await store?.close();
    await target.drop();
  });

  // Retried: in 2 of about 10 full CI runs no commit was caught waiting within 10 s (killed 0; cause not yet
  // found, see the stop note). Each try is a fresh engine and execution, and every assertion still holds.
  it("does not wedge the execution: the step's output is kept and the execution completes", { retry: 2 }, async () => {
    const open = gate();
    let runs = 0;
    const engine = createEngine({
      executions: store.executions,
      model: new ScriptedModel(),
      transforms: {
        gated: async () => {
          runs++;
          await open.promise;
          return "one done";
        },
        plain: () => "two done",
      },
      reconcileEveryMs: 0,
    });
    engine.register({
      definition: new WorkflowBuilder("kill-commit", 1, "Kill commit")
        .transform("one", { fn: "gated" })
        .transform("two", { after: "one", fn: "plain" })
        .build({
          transforms: new Map([
            ["gated", () => 0],
            ["plain", () => 0],
          ]),
        }),
    });
    // A retried try closes its engine (finally below); count from the runs already recorded.
    const [prior] = await engine.stats("kill-commit");
    const priorRuns = prior?.runs ?? 0;
    const priorCompleted = prior?.completed ?? 0;
    try {
      const exec = await engine.start("kill-commit", { inputs: {}, userId: "U" });
      while (runs === 0) await new Promise((r) => setTimeout(r, 5));

      // Hold the executions table against writes (reads go on), so the step's commit waits inside commit_v3
      // whatever row it writes first; then kill that backend. (A lock on the execution's row alone was missed
      // once in CI: the commit never waited on it.)
      const admin = new pg.Client({ connectionString: postgresUrl() });
      await admin.connect();
      try {
        await admin.query("BEGIN");
        await admin.query(`LOCK TABLE "${target.schema}".executions IN EXCLUSIVE MODE`);
        open.release();
        let killed = 0;
        const stop = Date.now() + 10_000;
        while (killed === 0 && Date.now() < stop) {
          const { rows } = await admin.query<{ pid: number }>(
            "SELECT pid FROM pg_stat_activity WHERE query LIKE '%commit_v3%' AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()",
          );
          for (const { pid } of rows) {
            await admin.query("SELECT pg_terminate_backend($1)", [pid]);
            killed++;
          }
          if (killed === 0) await new Promise((r) => setTimeout(r, 10));
        }
        expect(killed).toBe(1);
      } finally {
        await admin.query("ROLLBACK").catch(() => undefined);
        await admin.end();
      }

      const view = await engine.wait(exec.id, { timeoutMs: 15_000 });
      expect(view.status).toBe("completed");
      expect(view.nodes.map((n) => [n.nodeId, n.status, n.output])).toEqual([
        ["one", "completed", "one done"],
        ["two", "completed", "two done"],
      ]);
      expect(runs).toBe(1);
      const events = await engine.events(exec.id);
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
      expect(events.filter((e) => e.type === "node.completed").map((e) => e.nodeId)).toEqual(["one", "two"]);
      const [stats] = await engine.stats("kill-commit");
      expect(stats).toMatchObject({ runs: priorRuns + 1, completed: priorCompleted + 1 });
    } finally {
      await engine.close();
    }
  });
});
