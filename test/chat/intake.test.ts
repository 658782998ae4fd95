// Draft first through the real chat core (built-in templates, offline model, recording surface): a complete
// request starts at once with its assumptions and Change/Cancel on the root; Change reruns with one field
// changed and nothing else asked; remembered settings stay with their template (and subject); help and
// history never become content or revisions; unknown keys are reported in one sentence.
import { describe, expect, test } from "vitest";
import type { FieldExtractor } from "../../src/conversation/extract.ts";
import type { RecordingSurface } from "./recording-surface.ts";
import { useChatRigs } from "./rig.ts";

const alice = { id: "U_ALICE", name: "Alice" };

const rigs = useChatRigs();
const rig = (extract?: FieldExtractor) => rigs(extract ? { extract } : {});

const rootWith = (surface: RecordingSurface, label: string) =>
  surface
    .of("editRoot")
    .filter((e) => e.message.actions?.some((a) => a.label === label))
    .at(-1)?.message;

describe("draft first", () => {
  test("a complete request starts at once; the root names what was assumed; Change reruns one field, nothing else asked", async () => {
    const { core, surface, engine } = await rig();
    await core.command(surface.inbound(alice), "lesson-plan", { text: 'grade 5 science "moon phases" 45 min' });
    const thread = surface.of("openThread")[0]!.thread;
    await core.idle();
    expect(surface.texts().join("\n")).not.toMatch(/ready to run|Run it/);
    const running = surface.of("editRoot").find((e) => e.message.text.includes("drafting now"))!.message;
    expect(running.text).toBe(
      "**Lesson plan** requested by Alice: ⏳ drafting now\nAssumed: any standards in the loaded set, no objectives given, no class profile, no materials list, English.",
    );
    expect(running.actions?.map((a) => a.label)).toEqual(["Change", "Cancel"]);
    const done = rootWith(surface, "Change")!;
    expect(done.text).toMatch(/✅ done in .*\nAssumed: any standards/);
    expect(done.text).not.toMatch(/\d ms/);
    expect(await engine.list({ userId: alice.id })).toHaveLength(1);

    const change = done.actions!.find((a) => a.label === "Change")!;
    await core.action(surface.inbound(alice), thread, change.id, change.value);
    const pick = surface.lastPost()!;
    expect(pick.text).toMatch(/What should change\?[\s\S]*- Duration: 45 min/);
    const duration = pick.actions!.find((a) => a.value === "duration")!;
    await core.action(surface.inbound(alice), thread, duration.id, duration.value);
    expect(surface.lastPost()?.text).toMatch(/How long is the lesson\?\*\*\nNow: 45 min/);
    const asked = surface.of("post").filter((p) => p.message.role === "question").length;
    await core.message(surface.inbound(alice), thread, "55");
    await core.idle();
    // No optional question in between: the answer reran at once.
    expect(surface.of("post").filter((p) => p.message.role === "question").length).toBe(asked);
    const runs = await engine.list({ userId: alice.id });
    expect(runs).toHaveLength(2);
    expect(runs.map((r) => r.inputs.duration).sort()).toEqual([45, 55]);
    expect(runs.find((r) => r.inputs.duration === 55)?.inputs).toMatchObject({ grade: "5", subject: "Science", topic: "moon phases" });
  });

  test("Change while it runs stops the run; cancel at the pick keeps what ran", async () => {
    const { core, surface, engine } = await rig();
    await core.command(surface.inbound(alice), "assessment", { text: "grade 4 math fractions 8 questions" });
    const thread = surface.of("openThread")[0]!.thread;
    await core.idle();
    await core.message(surface.inbound(alice), thread, "change");
    expect(surface.lastPost()?.text).toMatch(/What should change\?/);
    await core.message(surface.inbound(alice), thread, "cancel");
    expect(surface.lastPost()?.text).toBe("OK, nothing changed.");
    await core.message(surface.inbound(alice), thread, "change");
    await core.message(surface.inbound(alice), thread, "questions: 5, types: mc");
    await core.idle();
    const runs = await engine.list({ userId: alice.id });
    expect(runs).toHaveLength(2);
    expect(runs.find((r) => r.inputs.questionCount === 5)?.inputs.questionTypes).toBe("multiple-choice");
  });

  test("remembered settings stay with their template and subject", async () => {
    const { core, surface, engine } = await rig();
    await core.command(surface.inbound(alice), "parent-message", {
      text: 'about:"field trip on Friday" points:"bus leaves 8:30" language:Spanish',
    });
    await core.idle();
    await core.command(surface.inbound(alice), "lesson-plan", { text: 'grade 5 science "water cycle" 45 min standards:NGSS' });
    await core.idle();
    // The Spanish of the parent message does not reach the lesson plan.
    const plans = await engine.list({ userId: alice.id, templateId: "lesson-plan" });
    expect(plans[0]?.inputs.language).toBe("English");
    await core.command(surface.inbound(alice), "lesson-plan", { text: 'math "ratios and rates"' });
    await core.idle();
    const math = (await engine.list({ userId: alice.id, templateId: "lesson-plan" })).find((r) => r.inputs.subject === "Math");
    // The duration is remembered for lesson plans; NGSS (and grade 5) were science's and are not assumed for math.
    expect(math).toBeUndefined();
    expect(surface.lastPost()?.text).toMatch(/Which grade/);
    const thread = surface.of("openThread").at(-1)!.thread;
    await core.message(surface.inbound(alice), thread, "7");
    await core.idle();
    const ratios = (await engine.list({ userId: alice.id, templateId: "lesson-plan" })).find((r) => r.inputs.subject === "Math")!;
    expect(ratios.inputs).toMatchObject({ grade: "7", duration: 45 });
    expect(ratios.inputs.standardsFramework).toBeUndefined();
    expect(rootWith(surface, "Change")?.text).toMatch(/Assumed: 45 min, any standards in the loaded set/);
    // Science again: its grade and NGSS come back.
    await core.command(surface.inbound(alice), "lesson-plan", { text: "science photosynthesis" });
    await core.idle();
    const photo = (await engine.list({ userId: alice.id, templateId: "lesson-plan" })).find((r) => r.inputs.topic === "photosynthesis")!;
    expect(photo.inputs).toMatchObject({ grade: "5", subject: "Science", duration: 45, standardsFramework: "NGSS" });
  });

  test("help and history at a feedback draft are not revisions; /feedback help shows that command's help", async () => {
    const { core, surface, engine } = await rig();
    await core.command(surface.inbound(alice), "feedback", { text: "help" });
    expect(surface.of("openThread")).toHaveLength(0);
    expect(surface.of("notify").at(-1)?.message.text).toMatch(/^\*\*\/feedback\*\*: Student feedback[\s\S]*Student's name \(student/);
    await core.command(surface.inbound(alice), "feedback", {
      text: 'student:Sam assignment:"lab report on plant growth" work:"Plants need light to grow." strengths:clear table next steps:explain the trend',
    });
    const thread = surface.of("openThread")[0]!.thread;
    await core.idle();
    for (const word of ["help", "history", "/help", "run"]) await core.message(surface.inbound(alice), thread, word);
    await core.idle();
    const runs = await engine.list({ userId: alice.id });
    expect(runs).toHaveLength(1);
    expect(runs[0]?.inputs.focus).toBe("strengths: clear table; next steps: explain the trend");
    expect(surface.texts().join("\n")).not.toMatch(/Revising draft/);
    expect(surface.texts().join("\n")).toMatch(/Your requests/);
    await core.message(surface.inbound(alice), thread, "make it more helpful");
    await core.idle();
    expect(await engine.list({ userId: alice.id })).toHaveLength(2);
  });

  test("unknown keys are reported in one sentence listing the accepted keys, and never glued onto a field", async () => {
    const { core, surface, engine } = await rig();
    await core.command(surface.inbound(alice), "lesson-plan", {
      text: 'grade:5 subject:science topic:"moon phases" duration:45 colour:blue teacher:"Ms Lee"',
    });
    await core.idle();
    expect(surface.texts()).toContain(
      '/lesson-plan has no "colour" or "teacher" field; it takes grade, subject, topic, duration, standards, objectives, class, materials, language.',
    );
    const [run] = await engine.list({ userId: alice.id });
    expect(run?.inputs).toMatchObject({ duration: 45, topic: "moon phases" });
  });

  test("/help shows full descriptions and usage from the field table; /staffroom help lesson-plan shows that template", async () => {
    const { core, surface } = await rig();
    await core.command(surface.inbound(alice), "staffroom", { text: "help" });
    const help = surface.of("notify").at(-1)!.message.text;
    expect(help).toContain("- **/lesson-plan**: ");
    expect(help).not.toMatch(/\.\.\.\n/);
    expect(help).toContain('/feedback assignment:"..." work:"..." [student rubric tone focus] (or say it in words)');
    await core.command(surface.inbound(alice), "staffroom", { text: "help lesson-plan" });
    expect(surface.of("notify").at(-1)?.message.text).toMatch(/^\*\*\/lesson-plan\*\*: Lesson plan/);
  });

  test("a model's extraction never invents facts: long-text values must be the teacher's own words", async () => {
    const extract: FieldExtractor = async (text) =>
      text.includes("museum")
        ? { purpose: "Field trip to the science museum", keyPoints: "Bus leaves at 8:30 on Friday; bring a packed lunch" }
        : { purpose: "Science fair", keyPoints: "Thursday 5-7pm in the gym" };
    const { core, surface, engine } = await rig(extract);
    await core.command(surface.inbound(alice), "parent-message", { text: "please write about the field trip to the science museum" });
    await core.idle();
    // The key points were not in the request: nothing starts, the question is asked.
    expect(await engine.list({ userId: alice.id })).toHaveLength(0);
    expect(surface.lastPost()?.text).toMatch(/What must the message say\?/);
    await core.command(surface.inbound(alice), "parent-message", { text: "science fair reminder. Thursday 5-7pm in the gym" });
    await core.idle();
    const [run] = await engine.list({ userId: alice.id });
    expect(run?.inputs).toMatchObject({ keyPoints: "Thursday 5-7pm in the gym" });
  });
});

describe("a standards framework that does not fit the subject", () => {
  test("NGSS typed for a math lesson is refused in one sentence naming the frameworks that fit; nothing starts", async () => {
    const { core, surface, engine } = await rig();
    await core.command(surface.inbound(alice), "lesson-plan", { text: 'grade 7 math "ratios and rates" 50 min standards:NGSS' });
    await core.idle();
    expect(surface.texts().join("\n")).toContain(
      "Standards framework: NGSS has no standards for Math; choose Common Core (CCSS), My state's standards or No standards.",
    );
    expect(await engine.list({ userId: alice.id })).toHaveLength(0);
    // The framework is asked again with only the frameworks that fit math.
    const asked = surface
      .of("post")
      .filter((p) => p.message.role === "question")
      .at(-1)?.message;
    expect(asked?.actions?.map((a) => a.label)).toEqual(expect.arrayContaining(["Common Core (CCSS)", "No standards"]));
    expect(asked?.actions?.map((a) => a.label)).not.toContain("NGSS");
    // The teacher answers the framework question again and the lesson starts.
    const thread = surface.of("openThread")[0]!.thread;
    await core.message(surface.inbound(alice), thread, "Common Core");
    await core.idle();
    const runs = await engine.list({ userId: alice.id });
    expect(runs).toHaveLength(1);
    expect(runs[0]?.inputs).toMatchObject({ subject: "Math", standardsFramework: "CCSS" });
  });
});
