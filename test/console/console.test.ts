// The console chat driven with piped input through the real chat core, engine, store and offline model.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { count, Driver, openWorld, runScript } from "./harness.ts";

const alice = { id: "alice", name: "Alice" };
const bob = { id: "bob", name: "Bob" };
const dir = mkdtempSync(join(tmpdir(), "staffroom-console-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("console chat", () => {
  test("all inputs at once: drafted at once, assumptions with Change/Cancel, live checklist, the document, the final root", async () => {
    const world = await openWorld();
    try {
      const out = await runScript(world.core, alice, ["/lesson-plan 5th grade science the water cycle 45 min"]);
      expect(out).toContain("[#1] Lesson plan requested by Alice: 5th grade science the water cycle 45 min");
      expect(out).toContain("[#1] Got it: Grade: Grade 5 · Subject: Science · Topic: water cycle · Duration: 45 min.");
      expect(out).toContain("[#1] » Lesson plan requested by Alice: ⏳ drafting now");
      expect(out).toContain(
        "[#1] Assumed: any standards in the loaded set, no objectives given, no class profile, no materials list, English.",
      );
      expect(out).toContain("[#1]   1) Change   2) Cancel");
      expect(out).not.toMatch(/ready to run|\d ms\b/);
      expect(out).toMatch(/\[#1\] ✅ Create outline/);
      expect(out).toContain("[#1] Lesson plan: done in");
      expect(count(out, "[#1] ===== Lesson plan: water cycle =====")).toBe(1);
      expect(out).toContain("[#1] ## Learning objectives");
      expect(out).toMatch(/\[#1\] » Lesson plan requested by Alice: ✅ done in .* \(offline draft\)/);
      expect(out).not.toMatch(/research-fallback/);
      const [execution] = await world.engine.list({ userId: "alice" });
      expect(execution).toMatchObject({
        status: "completed",
        userId: "alice",
        inputs: { grade: "5", subject: "Science", topic: "water cycle", duration: 45, language: "English" },
        origin: { surface: "console" },
      });
    } finally {
      await world.close();
    }
  });

  test("no inputs: only the required questions, wrong answers explained, back, help; grades typed as values, never menu numbers", async () => {
    const world = await openWorld();
    try {
      const d = new Driver(world.core, alice);
      expect(await d.say("/assessment")).toMatch(/Which grade/);
      let out = await d.say("15");
      expect(out).toContain("Grade should be K or 1-12");
      expect(out).toContain("Try again, or type help, back or cancel.");
      out = await d.say("4th");
      expect(out).toMatch(/\[#1\] \S/);
      out = await d.say("back");
      expect(out).toMatch(/Which grade/);
      // The grade menu is not numbered, so "13" is a grade (refused), never item 13.
      expect(out).toContain("[Kindergarten]   [Grade 1]");
      out = await d.say("13");
      expect(out).toContain("Grade should be K or 1-12");
      out = await d.say("3");
      expect(out).toMatch(/Which subject\?\*?\*? \(3 questions left\)/);
      const transcript = await d.say("help");
      expect(transcript.length).toBeGreaterThan(0);
      await d.say("skip");
      expect(d.transcript).toContain("can't be skipped");
      await d.say("Math");
      await d.say("fractions and decimals");
      out = await d.say("abc");
      expect(out).toContain("Give a whole number");
      out = await d.say("5");
      expect(out).toContain("===== ");
      expect(d.transcript).not.toMatch(/optional: type skip|ready to run/);
      const [execution] = await world.engine.list({ userId: "alice" });
      expect(execution?.status).toBe("completed");
      expect(execution?.inputs.grade).toBe("3");
      await d.end();
    } finally {
      await world.close();
    }
  });

  test("cancel stops without running; /cancel in a running thread; piped EOF waits for work to settle", async () => {
    const world = await openWorld();
    try {
      const out = await runScript(world.core, alice, ["/lesson-plan grade 5", "cancel", "/lesson-plan", "/cancel"]);
      expect(count(out, "Cancelled; nothing was run. Start again any time with /lesson-plan.")).toBe(2);
      expect(count(out, "» Lesson plan requested by Alice: ⛔ cancelled")).toBe(2);
      expect(await world.engine.list({ userId: "alice" })).toHaveLength(0);
    } finally {
      await world.close();
    }
  });

  test("two teachers interleaved keep their own threads, answers and results", async () => {
    const world = await openWorld();
    try {
      const a = new Driver(world.core, alice);
      const b = new Driver(world.core, bob);
      await a.say("/lesson-plan grade 2 math");
      await b.say("/parent-message");
      await a.say("counting coins");
      const bobThread = b.handle.surface.current!;
      // Alice cannot answer Bob's questions, even in his thread.
      await world.core.message({ surface: a.handle.surface, user: alice, place: { channelId: "x", isDirect: true } }, bobThread, "hello");
      expect(a.transcript).toContain("This request belongs to Bob, so only they can answer its questions.");
      await a.say("30 min");
      await b.say("The class trip to the science museum is on Friday");
      await b.say("Bus leaves at 8:30; bring a packed lunch");
      await a.end();
      await b.end();
      expect(a.transcript).toContain("===== Lesson plan: counting coins");
      expect(a.transcript).not.toContain("Parent message");
      expect(b.transcript).not.toContain("Lesson plan");
      expect(b.transcript).toMatch(/===== /);
      const mine = await world.engine.list({ userId: "alice" });
      const his = await world.engine.list({ userId: "bob" });
      expect(mine.map((r) => r.templateId)).toEqual(["lesson-plan"]);
      expect(his.map((r) => r.templateId)).toEqual(["parent-message"]);
      expect(mine[0]?.inputs).toMatchObject({ grade: "2", subject: "Math", topic: "counting coins", duration: 30 });
    } finally {
      await world.close();
    }
  });

  test("restart mid-conversation continues at the same question (same sqlite file, new core)", async () => {
    const url = `sqlite://${join(dir, "conversation.sqlite")}`;
    const first = await openWorld(url);
    const before = await runScript(first.core, alice, ["/lesson-plan", "grade 5", "Science"]);
    expect(before).toMatch(/What is the lesson about\?/);
    await first.close();

    const second = await openWorld(url);
    try {
      const d = new Driver(second.core, alice);
      await d.say("Photosynthesis");
      expect(d.transcript).toMatch(/Picking up where we left off:\n\[#1\] What is the lesson about\?/);
      await d.say("45");
      await d.end();
      expect(count(d.transcript, "===== Lesson plan: Photosynthesis")).toBe(1);
      const [execution] = await second.engine.list({ userId: "alice" });
      expect(execution?.inputs).toMatchObject({ grade: "5", subject: "Science", topic: "Photosynthesis", duration: 45 });
    } finally {
      await second.close();
    }
  });

  test("restart mid-execution: the waiting question is answered after the restart and the result lands once", async () => {
    const { approvalTemplate } = await import("../chat/templates.ts");
    const url = `sqlite://${join(dir, "execution.sqlite")}`;
    const first = await openWorld(url, { extra: [approvalTemplate()] });
    const before = await runScript(first.core, alice, ["/approval volcanoes"]);
    expect(count(before, "Send this note about volcanoes?")).toBe(1);
    expect(before).toContain("Draft written.");
    await first.close();

    const second = await openWorld(url, { extra: [approvalTemplate()] });
    try {
      await second.engine.recover();
      const d = new Driver(second.core, alice);
      await d.say("Send it");
      await d.end();
      expect(d.transcript).not.toContain("1) Send it   2) Hold it");
      expect(d.transcript).not.toContain("Draft written.");
      expect(d.transcript).toContain("✅ Send it (answered by alice)");
      expect(count(d.transcript, "===== Note: volcanoes =====")).toBe(1);
      expect(d.transcript).toContain("Decision: yes");
      expect(d.transcript).toMatch(/» Approval demo requested by Alice: ✅ done/);
    } finally {
      await second.close();
    }
  });

  test("restart mid-run: the new process resumes the run and renders only what was not shown yet", async () => {
    const { createOfflineProvider } = await import("../../src/model/offline.ts");
    const { offlineDrafters } = await import("../../src/templates/index.ts");
    const { builtinList } = await import("./harness.ts");
    const url = `sqlite://${join(dir, "running.sqlite")}`;
    const slow = createOfflineProvider({ drafters: offlineDrafters(await builtinList()), latencyMs: 150 });
    const first = await openWorld(url, { model: slow });
    const a = new Driver(first.core, alice, { settle: false });
    await a.say("/lesson-plan 5th grade science volcanoes 45 min");
    const limit = Date.now() + 20_000;
    while (!a.transcript.includes("✅ Research standards") && Date.now() < limit) await new Promise((r) => setTimeout(r, 5));
    expect(a.transcript).not.toContain("===== Lesson plan");
    await first.close();

    const second = await openWorld(url);
    try {
      expect(await second.engine.recover()).toHaveLength(1);
      const d = new Driver(second.core, alice);
      await d.end();
      const both = a.transcript + d.transcript;
      expect(count(both, "===== Lesson plan: volcanoes =====")).toBe(1);
      expect(count(both, "Standards: ")).toBe(1);
      expect(count(d.transcript, "Lesson plan: working (0/")).toBe(0);
      expect(d.transcript).toMatch(/» Lesson plan requested by Alice: ✅ done/);
      const [execution] = await second.engine.list({ userId: "alice" });
      expect(execution?.status).toBe("completed");
    } finally {
      await second.close();
    }
  });

  test("profile: set, shown, assumed on the next request (named in the root); bad settings explained", async () => {
    const world = await openWorld();
    try {
      const d = new Driver(world.core, alice);
      expect(await d.say("/profile grade=15")).toContain("Grade: Grade should be K or 1-12");
      expect(await d.say('/profile grade=5 subject=Science school="Hill Elementary"')).toContain("School: Hill Elementary");
      expect(await d.say("/profile")).toMatch(/Grade: Grade 5\n.*Subject: Science/);
      const started = await d.say("/lesson-plan volcanoes 45 min");
      expect(started).toContain("Assumed: Grade 5, Science, any standards in the loaded set");
      expect(started).toContain("===== Lesson plan: volcanoes");
      await d.end();
      const [execution] = await world.engine.list({ userId: "alice" });
      expect(execution?.inputs).toMatchObject({ grade: "5", subject: "Science", topic: "volcanoes" });
    } finally {
      await world.close();
    }
  });

  test("forget deletes the profile, conversations and executions and says how many; history/status/stats/help", async () => {
    const world = await openWorld();
    try {
      const d = new Driver(world.core, alice);
      await d.say("/lesson-plan 5th grade science volcanoes 45 min");
      const [execution] = await world.engine.list({ userId: "alice" });
      expect(await d.say("/history")).toMatch(/#1 · Lesson plan: volcanoes · .* · ✅ done/);
      expect(await d.say(`/status ${execution!.id}`)).toMatch(/Status: completed[\s\S]*✅ Create outline/);
      expect(await d.say("/status 1")).toMatch(/Status: completed[\s\S]*✅ Create outline/);
      expect(await d.say("/status nope")).toContain('None of your requests is "nope".');
      expect(await d.say("/stats")).toMatch(/lesson-plan: 1 runs, 100% completed/);
      expect(await d.say("/help")).toContain("/lesson-plan");
      await d.say("/assessment");
      const ask = await d.say("/forget");
      expect(ask).toContain("Delete everything?");
      expect(ask).toContain("1) Delete everything   2) Keep my data");
      expect(await d.say("2")).toContain("Nothing was deleted.");
      expect((await world.engine.list({ userId: "alice" })).length).toBeGreaterThan(0);
      await d.say("/forget");
      expect(await d.say("Delete everything")).toContain("Done: I deleted your profile, 1 conversation and 1 request");
      expect(await d.say("/history")).toContain("You have no requests yet.");
      expect(await d.say("/profile")).toContain("Grade: (none)");
      expect(await world.engine.list({ userId: "alice" })).toHaveLength(0);
      expect(await world.engine.get(execution!.id)).toBeUndefined();
      await d.end();
    } finally {
      await world.close();
    }
  });

  test("feedback draft revised then approved: versions v1 and v2, the approved one marked", async () => {
    const world = await openWorld();
    try {
      const d = new Driver(world.core, alice);
      await d.say("/feedback");
      await d.say("Write a paragraph arguing for a longer lunch break");
      const v1 = await d.say("I think lunch should be longer because we have no time to eat. Also we could play.");
      expect(v1).toContain("===== Draft v1: Feedback:");
      expect(v1).toContain("1) Approve   2) Revise   3) Regenerate");
      expect(await d.say("Revise")).toContain("What should change in draft v1?");
      const v2 = await d.say("make it shorter");
      expect(v2).toContain('Revising draft v1: "make it shorter"');
      expect(v2).toContain("===== Draft v2: Feedback:");
      expect(v2).toContain("Draft v1 (replaced by a newer version).");
      const approved = await d.say("approve");
      expect(approved).toContain("✅ Draft v2 approved by Alice.");
      expect(approved).toContain("» Student feedback requested by Alice: ✅ draft v2 approved");
      await d.end();
      const runs = await world.engine.list({ userId: "alice" });
      expect(runs).toHaveLength(2);
      const revision = runs.find((r) => r.inputs.revisionInstruction !== undefined)!;
      expect(revision.inputs.revisionInstruction).toBe("make it shorter");
      expect(String(revision.inputs.previousDraft)).toContain("# Feedback:");
    } finally {
      await world.close();
    }
  });

  test("malformed and huge input gets helpful answers and never crashes", async () => {
    const world = await openWorld();
    try {
      const out = await runScript(world.core, alice, [
        "hello?",
        "/",
        "//",
        "/staffroom dance",
        `/lesson-plan ${"grade 5 ".repeat(2000)}`,
        "\u0000\u0007\u001b[2J",
        "x".repeat(30_000),
        '/lesson-plan topic:"unterminated grade=5',
        "🤖🤖🤖",
      ]);
      expect(out).toContain("Start a request first");
      expect(out).toContain('I don\'t know "/staffroom dance". Try /staffroom help.');
      expect(out).toContain("That request was very long, so I only read the beginning of it.");
      expect(out).not.toMatch(/\n\s+at /);
      expect(out).not.toContain("Sorry, something went wrong");
    } finally {
      await world.close();
    }
  });
});
