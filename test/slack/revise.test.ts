// Revise by reply through the real Bolt app against the fake Slack: a lesson plan's reply posts version 2
// with its Word file, Undo makes version 1 current again (posted again), Approve marks it final; another
// teacher's reply gets a private note and changes nothing.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { FakeMessage, FakeSlack } from "../fakes/slack/server.ts";
import { startFake } from "./helpers.ts";
import { type Stack, startStack, Teacher, textOf } from "./stack.ts";

let fake: FakeSlack;
let stack: Stack | undefined;

beforeAll(async () => {
  fake = await startFake();
});
afterAll(async () => {
  await fake.stop();
});
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
  expect(fake.violations).toEqual([]);
});

const hasActions = (m: FakeMessage) => m.blocks.some((b) => b.type === "actions");

describe("Slack: revise a document by reply", () => {
  it("lesson plan: reply → v2 with its .docx → Undo → v1 current again → Approve; another teacher changes nothing", async () => {
    stack = await startStack(fake);
    const s = stack;
    const alice = new Teacher(fake, () => s.url, "U0ALICE", "C0REVISE");
    const bob = new Teacher(fake, () => s.url, "U0BOB", "C0REVISE");
    await alice.command("lesson-plan", 'grade 5 science "Photosynthesis" 45 min');
    const root = await fake.waitFor(() => fake.messages.find((m) => m.channel === "C0REVISE" && !m.threadTs), 5000, "root");
    const thread = () => fake.threadMessages("C0REVISE", root.ts);
    const buttons = (v: number, after = "0") =>
      fake.waitFor(
        () => thread().find((m) => m.ts > after && textOf(m).includes(`Draft v${v}.`) && hasActions(m)),
        15_000,
        `draft v${v} buttons`,
      );
    const docx = () => fake.threadFiles("C0REVISE", root.ts).filter((f) => f.filename.endsWith(".docx"));
    const v1 = await buttons(1);
    expect(JSON.stringify(v1.blocks)).not.toMatch(/"Undo"/);
    expect(docx()).toHaveLength(1);

    await bob.reply(root.ts, "make it about volcanoes instead", { channel: "C0REVISE" });
    await fake.waitFor(() => fake.ephemerals.find((e) => e.user === "U0BOB"), 5000, "a private note to Bob");
    expect(fake.ephemerals.find((e) => e.user === "U0BOB")?.text).toMatch(/Only .* can revise this document; your reply changed nothing/);

    await alice.reply(root.ts, "make the warm-up shorter", { channel: "C0REVISE" });
    const v2 = await buttons(2);
    await s.core.idle();
    expect(docx()).toHaveLength(2);
    expect(thread().some((m) => /Draft v2: Lesson plan/.test(textOf(m)))).toBe(true);
    expect(JSON.stringify(v2.blocks)).toMatch(/Approve.*Undo/);

    await alice.click(v2, /^Undo$/);
    await fake.waitFor(() => thread().find((m) => /Undone: draft v1 is the current version again/.test(textOf(m))), 8000, "undo");
    const again = await buttons(1, v2.ts);
    expect(docx()).toHaveLength(3);
    await alice.click(again, /^Approve$/);
    await fake.waitFor(() => thread().find((m) => /Draft v1 approved by/.test(textOf(m))), 8000, "v1 approved");
    // Bob's reply started nothing: two runs (v1 and v2), both Alice's.
    const runs = await s.engine.list({});
    expect(runs.filter((r) => r.origin?.channelId === "C0REVISE").map((r) => r.userId)).toEqual(["U0ALICE", "U0ALICE"]);
  });

  it("history lists short numbers; /staffroom open 1 and open 1 v1 post the document again with its file in a new thread", async () => {
    stack = await startStack(fake);
    const s = stack;
    const t = new Teacher(fake, () => s.url, "U0HIST", "C0HIST");
    const roots = () => fake.messages.filter((m) => m.channel === "C0HIST" && !m.threadTs);
    await t.command("lesson-plan", 'grade 5 science "Photosynthesis" 45 min');
    const root = await fake.waitFor(() => roots()[0], 5000, "root");
    const buttons = (v: number) =>
      fake.waitFor(
        () => fake.threadMessages("C0HIST", root.ts).find((m) => textOf(m).includes(`Draft v${v}.`) && hasActions(m)),
        15_000,
        `draft v${v}`,
      );
    await buttons(1);
    await t.reply(root.ts, "make the warm-up shorter", { channel: "C0HIST" });
    await buttons(2);
    await s.core.idle();

    const before = fake.responses.length;
    await t.command("staffroom", "history");
    const history = await fake.waitFor(
      () => fake.responses.slice(before).find((r) => /Your requests/.test(JSON.stringify(r.body))),
      5000,
      "history",
    );
    expect(JSON.stringify(history.body)).toMatch(/#1 · Lesson plan: Photosynthesis · [^"]* · ✅ done · 2 versions/);

    await t.command("staffroom", "open 1");
    const reopened = await fake.waitFor(() => roots()[1], 5000, "reopened root");
    expect(textOf(reopened)).toContain("(#1 v2, reopened)");
    const file = await fake.waitFor(() => fake.threadFiles("C0HIST", reopened.ts).find((f) => f.filename.endsWith(".docx")), 8000, "docx");
    expect(file.filename).toMatch(/photosynthesis/i);
    expect(fake.threadMessages("C0HIST", reopened.ts).some((m) => /Draft v2: Lesson plan/.test(textOf(m)))).toBe(true);

    await t.command("staffroom", "open 1 v1");
    const v1 = await fake.waitFor(() => roots()[2], 5000, "v1 root");
    expect(textOf(v1)).toContain("(#1 v1, reopened)");
    await fake.waitFor(() => fake.threadFiles("C0HIST", v1.ts).find((f) => f.filename.endsWith(".docx")), 8000, "v1 docx");
  });
});
