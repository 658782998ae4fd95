// Input parsing (grade, duration, counts, choices) and the field metadata the conversation reads from schemas.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { builtinTemplates, describeFields, parseDuration, parseGrade } from "../../src/templates/index.ts";
import { SECTION_KEYS } from "../../src/templates/lesson-plan/schemas.ts";
import { allocateMinutes, fitTiming } from "../../src/templates/lesson-plan/timing.ts";

describe("grade parsing", () => {
  it.each([
    ["5", "5"],
    ["5th", "5"],
    ["5th grade", "5"],
    ["Grade 5", "5"],
    ["fifth grade", "5"],
    ["K", "K"],
    ["kindergarten", "K"],
    ["Year 7", "6"],
    ["Y13", "12"],
    ["year 1", "K"],
    ["12th", "12"],
    [0, "K"],
    [9, "9"],
  ])("%s -> %s", (input, expected) => {
    expect(parseGrade(input)).toBe(expected);
  });

  it.each(["13", "grade 14", "year 15", "pre-k", "", "college", 4.5])("rejects %s", (input) => {
    expect(parseGrade(input)).toBeUndefined();
  });

  it("gives every surface the same rule through the schema, with a friendly message", () => {
    const schema = builtinTemplates()[0]!.inputSchema;
    const ok = schema.safeParse({ grade: "Year 7", subject: "Science", topic: "Forces", duration: "1 hour" });
    expect(ok.success && ok.data).toMatchObject({ grade: "6", duration: 60, language: "English" });
    const bad = schema.safeParse({ grade: "Year 19", subject: "Science", topic: "Forces", duration: "forever" });
    expect(bad.success).toBe(false);
    const messages = bad.error!.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    expect(messages).toContainEqual(expect.stringMatching(/^grade: Grade should be K or 1-12/));
    expect(messages).toContainEqual(expect.stringMatching(/^duration: Duration should be a number of minutes/));
  });
});

describe("duration parsing", () => {
  it.each([
    ["45", 45],
    ["45 min", 45],
    ["45 minutes", 45],
    ["1 hour", 60],
    ["an hour", 60],
    ["half an hour", 30],
    ["1.5 hours", 90],
    ["1h 30m", 90],
    ["1 hour and 15 minutes", 75],
    [50, 50],
  ])("%s -> %s", (input, expected) => {
    expect(parseDuration(input)).toBe(expected);
  });

  it.each(["forever", "45 min or so", "", "min"])("rejects %s", (input) => {
    expect(parseDuration(input)).toBeUndefined();
  });

  it("enforces the bounds with a sentence that says what to do", () => {
    const schema = builtinTemplates()[0]!.inputSchema;
    const long = schema.safeParse({ grade: "5", subject: "Math", topic: "Fractions", duration: "5 hours" });
    expect(long.error?.issues[0]?.message).toMatch(/at most 240 minutes; split longer sessions/);
  });
});

describe("lesson timing", () => {
  it("splits any duration into parts that add up exactly, each at least a minute", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 10, max: 240 }),
        fc.array(fc.double({ min: 0, max: 100, noNaN: true }), { minLength: 1, maxLength: 8 }),
        (total, weights) => {
          const parts = allocateMinutes(total, weights);
          expect(parts.reduce((a, p) => a + p, 0)).toBe(total);
          expect(parts.every((p) => Number.isInteger(p) && p >= 1)).toBe(true);
        },
      ),
    );
  });

  it("puts every section once in teaching order, whatever the model returned", () => {
    const fitted = fitTiming(
      {
        title: "t",
        structure: { name: "5E inquiry", why: "" },
        objectives: ["o"],
        successCriteria: [],
        vocabulary: [],
        misconceptions: [],
        materials: [],
        sections: [
          { key: "guided-practice", phase: "Explain", minutes: 20, focus: "pairs" },
          { key: "warm-up", phase: "Engage", minutes: 5, focus: "hook" },
          { key: "guided-practice", phase: "", minutes: 10, focus: "more pairs" },
          { key: "direct-instruction", phase: "Explore", minutes: 30, focus: "model" },
        ],
      },
      47,
    );
    expect(fitted.sections.map((s) => s.key)).toEqual([...SECTION_KEYS]);
    expect(fitted.sections.reduce((a, s) => a + s.minutes, 0)).toBe(47);
    expect(fitted.sections.find((s) => s.key === "guided-practice")?.focus).toBe("pairs more pairs");
    expect(fitted.sections.find((s) => s.key === "exit-ticket")?.focus).toMatch(/exit ticket/);
  });
});

describe("field metadata", () => {
  const templates = builtinTemplates();

  it("gives every field of every built-in template a question, help, an example and a label", () => {
    for (const t of templates) {
      const fields = describeFields(t.inputSchema);
      expect(fields.length).toBeGreaterThan(0);
      for (const f of fields) {
        expect(f.question, `${t.id}.${f.name}`).toMatch(/\?/);
        expect(f.help.length, `${t.id}.${f.name}`).toBeGreaterThan(5);
        expect(f.example.length, `${t.id}.${f.name}`).toBeGreaterThan(0);
        expect(f.label, `${t.id}.${f.name}`).not.toBe(f.name);
      }
      // The definition declares exactly the schema's fields.
      expect(t.workflow.definition.inputs).toEqual(Object.keys(t.inputSchema.shape));
    }
  });

  it("reads meta straight off optional fields too (shape[field].meta())", () => {
    const lesson = templates.find((t) => t.id === "lesson-plan")!;
    const meta = (lesson.inputSchema.shape.classProfile as unknown as { meta(): { question?: string } }).meta();
    expect(meta.question).toMatch(/class/);
  });

  it("describes choices, bounds, requiredness and internal fields", () => {
    const byName = (id: string) =>
      Object.fromEntries(describeFields(templates.find((t) => t.id === id)!.inputSchema).map((f) => [f.name, f]));
    const lesson = byName("lesson-plan");
    expect(lesson.grade).toMatchObject({ type: "enum", required: true });
    expect(lesson.grade!.choices?.map((c) => c.value)).toEqual(["K", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"]);
    expect(lesson.duration).toMatchObject({ type: "integer", min: 10, max: 240, required: true });
    expect(lesson.standardsFramework).toMatchObject({ type: "enum", required: false });
    expect(lesson.language).toMatchObject({ required: false, default: "English" });
    const assessment = byName("assessment");
    expect(assessment.questionCount).toMatchObject({ type: "integer", min: 1, max: 30 });
    expect(assessment.questionTypes!.choices?.map((c) => c.value)).toEqual([
      "mixed",
      "multiple-choice",
      "short-answer",
      "extended-response",
    ]);
    const feedback = byName("student-feedback");
    expect(feedback.previousDraft).toMatchObject({ internal: true, required: false });
    expect(feedback.revisionInstruction).toMatchObject({ internal: true, required: false });
    expect(feedback.studentWork).toMatchObject({ internal: false, required: true, maxLength: 12_000 });
  });

  it("accepts loose spellings of choices", () => {
    const assessment = templates.find((t) => t.id === "assessment")!.inputSchema;
    const parsed = assessment.parse({
      grade: "4th",
      subject: "Math",
      topic: "Area",
      questionCount: "6 questions",
      questionTypes: "Multiple choice",
      level: "hard",
    });
    expect(parsed).toMatchObject({ grade: "4", questionCount: 6, questionTypes: "multiple-choice", level: "dok3" });
    const bad = assessment.safeParse({ grade: "4", subject: "Math", topic: "Area", questionCount: 6, questionTypes: "crossword" });
    expect(bad.error?.issues[0]?.message).toBe("Choose one of: A mix of types, Multiple choice, Short answer, Extended response.");
  });
});
