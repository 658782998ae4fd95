// Revise any document by reply through the chat core: a lesson plan and an assessment take a reply, post
// the next version with its files, Undo makes the previous version current again, Approve marks it final;
// another teacher's reply changes nothing; steering words never become revisions.
import { describe, expect, test } from "vitest";
import { splitSections } from "../../src/templates/revision/sections.ts";
import type { RecordingSurface } from "./recording-surface.ts";
import { useChatRigs } from "./rig.ts";

const alice = { id: "U_ALICE", name: "Alice" };
const bob = { id: "U_BOB", name: "Bob" };

const rig = useChatRigs();

const button = (surface: RecordingSurface, version: number, label: string) => {
  const post = surface.of("post").findLast((p) => p.message.text.startsWith(`**Draft v${version}.**`));
  const action = post?.message.actions?.find((a) => a.label === label);
  if (!action) throw new Error(`no ${label} button on draft v${version}`);
  return action;
};

describe("revise by reply", () => {
  test("lesson plan: reply → v2 with only the warm-up rewritten → Undo → v1 current → Approve; Bob changes nothing", async () => {
    const { core, surface, engine } = await rig();
    await core.command(surface.inbound(alice), "lesson-plan", {
      fields: { grade: "5", subject: "Science", topic: "Photosynthesis", duration: 45 },
    });
    const thread = surface.of("openThread")[0]!.thread;
    await core.idle();
    const docs = () => surface.of("postDocument").map((d) => d.document);
    expect(docs().map((d) => d.title.split(":")[0])).toEqual(["Lesson plan"]);
    const v1 = docs()[0]!;
    expect(v1.files?.some((f) => f.filename.endsWith(".docx"))).toBe(true);
    expect(button(surface, 1, "Approve")).toBeDefined();

    await core.message(surface.inbound(bob), thread, "make it all about volcanoes");
    expect(surface.of("notify").at(-1)?.message.text).toMatch(/^Only Alice can revise this document; your reply changed nothing/);
    expect(await engine.list({ userId: alice.id })).toHaveLength(1);

    await core.message(surface.inbound(alice), thread, "make the warm-up shorter");
    await core.idle();
    expect(docs().map((d) => d.title.split(":")[0])).toEqual(["Lesson plan", "Draft v2"]);
    const v2 = docs()[1]!;
    expect(v2.files?.some((f) => f.filename.endsWith(".docx"))).toBe(true);
    const before = splitSections(v1.markdown).sections;
    const after = splitSections(v2.markdown).sections;
    expect(after.map((s) => s.heading)).toEqual(before.map((s) => s.heading));
    for (const [i, s] of after.entries()) {
      if (s.heading === "Warm-up") expect(s.body).not.toBe(before[i]!.body);
      else expect(s.body).toBe(before[i]!.body);
    }
    const runs = await engine.list({ userId: alice.id });
    expect(runs).toHaveLength(2);
    expect(runs[0]!.inputs.revisionInstruction).toBe("make the warm-up shorter");
    expect(button(surface, 2, "Undo")).toBeDefined();

    // Steering words in the thread never become revisions.
    await core.message(surface.inbound(alice), thread, "help");
    await core.message(surface.inbound(alice), thread, "history");
    await core.message(surface.inbound(alice), thread, "Thanks!");
    expect(surface.of("notify").at(-1)?.message.text).toMatch(/^This request has run\. Reply with what to change/);
    expect(await engine.list({ userId: alice.id })).toHaveLength(2);

    const undo = button(surface, 2, "Undo");
    await core.action(surface.inbound(alice), thread, undo.id, undo.value);
    expect(surface.texts()).toContain("Undone: draft v1 is the current version again.");
    expect(docs().at(-1)!.markdown).toBe(v1.markdown);
    // The next revision starts from v1 again and is numbered v3.
    await core.message(surface.inbound(alice), thread, "regenerate the exit ticket");
    await core.idle();
    const v3 = docs().at(-1)!;
    expect(v3.title.split(":")[0]).toBe("Draft v3");
    const changed = splitSections(v3.markdown)
      .sections.filter((s, i) => s.body !== before[i]!.body)
      .map((s) => s.heading);
    expect(changed).toEqual(["Assessment / exit ticket"]);
    const approve = button(surface, 3, "Approve");
    await core.action(surface.inbound(bob), thread, approve.id, approve.value);
    expect(surface.of("editRoot").at(-1)?.message.text ?? "").not.toMatch(/approved/);
    await core.action(surface.inbound(alice), thread, approve.id, approve.value);
    const v3Post = surface.of("post").findLast((p) => p.message.text.startsWith("**Draft v3.**"))!;
    expect(
      surface
        .of("edit")
        .filter((e) => e.ref.messageId === v3Post.ref.messageId)
        .at(-1)?.message.text,
    ).toBe("✅ Draft v3 approved by Alice.");
    expect(surface.of("editRoot").at(-1)?.message.text).toMatch(/✅ draft v3 approved/);
  });

  test("assessment: a revision of the questions rewrites the answer key with them; the student copy and key follow", async () => {
    const { core, surface } = await rig();
    await core.command(surface.inbound(alice), "assessment", {
      fields: { grade: "5", subject: "Math", topic: "Equivalent fractions", questionCount: 4 },
    });
    const thread = surface.of("openThread")[0]!.thread;
    await core.idle();
    await core.message(surface.inbound(alice), thread, "make the questions easier");
    await core.idle();
    const [v1, v2] = surface.of("postDocument").map((d) => d.document);
    expect(v2?.title.split(":")[0]).toBe("Draft v2");
    const changed = splitSections(v2!.markdown)
      .sections.filter((s) => splitSections(v1!.markdown).sections.find((b) => b.heading === s.heading)?.body !== s.body)
      .map((s) => s.heading);
    expect(changed).toEqual(["Questions", "Answer key"]);
    expect(v2!.files?.filter((f) => f.filename.endsWith(".docx"))).toHaveLength(3);
    // The student copy is made from v2's questions: their prompts, points and choices, no DOK or answers.
    const [student, key] = v2!.companions ?? [];
    const prompts = (md: string) => [...md.matchAll(/^\*\*(\d+)\.\*\* (.+?)(?: {2}| _\()/gm)].map((m) => m[2]);
    const v2Questions = splitSections(v2!.markdown).sections.find((s) => s.heading === "Questions")!.body;
    expect(prompts(student!.markdown)).toEqual(prompts(v2Questions));
    expect(student!.markdown).not.toMatch(/DOK|Offline draft/);
    expect(key!.markdown).toContain(splitSections(v2!.markdown).sections.find((s) => s.heading === "Answer key")!.body);
  });

  test("Change after a revision reruns the request with its own values, not the previous version or the instruction", async () => {
    const { core, surface, engine } = await rig();
    await core.command(surface.inbound(alice), "lesson-plan", {
      fields: { grade: "5", subject: "Science", topic: "Photosynthesis", duration: 45 },
    });
    const thread = surface.of("openThread")[0]!.thread;
    await core.idle();
    await core.message(surface.inbound(alice), thread, "make the warm-up shorter");
    await core.idle();
    await core.message(surface.inbound(alice), thread, "change");
    const pick = surface.lastPost()!;
    const duration = pick.actions!.find((a) => a.value === "duration")!;
    await core.action(surface.inbound(alice), thread, duration.id, duration.value);
    await core.message(surface.inbound(alice), thread, "55");
    await core.idle();
    const [latest] = await engine.list({ userId: alice.id });
    expect(latest?.inputs).toMatchObject({ duration: 55, topic: "Photosynthesis" });
    expect(latest?.inputs.previousDraft).toBeUndefined();
    expect(latest?.inputs.revisionInstruction).toBeUndefined();
  });

  test("parent message: a reply posts version 2 with its files; every section the instruction does not name is kept", async () => {
    const { core, surface } = await rig();
    await core.command(surface.inbound(alice), "parent-message", {
      fields: {
        purpose: "Field trip to the science museum on Friday",
        keyPoints: "Bring a packed lunch",
        tone: "warm",
        language: "English",
      },
    });
    const thread = surface.of("openThread")[0]!.thread;
    await core.idle();
    await core.message(surface.inbound(alice), thread, "translate into Vietnamese");
    await core.idle();
    const [v1, v2] = surface.of("postDocument").map((d) => d.document);
    expect(v2?.title).toMatch(/^Draft v2: /);
    expect(v2?.files?.some((f) => f.filename.endsWith(".docx"))).toBe(true);
    // Offline, no section is named, so every section is marked for the teacher; the head is kept.
    expect(splitSections(v2!.markdown).head).toBe(splitSections(v1!.markdown).head);
    expect(splitSections(v2!.markdown).sections.map((s) => s.heading)).toEqual(splitSections(v1!.markdown).sections.map((s) => s.heading));
    expect(v2!.markdown).toContain('Offline draft: change this section by hand to "translate into Vietnamese"');
  });
});
