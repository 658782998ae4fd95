import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { conversationFields } from "../../src/conversation/fields.ts";
import { MAX_REQUEST_CHARS, parsePairs, parseRequest } from "../../src/conversation/parse.ts";
import { LessonPlanInputs } from "../../src/templates/lesson-plan/schemas.ts";
import { assessmentSchema, lessonSchema } from "./fixtures.ts";

const lesson = conversationFields(lessonSchema);
const assessment = conversationFields(assessmentSchema);
const realLesson = conversationFields(LessonPlanInputs);

describe("parseRequest", () => {
  test.each([
    ["5th grade science solar system 45 min", { grade: "5", subject: "Science", topic: "solar system", durationMinutes: 45 }],
    ["grade 5, fractions", { grade: "5", topic: "fractions" }],
    ['topic:"the water cycle" grade=3 duration: 1 hour', { topic: "the water cycle", grade: "3", durationMinutes: 60 }],
    [
      "lesson plan on photosynthesis for year 7 biology, an hour",
      { grade: "6", subject: "Biology", topic: "photosynthesis", durationMinutes: 60 },
    ],
    ["Kindergarten art colours and shapes 30 mins", { grade: "K", subject: "Art", topic: "colours and shapes", durationMinutes: 30 }],
    ["subject: 'Social Studies' topic: maps and globes", { subject: "Social Studies", topic: "maps and globes" }],
    ['grade 5 science "Solar System" 45 min', { grade: "5", subject: "Science", topic: "Solar System", durationMinutes: 45 }],
    ["grade 4 \u201cthe water cycle\u201d", { grade: "4", topic: "water cycle" }],
  ])("%s", (text, expected) => {
    const parsed = parseRequest(text, lesson);
    expect(parsed.values).toEqual(expected);
    expect(parsed.issues).toEqual([]);
  });

  test("counts, choices and free text for an assessment", () => {
    expect(parseRequest("10 questions multiple choice on fractions grade 4", assessment).values).toEqual({
      questionCount: 10,
      kind: "multiple-choice",
      grade: "4",
      topic: "fractions",
    });
    expect(parseRequest("short answer, 5 questions, grade 8 photosynthesis", assessment).values).toEqual({
      questionCount: 5,
      kind: "short-answer",
      grade: "8",
      topic: "photosynthesis",
    });
  });

  test("values that don't fit are reported with the field's own reason and kept out of the topic", () => {
    const parsed = parseRequest("15th grade math", lesson);
    expect(parsed.values).toEqual({ subject: "Math" });
    expect(parsed.issues).toEqual([
      expect.objectContaining({ field: "grade", text: "15th grade", message: expect.stringMatching(/K or 1-12/) }),
    ]);
    const keyed = parseRequest("grade:15 duration: forever subject: Art", lesson);
    expect(keyed.values).toEqual({ subject: "Art" });
    expect(keyed.issues.map((i) => i.field).sort()).toEqual(["durationMinutes", "grade"]);
  });

  test("unknown keys stay free text; quoted values keep their commas", () => {
    const parsed = parseRequest('Note: bring rulers, topic:"area, perimeter" grade 3', lesson);
    expect(parsed.values.topic).toBe("area, perimeter");
    expect(parsed.values.grade).toBe("3");
  });

  test("the real lesson-plan schema", () => {
    const parsed = parseRequest("5th grade science solar system 45 min standardsFramework:NGSS", realLesson);
    expect(parsed.values).toEqual({ grade: "5", subject: "Science", topic: "solar system", duration: 45, standardsFramework: "NGSS" });
  });

  test("long text is capped and says so", () => {
    const parsed = parseRequest(`grade 5 ${"x".repeat(MAX_REQUEST_CHARS * 3)}`, lesson);
    expect(parsed.truncated).toBe(true);
    expect(parsed.values.grade).toBe("5");
  });

  test("parsePairs keeps only field:value pairs and reports the rest", () => {
    expect(parsePairs("duration: 60, topic: fractions", lesson)).toEqual({
      values: { durationMinutes: 60, topic: "fractions" },
      issues: [],
      unknown: [],
      rest: "",
    });
    expect(parsePairs("Sam: needs help with commas", lesson).rest).toBe("Sam: needs help with commas");
  });
});

describe("parseRequest properties", () => {
  const words = fc.constantFrom(
    "grade",
    "5th",
    "K",
    "science",
    "min",
    "45",
    "hour",
    "topic:",
    "duration=",
    '"',
    "'",
    ",",
    ";",
    "year",
    "quiz",
    "questions",
    "10",
    ":",
    "=",
    "\n",
    "\u0000",
    "📚",
    "ｇｒａｄｅ",
  );
  const text = fc.oneof(
    fc.string({ maxLength: 300 }),
    fc.array(words, { maxLength: 40 }).map((w) => w.join(" ")),
    fc.string({ unit: "grapheme", maxLength: 200 }),
  );

  test("random text never throws and every accepted value satisfies its field's schema", () => {
    for (const fields of [lesson, assessment, realLesson]) {
      fc.assert(
        fc.property(text, (input) => {
          const parsed = parseRequest(input, fields);
          for (const [name, value] of Object.entries(parsed.values)) {
            const field = fields.find((f) => f.name === name)!;
            expect(field.schema.safeParse(value).success).toBe(true);
          }
          for (const issue of parsed.issues) expect(issue.message.length).toBeGreaterThan(0);
        }),
        { numRuns: 300 },
      );
    }
  });
});
