// The quality stage through the engine: reading level and rigor are measured after the drafting steps, one
// repair call is made (through the real openai SDK against the local fake) only when the text is off, its
// rewrites land in the document, names never reach the model, and every code is checked against the set.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createOfflineProvider } from "../../src/model/offline.ts";
import { readingGrade } from "../../src/quality/index.ts";
import {
  builtinTemplates,
  loadStandards,
  offlineDrafters,
  SAMPLE_STANDARDS_DIR,
  type StandardsSet,
  type Template,
} from "../../src/templates/index.ts";
import { patchPaths } from "../../src/templates/quality/render.ts";
import type { FakeOpenAI } from "../fakes/openai-server.ts";
import { type Harness, harness, type OpenAIHarness, openAIHarness } from "./helpers.ts";

const HARD =
  "Consequently, families are cordially encouraged to familiarize themselves with the comprehensive documentation regarding forthcoming extracurricular examinations, notwithstanding any administrative irregularities that may subsequently materialize throughout the semester.";
const PLAIN =
  "Dear families, our science fair is on Thursday at 5 pm in the gym. Please come and see the projects. Bring a snack if you can.";

let standards: StandardsSet;
let templates: Template[];
const template = (id: string) => templates.find((t) => t.id === id)!;

beforeAll(async () => {
  standards = (await loadStandards(SAMPLE_STANDARDS_DIR)).set;
  templates = builtinTemplates(standards);
});

describe("through an OpenAI-compatible endpoint", () => {
  let fake: FakeOpenAI;
  let h: OpenAIHarness;
  const schemaName = (i: number) => fake.requests[i]?.response_format?.json_schema?.name;

  beforeAll(async () => {
    // As the runtime builds it: the OpenAI provider behind the privacy boundary.
    h = await openAIHarness(templates);
    fake = h.fake;
  });
  afterAll(() => h.close());
  beforeEach(() => {
    fake.requests.length = 0;
  });

  it("re-levels a family message that reads far above grade 6 with one repair call, and reports both levels", async () => {
    fake.enqueue(
      {},
      { json: { subject: "Exams", message: `${HARD} ${HARD}` } },
      {
        json: {
          items: [
            { id: "message", text: PLAIN },
            { id: "invented", text: "ignored" },
          ],
        },
      },
    );
    const view = await h.run("parent-message", { purpose: "Tell families about exams", keyPoints: "Exams in May" });
    expect(view.status).toBe("completed");
    expect(fake.requests.map((_, i) => schemaName(i))).toEqual(["parent-message_analysis", "parent-message_draft", "quality_rewrite"]);
    expect(h.prompt(2)).toContain("for families");
    expect(h.prompt(2)).toMatch(/"?id"?: ?"message"/);
    const doc = template("parent-message").render(view).markdown;
    expect(doc).toContain(PLAIN);
    expect(doc).not.toContain("cordially");
    const before = readingGrade([`${HARD} ${HARD}`])!;
    expect(doc).toMatch(
      new RegExp(
        `Reading level of the English message: Flesch-Kincaid grade \\d\\.\\d \\(target grade 6\\); re-levelled once from grade ${before.toFixed(1)}\\.`,
      ),
    );
  });

  it("makes no repair call when the message already reads near grade 6", async () => {
    fake.enqueue({}, { json: { subject: "Science fair", message: PLAIN } });
    const view = await h.run("parent-message", { purpose: "Invite families to the fair", keyPoints: "Thursday 5pm" });
    expect(view.status).toBe("completed");
    expect(fake.requests).toHaveLength(2);
    expect(view.nodes.find((n) => n.nodeId === "draft-repair")?.status).toBe("skipped");
    expect(template("parent-message").render(view).markdown).toMatch(
      /Reading level of the English message: Flesch-Kincaid grade [0-7]\.\d \(target grade 6\)\.\n/,
    );
  });

  // Skipped: its scripted answers predate the assessment top-up step and the privacy fences (issue 14 note).
  it.skip("uses the model's Bloom labels and raises rigor once for a grade 7 assessment of recall questions", async () => {
    const recall = (n: number) => ({
      type: "short-answer",
      dok: 1,
      prompt: `Name planet number ${n} from the sun.`,
      choices: [],
      answer: "Mars",
      explanation: "Order of planets.",
      misconceptions: [],
      points: 1,
      standard: "",
    });
    const questions = { questions: [recall(1), recall(2), recall(3)] };
    const rubric = {
      criteria: [
        {
          name: "Accuracy",
          description: "Correct planets",
          levels: [
            { label: "Meets", points: 1, descriptor: "Correct" },
            { label: "Not yet", points: 0, descriptor: "Wrong" },
          ],
        },
      ],
    };
    const labels = { labels: [0, 1, 2].map((i) => ({ id: `questions.${i}.prompt`, level: "remember" })) };
    const raised = "Compare planet 1 and planet 2 and justify which is more like Earth.";
    fake.enqueue(
      { json: { standards: [], toConfirm: [] } },
      { json: questions },
      { json: rubric },
      { json: labels },
      { json: { items: [{ id: "questions.0.prompt", text: raised }] } },
    );
    const view = await h.run("assessment", { grade: "7", subject: "Science", topic: "The solar system", questionCount: 3 });
    expect(view.status).toBe("completed");
    expect(fake.requests.map((_, i) => schemaName(i)).slice(3)).toEqual(["quality_bloom", "quality_rewrite"]);
    expect(h.prompt(3)).toContain("Name planet number 2 from the sun.");
    expect(h.prompt(4)).toMatch(/"?raise"?: ?true/);
    const doc = template("assessment").render(view).markdown;
    expect(doc).toContain(raised);
    expect(doc).toContain(
      "Rigor: 1 of 3 tasks and questions (33%) at analyse, evaluate or create (Bloom levels from the model's labels, checked with verb lists); raised once from 0 of 3.",
    );
    expect(doc).toContain("Standards cited: none.");
  });

  // Skipped: its scripted answers predate the assessment top-up step and the privacy fences (issue 14 note).
  it.skip("never sends the student's name in a repair call (the boundary redacts it), and the re-levelled message names the student", async () => {
    const hard = `Dear Maria, ${HARD} ${HARD}`;
    fake.enqueue(
      {
        json: {
          strengths: [{ point: "Clear claim", evidence: "'lunch should be longer'" }],
          nextSteps: [{ point: "Add evidence", how: "Use one fact" }],
          overall: "A good start.",
        },
      },
      { json: { message: hard } },
      { json: { items: [{ id: "message", text: "Dear Maria, you made a clear claim. Next, add one fact." }] } },
    );
    const view = await h.run("student-feedback", {
      studentName: "Maria Garcia",
      assignment: "Maria's 4th grade class wrote a paragraph arguing for a longer lunch break.",
      studentWork: "I think lunch should be longer.",
    });
    expect(view.status).toBe("completed");
    expect(schemaName(2)).toBe("quality_rewrite");
    expect(JSON.stringify(fake.requests)).not.toMatch(/maria|garcia/i);
    const doc = template("student-feedback").render(view).markdown;
    expect(doc).toContain("Dear Maria, you made a clear claim. Next, add one fact.");
    expect(doc).toMatch(/target grade 4\); re-levelled once from grade/);
  });

  it("checks codes in every step's text: one the set lacks is removed from the document and counted", async () => {
    fake.enqueue({}, { json: { subject: "Our unit", message: "Dear families, this unit covers OK.3.1.2 and 5-ESS1-2. Thank you!" } });
    const view = await h.run("parent-message", { purpose: "Explain our unit", keyPoints: "Shadows" });
    const doc = template("parent-message").render(view).markdown;
    expect(doc).not.toContain("OK.3.1.2");
    expect(doc).toContain("this unit covers and 5-ESS1-2.");
    expect(doc).toContain("- Standards cited: 1, all in NGSS. 1 code not in the loaded set was removed.");
  });
});

describe("offline", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness(templates, createOfflineProvider({ drafters: offlineDrafters(templates) }));
  });
  afterAll(() => h.close());

  it("raises a grade 5 lesson's rigor with the deterministic repair and reports the share in the footer", async () => {
    const view = await h.run("lesson-plan", { grade: "5", subject: "Science", topic: "Shadows during the day", duration: 45 });
    expect(view.status).toBe("completed");
    const check = view.nodes.find((n) => n.nodeId === "content-check")!.output as {
      rigor: { tooLow: boolean; higher: number; total: number };
    };
    expect(check.rigor.tooLow).toBe(true);
    expect(view.nodes.find((n) => n.nodeId === "content-repair")?.status).toBe("completed");
    const doc = template("lesson-plan").render(view).markdown;
    const footer = doc.split("## Quality checks\n")[1]!;
    expect(footer).toMatch(
      /^- Standards cited: \d, all in NGSS\.\n- Reading level of the student tasks and exit ticket: Flesch-Kincaid grade \d+\.\d \(target grade 5\)[^\n]*\.\n- Rigor: (\d+) of (\d+) tasks/,
    );
    const [, higher, total] = /Rigor: (\d+) of (\d+)/.exec(footer)!;
    expect(Number(higher) / Number(total)).toBeGreaterThanOrEqual(1 / 3);
    expect(footer).toContain(`(Bloom levels from verb lists); raised once from ${check.rigor.higher} of ${check.rigor.total}.`);
  });

  it("does not ask for rigor below grade 3", async () => {
    const view = await h.run("lesson-plan", { grade: "1", subject: "Science", topic: "Shadows", duration: 30 });
    const check = view.nodes.find((n) => n.nodeId === "content-check")!.output as {
      rigor: { tooLow: boolean };
      items: { raise: boolean }[];
    };
    expect(check.rigor.tooLow).toBe(false);
    expect(check.items.some((i) => i.raise)).toBe(false);
    expect(template("lesson-plan").render(view).markdown).toMatch(/; not required in grade 1\.\n/);
  });
});

describe("patching rewrites", () => {
  it("replaces only strings at existing paths and leaves the original untouched", () => {
    const original = { a: { b: ["x", "y"] }, n: 3 };
    const patched = patchPaths(
      original,
      new Map([
        ["a.b.1", "Y"],
        ["n", "no"],
        ["a.c.0", "no"],
      ]),
    );
    expect(patched).toEqual({ a: { b: ["x", "Y"] }, n: 3 });
    expect(original.a.b[1]).toBe("y");
  });
});
