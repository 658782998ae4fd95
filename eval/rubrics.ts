// Structural rubrics the eval scores each finished document with (each 0..1, or absent when it does not
// apply): timing adds up, measurable objectives each with a check, exact question count, rubric coverage,
// grounded codes, reading level in range, and the rigor share. Pure: view, document and set in, scores out.
import type { ExecutionView } from "../src/engine/records.ts";
import { bloomByVerbs, checkCodes } from "../src/quality/index.ts";
import type { AssembledAssessment } from "../src/templates/assessment/schemas.ts";
import type { Content, Outline } from "../src/templates/lesson-plan/schemas.ts";
import { outputOf } from "../src/templates/markdown.ts";
import { applyQuality, measureApplied } from "../src/templates/quality/render.ts";
import { QUALITY_SPECS } from "../src/templates/quality/specs.ts";
import { findStandard, type StandardsSet } from "../src/templates/standards/load.ts";
import type { GroundedStandards } from "../src/templates/standards/match.ts";
import { stems } from "../src/templates/standards/match.ts";

export const RUBRICS = ["timing", "objectives", "count", "rubric", "codes", "reading", "rigor"] as const;
export type Rubric = (typeof RUBRICS)[number];
export type Scores = Partial<Record<Rubric, number>>;

/** The timing table's rows add up to the lesson length, and its stated total says so. */
export function timingScore(markdown: string, duration: number): number {
  const section = markdown.split("## Timing")[1]?.split("\n## ")[0] ?? "";
  const rows = [...section.matchAll(/^\| (?!Section|---|\*\*Total)[^|]+\| (\d+) \|/gm)].map((m) => Number(m[1]));
  const total = Number(/\| \*\*Total\*\* \| \*\*(\d+)\*\*/.exec(section)?.[1] ?? Number.NaN);
  const sum = rows.reduce((a, b) => a + b, 0);
  return rows.length > 0 && sum === duration && total === duration ? 1 : 0;
}

/** An exit-ticket question or success criterion; `objective` is the 1-based objective it says it tests. */
export type Check = { text: string; objective?: number };

/**
 * Share of objectives that use a measurable verb and have a check: an exit question naming the objective, or
 * a question or criterion sharing a content word with it (beyond the topic's own words).
 */
export function objectivesScore(objectives: readonly string[], checks: readonly Check[], topic: string): number {
  if (objectives.length === 0) return 0;
  const topicWords = stems(topic);
  const checkWords = checks.map((c) => stems(c.text));
  let good = 0;
  objectives.forEach((objective, i) => {
    const measurable = bloomByVerbs(objective) !== undefined;
    const words = [...stems(objective)].filter((w) => !topicWords.has(w));
    const named = checks.some((c) => c.objective === i + 1);
    const checked = named || checkWords.some((c) => words.some((w) => c.has(w)));
    if (measurable && checked) good++;
  });
  return good / objectives.length;
}

/** 1 when the document numbers exactly as many questions as asked for. */
export function countScore(markdown: string, asked: number): number {
  const section = markdown.split("## Questions")[1]?.split("\n## ")[0] ?? "";
  return (section.match(/^\*\*\d+\.\*\* /gm) ?? []).length === asked ? 1 : 0;
}

const ASPECTS: Record<string, RegExp> = {
  accuracy: /\b(accura|correct|understand|knowledge|concept|key idea)/i,
  reasoning: /\b(reason|justif|evidence|explain|support|argument)/i,
  communication: /\b(communicat|clarity|clear|vocabulary|organi[sz]|writing|conventions)/i,
};

/** Share of questions whose demands (accuracy; reasoning when DOK 2+ or open; communication when extended) a criterion covers. */
export function rubricScore(assessment: AssembledAssessment | undefined): number {
  const questions = assessment?.questions ?? [];
  if (questions.length === 0) return 0;
  const text = (assessment?.rubric.criteria ?? []).map((c) => `${c.name} ${c.description} ${c.levels.map((l) => l.descriptor).join(" ")}`);
  const has = (aspect: string) => text.some((t) => ASPECTS[aspect]!.test(t));
  let covered = 0;
  for (const q of questions) {
    const needs = ["accuracy"];
    if (q.dok >= 2 || q.type !== "multiple-choice") needs.push("reasoning");
    if (q.type === "extended-response") needs.push("communication");
    if (needs.every(has)) covered++;
  }
  return covered / questions.length;
}

/** 1 when every code-like token is in the loaded set and, where standards were grounded, among the grounded ones. */
export function codesScore(markdown: string, set: StandardsSet, grounded: GroundedStandards | undefined): number {
  const check = checkCodes([markdown], (code) => findStandard(set, code)?.framework);
  if (check.unknown.length > 0) return 0;
  if (!grounded) return 1;
  const allowed = new Set(grounded.standards.map((s) => s.code.toUpperCase()));
  return check.cited.every((c) => allowed.has(c.code.toUpperCase())) ? 1 : 0;
}

/** Every rubric that applies to this template's document. */
export function scoreDocument(view: ExecutionView, markdown: string, set: StandardsSet): Scores {
  const specs = QUALITY_SPECS[view.templateId] ?? [];
  const { view: shown, applied } = applyQuality(view, specs);
  const inputs = view.inputs as Record<string, unknown>;
  const scores: Scores = {};
  const grounded = outputOf<GroundedStandards>(shown, "standards");
  if (view.templateId === "lesson-plan") {
    scores.timing = timingScore(markdown, Number(inputs.duration));
    const outline = outputOf<Outline>(shown, "timing");
    const content = outputOf<Content>(shown, "content");
    const checks: Check[] = [
      ...(content?.exitTicket.questions ?? []).map((q) => ({ text: q.question, objective: q.objective })),
      ...(content?.exitTicket.successCriteria ?? []).map((text) => ({ text })),
    ];
    scores.objectives = objectivesScore(outline?.objectives ?? [], checks, String(inputs.topic ?? ""));
  }
  if (view.templateId === "assessment") {
    scores.count = countScore(markdown, Number(inputs.questionCount));
    scores.rubric = rubricScore(outputOf<AssembledAssessment>(shown, "assemble"));
  }
  scores.codes = codesScore(markdown, set, grounded);
  for (const a of applied) {
    const m = measureApplied(a);
    if (m.reading?.grade !== undefined && m.target !== undefined) scores.reading = m.reading.grade <= m.target + 2 ? 1 : 0;
    if (m.rigor && m.rigor.total > 0) scores.rigor = m.rigor.share;
  }
  return scores;
}
