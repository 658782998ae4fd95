// Loads an admin's standards set from a folder: CSV or JSON rows (framework, code, grade, subject, description),
// CASE v1.0 CFPackage JSON, and Learning Commons JSONL. Every bad row is reported with its file and place and
// skipped; good rows still load.
import { readdir, readFile } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { GRADES, type Grade, parseGrade } from "../fields.ts";
import type { LoadProblem } from "../types.ts";
import { importCfPackage, isCfPackage } from "./case.ts";
import { importCommonsJsonl } from "./commons.ts";
import { parseCsv } from "./csv.ts";
import type { ImportedItem, ImportResult } from "./imported.ts";

export type StandardRow = {
  framework: string;
  code: string;
  /** The grade as written in the file ("5", "6-8", "MS"). */
  grade: string;
  /** Every grade the row applies to. */
  grades: Grade[];
  subject: string;
  /** Loose subject family used for matching ("math", "ela", "science", ...). */
  subjectKey: string;
  description: string;
  /** The CASE identifier (CFItem identifier / caseIdentifierUUID) when the source has one. */
  caseId?: string;
  /** Code of the parent item in the source's hierarchy (CASE isChildOf), when it has one. */
  parentCode?: string;
  /** `line` is the 1-based line, or for CASE items the index in CFItems plus one. */
  source: { file: string; line: number };
};

/** A publisher's attribution or license statement, kept for the files that carried one. */
export type Attribution = { file: string; text: string };

export type StandardsSet = {
  rows: StandardRow[];
  byCode: Map<string, StandardRow>;
  /** Folder the set came from; undefined for an empty set. */
  dir?: string;
  attributions?: Attribution[];
};

export const EMPTY_STANDARDS: StandardsSet = { rows: [], byCode: new Map() };

/** Loaded set, its problems (bad rows and files), and the items skipped because they carry no code. */
export type LoadedStandards = { set: StandardsSet; problems: LoadProblem[]; skipped: LoadProblem[] };

/** The sample set shipped in the repository (`standards/sample/`): the default when no folder is configured. */
export const SAMPLE_STANDARDS_DIR = fileURLToPath(new URL("../../../standards/sample/", import.meta.url));

const RowInput = z.object({
  framework: z.string().trim().min(1, "framework is empty").max(40, "framework is longer than 40 characters"),
  code: z
    .string()
    .trim()
    .min(1, "code is empty")
    .max(60, "code is longer than 60 characters")
    .regex(/^[A-Za-z0-9][A-Za-z0-9.()\-_/§]*$/, "code should be one word such as 5-ESS1-1 or 5.NF.A.1"),
  grade: z.string().trim().min(1, "grade is empty"),
  subject: z.string().trim().min(1, "subject is empty").max(60),
  description: z.string().trim().min(10, "description is missing or too short").max(4000),
});

const FIELDS = ["framework", "code", "grade", "subject", "description"] as const;

/** Every grade a row's grade cell names: "5", "K", "Grade 5", "6-8", "K-2", "MS" (6-8), "HS" (9-12). */
export function parseGradeSpan(value: string): Grade[] | undefined {
  const text = value.trim().toUpperCase();
  if (text === "MS") return span(6, 8);
  if (text === "HS") return span(9, 12);
  if (text === "ES") return span(0, 5);
  const range = /^(K|\d{1,2})\s*[-–]\s*(K|\d{1,2})$/.exec(text);
  if (range) {
    const from = range[1] === "K" ? 0 : Number(range[1]);
    const to = range[2] === "K" ? 0 : Number(range[2]);
    return from <= to && to <= 12 ? span(from, to) : undefined;
  }
  const one = parseGrade(value);
  return one ? [one] : undefined;
}

function span(from: number, to: number): Grade[] {
  return GRADES.slice(from, to + 1);
}

const SUBJECT_FAMILIES: [RegExp, string][] = [
  [/\b(math|maths|mathematics|algebra|geometry|arithmetic|statistics|calculus|numeracy)\b/, "math"],
  [/\b(ela|english|reading|writing|literacy|language arts|literature|english language arts)\b/, "ela"],
  [/\b(science|biology|chemistry|physics|earth|space|life science|physical science|stem)\b/, "science"],
  [/\b(social studies|history|geography|civics|government|economics)\b/, "social-studies"],
];

/** Loose family of a subject so "Maths", "Mathematics" and "Math" match each other. */
export function subjectKey(subject: string): string {
  const text = subject.trim().toLowerCase();
  for (const [re, key] of SUBJECT_FAMILIES) if (re.test(text)) return key;
  return text;
}

/** The first zod issue of each field: an empty code need not also be told it is not one word. */
function firstIssuePerField(issues: readonly z.core.$ZodIssue[]): { field: string; missing: boolean; message: string }[] {
  const seen = new Map<string, { field: string; missing: boolean; message: string }>();
  for (const issue of issues) {
    const field = issue.path.join(".");
    if (!seen.has(field)) seen.set(field, { field, missing: issue.code === "invalid_type", message: issue.message });
  }
  return [...seen.values()];
}

/** Checks one raw row; returns the row or the problems with it. */
function toRow(raw: unknown, file: string, line: number, problems: LoadProblem[]): StandardRow | undefined {
  const parsed = RowInput.safeParse(raw);
  const name = basename(file);
  if (!parsed.success) {
    for (const { field, missing, message } of firstIssuePerField(parsed.error.issues)) {
      problems.push({
        file: name,
        path: `line ${line}${field ? `.${field}` : ""}`,
        message: missing ? `${field || "row"} is missing` : message,
      });
    }
    return undefined;
  }
  const grades = parseGradeSpan(parsed.data.grade);
  if (!grades) {
    problems.push({
      file: name,
      path: `line ${line}.grade`,
      message: `grade "${parsed.data.grade}" should be K-12, a range like 6-8, MS or HS`,
    });
    return undefined;
  }
  return { ...parsed.data, grades, subjectKey: subjectKey(parsed.data.subject), source: { file: name, line } };
}

function rowsFromCsv(text: string, file: string, problems: LoadProblem[]): StandardRow[] {
  const name = basename(file);
  const { records, error } = parseCsv(text);
  if (error) problems.push({ file: name, path: `line ${error.line}`, message: error.message });
  const header = records[0];
  if (!header) {
    problems.push({
      file: name,
      path: "line 1",
      message: "the file is empty; it needs a header row: framework,code,grade,subject,description",
    });
    return [];
  }
  const columns = header.fields.map((h) => h.trim().toLowerCase());
  const missing = FIELDS.filter((f) => !columns.includes(f));
  if (missing.length > 0) {
    problems.push({
      file: name,
      path: "line 1",
      message: `the header row lacks ${missing.join(", ")} (it needs framework,code,grade,subject,description)`,
    });
    return [];
  }
  const rows: StandardRow[] = [];
  for (const record of records.slice(1)) {
    if (record.fields.length !== columns.length) {
      problems.push({
        file: name,
        path: `line ${record.line}`,
        message: `has ${record.fields.length} fields but the header has ${columns.length} (quote descriptions that contain commas)`,
      });
      continue;
    }
    const raw = Object.fromEntries(columns.map((c, i) => [c, record.fields[i]]));
    const row = toRow(raw, file, record.line, problems);
    if (row) rows.push(row);
  }
  return rows;
}

type Sinks = { problems: LoadProblem[]; skipped: LoadProblem[]; attributions: Attribution[] };

function rowsFromJson(text: string, file: string, sinks: Sinks): StandardRow[] {
  const { problems } = sinks;
  const name = basename(file);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    problems.push({ file: name, path: "", message: `is not valid JSON: ${(error as Error).message}` });
    return [];
  }
  if (isCfPackage(data)) return rowsFromImport(importCfPackage(data), name, sinks);
  const list = Array.isArray(data) ? data : (data as { standards?: unknown })?.standards;
  if (!Array.isArray(list)) {
    problems.push({ file: name, path: "", message: "should hold an array of rows (or { standards: [...] })" });
    return [];
  }
  const lines = jsonItemLines(text);
  const rows: StandardRow[] = [];
  list.forEach((raw, i) => {
    // JSON rows are named by index and, when it can be found, the line the object starts on.
    const line = lines[i];
    const before = problems.length;
    const row = toRow(raw, file, line ?? i + 1, problems);
    for (const p of problems.slice(before)) p.path = `[${i}]${line ? ` (line ${line})` : ""}${p.path.replace(/^line \d+/, "")}`;
    if (row) rows.push(row);
  });
  return rows;
}

/** Imported items checked like rows: a framework up to 200 characters (CASE titles are long), grades from levels. */
const ImportedInput = RowInput.extend({
  framework: z.string().trim().min(1, "framework is empty").max(200, "framework is longer than 200 characters"),
  grade: z.string(),
});

function rowsFromImport(result: ImportResult, name: string, sinks: Sinks): StandardRow[] {
  for (const message of result.problems) sinks.problems.push({ file: name, path: "", message });
  for (const s of result.skipped) sinks.skipped.push({ file: name, path: s.where, message: `${s.reason}; skipped` });
  if (result.attribution) sinks.attributions.push({ file: name, text: result.attribution });
  const rows: StandardRow[] = [];
  result.items.forEach((item, index) => {
    const row = importedRow(item, name, index + 1, sinks.problems);
    if (row) rows.push(row);
  });
  return rows;
}

function importedRow(item: ImportedItem, name: string, line: number, problems: LoadProblem[]): StandardRow | undefined {
  const grades = gradesOfLevels(item.levels);
  const parsed = ImportedInput.safeParse({ ...item, grade: "" });
  const report = (field: string, message: string) => problems.push({ file: name, path: `${item.where}.${field}`, message });
  if (!parsed.success) {
    for (const { field, missing, message } of firstIssuePerField(parsed.error.issues)) {
      report(field, missing ? `${field} is missing` : message);
    }
    return undefined;
  }
  if (!grades) {
    report("grade", item.levels.length === 0 ? "has no grade level" : `grade level "${item.levels.join(", ")}" is not K-12`);
    return undefined;
  }
  const { framework, code, subject, description } = parsed.data;
  return {
    framework,
    code,
    grade: gradeText(grades),
    grades,
    subject,
    subjectKey: subjectKey(subject),
    description,
    ...(item.caseId ? { caseId: item.caseId } : {}),
    ...(item.parentCode ? { parentCode: item.parentCode } : {}),
    source: { file: name, line },
  };
}

/** CASE and Learning Commons grade levels ("KG", "05", "5", "HS", "9-12") as grades; pre-K alone is not a grade. */
export function gradesOfLevels(levels: readonly string[]): Grade[] | undefined {
  const out = new Set<Grade>();
  for (const level of levels) {
    const text = level.trim().toUpperCase();
    if (text === "PK" || text === "IT" || text === "PR") continue;
    const plain = text === "KG" ? "K" : text.replace(/\b0(\d)\b/g, "$1");
    const grades = parseGradeSpan(plain);
    if (!grades) return undefined;
    for (const g of grades) out.add(g);
  }
  return out.size > 0 ? GRADES.filter((g) => out.has(g)) : undefined;
}

/** "5", "6-8" for a run of grades, else "K, 2, 4". */
function gradeText(grades: readonly Grade[]): string {
  const index = grades.map((g) => GRADES.indexOf(g));
  const run = index.every((n, i) => i === 0 || n === index[i - 1]! + 1);
  if (grades.length === 1 || !run) return grades.join(", ");
  return `${grades[0]}-${grades[grades.length - 1]}`;
}

/** 1-based lines where the top-level array's items start (best effort, for messages only). */
function jsonItemLines(text: string): number[] {
  const lines: number[] = [];
  let depth = 0;
  let inString = false;
  let line = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "\n") line++;
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === "[" || c === "{") {
      if (depth === 1 && c === "{") lines.push(line);
      depth++;
    } else if (c === "]" || c === "}") depth--;
  }
  return lines;
}

/**
 * Reads every .csv and .json file in `dir` (not recursive). A missing folder is a problem, not a crash;
 * duplicate codes keep the first row and report the others.
 */
export async function loadStandards(dir: string): Promise<LoadedStandards> {
  const problems: LoadProblem[] = [];
  const skipped: LoadProblem[] = [];
  const attributions: Attribution[] = [];
  const root = resolve(dir);
  let names: string[];
  try {
    names = (await readdir(root)).filter((n) => /\.(csv|json|jsonl)$/i.test(n)).sort();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const message = code === "ENOENT" ? "folder not found; check STAFFROOM_STANDARDS_DIR" : `cannot be read (${code ?? "error"})`;
    return { set: { ...EMPTY_STANDARDS, byCode: new Map() }, problems: [{ file: root, path: "", message }], skipped };
  }
  const byCode = new Map<string, StandardRow>();
  const rows: StandardRow[] = [];
  for (const name of names) {
    const file = join(root, name);
    const text = await readFile(file, "utf8");
    const found = /\.csv$/i.test(name)
      ? rowsFromCsv(text, file, problems)
      : /\.jsonl$/i.test(name)
        ? rowsFromImport(importCommonsJsonl(text), name, { problems, skipped, attributions })
        : rowsFromJson(text, file, { problems, skipped, attributions });
    for (const row of found) {
      const key = row.code.toUpperCase();
      const first = byCode.get(key);
      if (first) {
        problems.push({
          file: name,
          path: `line ${row.source.line}.code`,
          message: `code ${row.code} is already defined in ${first.source.file} line ${first.source.line}; this row is skipped`,
        });
        continue;
      }
      byCode.set(key, row);
      rows.push(row);
    }
  }
  if (names.length === 0) problems.push({ file: root, path: "", message: "holds no .csv, .json or .jsonl files" });
  return { set: { rows, byCode, dir: root, attributions }, problems, skipped };
}

/** Looks a code up case-insensitively. */
export function findStandard(set: StandardsSet, code: string): StandardRow | undefined {
  return set.byCode.get(code.trim().toUpperCase());
}
