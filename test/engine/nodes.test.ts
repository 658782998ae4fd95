// Every node kind end to end: mappings in and out, prompts, structured output, transforms, condition
// branches and skipping, parallel joins and maxParallel, sub-workflows; built with the builder and as data.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { type createEngine, parseWorkflow, WorkflowBuilder } from "../../src/engine/index.ts";
import { flush, gate, ScriptedModel, startEngine, until } from "./helpers.ts";

let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

async function setup(model = new ScriptedModel(), extra: Partial<Parameters<typeof createEngine>[0]> = {}) {
  const rig = await startEngine({ model, engine: extra });
  cleanups.push(rig.close);
  return rig;
}

const Outline = z.object({ sections: z.array(z.string()).min(1), extra: z.number().optional() });

function lessonWorkflow() {
  return new WorkflowBuilder("lesson", 1, "Lesson plan")
    .inputs("topic", "grade")
    .agent("outline", {
      title: "Outline",
      in: { topic: "inputs.topic", grade: "inputs.grade" },
      system: "You plan lessons.",
      prompt: "Outline {{topic}} for grade {{grade}}.",
      outputSchema: "Outline",
      out: { sections: "sections" },
    })
    .transform("count", { after: "outline", in: { sections: "nodes.outline.sections" }, fn: "count", args: { add: 1 }, out: { n: "n" } })
    .condition("check", {
      after: "count",
      branches: [{ when: [{ path: "nodes.count.n", op: "gte", value: 3 }], to: "long" }],
      otherwise: "short",
    })
    .transform("long", { in: { n: "nodes.count.n" }, fn: "label", args: "long" })
    .transform("short", { in: { n: "nodes.count.n" }, fn: "label", args: "short" })
    .agent("summary", {
      after: ["long", "short"],
      in: { sections: "nodes.outline.sections", topic: "inputs.topic" },
      prompt: "Summarise {{sections}} about {{topic}}.",
    })
    .build();
}

const lessonTransforms = {
  count: (input: Record<string, unknown>, args: unknown) => ({
    n: (input.sections as string[]).length + (args as { add: number }).add,
    seen: Object.keys(input).sort(),
  }),
  label: (input: Record<string, unknown>, args: unknown) => `${String(args)}:${String(input.n)}`,
};

describe("node kinds and mappings", () => {
  it("runs agent, transform and condition nodes with mapped inputs and outputs, skipping the branch not taken", async () => {
    const model = new ScriptedModel()
      .script("outline", JSON.stringify({ sections: ["warm-up", "practice"], extra: 7 }))
      .script("summary", "A short summary.");
    const { engine, events, store } = await setup(model);
    engine.register({ definition: lessonWorkflow(), schemas: { Outline }, transforms: lessonTransforms });

    const started = await engine.start("lesson", { inputs: { topic: "fractions", grade: 4 }, userId: "U1" });
    expect(started.status).toBe("running");
    const view = await engine.wait(started.id);
    expect(view.status).toBe("completed");

    const byId = Object.fromEntries(view.nodes.map((n) => [n.nodeId, n]));
    // `out` picks `sections` from the parsed JSON and drops `extra`.
    expect(byId.outline?.output).toEqual({ sections: ["warm-up", "practice"] });
    // The transform sees only its mapped locals, receives args, and `out` keeps only `n`.
    expect(byId.count?.output).toEqual({ n: 3 });
    expect(byId.check?.output).toEqual({ chose: "long" });
    expect(byId.check?.chose).toBe("long");
    expect(byId.long).toMatchObject({ status: "completed", output: "long:3" });
    expect(byId.short?.status).toBe("skipped");
    expect(byId.summary).toMatchObject({ status: "completed", output: "A short summary." });

    // Prompts are rendered from the mapped locals; objects are interpolated as JSON.
    const outlineReq = model.callsFor("outline")[0]!;
    expect(outlineReq.messages).toEqual([
      { role: "system", content: "You plan lessons." },
      { role: "user", content: expect.stringContaining("Outline fractions for grade 4.") },
    ]);
    expect(outlineReq.schema?.name).toBe("Outline");
    expect(outlineReq.meta).toMatchObject({ executionId: started.id, nodeId: "outline", templateId: "lesson" });
    const summaryPrompt = model.callsFor("summary")[0]!.messages.at(-1)!.content;
    // Lists of words read naturally; objects would be JSON.
    expect(summaryPrompt).toContain("Summarise warm-up, practice about fractions.");

    const mine = events.filter((e) => e.executionId === started.id);
    expect(mine.filter((e) => e.type === "node.skipped").map((e) => e.nodeId)).toEqual(["short"]);
    expect(mine.at(-1)?.type).toBe("execution.completed");
    // Stored events never carry node outputs; node.completed is delivered with the node's output
    // (live, and on replay from the store), so a follower can post the step without another read.
    expect(JSON.stringify(await store.executions.getEvents(started.id))).not.toContain("warm-up");
    const completed = (list: typeof mine) => list.find((e) => e.type === "node.completed" && e.nodeId === "outline")?.data?.output;
    expect(completed(mine)).toEqual({ sections: ["warm-up", "practice"] });
    expect(completed(await engine.events(started.id))).toEqual({ sections: ["warm-up", "practice"] });
  });

  it("takes the otherwise branch when no rule holds, and every rule of a branch must hold", async () => {
    const model = new ScriptedModel().script("outline", JSON.stringify({ sections: ["only"] }));
    const { engine } = await setup(model);
    engine.register({ definition: lessonWorkflow(), schemas: { Outline }, transforms: lessonTransforms });
    const view = await engine.wait((await engine.start("lesson", { inputs: { topic: "maps", grade: 2 }, userId: "U1" })).id);
    const byId = Object.fromEntries(view.nodes.map((n) => [n.nodeId, n]));
    expect(byId.count?.output).toEqual({ n: 2 });
    expect(byId.check?.output).toEqual({ chose: "short" });
    expect(byId.long?.status).toBe("skipped");
    expect(byId.short).toMatchObject({ status: "completed", output: "short:2" });
    // The join still runs: one of its predecessors completed.
    expect(byId.summary?.status).toBe("completed");
  });

  it("evaluates every condition operator, first matching branch wins, and chose null skips everything downstream", async () => {
    const def = parseWorkflow({
      id: "ops",
      version: 1,
      title: "Operators",
      inputs: ["n", "tag", "flag", "missing"],
      nodes: [
        {
          id: "pick",
          kind: "condition",
          branches: [
            {
              when: [
                { path: "inputs.n", op: "gt", value: 10 },
                { path: "inputs.flag", op: "truthy" },
              ],
              to: "a",
            },
            {
              when: [
                { path: "inputs.tag", op: "in", value: ["x", "y"] },
                { path: "inputs.n", op: "lte", value: 10 },
              ],
              to: "b",
            },
            {
              when: [
                { path: "inputs.tag", op: "eq", value: "z" },
                { path: "inputs.missing", op: "exists" },
              ],
              to: "a",
            },
            {
              when: [
                { path: "inputs.n", op: "lt", value: 0 },
                { path: "inputs.flag", op: "falsy" },
                { path: "inputs.tag", op: "neq", value: "q" },
              ],
              to: "c",
            },
            { when: [{ path: "inputs.n", op: "gte", value: 100 }], to: "c" },
          ],
        },
        { id: "a", kind: "transform", fn: "echo", args: "a", next: ["after"] },
        { id: "b", kind: "transform", fn: "echo", args: "b", next: ["after"] },
        { id: "c", kind: "transform", fn: "echo", args: "c", next: ["after"] },
        { id: "after", kind: "transform", fn: "echo", args: "after" },
      ],
    });
    const { engine } = await setup();
    engine.register({ definition: def, transforms: { echo: (_i, args) => args } });
    const run = async (inputs: Record<string, unknown>) => {
      const v = await engine.wait((await engine.start("ops", { inputs, userId: "U" })).id);
      expect(v.status).toBe("completed");
      const byId = Object.fromEntries(v.nodes.map((n) => [n.nodeId, n]));
      return { chose: byId.pick?.output, statuses: ["a", "b", "c", "after"].map((id) => byId[id]?.status) };
    };
    expect(await run({ n: 11, tag: "x", flag: true })).toEqual({
      chose: { chose: "a" },
      statuses: ["completed", "skipped", "skipped", "completed"],
    });
    // flag false breaks the first branch (all rules must hold); only the last one holds.
    expect(await run({ n: 150, tag: "x", flag: false })).toMatchObject({ chose: { chose: "c" } });
    // Both the first and the last branch hold: the first wins.
    expect(await run({ n: 150, tag: "x", flag: true })).toMatchObject({ chose: { chose: "a" } });
    // One rule of the second branch fails (n > 10) and nothing else holds.
    expect(await run({ n: 11, tag: "x", flag: false })).toMatchObject({ chose: { chose: null } });
    expect(await run({ n: 5, tag: "y", flag: true })).toMatchObject({ chose: { chose: "b" } });
    expect(await run({ n: -1, tag: "p", flag: 0 })).toMatchObject({ chose: { chose: "c" } });
    // `exists` fails for a missing input, so the third branch does not match.
    expect(await run({ n: 5, tag: "z", flag: true })).toEqual({
      chose: { chose: null },
      statuses: ["skipped", "skipped", "skipped", "skipped"],
    });
  });

  it("runs parallel branches concurrently and joins them once both finish", async () => {
    const gb = gate();
    const gc = gate();
    const model = new ScriptedModel().script("b", { gate: gb, text: "B" }).script("c", { gate: gc, text: "C" }).script("d", "D");
    const { engine } = await setup(model);
    const def = new WorkflowBuilder("fan", 1, "Fan out")
      .inputs("topic")
      .agent("a", { in: { topic: "inputs.topic" }, prompt: "Start {{topic}}" })
      .agent("b", { after: "a", in: { a: "nodes.a" }, prompt: "B from {{a}}" })
      .agent("c", { after: "a", in: { a: "nodes.a" }, prompt: "C from {{a}}" })
      .agent("d", { after: ["b", "c"], in: { b: "nodes.b", c: "nodes.c" }, prompt: "Join {{b}} and {{c}}" })
      .build();
    engine.register({ definition: def });
    const exec = await engine.start("fan", { inputs: { topic: "t" }, userId: "U" });
    // Both branches are in flight at the same time before either answers.
    await until(() => model.callsFor("b").length === 1 && model.callsFor("c").length === 1, "both branches to call the model");
    expect(model.callsFor("d")).toHaveLength(0);
    gc.release();
    await until(async () => (await engine.get(exec.id))?.nodes.find((n) => n.nodeId === "c")?.status === "completed", "c to complete");
    await flush();
    expect(model.callsFor("d")).toHaveLength(0);
    gb.release();
    const view = await engine.wait(exec.id);
    expect(view.status).toBe("completed");
    expect(model.callsFor("d")).toHaveLength(1);
    expect(model.callsFor("d")[0]!.messages.at(-1)!.content).toBe("Join B and C");
    expect(model.callsFor("b")[0]!.messages.at(-1)!.content).toBe("B from answer for a");
  });

  it("honours maxParallel: with 1, independent nodes run one at a time", async () => {
    const g1 = gate();
    const g2 = gate();
    const model = new ScriptedModel().script("p1", { gate: g1, text: "1" }).script("p2", { gate: g2, text: "2" });
    const { engine } = await setup(model);
    const def = new WorkflowBuilder("serial", 1, "Serial")
      .transform("go", { fn: "go" })
      .agent("p1", { after: "go", prompt: "one" })
      .agent("p2", { after: "go", prompt: "two" })
      .maxParallel(1)
      .build();
    engine.register({ definition: def, transforms: { go: () => "go" } });
    const exec = await engine.start("serial", { inputs: {}, userId: "U" });
    await until(() => model.requests.length === 1, "the first call");
    await flush(20);
    expect(model.requests).toHaveLength(1);
    const first = model.requests[0]!.meta.nodeId;
    (first === "p1" ? g1 : g2).release();
    await until(() => model.requests.length === 2, "the second call");
    (first === "p1" ? g2 : g1).release();
    expect((await engine.wait(exec.id)).status).toBe("completed");
  });

  it("a node without `in` sees the workflow inputs; a plain-data definition runs like a built one", async () => {
    const def = parseWorkflow({
      id: "plain",
      version: 2,
      title: "Plain data",
      inputs: ["topic"],
      nodes: [
        { id: "whole", kind: "transform", fn: "keys", next: ["talk"] },
        { id: "talk", kind: "agent", in: { seen: "nodes.whole", topic: "inputs.topic" }, prompt: "Seen {{seen}} / {{topic}}" },
      ],
    });
    const { engine, model } = await setup();
    let received: unknown;
    engine.register({
      definition: def,
      transforms: {
        keys: (input) => {
          received = input;
          return { keys: Object.keys(input), n: 1 };
        },
      },
    });
    const view = await engine.wait((await engine.start("plain", { inputs: { topic: "volcanoes" }, userId: "U" })).id);
    expect(view.status).toBe("completed");
    expect(received).toEqual({ inputs: { topic: "volcanoes" } });
    // Objects are interpolated as JSON.
    const talk = model.callsFor("talk")[0]!.messages.at(-1)!.content;
    expect(talk.startsWith("Seen ") && talk.endsWith(" / volcanoes")).toBe(true);
    expect(JSON.parse(talk.slice("Seen ".length, -" / volcanoes".length))).toEqual({ keys: ["inputs"], n: 1 });
    expect(view.version).toBe(2);
  });
});

describe("sub-workflows", () => {
  const child = () =>
    new WorkflowBuilder("child-flow", 1, "Child")
      .inputs("topic")
      .transform("shout", { in: { topic: "inputs.topic" }, fn: "upper" })
      .transform("count", { after: "shout", in: { s: "nodes.shout" }, fn: "len" })
      .build();
  const transforms = {
    upper: (i: Record<string, unknown>) => String(i.topic).toUpperCase(),
    len: (i: Record<string, unknown>) => String(i.s).length,
  };

  it("runs the pinned child version with mapped inputs, copies its events and exposes its node outputs", async () => {
    const { engine, events } = await setup();
    engine.register({ definition: child(), transforms });
    // A later child version must not be used by a parent pinned to version 1.
    engine.register({
      definition: new WorkflowBuilder("child-flow", 2, "Child v2")
        .inputs("topic")
        .transform("other", { fn: "upper", in: { topic: "inputs.topic" } })
        .build(),
      transforms,
    });
    const parent = new WorkflowBuilder("parent-flow", 1, "Parent")
      .inputs("subject")
      .workflow("sub", { workflow: "child-flow", version: 1, in: { topic: "inputs.subject" } })
      .transform("use", { after: "sub", in: { loud: "nodes.sub.shout", n: "nodes.sub.count" }, fn: "join" })
      .build();
    engine.register({ definition: parent, transforms: { join: (i) => `${String(i.loud)}/${String(i.n)}` } });

    const exec = await engine.start("parent-flow", { inputs: { subject: "tides" }, userId: "U9" });
    const view = await engine.wait(exec.id);
    expect(view.status).toBe("completed");
    const sub = view.nodes.find((n) => n.nodeId === "sub")!;
    expect(sub.output).toEqual({ shout: "TIDES", count: 5 });
    expect(view.nodes.find((n) => n.nodeId === "use")?.output).toBe("TIDES/5");

    const childId = sub.childExecutionId!;
    expect(childId).toBeTruthy();
    const childView = await engine.get(childId);
    expect(childView).toMatchObject({
      templateId: "child-flow",
      version: 1,
      status: "completed",
      parent: { executionId: exec.id, nodeId: "sub" },
    });
    expect(childView?.inputs).toEqual({ topic: "tides" });

    const parentLog = await engine.events(exec.id);
    const copied = parentLog.filter((e) => e.sub);
    expect(copied.length).toBeGreaterThan(0);
    expect(copied.every((e) => e.sub?.executionId === childId && e.sub.nodeId === "sub")).toBe(true);
    expect(copied.some((e) => e.type === "node.completed" && e.nodeId === "shout")).toBe(true);
    // Copies are part of the parent's gap-free sequence.
    expect(parentLog.map((e) => e.seq)).toEqual(parentLog.map((_, i) => i + 1));
    expect(events.some((e) => e.executionId === exec.id && e.sub)).toBe(true);
  });

  it("a failing child fails the sub-workflow node and the parent", async () => {
    const { engine } = await setup();
    engine.register({
      definition: new WorkflowBuilder("broken-child", 1, "Broken").transform("boom", { fn: "boom" }).build(),
      transforms: {
        boom: () => {
          throw new Error("no such file");
        },
      },
    });
    engine.register({
      definition: new WorkflowBuilder("outer-broken", 1, "Outer").workflow("inner", { workflow: "broken-child", version: 1 }).build(),
    });
    const view = await engine.wait((await engine.start("outer-broken", { inputs: {}, userId: "U" })).id);
    expect(view.status).toBe("failed");
    expect(view.nodes[0]).toMatchObject({ status: "failed", error: { code: "subworkflow_failed" } });
    expect(view.error?.message).toContain("no such file");
    const child = await engine.get(view.nodes[0]!.childExecutionId!);
    expect(child).toMatchObject({ status: "failed", error: { code: "transform_failed" } });
  });

  it("cancelling the parent cancels a child waiting for a human answer", async () => {
    const { engine } = await setup();
    engine.register({
      definition: new WorkflowBuilder("asker", 1, "Asker")
        .human("ask", { prompt: "OK?", deadline: { afterMs: 3_600_000, action: "skip" } })
        .build(),
    });
    engine.register({ definition: new WorkflowBuilder("outer", 1, "Outer").workflow("inner", { workflow: "asker", version: 1 }).build() });
    const exec = await engine.start("outer", { inputs: {}, userId: "U" });
    const childId = await until(async () => (await engine.get(exec.id))?.nodes[0]?.childExecutionId, "child id");
    expect((await engine.wait(childId, { untilWaiting: true })).status).toBe("waiting");
    expect(await engine.cancel(exec.id)).toBe(true);
    expect((await engine.wait(exec.id)).status).toBe("cancelled");
    expect((await engine.wait(childId)).status).toBe("cancelled");
    expect(await engine.cancel(exec.id)).toBe(false);
  });
});
