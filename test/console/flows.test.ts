// The teacher QA's console reproductions (2026-12-05), each as it was typed, through the real
// `bin/staffroom.js start` as a child process with piped input: offline model, a temporary SQLite store
// and documents folder. Each message is written once the previous answer has been printed, so a paste
// (several lines in one write) arrives as a burst, the way a terminal delivers it. Several defects share
// one process to keep this quick.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { type Spawned, spawnCli } from "../cli/helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "staffroom-flows-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Console = {
  /** Writes one message and resolves with what was printed once `until` appears after it. */
  say(text: string, until: RegExp): Promise<string>;
  end(): Promise<string>;
};

function startConsole(name: string): Console {
  const docs = join(dir, name, "docs");
  const bot: Spawned = spawnCli(["start"], {
    cwd: dir,
    env: {
      STAFFROOM_STORE_URL: `sqlite://${join(dir, `${name}.sqlite`)}`,
      STAFFROOM_DOCUMENTS_DIR: docs,
      STAFFROOM_MODEL_PROVIDER: "offline",
      PORT: "0",
    },
    keepStdinOpen: true,
  });
  return {
    async say(text, until) {
      const mark = bot.output().stdout.length;
      bot.child.stdin!.write(`${text}\n`);
      const limit = Date.now() + 20_000;
      for (;;) {
        const since = bot.output().stdout.slice(mark);
        if (until.test(since)) return since;
        if (Date.now() > limit || bot.child.exitCode !== null)
          throw new Error(`no ${String(until)} after ${JSON.stringify(text)}:\n${since}\n${bot.output().stderr}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async end() {
      bot.child.stdin!.end();
      const result = await bot.done;
      expect(result.code).toBe(0);
      expect(result.stdout).not.toMatch(/\n\s+at |Sorry, something went wrong/);
      return result.stdout;
    },
  };
}

const DONE = /\] » .* ✅ done in .*\n/;

describe("console flows (child process, piped input)", () => {
  test("lesson plans: help, unknown keys, draft first with Change, grade 13, run at a question, a 2-line topic, file names", async () => {
    const c = startConsole("lesson");
    // Console /help is not cut at 100 characters, and shows the usage from the field table.
    let out = await c.say("/help", /While I ask questions/);
    expect(out).toContain(
      "- /lesson-plan: Plan a lesson: standards from your school's set, objectives, timing, activities, exit ticket and differentiation.",
    );
    expect(out).toContain('/feedback assignment:"..." work:"..." [student rubric tone focus] (or say it in words)');
    // "/lesson-plan help" is that template's help, never a topic.
    out = await c.say("/lesson-plan help", /For example: \/lesson-plan/);
    expect(out).toContain("/lesson-plan: Lesson plan.");
    expect(out).not.toMatch(/\[#\d\]|Topic: help/);

    // Questions: only the required ones, counted exactly; "13" is a grade (refused), never menu item 13.
    out = await c.say("/lesson-plan", /Which grade is this for\? \(4 questions left\)/);
    expect(out).toContain("[Kindergarten]   [Grade 1]");
    out = await c.say("13", /Which grade/);
    expect(out).toContain("Grade should be K or 1-12");
    out = await c.say("5", /Which subject\? \(3 questions left\)/);
    out = await c.say("Science", /What is the lesson about\? \(2 questions left\)/);
    // "run" at a question is a steering word, never the topic.
    out = await c.say("run", /What is the lesson about\?/);
    expect(out).toContain("I need topic and duration before I can start.");
    // A two-line paste is one answer: the second line never reaches Duration.
    out = await c.say("Photosynthesis\nhow plants make food", /How long is the lesson\? \(last question\)/);
    expect(out).not.toMatch(/Duration should be/);
    out = await c.say("45", DONE);
    expect(out).toContain("===== Lesson plan: Photosynthesis");
    expect(out).not.toMatch(/optional: type skip/);

    // Unknown keys: one sentence with the accepted keys; the run starts at once (no summary, no "run").
    out = await c.say('/lesson-plan grade:5 subject:science topic:"moon phases" duration:45 colour:blue teacher:"Ms Lee"', DONE);
    expect(out).toContain(
      '[#2] /lesson-plan has no "colour" or "teacher" field; it takes grade, subject, topic, duration, standards, objectives, class, materials, language.',
    );
    expect(out).toContain("[#2] » Lesson plan requested by teacher: ⏳ drafting now");
    expect(out).toContain(
      "[#2] Assumed: any standards in the loaded set, no objectives given, no class profile, no materials list, English.",
    );
    expect(out).toContain("[#2]   1) Change   2) Cancel");
    expect(out).not.toMatch(/ready to run|Run it|\d ms\b|\(skipped\)/);
    expect(out).toContain("[#2] ===== end of lesson-plan-moon-phases.md =====");

    // Change: pick the duration, answer, rerun at once; no optional question in between.
    out = await c.say("change", /What should change\?/);
    expect(out).toContain("- Duration: 45 min");
    out = await c.say("duration", /Now: 45 min/);
    out = await c.say("55", DONE);
    expect(out).not.toMatch(/Any learning objectives you already have|Anything about the class|What materials do you have/);
    // The console names the file it actually wrote.
    expect(out).toContain("[#2] ===== end of lesson-plan-moon-phases-2.md =====");
    expect(out).toMatch(/\[#2\] Saved: .*lesson-plan-moon-phases-2\.docx, .*lesson-plan-moon-phases-2\.md/);

    await c.end();
  });

  test("remembered settings stay with their template and subject; feedback pastes, names, steering words and synonyms", async () => {
    const c = startConsole("memory");
    let out = await c.say('/parent-message about:"field trip on Friday" points:"bus leaves 8:30; bring lunch" language:Spanish', DONE);
    expect(out).toContain("Purpose: field trip on Friday");
    expect(out).not.toMatch(/about about|About:field|Purpose: about/);
    out = await c.say('/lesson-plan grade 5 science "water cycle" 45 min standards:NGSS', DONE);
    expect(out).toMatch(/Assumed: .*English\./);
    expect(out).not.toContain("Spanish");
    // A math lesson: the science grade and NGSS are not assumed; the lesson length is.
    out = await c.say('/lesson-plan math "ratios and rates"', /Which grade/);
    out = await c.say("7", DONE);
    expect(out).toContain("Assumed: 45 min, any standards in the loaded set");
    expect(out).not.toContain("NGSS");

    // Feedback: a three-line paste of student work is one answer; no name is invented from it.
    out = await c.say("/feedback", /What was the assignment\? \(2 questions left\)/);
    out = await c.say("lab report on plant growth", /What did the student hand in\?.*\(last question\)/);
    out = await c.say(
      [
        "My plants grew taller with more light. The one by the window grew 12 cm.",
        "I think light helps plants grow because they make food from it.",
        "In conclusion plants need light.",
      ].join("\n"),
      /Draft v1\. Approve it/,
    );
    expect(out).toContain("Hi [STUDENT],");
    expect(out).not.toMatch(/Hi I,|Is there a rubric|student's name\?/);
    expect(out).toMatch(/Analysis: 2 strengths and 2 next steps found\./);
    // help and history at a draft are not revisions.
    out = await c.say("help", /This request has run\./);
    out = await c.say("history", /Your requests \(newest first\)/);
    expect(out).not.toMatch(/Revising draft|Draft v2/);
    // A sentence is not a name; the synonyms of the usage hint land in their fields.
    out = await c.say(
      '/feedback student:"I think light helps plants grow because they make food from it" assignment:"lab report"',
      /What did the student hand in\?/,
    );
    expect(out).toContain("That looks like a sentence rather than a name; type just the name (or skip).");
    await c.say("cancel", /Cancelled; nothing was run/);
    out = await c.say(
      '/feedback student:Sam assignment:"lab report on plant growth" strengths:clear data table next steps:explain the trend',
      /What did the student hand in\?/,
    );
    expect(out).toContain(
      "Student's name: Sam · Assignment: lab report on plant growth · Focus: strengths: clear data table; next steps: explain the trend.",
    );
    out = await c.say("Plants need light. My data table shows it.", /Draft v1\. Approve it/);
    expect(out).toContain("Hi Sam,");
    expect(out).not.toContain("student:Sam");
    await c.end();
  });
});
