// decide() as the pure function it is: a state and one input in, the transition to commit and the jobs it
// dispatches out. No store, no queue, no clock: every case builds the state it starts from.
import { describe, expect, it } from "vitest";
import { WorkflowBuilder } from "../../src/engine/builder.ts";
import { buildGraph } from "../../src/engine/graph.ts";
import type { ExecutionRecord, NodeState } from "../../src/engine/records.ts";
import { type DecideContext, type Decision, decide, type ExecutionState } from "../../src/engine/run/decide.ts";
import type { WorkflowDefinition } from "../../src/engine/schema.ts";

const registries = { transforms: new Map([["t", (i: Record<string, unknown>) => i]]) };

function ctx(over: Partial<DecideContext> = {}): DecideContext {
  let n = 0;
  return {
    now: 1_000,
    owner: "proc-a",
    newToken: () => `tok${++n}`,
    maxParallel: Number.POSITIVE_INFINITY,
    modelGroup: "model:test",
    child: (node, scope, parent) => ({
      header: {
        ...parent,
        id: `child-of-${parent.id}`,
        templateId: node.workflow,
        parent: { executionId: parent.id, nodeId: node.id },
        inputs: scope,
      },
      definition: parent as never,
      events: [{ executionId: `child-of-${parent.id}`, seq: 1, type: "execution.started", at: 1_000 }],
    }),
    ...over,
  };
}

function stateOf(
  def: WorkflowDefinition,
  nodes: Partial<NodeState>[] = [],
  rec: Partial<ExecutionRecord> = {},
  version = 0,
  seq = 1,
): ExecutionState {
  const map = new Map<string, NodeState>();
  for (const n of def.nodes) map.set(n.id, { nodeId: n.id, kind: n.kind, status: "pending", attempts: 0 });
  for (const n of nodes) map.set(n.nodeId as string, { ...(map.get(n.nodeId as string) as NodeState), ...n });
  return {
    rec: {
      id: "E",
      templateId: def.id,
      version: def.version,
      hash: "h",
      title: def.title,
      status: "running",
      inputs: { topic: "tides" },
      userId: "U",
      createdAt: 0,
      startedAt: 0,
      nodeIds: def.nodes.map((n) => n.id),
      plan: [],
      ...rec,
    } as ExecutionRecord,
    def,
    graph: buildGraph(def),
    nodes: map,
    version,
    seq,
  };
}

/** Applies a decision as a store would: the next state. */
const committed = (d: Decision) => d.next;

const chain = new WorkflowBuilder("chain", 1, "Chain")
  .inputs("topic")
  .agent("a", { in: { topic: "inputs.topic" }, prompt: "A {{topic}}" })
  .transform("b", { after: "a", fn: "t", in: { x: "nodes.a" } })
  .build(registries);

describe("decide()", () => {
  it("dispatches the first node of a new execution: running with a token, its started event, its attempt job after the commit", () => {
    const d = decide(stateOf(chain), { type: "advance" }, ctx());
    expect(d.outcome).toBe("applied");
    expect(d.transition).toMatchObject({ expectVersion: 0, seq: 1 });
    expect(d.transition?.nodes).toEqual([
      { nodeId: "a", kind: "agent", status: "running", attempts: 1, startedAt: 1_000, token: "tok1", by: "proc-a", dispatchedAt: 1_000 },
    ]);
    expect(d.transition?.events?.map((e) => [e.seq, e.type, e.nodeId])).toEqual([[2, "node.started", "a"]]);
    expect(d.jobs).toEqual([
      {
        id: "attempt:E:a:1",
        kind: "attempt",
        executionId: "E",
        nodeId: "a",
        data: { attempt: 1, token: "tok1", minVersion: 1 },
        group: "model:test",
      },
    ]);
    expect(d.next.version).toBe(1);
    // Pure: the same state and input give the same decision.
    expect(decide(stateOf(chain), { type: "advance" }, ctx())).toEqual(d);
  });

  it("accepts a completion only from the dispatched attempt (its token), and only once", () => {
    const s = committed(decide(stateOf(chain), { type: "advance" }, ctx()));
    const wrong = decide(s, { type: "succeeded", nodeId: "a", token: "someone-else", startedAt: 1_000, raw: { text: "x" } }, ctx());
    expect(wrong.outcome).toBe("stale");
    expect(wrong.transition).toBeUndefined();
    expect(wrong.jobs).toEqual([]);
    const ok = decide(s, { type: "succeeded", nodeId: "a", token: "tok1", startedAt: 1_000, raw: "draft" }, ctx({ now: 1_500 }));
    expect(ok.outcome).toBe("applied");
    expect(ok.next.nodes.get("a")).toMatchObject({ status: "completed", output: "draft", durationMs: 500 });
    expect(ok.next.nodes.get("a")?.token).toBeUndefined();
    // One write completes a and dispatches b.
    expect(ok.transition?.events?.map((e) => [e.type, e.nodeId])).toEqual([
      ["node.completed", "a"],
      ["node.started", "b"],
    ]);
    expect(ok.jobs.map((j) => j.id)).toEqual(["attempt:E:b:1"]);
    const again = decide(ok.next, { type: "succeeded", nodeId: "a", token: "tok1", startedAt: 1_000, raw: "draft" }, ctx());
    expect(again.outcome).toBe("stale");
  });

  it("finishes with the terminal header in the same write as the last completion", () => {
    let s = committed(decide(stateOf(chain), { type: "advance" }, ctx()));
    s = committed(decide(s, { type: "succeeded", nodeId: "a", token: "tok1", startedAt: 1_000, raw: "x" }, ctx({ newToken: () => "tb" })));
    const last = decide(s, { type: "succeeded", nodeId: "b", token: "tb", startedAt: 1_000, raw: "y" }, ctx({ now: 3_000 }));
    expect(last.transition?.header).toMatchObject({ status: "completed", endedAt: 3_000, durationMs: 3_000 });
    expect(last.transition?.events?.map((e) => e.type)).toEqual(["node.completed", "execution.completed"]);
    expect(last.effects.finished).toBe("completed");
    expect(decide(last.next, { type: "advance" }, ctx()).transition).toBeUndefined();
  });

  it("a failed attempt with retries left records it and dispatches the next attempt, delayed, with a new token", () => {
    const s = committed(decide(stateOf(chain), { type: "advance" }, ctx()));
    const d = decide(
      s,
      {
        type: "failed",
        nodeId: "a",
        token: "tok1",
        startedAt: 1_000,
        error: { code: "model_unavailable", message: "503" },
        retry: { retry: true, delayMs: 250 },
      },
      ctx({ newToken: () => "tok2" }),
    );
    expect(d.transition?.attempts).toEqual([
      {
        nodeId: "a",
        attempt: {
          attempt: 1,
          startedAt: 1_000,
          endedAt: 1_000,
          durationMs: 0,
          ok: false,
          error: { code: "model_unavailable", message: "503" },
        },
      },
    ]);
    expect(d.next.nodes.get("a")).toMatchObject({ status: "running", attempts: 2, token: "tok2" });
    expect(d.jobs).toEqual([
      expect.objectContaining({ id: "attempt:E:a:2", delayMs: 250, data: { attempt: 2, token: "tok2", minVersion: 2 } }),
    ]);
    expect(d.transition?.events?.map((e) => e.type)).toEqual(["node.retrying", "node.started"]);
  });

  it("stores a fallback's origin on its node, so a restart during the fallback still completes the failed node with its output", () => {
    const def = new WorkflowBuilder("fb", 1, "Fallback")
      .inputs("topic")
      .agent("primary", { in: { topic: "inputs.topic" }, prompt: "P", onError: "backup" })
      .transform("backup", { fn: "t", in: { x: "inputs.topic" } })
      .transform("after", { after: "primary", fn: "t", in: { x: "nodes.primary" } })
      .build(registries);
    const s = committed(decide(stateOf(def), { type: "advance" }, ctx()));
    const failed = decide(
      s,
      {
        type: "failed",
        nodeId: "primary",
        token: "tok1",
        startedAt: 1_000,
        error: { code: "bad", message: "no" },
        retry: { retry: false },
      },
      ctx({ newToken: () => "fbtok" }),
    );
    expect(failed.next.nodes.get("primary")?.status).toBe("failed");
    expect(failed.next.nodes.get("backup")).toMatchObject({ status: "running", token: "fbtok", fallbackFor: ["primary"] });
    expect(failed.transition?.nodes?.find((n) => n.nodeId === "backup")?.fallbackFor).toEqual(["primary"]);
    // A restart: the state as the store holds it, the lost attempt dispatched again by the reconciler.
    const stored = failed.next;
    const again = decide(stored, { type: "redispatch", nodeIds: ["backup"] }, ctx({ newToken: () => "fbtok2" }));
    expect(again.next.nodes.get("backup")).toMatchObject({ status: "running", attempts: 2, token: "fbtok2", fallbackFor: ["primary"] });
    // The zombie attempt of before the restart cannot complete it.
    expect(decide(again.next, { type: "succeeded", nodeId: "backup", token: "fbtok", startedAt: 0, raw: "late" }, ctx()).outcome).toBe(
      "stale",
    );
    const done = decide(
      again.next,
      { type: "succeeded", nodeId: "backup", token: "fbtok2", startedAt: 0, raw: "stand-in" },
      ctx({ newToken: () => "t3" }),
    );
    expect(done.next.nodes.get("primary")).toMatchObject({ status: "completed", output: "stand-in", fallbackFrom: "backup" });
    expect(done.jobs.map((j) => j.id)).toEqual(["attempt:E:after:1"]);
  });

  it("answers a waiting question once: the header resumes and the next node is dispatched in the same write; a second answer is refused", () => {
    const def = new WorkflowBuilder("ask", 1, "Ask")
      .inputs("topic")
      .human("q", {
        prompt: "OK for {{topic}}?",
        choices: [{ value: "yes", label: "Yes" }],
        in: { topic: "inputs.topic" },
        deadline: { afterMs: 60_000, action: "cancel" },
      })
      .transform("t", { after: "q", fn: "t", in: { a: "nodes.q" } })
      .build(registries);
    const asked = decide(stateOf(def), { type: "advance" }, ctx());
    expect(asked.transition?.header?.status).toBe("waiting");
    expect(asked.next.nodes.get("q")).toMatchObject({ status: "waiting", wait: { prompt: "OK for tides?", deadlineAt: 61_000 } });
    expect(asked.jobs).toEqual([expect.objectContaining({ id: "deadline:E:q:0", kind: "deadline", delayMs: 60_000 })]);
    const answered = decide(asked.next, { type: "answer", nodeId: "q", value: "yes", by: "U" }, ctx({ newToken: () => "tt" }));
    expect(answered.outcome).toBe("applied");
    expect(answered.transition?.header?.status).toBe("running");
    expect(answered.effects.removeJobs).toEqual(["deadline:E:q:0"]);
    expect(answered.jobs.map((j) => j.id)).toEqual(["attempt:E:t:1"]);
    expect(decide(answered.next, { type: "answer", nodeId: "q", value: "yes", by: "U" }, ctx()).outcome).toBe("already_answered");
    // The deadline of the answered round finds nothing to do.
    expect(decide(answered.next, { type: "deadline", nodeId: "q", round: 0 }, ctx()).outcome).toBe("stale");
  });

  it("cancel ends the execution in one write, stopping running attempts, queued retries and children; a second cancel finds it finished", () => {
    const def = new WorkflowBuilder("par", 1, "Parallel")
      .inputs("topic")
      .transform("s", { fn: "t", in: { x: "inputs.topic" } })
      .agent("x", { after: "s", prompt: "X" })
      .workflow("w", { after: "s", workflow: "inner", version: 1 })
      .build({ ...registries, workflowExists: () => true });
    const s = stateOf(def, [
      { nodeId: "s", status: "completed", attempts: 1, output: 1 },
      { nodeId: "x", status: "running", attempts: 2, token: "tx" },
      { nodeId: "w", status: "running", attempts: 1, token: "tw", childExecutionId: "C" },
    ]);
    const d = decide(s, { type: "cancel", reason: "Stop." }, ctx());
    expect(d.transition?.header).toMatchObject({ status: "cancelled" });
    expect(d.next.nodes.get("x")).toMatchObject({ status: "cancelled" });
    expect(d.next.nodes.get("x")?.token).toBeUndefined();
    expect(d.effects).toMatchObject({
      finished: "cancelled",
      abort: ["x", "w"],
      cancelChildren: ["C"],
      removeJobs: ["attempt:E:x:2", "attempt:E:w:1"],
    });
    expect(decide(d.next, { type: "cancel", reason: "again" }, ctx()).outcome).toBe("finished");
    // The attempt that was running when the cancel landed is fenced by its token.
    expect(decide(d.next, { type: "succeeded", nodeId: "x", token: "tx", startedAt: 0, raw: "late" }, ctx()).outcome).toBe("stale");
  });

  it("creates a sub-workflow's child in the same write that dispatches it, and completes the node from the child's end", () => {
    const def = new WorkflowBuilder("outer", 1, "Outer")
      .inputs("topic")
      .workflow("w", { workflow: "inner", version: 1, in: { topic: "inputs.topic" } })
      .build({ ...registries, workflowExists: () => true });
    const d = decide(stateOf(def), { type: "advance" }, ctx());
    expect(d.transition?.children?.map((c) => c.header.id)).toEqual(["child-of-E"]);
    expect(d.next.nodes.get("w")).toMatchObject({ status: "running", childExecutionId: "child-of-E", token: "tok1" });
    expect(d.jobs).toEqual([{ id: "advance:child-of-E", kind: "advance", executionId: "child-of-E", data: { minVersion: 0 } }]);
    const wrongChild = decide(
      d.next,
      { type: "child-done", nodeId: "w", childId: "other", child: { status: "completed", outputs: {} } },
      ctx(),
    );
    expect(wrongChild.outcome).toBe("stale");
    const done = decide(
      d.next,
      { type: "child-done", nodeId: "w", childId: "child-of-E", child: { status: "completed", outputs: { i1: "x" } } },
      ctx(),
    );
    expect(done.next.nodes.get("w")).toMatchObject({ status: "completed", output: { i1: "x" } });
    expect(done.effects.finished).toBe("completed");
    const failed = decide(
      d.next,
      { type: "child-done", nodeId: "w", childId: "child-of-E", child: { status: "failed", error: { code: "x", message: "boom" } } },
      ctx(),
    );
    expect(failed.transition?.header).toMatchObject({ status: "failed", error: { code: "subworkflow_failed" } });
  });

  it("a sub-workflow that cannot be built fails its node in the dispatching write, creating nothing", () => {
    const def = new WorkflowBuilder("outer", 1, "Outer")
      .workflow("w", { workflow: "missing", version: 1 })
      .build({ ...registries, workflowExists: () => true });
    const d = decide(
      stateOf(def),
      { type: "advance" },
      ctx({
        child: () => {
          throw Object.assign(new Error("No version 1 of workflow missing."), { code: "not_found" });
        },
      }),
    );
    expect(d.transition?.children).toBeUndefined();
    expect(d.transition?.header).toMatchObject({ status: "failed", error: { code: "not_found", nodeId: "w" } });
  });

  it("a failure with an onFailure handler stops the rest and runs the handler; the handler's end fails the execution", () => {
    const def = new WorkflowBuilder("of", 1, "OnFailure")
      .transform("a", { fn: "t" })
      .transform("cleanup", { fn: "t", in: { e: "inputs.x" } })
      .inputs("x")
      .onFailure("cleanup")
      .build(registries);
    const s = committed(decide(stateOf(def), { type: "advance" }, ctx()));
    const d = decide(
      s,
      { type: "failed", nodeId: "a", token: "tok1", startedAt: 0, error: { code: "boom", message: "b" }, retry: { retry: false } },
      ctx({ newToken: () => "h1" }),
    );
    expect(d.transition?.header).toMatchObject({ status: "running", error: { code: "boom", nodeId: "a" } });
    expect(d.next.nodes.get("cleanup")).toMatchObject({ status: "running", token: "h1" });
    const end = decide(d.next, { type: "succeeded", nodeId: "cleanup", token: "h1", startedAt: 0, raw: "ok" }, ctx());
    expect(end.transition?.header).toMatchObject({ status: "failed", error: { code: "boom" } });
  });

  it("deadline rounds: remind re-asks with the next round's job; an earlier round's job finds nothing to do", () => {
    const def = new WorkflowBuilder("rem", 1, "Remind")
      .human("q", { prompt: "Now?", deadline: { afterMs: 100, action: "remind", maxReminders: 1 } })
      .build(registries);
    const asked = committed(decide(stateOf(def), { type: "advance" }, ctx()));
    const reminded = decide(asked, { type: "deadline", nodeId: "q", round: 0 }, ctx({ now: 2_000 }));
    expect(reminded.next.nodes.get("q")?.wait).toMatchObject({ reminders: 1, deadlineAt: 2_100 });
    expect(reminded.jobs.map((j) => j.id)).toEqual(["deadline:E:q:1"]);
    expect(decide(reminded.next, { type: "deadline", nodeId: "q", round: 0 }, ctx()).outcome).toBe("stale");
    const gaveUp = decide(reminded.next, { type: "deadline", nodeId: "q", round: 1 }, ctx());
    expect(gaveUp.transition?.header?.status).toBe("cancelled");
  });
});
