// Standards sets: loading (CSV/JSON, every bad row reported), candidate matching, grounding, code stripping.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseCsv } from "../../src/templates/standards/csv.ts";
import { findStandard, loadStandards, parseGradeSpan, SAMPLE_STANDARDS_DIR, subjectKey } from "../../src/templates/standards/load.ts";
import { groundChoice, pickCandidates, stripCodes } from "../../src/templates/standards/match.ts";

const dirs: string[] = [];
function tempDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "staffroom-standards-"));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("CSV reader", () => {
  it("handles quoted commas, doubled quotes, CRLF and multi-line fields with their start lines", () => {
    const { records, error } = parseCsv('a,b\r\n"x, y","say ""hi"""\r\n\r\n"multi\nline",z\nlast,row');
    expect(error).toBeUndefined();
    expect(records).toEqual([
      { line: 1, fields: ["a", "b"] },
      { line: 2, fields: ["x, y", 'say "hi"'] },
      { line: 4, fields: ["multi\nline", "z"] },
      { line: 6, fields: ["last", "row"] },
    ]);
  });

  it("reports an unclosed quote", () => {
    expect(parseCsv('a,b\n"open,1').error).toEqual({ line: 2, message: "a quoted field is never closed" });
  });
});

describe("sample set", () => {
  it("loads the shipped sample without problems, both CSV and JSON", async () => {
    const { set, problems } = await loadStandards(SAMPLE_STANDARDS_DIR);
    expect(problems).toEqual([]);
    expect(set.rows.length).toBeGreaterThanOrEqual(40);
    expect(findStandard(set, "5-ess1-2")?.description).toMatch(
      /^Represent data in graphical displays to reveal patterns of daily changes in length and direction of shadows/,
    );
    expect(findStandard(set, "5.NF.A.1")?.framework).toBe("CCSS");
    expect(findStandard(set, "MS-ESS1-1")?.grades).toEqual(["6", "7", "8"]);
    expect(new Set(set.rows.map((r) => r.source.file))).toEqual(new Set(["ccss.json", "ngss.csv"]));
  });
});

describe("loading an admin's set", () => {
  it("reports every bad row with its file, line and what is wrong, and keeps the good rows", async () => {
    const dir = tempDir({
      "state.csv": [
        "framework,code,grade,subject,description",
        'TEKS,5.8A,5,Science,"Differentiate between weather and climate."',
        "TEKS,,5,Science,Missing code here for sure",
        'TEKS,5.9A,Grade 14,Science,"Observe the way organisms live and survive in their ecosystem."',
        "TEKS,5.9B,5,Science,too, many, commas",
        'TEKS,5.8A,5,Science,"A duplicate of the first row here."',
        'TEKS,5.10A,5,Science,"short"',
      ].join("\n"),
      "more.json": JSON.stringify([
        {
          framework: "TEKS",
          code: "5.7A",
          grade: "5",
          subject: "Science",
          description: "Explore the processes that led to the formation of sedimentary rocks.",
        },
        {
          framework: "TEKS",
          code: "5.7B",
          subject: "Science",
          description: "Recognize how landforms are the result of changes to the surface.",
        },
      ]),
      "broken.json": "{ not json",
      "noheader.csv": "a,b,c\n1,2,3\n",
      "notes.txt": "ignored",
    });
    const { set, problems } = await loadStandards(dir);
    expect(set.rows.map((r) => r.code).sort()).toEqual(["5.7A", "5.8A"]);
    const seen = problems.map((p) => `${p.file} ${p.path}: ${p.message}`);
    expect(seen).toEqual(
      expect.arrayContaining([
        "state.csv line 3.code: code is empty",
        'state.csv line 4.grade: grade "Grade 14" should be K-12, a range like 6-8, MS or HS',
        "state.csv line 5: has 7 fields but the header has 5 (quote descriptions that contain commas)",
        "state.csv line 6.code: code 5.8A is already defined in state.csv line 2; this row is skipped",
        "state.csv line 7.description: description is missing or too short",
        "more.json [1] (line 1).grade: grade is missing",
        expect.stringMatching(/^broken\.json : is not valid JSON/),
        "noheader.csv line 1: the header row lacks framework, code, grade, subject, description (it needs framework,code,grade,subject,description)",
      ]),
    );
    expect(problems).toHaveLength(8);
  });

  it("reports a missing folder instead of throwing", async () => {
    const { set, problems } = await loadStandards(join(tmpdir(), "no-such-standards-dir-xyz"));
    expect(set.rows).toEqual([]);
    expect(problems[0]?.message).toMatch(/folder not found; check STAFFROOM_STANDARDS_DIR/);
  });

  it("reads grade spans and subject families", () => {
    expect(parseGradeSpan("HS")).toEqual(["9", "10", "11", "12"]);
    expect(parseGradeSpan("K-2")).toEqual(["K", "1", "2"]);
    expect(parseGradeSpan("Grade 3")).toEqual(["3"]);
    expect(parseGradeSpan("8-6")).toBeUndefined();
    expect([subjectKey("Maths"), subjectKey("Mathematics"), subjectKey("English Language Arts"), subjectKey("Earth science")]).toEqual([
      "math",
      "math",
      "ela",
      "science",
    ]);
  });
});

describe("grounding", () => {
  it("picks candidates on grade, subject and topic words, best first", async () => {
    const { set } = await loadStandards(SAMPLE_STANDARDS_DIR);
    const picked = pickCandidates(set, { grade: "5", subject: "Science", topic: "Why shadows change during the day" });
    expect(picked.mode).toBe("grounded");
    expect(picked.candidates[0]?.code).toBe("5-ESS1-2");
    expect(picked.candidates.every((c) => c.subject === "Science")).toBe(true);
    const math = pickCandidates(set, { grade: "5", subject: "math", topic: "adding fractions with unlike denominators" });
    expect(math.candidates[0]?.code).toBe("5.NF.A.1");
    expect(math.candidates.map((c) => c.code)).not.toContain("4.NF.A.1");
    const ngssOnly = pickCandidates(set, { grade: "5", subject: "Science", topic: "shadows", framework: "CCSS" });
    expect(ngssOnly.candidates).toEqual([]);
    expect(pickCandidates(set, { grade: "5", subject: "Science", topic: "shadows", framework: "none" }).mode).toBe("none");
  });

  it("counts words teachers use for a topic that standards phrase differently, at half weight", async () => {
    const { set } = await loadStandards(SAMPLE_STANDARDS_DIR);
    const solar = pickCandidates(set, { grade: "5", subject: "Science", topic: "Solar System" });
    const matched = solar.candidates.filter((c) => c.score > 0).map((c) => c.code);
    expect(matched).toEqual(expect.arrayContaining(["5-ESS1-1", "5-ESS1-2"]));
    expect(matched.every((code) => code.startsWith("5-"))).toBe(true);
    // Related words weigh half: one direct hit scores as much as two related ones.
    const direct = pickCandidates(set, { grade: "5", subject: "Science", topic: "shadows" }).candidates[0];
    expect(direct?.code).toBe("5-ESS1-2");
    expect(direct?.score).toBe(2);
  });

  it("drops chosen codes outside the candidates and corrects with the best match", async () => {
    const { set } = await loadStandards(SAMPLE_STANDARDS_DIR);
    const candidates = pickCandidates(set, { grade: "5", subject: "Science", topic: "shadows during the day" });
    const invented = groundChoice(candidates, {
      standards: [
        { code: "5-ESS9-9", reason: "made up" },
        { code: "RL.5.2", reason: "wrong subject" },
      ],
      toConfirm: [],
    });
    expect(invented.dropped).toEqual(["5-ESS9-9", "RL.5.2"]);
    expect(invented.standards.map((s) => s.code)).toEqual(["5-ESS1-2"]);
    expect(invented.standards[0]?.description).toBe(findStandard(set, "5-ESS1-2")?.description);

    const mixed = groundChoice(candidates, {
      standards: [
        { code: "5-ess1-2", reason: "Shadows (see 5-ESS9-9)." },
        { code: "MS-ESS1-1", reason: "x" },
      ],
      toConfirm: ["Confirm 3-ESS1-7 too"],
    });
    expect(mixed.standards.map((s) => s.code)).toEqual(["5-ESS1-2"]);
    expect(mixed.standards[0]?.reason).toBe("Shadows (see).");
    expect(mixed.toConfirm).toEqual(["Confirm too"]);
  });

  it("with no set loaded, keeps no codes at all", () => {
    const none = pickCandidates({ rows: [], byCode: new Map() }, { grade: "5", subject: "Science", topic: "shadows" });
    expect(none.mode).toBe("unloaded");
    const grounded = groundChoice(none, {
      standards: [{ code: "5-ESS1-2", reason: "x" }],
      toConfirm: ["NGSS 5-ESS1-2 on shadows", "A grade 5 standard on patterns of shadows"],
    });
    expect(grounded.standards).toEqual([]);
    expect(grounded.toConfirm).toEqual(["NGSS on shadows", "A grade 5 standard on patterns of shadows"]);
  });

  it("strips code-like tokens but leaves ordinary text alone", () => {
    const allowed = new Set(["5.NF.A.1"]);
    expect(stripCodes("Aligns to CCSS.MATH.CONTENT.5.NF.A.1 and 5.NF.B.9.", allowed)).toBe("Aligns to 5.NF.A.1 and.");
    expect(stripCodes("Use K-12 data from 2024-05-01, 3.5 cm, COVID-19 and U.S.A. maps; H2O.", allowed)).toBe(
      "Use K-12 data from 2024-05-01, 3.5 cm, COVID-19 and U.S.A. maps; H2O.",
    );
    expect(stripCodes("Standard (HS-LS1-9): photosynthesis", allowed)).toBe("Standard: photosynthesis");
  });
});
