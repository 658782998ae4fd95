// The eval's structural rubrics score good documents 1 and broken ones lower.
import { describe, expect, it } from "vitest";
import { codesScore, countScore, objectivesScore, rubricScore, timingScore } from "../../eval/rubrics.ts";
import type { AssembledAssessment } from "../../src/templates/assessment/schemas.ts";
import { loadStandards, SAMPLE_STANDARDS_DIR } from "../../src/templates/index.ts";

const timing = (rows: number[], total: number) =>
  [
    "## Timing",
    "| Section | Minutes | Focus |",
    "| --- | ---: | --- |",
    ...rows.map((m, i) => `| S${i} | ${m} | f |`),
    `| **Total** | **${total}** | |`,
    "",
    "## Next",
  ].join("\n");

describe("eval rubrics", () => {
  it("timing adds up only when the rows and the stated total equal the lesson length", () => {
    expect(timingScore(timing([10, 20, 15], 45), 45)).toBe(1);
    expect(timingScore(timing([10, 20, 10], 45), 45)).toBe(0);
    expect(timingScore(timing([10, 20, 15], 45), 50)).toBe(0);
  });

  it("objectives need a measurable verb and a matching check", () => {
    const checks = [{ text: "Record one shadow length in the table." }, { text: "Explain the pattern you saw." }];
    expect(objectivesScore(["Record shadow lengths in a table", "Explain the pattern of shadows"], checks, "shadows")).toBe(1);
    expect(objectivesScore(["Understand shadows", "Describe how rainbows form"], checks, "shadows")).toBe(0);
    // A question that names the objective it tests counts as its check.
    expect(objectivesScore(["Describe how rainbows form"], [{ text: "What do you see?", objective: 1 }], "light")).toBe(1);
  });

  it("the question count must be exact", () => {
    const doc = "## Questions\n**1.** A?\n\n**2.** B?\n\n## Answer key\n1. x";
    expect(countScore(doc, 2)).toBe(1);
    expect(countScore(doc, 3)).toBe(0);
  });

  it("rubric criteria must cover what each question asks for", () => {
    const q = (type: AssembledAssessment["questions"][number]["type"], dok: number) => ({
      type,
      dok,
      prompt: "p",
      choices: [],
      answer: "a",
      explanation: "",
      misconceptions: [],
      points: 1,
      standard: "",
    });
    const criterion = (name: string) => ({
      name,
      description: "",
      questions: [1],
      standard: "",
      levels: [{ label: "Meets", points: 1, descriptor: "ok" }],
    });
    const assessment = (names: string[]): AssembledAssessment => ({
      questions: [q("multiple-choice", 1), q("short-answer", 2), q("extended-response", 3)],
      rubric: { criteria: names.map(criterion) },
      totalPoints: 3,
    });
    expect(rubricScore(assessment(["Accuracy", "Reasoning with evidence", "Clear communication"]))).toBe(1);
    expect(rubricScore(assessment(["Accuracy"]))).toBeCloseTo(1 / 3);
  });

  it("every code must be in the set and among the grounded ones", async () => {
    const { set } = await loadStandards(SAMPLE_STANDARDS_DIR);
    const grounded = {
      mode: "grounded" as const,
      standards: [{ code: "5-ESS1-2", framework: "NGSS", description: "d", reason: "" }],
      toConfirm: [],
      dropped: [],
    };
    expect(codesScore("Cites 5-ESS1-2.", set, grounded)).toBe(1);
    expect(codesScore("Cites 5-ESS1-2 and OK.9.9.9.", set, grounded)).toBe(0);
    expect(codesScore("Cites 5.NF.A.1.", set, grounded)).toBe(0);
  });
});
