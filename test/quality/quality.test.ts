// The pure quality checks: Flesch-Kincaid reading level, Bloom rigor from verb lists and model labels,
// and standard codes against a loaded set.
import { describe, expect, it } from "vitest";
import {
  bloomByVerbs,
  checkCodes,
  codeTokens,
  describeCodes,
  gradeNumber,
  higherOrderNeeded,
  rateRigor,
  readingCounts,
  readingGrade,
  readingLevel,
  removeCodes,
  simplify,
} from "../../src/quality/index.ts";

const EASY = ["The sun is a star.", "It is hot.", "We see it in the day."];
const HARD = [
  "Photosynthesis constitutes the biochemical mechanism whereby chlorophyll-containing organisms transform electromagnetic radiation into chemical energy, consequently facilitating carbohydrate biosynthesis and atmospheric oxygenation.",
];

describe("reading level", () => {
  it("counts sentences, words and syllables, each list item its own sentence, ignoring placeholders and markup", () => {
    expect(readingCounts(["The cat sat.", "**Dear [STUDENT],** well done"])).toEqual({ sentence: 2, word: 6, syllable: 6 });
  });

  it("scores plain text low and dense text high (Flesch-Kincaid grade)", () => {
    expect(readingGrade(EASY)!).toBeLessThan(2);
    expect(readingGrade(HARD)!).toBeGreaterThan(16);
    expect(readingGrade([])).toBeUndefined();
  });

  it("is too hard only when more than two grades above the target, with enough words to be sure", () => {
    const long = Array.from({ length: 4 }, () => HARD[0]!);
    expect(readingLevel(long, 5)).toMatchObject({ target: 5, tooHard: true });
    expect(readingLevel(long, 12)).toMatchObject({ tooHard: true });
    expect(readingLevel(EASY, 0).tooHard).toBe(false);
    // Too few words to act on, however hard.
    expect(readingLevel(["Photosynthesis constitutes biosynthesis."], 3).tooHard).toBe(false);
  });

  it("the offline re-levelling makes text easier without losing its facts", () => {
    const text =
      "Students utilize approximately twelve minutes to demonstrate the orbit, and they subsequently record numerous observations in order to compare them; then they share.";
    const simpler = simplify(text);
    expect(simpler).toContain("twelve minutes");
    expect(readingGrade([simpler])!).toBeLessThan(readingGrade([text])! - 3);
  });

  it("reads grades as numbers", () => {
    expect([gradeNumber("K"), gradeNumber("5"), gradeNumber(12), gradeNumber(""), gradeNumber(undefined), gradeNumber("13")]).toEqual([
      0,
      5,
      12,
      undefined,
      undefined,
      undefined,
    ]);
  });
});

describe("rigor (Bloom)", () => {
  it("rates tasks by the leading verb of each clause, after lead-ins, and takes the highest", () => {
    expect(bloomByVerbs("List the planets in order.")).toBe("remember");
    expect(bloomByVerbs("Students will describe the water cycle.")).toBe("understand");
    expect(bloomByVerbs("In pairs, solve three problems.")).toBe("apply");
    expect(bloomByVerbs("Compare the two shadows")).toBe("analyse");
    expect(bloomByVerbs("Identify the claim, then justify which reason is strongest.")).toBe("evaluate");
    expect(bloomByVerbs("Design an experiment to test your idea")).toBe("create");
    expect(bloomByVerbs("Ask students to compares notes")).toBe("analyse");
    expect(bloomByVerbs("The sun and the moon")).toBeUndefined();
  });

  it("rates questions by their stems", () => {
    expect(bloomByVerbs("What is the largest planet?")).toBe("remember");
    expect(bloomByVerbs("How does the moon change shape?")).toBe("understand");
    expect(bloomByVerbs("Why are shadows longest in the morning?")).toBe("analyse");
    expect(bloomByVerbs("Which explanation is the best, and why?")).toBe("evaluate");
    expect(bloomByVerbs("What would happen if Earth stopped spinning?")).toBe("create");
  });

  it("prefers the model's label, and flags grade 3+ work with under a third at analyse/evaluate/create", () => {
    const items = [
      { id: "a", text: "List the planets." },
      { id: "b", text: "Name the largest planet." },
      { id: "c", text: "Describe an orbit." },
      { id: "d", text: "Compare two planets." },
      { id: "e", text: "Recall the order of the planets." },
      { id: "f", text: "Draw the solar system." },
    ];
    const byVerbs = rateRigor(items, 5);
    expect(byVerbs).toMatchObject({ higher: 1, total: 6, tooLow: true });
    expect(higherOrderNeeded(byVerbs)).toBe(1);
    // The model says "describe an orbit" here is an evaluation task: two of six is a third.
    const withModel = rateRigor(items, 5, { c: "Evaluate", x: "create", a: "nonsense" });
    expect(withModel.items.find((i) => i.id === "c")).toMatchObject({ level: "evaluate", by: "model" });
    expect(withModel.items.find((i) => i.id === "a")).toMatchObject({ level: "remember", by: "verbs" });
    expect(withModel).toMatchObject({ higher: 2, tooLow: false });
    // Below grade 3 low rigor is not flagged.
    expect(rateRigor(items, 2).tooLow).toBe(false);
  });
});

describe("standard codes", () => {
  const set = new Map([
    ["5-ESS1-2", "NGSS"],
    ["5.NF.A.1", "CCSS"],
  ]);
  const lookup = (code: string) => set.get(code.toUpperCase());

  it("finds every code-like token and looks each up in the set", () => {
    expect(codeTokens("See 5-ESS1-2 and OK.1.2.3 but not 2024-05-14 or a-b-c.")).toEqual(["5-ESS1-2", "OK.1.2.3"]);
    const check = checkCodes(["Cites 5-ESS1-2 and 5-ess1-2", "Also OK.1.2.3 and 5.NF.A.1"], lookup);
    expect(check).toEqual({
      cited: [
        { code: "5-ESS1-2", framework: "NGSS" },
        { code: "5.NF.A.1", framework: "CCSS" },
      ],
      unknown: ["OK.1.2.3"],
    });
    expect(describeCodes(check)).toBe("Standards cited: 2 (1 NGSS, 1 CCSS). 1 code not in the loaded set was removed.");
    expect(describeCodes(checkCodes(["5-ESS1-2"], lookup))).toBe("Standards cited: 1, all in NGSS.");
    expect(describeCodes(checkCodes(["none here"], lookup), ["OK.1.2.3", "XX.9.9.9"])).toBe(
      "Standards cited: none. 2 codes not in the loaded set were removed.",
    );
  });

  it("removes unknown codes from a Markdown line and keeps its bullet", () => {
    expect(removeCodes("- Explain shadows (OK.1.2.3) today", new Set(["OK.1.2.3"]))).toBe("- Explain shadows today");
    expect(removeCodes("1. **OK.1.2.3** Count", new Set(["OK.1.2.3"]))).toBe("1. Count");
    expect(removeCodes("- Keep 5-ESS1-2", new Set(["OK.1.2.3"]))).toBe("- Keep 5-ESS1-2");
  });
});
