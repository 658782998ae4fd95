// Human nodes: the persisted wait, answers (accepted, second answer, not allowed, invalid), deadline
// actions on a fake clock (default, skip, cancel, remind), and waits that survive an engine restart.
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { WorkflowBuilder } from "../../src/engine/index.ts";
import type { HumanDeadline } from "../../src/engine/schema.ts";
import { FakeClock, startEngine, tempDir, until } from "./helpers.ts";

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

async function setup(opts: { clock?: FakeClock; url?: string } = {}) {
  const rig = await startEngine({ ...(opts.url ? { url: opts.url } : {}), engine: opts.clock ? { clock: opts.clock } : {} });
  cleanups.push(rig.close);
  return rig;
}

const Note = z.object({ note: z.string().min(3) });

function approval(deadline: Partial<HumanDeadline> & Pick<HumanDeadline, "action">, extra: Record<string, unknown> = {}) {
  return new WorkflowBuilder("approve", 1, "Approve")
    .inputs("topic")
    .transform("draft", { in: { topic: "inputs.topic" }, fn: "draft" })
    .human("review", {
      after: "draft",
      in: { draft: "nodes.draft" },
      prompt: "Is this draft good? {{draft}}",
      choices: [
        { value: "yes", label: "Yes" },
        { value: "no", label: "No" },
      ],
      deadline: { afterMs: 1000, ...deadline },
      ...extra,
    })
    .transform("finish", { after: "review", in: { answer: "nodes.review" }, fn: "finish" })
    .build();
}
const transforms = {
  draft: (i: Record<string, unknown>) => `draft on ${String(i.topic)}`,
  finish: (i: Record<string, unknown>) => `answer=${JSON.stringify(i.answer)}`,
};

describe("human wait and resume", () => {
  it("persists the wait before announcing it, accepts one allowed answer and continues", async () => {
    const clock = new FakeClock();
    const { engine, events } = await setup({ clock });
    engine.register({ definition: approval({ action: "skip" }), transforms });
    const exec = await engine.start("approve", { inputs: { topic: "rivers" }, userId: "teacher-1" });

    // When execution.waiting is delivered, the store already says waiting.
    let stateAtEvent: unknown;
    const off = engine.subscribe(exec.id, 1, (e) => {
      if (e.type === "execution.waiting")
        stateAtEvent = engine.get(exec.id).then((v) => [v?.status, v?.nodes.find((n) => n.nodeId === "review")?.status]);
    });
    cleanups.push(off);
    const waiting = await engine.wait(exec.id, { untilWaiting: true });
    expect(waiting.status).toBe("waiting");
    const review = waiting.nodes.find((n) => n.nodeId === "review")!;
    expect(review.status).toBe("waiting");
    expect(review.wait).toMatchObject({
      prompt: "Is this draft good? draft on rivers",
      choices: [
        { value: "yes", label: "Yes" },
        { value: "no", label: "No" },
      ],
      allowed: "requester",
      askedAt: clock.now(),
      deadlineAt: clock.now() + 1000,
      action: "skip",
    });
    await until(() => stateAtEvent, "the waiting event");
    expect(await stateAtEvent).toEqual(["waiting", "waiting"]);
    const waitEvent = events.find((e) => e.type === "execution.waiting")!;
    expect(waitEvent).toMatchObject({
      nodeId: "review",
      data: { prompt: "Is this draft good? draft on rivers", deadlineAt: clock.now() + 1000, allowed: "requester" },
    });

    expect(await engine.resume(exec.id, "review", "yes", { userId: "someone-else" })).toMatchObject({
      accepted: false,
      reason: "not_allowed",
    });
    expect(await engine.resume(exec.id, "review", "maybe", { userId: "teacher-1" })).toMatchObject({
      accepted: false,
      reason: "invalid_answer",
    });
    expect(await engine.resume(exec.id, "draft", "yes", { userId: "teacher-1" })).toMatchObject({ accepted: false, reason: "not_found" });
    expect(await engine.resume("missing", "review", "yes", { userId: "teacher-1" })).toMatchObject({
      accepted: false,
      reason: "not_found",
    });
    const accepted = await engine.resume(exec.id, "review", "yes", { userId: "teacher-1" });
    expect(accepted.accepted).toBe(true);

    const done = await engine.wait(exec.id);
    expect(done.status).toBe("completed");
    const byId = Object.fromEntries(done.nodes.map((n) => [n.nodeId, n]));
    expect(byId.review).toMatchObject({ status: "completed", output: "yes", answeredBy: "teacher-1" });
    expect(byId.finish?.output).toBe('answer="yes"');
    expect(events.filter((e) => e.executionId === exec.id && e.type === "execution.resumed")).toHaveLength(1);

    // A second answer changes nothing.
    const again = await engine.resume(exec.id, "review", "no", { userId: "teacher-1" });
    expect(again).toMatchObject({ accepted: false, reason: "already_answered" });
    expect(typeof (again as { message?: unknown }).message).toBe("string");
    const after = await engine.get(exec.id);
    expect(after?.nodes.find((n) => n.nodeId === "review")?.output).toBe("yes");
    expect(events.filter((e) => e.executionId === exec.id && e.type === "execution.resumed")).toHaveLength(1);
  });

  it("checks free-form answers against answerSchema and honours an allow-list of answerers", async () => {
    const { engine } = await setup();
    const def = new WorkflowBuilder("note", 1, "Note")
      .human("ask", { prompt: "Add a note", answerSchema: "Note", allowed: ["U2", "U3"], deadline: { afterMs: 60_000, action: "skip" } })
      .build();
    engine.register({ definition: def, schemas: { Note } });
    const exec = await engine.start("note", { inputs: {}, userId: "U1" });
    await engine.wait(exec.id, { untilWaiting: true });
    expect(await engine.resume(exec.id, "ask", { note: "ok" }, { userId: "U1" })).toMatchObject({ accepted: false, reason: "not_allowed" });
    expect(await engine.resume(exec.id, "ask", { note: "no" }, { userId: "U2" })).toMatchObject({
      accepted: false,
      reason: "invalid_answer",
    });
    expect(await engine.resume(exec.id, "ask", { note: "fine by me" }, { userId: "U3" })).toMatchObject({ accepted: true });
    const done = await engine.wait(exec.id);
    expect(done.nodes[0]).toMatchObject({ status: "completed", output: { note: "fine by me" }, answeredBy: "U3" });
  });

  it("answers with defaultAnswer at the deadline", async () => {
    const clock = new FakeClock();
    const { engine, events } = await setup({ clock });
    engine.register({ definition: approval({ action: "default", defaultAnswer: "no" }), transforms });
    const exec = await engine.start("approve", { inputs: { topic: "t" }, userId: "U" });
    await engine.wait(exec.id, { untilWaiting: true });
    await clock.advance(999);
    expect((await engine.get(exec.id))?.status).toBe("waiting");
    await clock.advance(1);
    const done = await engine.wait(exec.id);
    expect(done.status).toBe("completed");
    expect(done.nodes.find((n) => n.nodeId === "review")?.output).toBe("no");
    expect(done.nodes.find((n) => n.nodeId === "finish")?.output).toBe('answer="no"');
    // Too late: the deadline already answered.
    expect(await engine.resume(exec.id, "review", "yes", { userId: "U" })).toMatchObject({ accepted: false });
    expect(events.some((e) => e.executionId === exec.id && e.type === "execution.cancelled")).toBe(false);
  });

  it("skip completes the node with null output and the run continues", async () => {
    const clock = new FakeClock();
    const { engine } = await setup({ clock });
    engine.register({ definition: approval({ action: "skip" }), transforms });
    const exec = await engine.start("approve", { inputs: { topic: "t" }, userId: "U" });
    await engine.wait(exec.id, { untilWaiting: true });
    await clock.advance(1000);
    const done = await engine.wait(exec.id);
    expect(done.status).toBe("completed");
    expect(done.nodes.find((n) => n.nodeId === "review")).toMatchObject({ status: "completed", output: null });
    expect(done.nodes.find((n) => n.nodeId === "finish")?.output).toBe("answer=null");
  });

  it("cancel cancels the execution at the deadline", async () => {
    const clock = new FakeClock();
    const { engine, events } = await setup({ clock });
    engine.register({ definition: approval({ action: "cancel" }), transforms });
    const exec = await engine.start("approve", { inputs: { topic: "t" }, userId: "U" });
    await engine.wait(exec.id, { untilWaiting: true });
    await clock.advance(1000);
    const done = await engine.wait(exec.id);
    expect(done.status).toBe("cancelled");
    expect(done.nodes.find((n) => n.nodeId === "finish")?.status).not.toBe("completed");
    expect(events.filter((e) => e.executionId === exec.id).at(-1)?.type).toBe("execution.cancelled");
  });

  it("remind asks again with a new deadline, then cancels after maxReminders", async () => {
    const clock = new FakeClock();
    const { engine, events } = await setup({ clock });
    engine.register({ definition: approval({ action: "remind", maxReminders: 2 }), transforms });
    const t0 = clock.now();
    const exec = await engine.start("approve", { inputs: { topic: "t" }, userId: "U" });
    await engine.wait(exec.id, { untilWaiting: true });
    const waits = () => events.filter((e) => e.executionId === exec.id && e.type === "execution.waiting");
    expect(waits()).toHaveLength(1);
    await clock.advance(1000);
    await until(() => waits().length === 2, "the first reminder");
    expect(waits()[1]?.data).toMatchObject({ reminder: 1, deadlineAt: t0 + 2000 });
    expect((await engine.get(exec.id))?.nodes.find((n) => n.nodeId === "review")?.wait).toMatchObject({
      reminders: 1,
      deadlineAt: t0 + 2000,
    });
    await clock.advance(1000);
    await until(() => waits().length === 3, "the second reminder");
    expect(waits()[2]?.data).toMatchObject({ reminder: 2, deadlineAt: t0 + 3000 });
    await clock.advance(1000);
    expect((await engine.wait(exec.id)).status).toBe("cancelled");
    expect(waits()).toHaveLength(3);
  });

  it("a remind wait can still be answered between reminders", async () => {
    const clock = new FakeClock();
    const { engine } = await setup({ clock });
    engine.register({ definition: approval({ action: "remind", maxReminders: 3 }), transforms });
    const exec = await engine.start("approve", { inputs: { topic: "t" }, userId: "U" });
    await engine.wait(exec.id, { untilWaiting: true });
    await clock.advance(1000);
    await until(async () => (await engine.get(exec.id))?.nodes.find((n) => n.nodeId === "review")?.wait?.reminders === 1, "a reminder");
    expect(await engine.resume(exec.id, "review", "yes", { userId: "U" })).toMatchObject({ accepted: true });
    expect((await engine.wait(exec.id)).status).toBe("completed");
  });
});

describe("human waits across a restart", () => {
  it("a new engine on the same sqlite file accepts the answer and re-arms the deadline", async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const url = `sqlite://${join(dir, "engine.sqlite")}`;

    const first = await setup({ url, clock: new FakeClock() });
    first.engine.register({ definition: approval({ action: "skip" }), transforms });
    const answered = await first.engine.start("approve", { inputs: { topic: "a" }, userId: "U" });
    const timedOut = await first.engine.start("approve", { inputs: { topic: "b" }, userId: "U" });
    await first.engine.wait(answered.id, { untilWaiting: true });
    await first.engine.wait(timedOut.id, { untilWaiting: true });
    await first.close();

    const clock = new FakeClock();
    const second = await setup({ url, clock });
    second.engine.register({ definition: approval({ action: "skip" }), transforms });
    await second.engine.recover();
    expect((await second.engine.get(answered.id))?.status).toBe("waiting");
    expect(await second.engine.resume(answered.id, "review", "no", { userId: "U" })).toMatchObject({ accepted: true });
    const done = await second.engine.wait(answered.id);
    expect(done.status).toBe("completed");
    expect(done.nodes.find((n) => n.nodeId === "finish")?.output).toBe('answer="no"');
    // The other wait's deadline (1 s after it was asked) fires on the new engine's clock.
    await clock.advance(1000);
    const skipped = await second.engine.wait(timedOut.id);
    expect(skipped.status).toBe("completed");
    expect(skipped.nodes.find((n) => n.nodeId === "review")?.output).toBeNull();
    // Draft ran once per execution, before the restart.
    expect(second.events.filter((e) => e.type === "node.started" && e.nodeId === "draft")).toHaveLength(0);
  });
});
