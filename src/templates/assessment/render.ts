// Assembling (pure transform) and rendering the assessment: questions, answer key and rubric with stable headings.
import type { ExecutionView } from "../../engine/records.ts";
import { gradeLabel } from "../fields.ts";
import { allowedCodes, cell, filenameFor, offlineNote, oneLine, outputOf, standardsMarkdown } from "../markdown.ts";
import type { GroundedStandards } from "../standards/match.ts";
import { stripCodesDeep } from "../standards/match.ts";
import type { RenderedDocument } from "../types.ts";
import { type AssembledAssessment, type Question, type Questions, type Rubric, TYPE_LABELS } from "./schemas.ts";

export const ASSESSMENT_HEADINGS = ["Standards assessed", "Questions", "Answer key", "Rubric"] as const;
const LETTERS = ["A", "B", "C", "D", "E", "F"];

/**
 * Keeps the requested number of questions, cites only grounded codes, strips option letters the model
 * may have added, and totals the points.
 */
export function assembleAssessment(input: {
  standards?: GroundedStandards;
  questions?: Questions;
  rubric?: Rubric;
  count?: number;
}): AssembledAssessment {
  const allowed = allowedCodes(input.standards);
  const count = Math.max(1, Number(input.count) || 30);
  const questions = stripCodesDeep(input.questions?.questions ?? [], allowed)
    .slice(0, count)
    .map((q) => ({
      ...q,
      choices: q.type === "multiple-choice" ? q.choices.map((c) => c.replace(/^\s*[A-F][.)]\s+/, "")) : [],
      standard: allowed.has(q.standard.trim().toUpperCase()) ? q.standard.trim() : "",
    }));
  const rubric = stripCodesDeep(input.rubric ?? { criteria: [] }, allowed);
  return { questions, rubric, totalPoints: questions.reduce((a, q) => a + q.points, 0) };
}

function questionBlock(q: Question, n: number): string {
  const facts = [TYPE_LABELS[q.type], `DOK ${q.dok}`, `${q.points} point${q.points === 1 ? "" : "s"}`, q.standard ? q.standard : undefined]
    .filter(Boolean)
    .join(" · ");
  const lines = [`**${n}.** ${oneLine(q.prompt)}  `, `_${facts}_`];
  if (q.type === "multiple-choice") for (const [i, c] of q.choices.entries()) lines.push(`   - ${LETTERS[i]}. ${oneLine(c)}`);
  return lines.join("\n");
}

function answerLine(q: Question, n: number): string {
  const answer = q.type === "multiple-choice" ? `**${oneLine(q.answer)}**` : oneLine(q.answer);
  return `${n}. ${answer}${q.explanation ? ` _${oneLine(q.explanation)}_` : ""}`;
}

function rubricTable(rubric: Rubric): string {
  if (rubric.criteria.length === 0) return "_Not drafted._";
  // Columns follow the first criterion's levels; others are matched by position.
  const head = rubric.criteria[0]!.levels.map((l) => `${cell(l.label)} (${l.points})`);
  const rows = rubric.criteria.map(
    (c) =>
      `| **${cell(c.name)}**${c.description ? `<br>${cell(c.description)}` : ""} | ${head.map((_, i) => cell(c.levels[i]?.descriptor ?? "")).join(" | ")} |`,
  );
  return [`| Criterion | ${head.join(" | ")} |`, `| --- | ${head.map(() => "---").join(" | ")} |`, ...rows].join("\n");
}

export function renderAssessment(view: ExecutionView): RenderedDocument {
  const inputs = view.inputs as Record<string, unknown>;
  const topic = String(inputs.topic ?? "Assessment");
  const grounded = outputOf<GroundedStandards>(view, "standards");
  const assembled =
    outputOf<AssembledAssessment>(view, "assemble") ??
    assembleAssessment({
      standards: grounded,
      questions: outputOf<Questions>(view, "questions"),
      rubric: outputOf<Rubric>(view, "rubric"),
      count: Number(inputs.questionCount),
    });
  const facts = [
    `**Grade:** ${gradeLabel(inputs.grade).replace(/^./, (c) => c.toUpperCase())}`,
    `**Subject:** ${inputs.subject}`,
    `**Questions:** ${assembled.questions.length}`,
    `**Total points:** ${assembled.totalPoints}`,
  ];
  const markdown = [
    `# Assessment: ${oneLine(topic)}`,
    "",
    ...offlineNote(view),
    facts.join(" · "),
    "",
    "## Standards assessed",
    standardsMarkdown(grounded),
    "",
    "## Questions",
    assembled.questions.map((q, i) => questionBlock(q, i + 1)).join("\n\n") || "_Not drafted._",
    "",
    "## Answer key",
    assembled.questions.map((q, i) => answerLine(q, i + 1)).join("\n") || "_Not drafted._",
    "",
    "## Rubric",
    rubricTable(assembled.rubric),
    "",
  ].join("\n");
  return {
    title: `Assessment: ${oneLine(topic)}`,
    markdown,
    filename: filenameFor("assessment", topic),
    companions: [studentCopy(view, topic, assembled), answerKey(view, topic, grounded, assembled)],
  };
}

/** Lines to write on after a question that is not multiple choice. */
function answerSpace(q: Question): string {
  const lines = q.type === "extended-response" ? 6 : 3;
  return Array.from({ length: lines }, () => "_".repeat(60)).join("  \n");
}

/** What students get: the questions and room to answer, without answers, explanations, DOK or standards. */
export function studentCopy(view: ExecutionView, topic: string, assembled: AssembledAssessment): RenderedDocument {
  const inputs = view.inputs as Record<string, unknown>;
  const blocks = assembled.questions.map((q, i) => {
    const head = `**${i + 1}.** ${oneLine(q.prompt)} _(${q.points} point${q.points === 1 ? "" : "s"})_`;
    if (q.type === "multiple-choice") return [head, ...q.choices.map((c, k) => `   - ${LETTERS[k]}. ${oneLine(c)}`)].join("\n");
    return `${head}\n\n${answerSpace(q)}`;
  });
  const markdown = [
    `# ${oneLine(topic)}`,
    "",
    `${gradeLabel(inputs.grade).replace(/^./, (c) => c.toUpperCase())} ${inputs.subject} · ${assembled.totalPoints} points`,
    "",
    "Name: ______________________  Date: ____________",
    "",
    "## Questions",
    blocks.join("\n\n") || "_Not drafted._",
    "",
  ].join("\n");
  return { title: `Student copy: ${oneLine(topic)}`, markdown, filename: filenameFor("assessment-student-copy", topic) };
}

/** For the teacher only: answers with explanations, points per question, and the rubric. */
export function answerKey(
  view: ExecutionView,
  topic: string,
  grounded: GroundedStandards | undefined,
  assembled: AssembledAssessment,
): RenderedDocument {
  const rows = assembled.questions.map(
    (q, i) =>
      `| ${i + 1} | ${cell(q.type === "multiple-choice" ? `**${q.answer}**` : q.answer)} | ${q.points} | ${cell(q.standard || "")} | ${cell(q.explanation)} |`,
  );
  const markdown = [
    `# Answer key: ${oneLine(topic)}`,
    "",
    ...offlineNote(view),
    `**Total points:** ${assembled.totalPoints}`,
    "",
    "## Standards assessed",
    standardsMarkdown(grounded),
    "",
    "## Answers",
    rows.length > 0
      ? ["| # | Answer | Points | Standard | Why |", "| ---: | --- | ---: | --- | --- |", ...rows].join("\n")
      : "_Not drafted._",
    "",
    "## Rubric",
    rubricTable(assembled.rubric),
    "",
  ].join("\n");
  return { title: `Answer key: ${oneLine(topic)}`, markdown, filename: filenameFor("assessment-answer-key", topic) };
}

export function renderAssessmentStep(nodeId: string, output: unknown): string | undefined {
  switch (nodeId) {
    case "standards": {
      const g = output as GroundedStandards;
      if (g.mode === "none") return "Standards: none requested.";
      if (g.standards.length > 0) return `Standards: ${g.standards.map((s) => `**${s.code}**`).join(", ")} (from the loaded set).`;
      return "Standards: no codes cited; the assessment lists what to confirm.";
    }
    case "questions": {
      const q = (output as Questions).questions;
      const byType = Object.entries(TYPE_LABELS)
        .map(([t, label]) => [label, q.filter((x) => x.type === t).length] as const)
        .filter(([, n]) => n > 0)
        .map(([label, n]) => `${n} ${label.toLowerCase()}`);
      return `Questions drafted: ${byType.join(", ")}.`;
    }
    case "rubric":
      return `Rubric: ${(output as Rubric).criteria.map((c) => c.name).join(", ")}.`;
    default:
      return undefined;
  }
}
