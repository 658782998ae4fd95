// The templates through the real openai SDK against the local fake OpenAI server: structured outputs parse,
// prompts carry the inputs, invented standard codes are rejected or corrected, and student names never leave.
import { Writable } from "node:stream";
import pino from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { builtinTemplates, loadStandards, SAMPLE_STANDARDS_DIR, type StandardsSet, type Template } from "../../src/templates/index.ts";
import type { FakeOpenAI } from "../fakes/openai-server.ts";
import { headings, type OpenAIHarness, openAIHarness, timingTable } from "./helpers.ts";

const CODE_LIKE = /(?<![A-Za-z0-9.-])(?:[A-Z0-9]{1,12}[.-]){2,}[A-Z0-9]{1,12}(?![A-Za-z0-9-])/g;

let fake: FakeOpenAI;
let standards: StandardsSet;
let templates: Template[];
let h: OpenAIHarness;
const logLines: Record<string, unknown>[] = [];
const template = (id: string) => templates.find((t) => t.id === id)!;

beforeAll(async () => {
  standards = (await loadStandards(SAMPLE_STANDARDS_DIR)).set;
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split("\n").filter(Boolean)) logLines.push(JSON.parse(line));
      done();
    },
  });
  templates = builtinTemplates(standards, pino({ level: "debug" }, sink));
  // As the runtime builds it: the OpenAI provider behind the privacy boundary.
  h = await openAIHarness(templates);
  fake = h.fake;
});
afterAll(() => h.close());
beforeEach(() => {
  fake.requests.length = 0;
  logLines.length = 0;
});

const outline = {
  title: "Shadows through the day",
  structure: { name: "5E inquiry", why: "A phenomenon students can investigate with flashlights." },
  objectives: ["Explain why shadows change (5-ESS1-2, see also MS-ESS9-1)", "Record shadow lengths in a table"],
  successCriteria: [["I can say where the sun is when my shadow is longest."], ["I can record shadow lengths in a table."]],
  vocabulary: [{ term: "shadow", meaning: "the dark shape made when an object blocks light" }],
  misconceptions: [
    { misconception: "Shadows are made by the object, not the light.", correction: "Move the flashlight and watch the shadow move." },
  ],
  materials: ["Flashlights", "Chalk"],
  sections: [
    { key: "warm-up", phase: "Engage", minutes: 10, focus: "Shadow puppets" },
    { key: "direct-instruction", phase: "Explore", minutes: 10, focus: "Sun angle model" },
    { key: "guided-practice", phase: "Explain", minutes: 10, focus: "Measure chalk shadows" },
    { key: "independent-practice", phase: "Elaborate", minutes: 10, focus: "Graph the data" },
    { key: "exit-ticket", phase: "Evaluate", minutes: 10, focus: "Explain one pattern" },
  ],
};

describe("lesson plan against an OpenAI-compatible endpoint", () => {
  it("rejects a model answer that invents a code and stands in a grounded choice", async () => {
    const invented = { standards: [{ code: "5-ESS9-9", reason: "invented" }], toConfirm: [] };
    fake.enqueue({ json: invented }, { json: invented }, { json: outline });
    const view = await h.run("lesson-plan", {
      grade: "5",
      subject: "Science",
      topic: "Shadows during the day",
      duration: 45,
      objectives: "Record shadow data",
    });
    expect(view.status).toBe("completed");
    expect(view.provider).toBe("openai");

    // The research prompt carried the inputs and the candidate codes; its schema only allows codes from the set.
    expect(h.prompt(0)).toContain('"Shadows during the day" for grade 5 Science');
    expect(h.prompt(0)).toContain("Record shadow data");
    expect(h.prompt(0)).toContain("5-ESS1-2");
    const schema = fake.requests[0]!.response_format?.json_schema?.schema as {
      properties: { standards: { items: { properties: { code: { enum: string[] } } } } };
    };
    const allowed = schema.properties.standards.items.properties.code.enum;
    expect(allowed).toContain("5-ESS1-2");
    expect(allowed).not.toContain("5-ESS9-9");
    // One repair call, then the deterministic fallback chose from the candidates.
    expect(fake.requests[1]!.messages.some((m) => /did not|match|invalid|schema/i.test(m.content))).toBe(true);
    const research = view.nodes.find((n) => n.nodeId === "research")!;
    expect(research.fallbackFrom).toBe("research-fallback");

    const doc = template("lesson-plan").render(view);
    expect(headings(doc.markdown)).toContain("Standards addressed");
    expect(doc.markdown).not.toContain("Offline draft");
    const cited = new Set(doc.markdown.match(CODE_LIKE) ?? []);
    expect([...cited]).toEqual(["5-ESS1-2"]);
    expect(doc.markdown).toContain(
      "1. Explain why shadows change (5-ESS1-2, see also)\n   - I can say where the sun is when my shadow is longest.",
    );
    expect(doc.markdown).toContain("**Structure:** 5E inquiry");
    expect(doc.markdown).toContain("| Warm-up | 9 | **Engage:** Shadow puppets |");
    // The model's 50 minutes were fitted to the 45 asked for.
    expect(timingTable(doc.markdown)).toEqual({ rows: [9, 9, 9, 9, 9], total: 45 });

    // Outline prompt carried the grounded standards and the duration; content and differentiation ran after it.
    expect(h.prompt(2)).toContain("Outline a 45-minute Science lesson for grade 5");
    expect(h.prompt(2)).toContain("5-ESS1-2");
    // Then the quality stage: the model's Bloom labels, and one repair of the synthesized (hard to read) text.
    expect(fake.requests.slice(5).map((r) => r.response_format?.json_schema?.name)).toEqual(["quality_bloom", "quality_rewrite"]);
    expect(headings(doc.markdown).at(-1)).toBe("Quality checks");
  });

  it("the class profile and materials reach every writing step, and differentiation adapts the content's actual tasks", async () => {
    const task = "Measure the chalk shadow of a pencil at three flashlight angles and record each length.";
    const activity = (summary: string) => ({ summary, teacher: ["Model it"], students: [task], check: "Thumbs up on the pattern." });
    const content = {
      warmUp: activity("Shadow puppets"),
      directInstruction: activity("Sun angle model"),
      guidedPractice: activity("Measure together"),
      independentPractice: activity("Graph alone"),
      exitTicket: {
        summary: "Two questions",
        questions: [
          { question: "Why is a shadow longest in the morning?", objective: 1 },
          { question: "Fill in the table for noon.", objective: 2 },
        ],
        successCriteria: ["I can explain the pattern."],
      },
    };
    fake.enqueue({}, { json: outline }, { json: content });
    const profile = "24 students; 3 English learners (Spanish, Arabic); 2 with reading accommodations";
    const view = await h.run("lesson-plan", {
      grade: "5",
      subject: "Science",
      topic: "Shadows during the day",
      duration: 45,
      classProfile: profile,
      materials: "Flashlights; chalk; metre sticks",
    });
    expect(view.status).toBe("completed");
    const prompts = fake.requests.map((r) => r.messages.find((m) => m.role === "user")?.content ?? "");
    const byStep = (start: string) => prompts.find((p) => p.startsWith(start)) ?? "";
    const writing = [byStep("Outline a 45-minute"), byStep("Develop the activities"), byStep("Differentiate this grade 5")];
    for (const p of writing) {
      expect(p).toContain(profile);
      expect(p).toContain("Flashlights; chalk; metre sticks");
    }
    // The outline is asked to pick a structure that fits (5E for science, workshop for writing, worked examples for math).
    expect(writing[0]).toMatch(/5E inquiry for a science investigation/);
    expect(writing[0]).toMatch(/Workshop for writing/);
    expect(writing[0]).toMatch(/Worked examples for a math procedure/);
    expect(writing[0]).toMatch(/success criteria/);
    expect(writing[0]).toMatch(/misconceptions/);
    // Differentiation runs after content, on the tasks content wrote.
    const order = view.nodes.filter((n) => n.status === "completed").map((n) => n.nodeId);
    expect(order.indexOf("differentiation")).toBeGreaterThan(order.indexOf("content"));
    expect(writing[2]).toContain(task);
    expect(writing[2]).toMatch(/home-language/);
    expect(writing[2]).toMatch(/IEP\/504/);
    expect(prompts.indexOf(writing[2]!)).toBeGreaterThan(prompts.indexOf(writing[1]!));
    const doc = template("lesson-plan").render(view).markdown;
    expect(doc).toContain("**Check for understanding:** Thumbs up on the pattern.");
    expect(doc).toContain("1. Why is a shadow longest in the morning? _(objective 1)_");
    expect(doc).toContain("## Key vocabulary\n- **shadow**: the dark shape made when an object blocks light");
  });

  it("drops a code from the set that is not a candidate for this lesson, and logs it at debug", async () => {
    fake.enqueue({
      json: {
        standards: [
          { code: "RL.5.2", reason: "theme" },
          { code: "5-ESS1-2", reason: "shadow patterns" },
        ],
        toConfirm: [],
      },
    });
    const view = await h.run("lesson-plan", { grade: "5", subject: "Science", topic: "Shadows during the day", duration: "50 min" });
    expect(view.status).toBe("completed");
    const grounded = view.nodes.find((n) => n.nodeId === "standards")!.output as {
      standards: { code: string; reason: string }[];
      dropped: string[];
    };
    expect(grounded.standards.map((s) => s.code)).toEqual(["5-ESS1-2"]);
    expect(grounded.dropped).toEqual(["RL.5.2"]);
    const debug = logLines.find((l) => l.msg === "dropped standard codes outside the candidate set");
    expect(debug).toMatchObject({ level: 20, dropped: ["RL.5.2"], kept: ["5-ESS1-2"] });
    const doc = template("lesson-plan").render(view);
    expect(doc.markdown).not.toContain("RL.5.2");
    expect(timingTable(doc.markdown).total).toBe(50);
  });
});

describe("student feedback against an OpenAI-compatible endpoint", () => {
  const inputs = {
    studentName: "Maria Garcia",
    assignment: "Maria's class wrote a paragraph arguing for a longer lunch break.",
    studentWork: "By Maria Garcia\nI think lunch should be longer because we need time to eat. GARCIA, M. says so too.",
    focus: "Help Maria use evidence",
  };

  it("never sends the student's name to the model, and restores it in the result", async () => {
    fake.enqueue({}, { json: { message: "Dear [STUDENT_1], your reason is clear. Next, add evidence." } });
    const view = await h.run("student-feedback", inputs);
    expect(view.status).toBe("completed");
    expect(fake.requests).toHaveLength(2);
    const sent = JSON.stringify(fake.requests);
    expect(sent).not.toMatch(/maria|garcia/i);
    expect(h.prompt(0)).toContain("[STUDENT_1]'s class wrote a paragraph arguing for a longer lunch break.");
    expect(h.prompt(0)).toContain("I think lunch should be longer because we need time to eat.");
    expect(h.prompt(0)).toContain("Help [STUDENT_1] use evidence");
    const doc = template("student-feedback").render(view);
    expect(doc.markdown).toContain("Dear Maria Garcia, your reason is clear. Next, add evidence.");
    expect(doc.markdown).toContain("**Names protected.**");

    // A revision: the previous draft and the instruction carry the name too; neither reaches the model.
    fake.requests.length = 0;
    fake.enqueue({
      json: { strengths: ["Clear reason"], nextSteps: ["Add evidence"], message: "[STUDENT_1], good start. Add one example." },
    });
    const revised = await h.run("student-feedback", {
      ...inputs,
      previousDraft: doc.markdown,
      revisionInstruction: "Shorter, and call her Maria not Ms Garcia",
    });
    expect(revised.status).toBe("completed");
    expect(fake.requests).toHaveLength(1);
    expect(JSON.stringify(fake.requests)).not.toMatch(/maria|garcia/i);
    expect(h.prompt(0)).toContain("Teacher's instruction: Shorter, and call her [STUDENT_1] not Ms [STUDENT_1]");
    expect(template("student-feedback").render(revised).markdown).toContain("Maria Garcia, good start. Add one example.");
  });
});

describe("assessment against an OpenAI-compatible endpoint: exactly N questions, a rubric on them", () => {
  const mc = (n: number) => ({
    type: "multiple-choice",
    dok: 2,
    prompt: `Which sum is right (${n})?`,
    choices: ["1/2 + 1/3 = 2/5", "1/2 + 1/3 = 5/6", "1/2 + 1/3 = 1/5", "1/2 + 1/3 = 2/6"],
    answer: "B",
    explanation: "Common denominator 6.",
    misconceptions: ["Adds tops and bottoms", "Multiplies instead", "Adds denominators only"],
    points: 1,
    standard: "5.NF.A.1",
  });
  const sa = (n: number, points: number) => ({
    type: "short-answer",
    dok: 3,
    prompt: `Explain how to add 2/3 and 1/4 (${n}).`,
    choices: [],
    // Far over the 1500-character limit: clipped, not fatal.
    answer: `Find a common denominator of 12. ${"Then rename each fraction and add the numerators. ".repeat(60)}`,
    explanation: "",
    misconceptions: ["Adds denominators"],
    points,
    standard: "5.NF.A.1",
  });
  const rubric = (points: number[]) => ({
    criteria: points.map((p, i) => ({
      name: `Criterion ${i + 1}`,
      description: "",
      questions: [3, 4, 99],
      standard: "5.NF.A.1",
      levels: [
        { label: "Exceeds", points: p, descriptor: "Complete" },
        { label: "Meets", points: Math.max(1, p - 1), descriptor: "Mostly" },
        { label: "Approaching", points: 1, descriptor: "Partly" },
        { label: "Beginning", points: 0, descriptor: "Not yet" },
      ],
    })),
  });

  it("too few questions are topped up, an over-long model answer is clipped, and the rubric's points are fitted to the questions", async () => {
    fake.enqueue({}, { json: { questions: [mc(1), mc(2), sa(3, 3)] } }, { json: { questions: [sa(4, 2)] } }, { json: rubric([4, 4, 4]) });
    const view = await h.run("assessment", {
      grade: "5",
      subject: "Math",
      topic: "Adding fractions with unlike denominators",
      questionCount: 4,
    });
    expect(view.error?.message).toBeUndefined();
    expect(view.status).toBe("completed");
    const prompts = fake.requests.map((r) => r.messages.find((m) => m.role === "user")?.content ?? "");
    expect(prompts[2]).toMatch(
      /^Write exactly 1 more assessment questions for grade 5 Math on "(<data-[a-z0-9]+>)?Adding fractions with unlike denominators/,
    );
    expect(prompts[2]).toContain("Q3 (Short answer, 3 points, 5.NF.A.1): Explain how to add 2/3 and 1/4 (3).");
    expect(prompts[1]).toMatch(/every wrong option must come from a real misconception/);
    // The rubric is told which questions it scores and what they are worth.
    expect(prompts[3]).toContain("Q4 (Short answer, 2 points, 5.NF.A.1): Explain how to add 2/3 and 1/4 (4).");
    expect(prompts[3]).toContain("The rubric scores questions 3, 4, worth 5 points together.");
    const doc = template("assessment").render(view).markdown;
    expect(doc.match(/^\*\*\d+\.\*\* /gm)).toHaveLength(4);
    expect(doc).not.toContain("Only ");
    // 12 rubric points fitted to the 5 the two short answers are worth; question 99 does not exist.
    expect(doc).toContain("Rubric total: 5 points.");
    expect(doc).toContain("_Scores Q3, Q4 · 5.NF.A.1_");
    expect(doc).toContain("Wrong options catch: Adds tops and bottoms; Multiplies instead; Adds denominators only");
    const key = doc.split("## Answer key\n")[1]!.split("\n## ")[0]!;
    const long = key.split("\n").find((l) => l.startsWith("3. "))!;
    expect(long.length).toBeLessThan(1600);
    expect(long).toMatch(/numerators\.|…/);
  });

  it("says so at the top when even the top-up leaves questions missing", async () => {
    fake.enqueue({}, { json: { questions: [mc(1)] } }, { json: { questions: [mc(2)] } }, { json: rubric([1]) });
    const view = await h.run("assessment", { grade: "5", subject: "Math", topic: "Adding fractions", questionCount: 3 });
    expect(view.status).toBe("completed");
    const doc = template("assessment").render(view).markdown;
    expect(doc).toContain("> **Only 2 of the 3 questions asked for were written.**");
    expect(doc).toContain("**Questions:** 2");
  });
});

describe("assessment and parent message against an OpenAI-compatible endpoint", () => {
  it("parses structured answers and puts the inputs in the prompts", async () => {
    const view = await h.run("assessment", {
      grade: "5",
      subject: "Math",
      topic: "Adding fractions with unlike denominators",
      questionCount: 4,
      questionTypes: "multiple-choice",
      level: "dok2",
    });
    expect(view.status).toBe("completed");
    expect(h.prompt(1)).toContain('Write exactly 4 assessment questions for grade 5 Math on "Adding fractions with unlike denominators".');
    expect(h.prompt(1)).toContain("multiple-choice");
    expect(h.prompt(1)).toContain("dok2");
    expect(fake.requests[1]!.response_format?.json_schema?.name).toBe("assessment_questions");
    expect(headings(template("assessment").render(view).markdown)).toEqual([
      "Standards assessed",
      "Questions",
      "Answer key",
      "Rubric",
      "Quality checks",
    ]);

    fake.requests.length = 0;
    fake.enqueue(
      {},
      { json: { subject: "Science fair", message: "Dear families, join us Thursday." } },
      { json: { language: "Spanish", subject: "Feria de ciencias", message: "Estimadas familias, acompáñennos el jueves." } },
    );
    const message = await h.run("parent-message", {
      purpose: "Science fair invitation",
      keyPoints: "Thursday 5pm, gym",
      targetLanguage: "Spanish",
    });
    expect(message.status).toBe("completed");
    expect(h.prompt(1)).toContain("Thursday 5pm, gym");
    expect(h.prompt(2)).toContain("into Spanish");
    expect(h.prompt(2)).toContain("Dear families, join us Thursday.");
    const doc = template("parent-message").render(message).markdown;
    expect(doc).toContain("## Message (Spanish)\n**Subject:** Feria de ciencias\n\nEstimadas familias, acompáñennos el jueves.");
  });
});
