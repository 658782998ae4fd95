// Standards importers: CASE v1.0 CFPackage JSON and the Learning Commons JSONL export, on small files written
// from the specs (test/fixtures/standards), loaded beside staffroom's own CSV rows.
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { standardsMarkdown } from "../../src/templates/markdown.ts";
import { importCfPackage } from "../../src/templates/standards/case.ts";
import { importCommonsJsonl } from "../../src/templates/standards/commons.ts";
import { findStandard, gradesOfLevels, loadStandards } from "../../src/templates/standards/load.ts";
import { groundChoice, pickCandidates } from "../../src/templates/standards/match.ts";

const FIXTURES = join(import.meta.dirname, "../fixtures/standards");
const dirs: string[] = [];
function folder(files: Record<string, string>, copies: string[] = []): string {
  const dir = mkdtempSync(join(tmpdir(), "staffroom-import-"));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  for (const name of copies) copyFileSync(join(FIXTURES, name), join(dir, name));
  return dir;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("CASE CFPackage", () => {
  it("maps title, humanCodingScheme, fullStatement, educationLevel, subject and isChildOf, keeping the identifier", async () => {
    const { set, problems, skipped } = await loadStandards(folder({}, ["case-math.json"]));
    const row = findStandard(set, "5.NF.A.1");
    expect(row).toMatchObject({
      framework: "Example State Academic Standards for Mathematics",
      code: "5.NF.A.1",
      grade: "5",
      grades: ["5"],
      subject: "Mathematics",
      subjectKey: "math",
      caseId: "a1000000-0000-4000-8000-000000000003",
      parentCode: "5.NF",
    });
    expect(row?.description).toMatch(/^Add and subtract fractions with unlike denominators/);
    // No educationLevel of its own: inherited through isChildOf from the "Grade 5" grouping item.
    expect(findStandard(set, "5.NF.A.2")?.grades).toEqual(["5"]);
    expect(findStandard(set, "K.CC.A.1")?.grades).toEqual(["K"]);
    expect(findStandard(set, "HS.A.1")).toMatchObject({ grade: "9-12", grades: ["9", "10", "11", "12"] });
    // The item without a code is reported as skipped, not as a problem.
    expect(skipped).toEqual([
      {
        file: "case-math.json",
        path: "CFItems[0] (a1000000-0000-4000-8000-000000000001)",
        message: "has no humanCodingScheme (no code to cite); skipped",
      },
    ]);
    // A bad item is a problem naming the item, and the rest still load.
    expect(problems).toEqual([
      {
        file: "case-math.json",
        path: "CFItems[6] (a1000000-0000-4000-8000-000000000007).description",
        message: "description is missing or too short",
      },
    ]);
    expect(set.attributions).toEqual([
      {
        file: "case-math.json",
        text: "Example State Academic Standards for Mathematics (Example State Department of Education). License: Creative Commons Attribution 4.0 International. Source: https://education.example.gov/standards/math.",
      },
    ]);
  });

  it("reports a package without a title or items instead of crashing", () => {
    const result = importCfPackage({ CFDocument: { identifier: "x" } });
    expect(result.items).toEqual([]);
    expect(result.problems).toEqual(["CFDocument has no title (the framework name)", "CFItems is missing or not an array"]);
  });

  it("grounds a plan on a CASE item and shows its CASE identifier", async () => {
    const { set } = await loadStandards(folder({}, ["case-math.json"]));
    const candidates = pickCandidates(set, { grade: "5", subject: "Math", topic: "adding fractions with unlike denominators" });
    expect(candidates.candidates[0]?.code).toBe("5.NF.A.1");
    const grounded = groundChoice(candidates, { standards: [{ code: "5.NF.A.1", reason: "Fits." }], toConfirm: [] });
    expect(grounded.standards[0]?.caseId).toBe("a1000000-0000-4000-8000-000000000003");
    expect(standardsMarkdown(grounded)).toContain("_CASE identifier:_ `a1000000-0000-4000-8000-000000000003`");
  });
});

describe("Learning Commons JSONL", () => {
  it("reads StandardsFrameworkItem nodes with statementCode, description, gradeLevel, jurisdiction and caseIdentifierUUID", async () => {
    const { set, problems, skipped } = await loadStandards(folder({}, ["nodes.jsonl"]));
    expect(problems).toEqual([]);
    expect(set.rows.map((r) => r.code)).toEqual(["6.RP.A.1", "7.RP.A.2", "MS-LS1-6"]);
    expect(findStandard(set, "6.RP.A.1")).toMatchObject({
      framework: "California Common Core State Standards: Mathematics",
      grades: ["6"],
      subjectKey: "math",
      caseId: "6b9f5a5e-d7cc-11e8-824f-0242ac160002",
      source: { file: "nodes.jsonl", line: 1 },
    });
    // gradeLevel written as a JSON string (as in the CSV export) also works; no framework node: jurisdiction + subject.
    expect(findStandard(set, "7.RP.A.2")?.grades).toEqual(["7"]);
    expect(findStandard(set, "MS-LS1-6")).toMatchObject({ framework: "Multi-State Science", grade: "6-8" });
    expect(skipped).toEqual([{ file: "nodes.jsonl", path: "line 3", message: "has no statementCode (Standard Grouping); skipped" }]);
    expect(set.attributions).toEqual([
      { file: "nodes.jsonl", text: "Knowledge Graph is provided by Learning Commons under the CC BY-4.0 license." },
    ]);
  });

  it("reports lines that are not JSON and keeps the others", () => {
    const result = importCommonsJsonl(
      '{"labels":["StandardsFrameworkItem"],"properties":{"statementCode":"3.OA.A.1","description":"Interpret products of whole numbers.","gradeLevel":["3"],"jurisdiction":"Ohio","academicSubject":"Mathematics"}}\n{not json\n',
    );
    expect(result.problems).toEqual(["line 2 is not valid JSON"]);
    expect(result.items.map((i) => i.code)).toEqual(["3.OA.A.1"]);
  });
});

describe("one folder, every format", () => {
  it("loads CSV rows, a CFPackage and a JSONL export together; a code in two files keeps the first", async () => {
    const dir = folder(
      {
        "a-local.csv": 'framework,code,grade,subject,description\nLOCAL,5.NF.A.1,5,Math,"Our own wording of adding fractions."\n',
      },
      ["case-math.json", "nodes.jsonl"],
    );
    const { set, problems } = await loadStandards(dir);
    expect(findStandard(set, "5.NF.A.1")?.framework).toBe("LOCAL");
    expect(findStandard(set, "6.RP.A.1")).toBeDefined();
    expect(problems.map((p) => p.message)).toContain("code 5.NF.A.1 is already defined in a-local.csv line 2; this row is skipped");
  });

  it("converts CASE grade levels", () => {
    expect(gradesOfLevels(["KG", "01", "02"])).toEqual(["K", "1", "2"]);
    expect(gradesOfLevels(["PK", "KG"])).toEqual(["K"]);
    expect(gradesOfLevels(["HS"])).toEqual(["9", "10", "11", "12"]);
    expect(gradesOfLevels(["13"])).toBeUndefined();
    expect(gradesOfLevels([])).toBeUndefined();
  });
});
