// Forget finds an execution for as long as any of it is readable: its index rows are rewritten with its
// header, so a question answered long after the start (here: after the creation rows' retention) does not
// leave the execution, inputs included, readable but unlisted.
import { describe, expect, it } from "vitest";
import { LocalExecutionStore } from "../../src/drivers/local/execution-store.ts";
import { MapTable } from "../../src/drivers/local/table.ts";
import { createEngine, WorkflowBuilder } from "../../src/engine/index.ts";
import { ScriptedModel } from "./helpers.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("forget after a late answer", () => {
  it("deletes an execution whose creation-time rows have expired, because its index rows live as long as its header", async () => {
    // Retention of 600 ms stands in for 30 days.
    const executions = new LocalExecutionStore(new MapTable(), { driver: "memory", location: "memory", ttlMs: 600 });
    const engine = createEngine({ executions, model: new ScriptedModel(), transforms: { keep: (i) => i }, reconcileEveryMs: 0 });
    engine.register({
      definition: new WorkflowBuilder("late", 1, "Late answer")
        .inputs("secret")
        .human("q", { prompt: "Go?", deadline: { afterMs: 3_600_000, action: "cancel" } })
        .transform("t", { after: "q", fn: "keep", in: { s: "inputs.secret" } })
        .build({ transforms: new Map([["keep", (i: Record<string, unknown>) => i]]) }),
    });
    const exec = await engine.start("late", { inputs: { secret: "Ada Lovelace" }, userId: "T1" });
    await engine.wait(exec.id, { untilWaiting: true, timeoutMs: 5_000 });
    await sleep(450);
    expect((await engine.resume(exec.id, "q", "yes", { userId: "T1" })).accepted).toBe(true);
    expect((await engine.wait(exec.id, { timeoutMs: 5_000 })).status).toBe("completed");
    // The rows written at creation are past retention now; the header (rewritten at the answer) is not.
    await sleep(250);
    expect((await engine.get(exec.id))?.inputs).toEqual({ secret: "Ada Lovelace" });
    expect(await engine.forgetUser("T1")).toBe(1);
    expect(await engine.get(exec.id)).toBeUndefined();
    expect(await executions.getEvents(exec.id)).toEqual([]);
    await engine.close();
  });
});
