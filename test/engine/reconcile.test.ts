// The reconciler between two engines on one store (each with its in-process queue): a live engine's
// running work is never taken; once its owner lease expires (a frozen or dead process) the other engine
// dispatches the lost attempt again with a new token, and the old attempt's late completion changes
// nothing. Its own work is left alone while its own queue holds the job.
import { describe, expect, it } from "vitest";
import { LocalExecutionStore } from "../../src/drivers/local/execution-store.ts";
import { MapTable } from "../../src/drivers/local/table.ts";
import { createEngine, WorkflowBuilder } from "../../src/engine/index.ts";
import type { ExecutionStore, OwnerInfo } from "../../src/engine/store/types.ts";
import { gate, ScriptedModel } from "./helpers.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const chain = new WorkflowBuilder("rc", 1, "Reconcile")
  .inputs("topic")
  .agent("s1", { in: { topic: "inputs.topic" }, prompt: "one {{topic}}" })
  .agent("s2", { after: "s1", prompt: "two" })
  .build();

/** The store as a process that froze sees it: its heartbeats stop reaching the store after `freeze()`. */
function freezable(store: ExecutionStore): { store: ExecutionStore; freeze: () => void } {
  let frozen = false;
  const proxy = new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === "heartbeat") return (owner: OwnerInfo, ttl: number) => (frozen ? Promise.resolve(true) : target.heartbeat(owner, ttl));
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { store: proxy, freeze: () => (frozen = true) };
}

describe("reconciler", () => {
  it("never takes a live engine's work; takes it once that engine's lease expired; the zombie attempt's completion is refused", async () => {
    const shared = new LocalExecutionStore(new MapTable(), { driver: "memory", location: "memory", ttlMs: 86_400_000 });
    const held = gate();
    const modelA = new ScriptedModel().script("s1", { gate: held, text: "from A" });
    const modelB = new ScriptedModel();
    const a = freezable(shared);
    const engineA = createEngine({ executions: a.store, model: modelA, ownerLeaseMs: 600, reconcileEveryMs: 0 });
    const engineB = createEngine({ executions: shared, model: modelB, ownerLeaseMs: 600, reconcileEveryMs: 0 });
    engineA.register({ definition: chain });
    engineB.register({ definition: chain });
    const exec = await engineA.start("rc", { inputs: { topic: "t" }, userId: "U" });
    while (modelA.callsFor("s1").length === 0) await sleep(5);

    // A is alive (its lease is renewed): B re-adds nothing, however often it looks.
    for (let i = 0; i < 3; i++) {
      expect(await engineB.recover()).toEqual([]);
      await sleep(250);
    }
    expect(modelB.requests).toHaveLength(0);

    // A freezes: its lease runs out; B dispatches s1 again (attempt 2, a new token) and finishes.
    a.freeze();
    await sleep(700);
    expect(await engineB.recover()).toEqual([exec.id]);
    const done = await engineB.wait(exec.id, { timeoutMs: 5_000 });
    expect(done.status).toBe("completed");
    expect(done.nodes.find((n) => n.nodeId === "s1")).toMatchObject({ status: "completed", attempts: 2, output: "answer for s1" });
    expect(modelB.callsFor("s1")).toHaveLength(1);

    // A wakes up and its attempt completes late: refused by its token, nothing changes.
    const before = await engineB.events(exec.id);
    held.release();
    await sleep(100);
    expect(await engineB.events(exec.id)).toEqual(before);
    expect(modelA.callsFor("s2")).toHaveLength(0);
    await engineA.close();
    await engineB.close();
  });

  it("leaves work whose job its own queue still holds alone; a cancel stops that attempt", async () => {
    const store = new LocalExecutionStore(new MapTable(), { driver: "memory", location: "memory", ttlMs: 86_400_000 });
    const model = new ScriptedModel().script("s1", { hang: true });
    const engine = createEngine({ executions: store, model, reconcileEveryMs: 0 });
    engine.register({ definition: chain });
    const exec = await engine.start("rc", { inputs: { topic: "t" }, userId: "U" });
    while (model.callsFor("s1").length === 0) await sleep(5);
    // Its job is running here: nothing to re-add.
    expect(await engine.recover()).toEqual([]);
    await engine.cancel(exec.id);
    expect(model.aborted).toEqual(["s1"]);
    await engine.close();
  });
});
