// Assembling (pure transform) and rendering the assessment: questions, answer key and rubric with stable headings.
import type { ExecutionView } from "../../engine/records.ts";
import { gradeLabel } from "../fields.ts";
import { allocateMinutes } from "../lesson-plan/timing.ts";
import { allowedCodes, cell, filenameFor, offlineNote, oneLine, outputOf, plural, standardsMarkdown } from "../markdown.ts";
import type { GroundedStandards } from "../standards/match.ts";
import { stripCodesDeep } from "../standards/match.ts";
import type { RenderedDocument } from "../types.ts";
import { type AssembledAssessment, type CountedQuestions, type Question, type Questions, type Rubric, TYPE_LABELS } from "./schemas.ts";

export const ASSESSMENT_HEADINGS = ["Standards assessed", "Questions", "Answer key", "Rubric"] as const;
const LETTERS = ["A", "B", "C", "D", "E", "F"];

/** A question as the model may have written it: cited codes grounded, option letters stripped. */
function cleanQuestion(q: Question, allowed: Set<string>): Question {
  return {
    ...q,
    misconceptions: q.misconceptions ?? [],
    choices: q.type === "multiple-choice" ? q.choices.map((c) => c.replace(/^\s*[A-F][.)]\s+/, "")) : [],
    standard: allowed.has(q.standard.trim().toUpperCase()) ? q.standard.trim() : "",
  };
}

/**
 * The count check (pure): the questions written so far (plus a top-up's), at most the number asked for,
 * how many are still missing, and which ones the rubric scores.
 */
export function countQuestions(input: {
  standards?: GroundedStandards;
  questions?: Questions | CountedQuestions;
  more?: Questions;
  count?: number;
}): CountedQuestions {
  const allowed = allowedCodes(input.standards);
  const count = Math.max(1, Number(input.count) || 30);
  const all = stripCodesDeep([...(input.questions?.questions ?? []), ...(input.more?.questions ?? [])], allowed)
    .slice(0, count)
    .map((q) => cleanQuestion(q, allowed));
  const open = all.flatMap((q, i) => (q.type === "multiple-choice" ? [] : [i + 1]));
  const scored = open.length > 0 ? open : all.map((_, i) => i + 1);
  return {
    questions: all,
    missing: Math.max(0, count - all.length),
    scored,
    scoredPoints: scored.reduce((a, n) => a + (all[n - 1]?.points ?? 0), 0),
    numbered: all
      .map(
        (q, i) =>
          `Q${i + 1} (${TYPE_LABELS[q.type]}, ${plural(q.points, "point")}${q.standard ? `, ${q.standard}` : ""}): ${oneLine(q.prompt)}`,
      )
      .join("\n"),
  };
}

/**
 * Scales the rubric so its criteria's top levels add up to the points of the questions it scores (largest
 * remainder, each criterion at least 1), lower levels in proportion; criteria cite only real question numbers.
 */
export function fitRubric(rubric: Rubric, counted: Pick<CountedQuestions, "scored" | "scoredPoints" | "questions">): Rubric {
  const criteria = rubric.criteria.map((c) => ({
    ...c,
    questions: [...new Set((c.questions ?? []).filter((n) => n >= 1 && n <= counted.questions.length))].sort((a, b) => a - b),
    standard: c.standard ?? "",
  }));
  const target = counted.scoredPoints;
  if (criteria.length === 0 || target <= 0) return { criteria };
  const tops = criteria.map((c) => Math.max(...c.levels.map((l) => l.points), 0));
  if (tops.reduce((a, t) => a + t, 0) === target) return { criteria };
  const budget = allocateMinutes(
    Math.max(target, criteria.length),
    tops.map((t) => Math.max(t, 1)),
  );
  return {
    criteria: criteria.map((c, i) => {
      const top = Math.max(tops[i]!, 1);
      const max = budget[i]!;
      return { ...c, levels: c.levels.map((l) => ({ ...l, points: l.points >= top ? max : Math.round((l.points / top) * max) })) };
    }),
  };
}

/** Keeps the requested number of questions, fits the rubric to them, and totals the points. */
export function assembleAssessment(input: {
  standards?: GroundedStandards;
  questions?: CountedQuestions | Questions;
  rubric?: Rubric;
  count?: number;
}): AssembledAssessment {
  const allowed = allowedCodes(input.standards);
  const counted = countQuestions({ ...input, questions: input.questions });
  const rubric = fitRubric(stripCodesDeep(input.rubric ?? { criteria: [] }, allowed), counted);
  for (const c of rubric.criteria) if (!allowed.has(c.standard.trim().toUpperCase())) c.standard = "";
  const asked = Math.max(1, Number(input.count) || counted.questions.length);
  return {
    questions: counted.questions,
    rubric,
    totalPoints: counted.questions.reduce((a, q) => a + q.points, 0),
    asked,
    short: counted.missing,
  };
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
  const lines = [`${n}. ${answer}${q.explanation ? ` _${oneLine(q.explanation)}_` : ""}`];
  if (q.misconceptions?.length) {
    const label = q.type === "multiple-choice" ? "Wrong options catch" : "Watch for";
    lines.push(`   - ${label}: ${q.misconceptions.map(oneLine).join("; ")}`);
  }
  return lines.join("\n");
}

function rubricTable(rubric: Rubric): string {
  if (rubric.criteria.length === 0) return "_Not drafted._";
  // Columns follow the first criterion's levels; others are matched by position. Points sit in each cell,
  // since criteria weigh differently once fitted to the questions they score.
  const head = rubric.criteria[0]!.levels.map((l) => cell(l.label));
  const rows = rubric.criteria.map((c) => {
    const scores = [c.questions.length > 0 ? `Q${c.questions.join(", Q")}` : "", c.standard ? c.standard : ""].filter(Boolean);
    const name = `**${cell(c.name)}**${c.description ? `<br>${cell(c.description)}` : ""}${scores.length ? `<br>_Scores ${cell(scores.join(" · "))}_` : ""}`;
    return `| ${name} | ${head.map((_, i) => (c.levels[i] ? `${cell(c.levels[i].descriptor)} (${c.levels[i].points})` : "")).join(" | ")} |`;
  });
  const total = rubric.criteria.reduce((a, c) => a + Math.max(...c.levels.map((l) => l.points), 0), 0);
  return [
    `| Criterion | ${head.join(" | ")} |`,
    `| --- | ${head.map(() => "---").join(" | ")} |`,
    ...rows,
    "",
    `Rubric total: ${total} points.`,
  ].join("\n");
}

export function renderAssessment(view: ExecutionView): RenderedDocument {
  const inputs = view.inputs as Record<string, unknown>;
  const topic = String(inputs.topic ?? "Assessment");
  const grounded = outputOf<GroundedStandards>(view, "standards");
  const assembled =
    outputOf<AssembledAssessment>(view, "assemble") ??
    outputOf<AssembledAssessment>(view, "top-up-assemble") ??
    assembleAssessment({
      standards: grounded,
      questions: outputOf<CountedQuestions>(view, "merge") ?? outputOf<Questions>(view, "questions"),
      rubric: outputOf<Rubric>(view, "rubric") ?? outputOf<Rubric>(view, "top-up-rubric"),
      count: Number(inputs.questionCount),
    });
  // Fewer questions than asked is said at the top, never passed over.
  const shortNote = assembled.short
    ? [
        `> **Only ${assembled.questions.length} of the ${assembled.asked} questions asked for were written.** Add the missing ones or run it again.`,
        "",
      ]
    : [];
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
    ...shortNote,
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

/** Lines to write on after a question that is not multiple choice (more for an extended response). */
function writingLines(extended: boolean): string {
  return Array.from({ length: extended ? 6 : 3 }, () => "_".repeat(60)).join("  \n");
}

/**
 * One question as students see it: number, prompt and points, then its lettered choices (already "A. …")
 * or lines to write on. The first draft and a revised version both print questions through here.
 */
export function studentQuestion(q: { n: number | string; prompt: string; points: number; choices: string[]; extended: boolean }): string {
  const head = `**${q.n}.** ${q.prompt} _(${plural(q.points, "point")})_`;
  if (q.choices.length > 0) return [head, ...q.choices.map((c) => `   - ${c}`)].join("\n");
  return `${head}\n\n${writingLines(q.extended)}`;
}

/** The student copy's page: title, grade, subject and points, a name line, then the questions. */
export function studentCopyPage(topic: string, inputs: Record<string, unknown>, totalPoints: number, questions: string[]): string {
  return [
    `# ${oneLine(topic)}`,
    "",
    `${gradeLabel(inputs.grade).replace(/^./, (c) => c.toUpperCase())} ${inputs.subject ?? ""} · ${totalPoints} points`,
    "",
    "Name: ______________________  Date: ____________",
    "",
    "## Questions",
    questions.join("\n\n") || "_Not drafted._",
    "",
  ].join("\n");
}

/** The answer key's page around its three parts (standards, answers, rubric), each already Markdown. */
export function answerKeyPage(
  topic: string,
  totalPoints: number,
  parts: { standards: string; answers: string; rubric: string },
  note: string[] = [],
): string {
  return [
    `# Answer key: ${oneLine(topic)}`,
    "",
    ...note,
    `**Total points:** ${totalPoints}`,
    "",
    "## Standards assessed",
    parts.standards,
    "",
    "## Answers",
    parts.answers,
    "",
    "## Rubric",
    parts.rubric,
    "",
  ].join("\n");
}

/** What students get: the questions and room to answer, without answers, explanations, DOK or standards. */
export function studentCopy(view: ExecutionView, topic: string, assembled: AssembledAssessment): RenderedDocument {
  const inputs = view.inputs as Record<string, unknown>;
  const blocks = assembled.questions.map((q, i) =>
    studentQuestion({
      n: i + 1,
      prompt: oneLine(q.prompt),
      points: q.points,
      choices: q.type === "multiple-choice" ? q.choices.map((c, k) => `${LETTERS[k]}. ${oneLine(c)}`) : [],
      extended: q.type === "extended-response",
    }),
  );
  const markdown = studentCopyPage(topic, inputs, assembled.totalPoints, blocks);
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
  const answers =
    rows.length > 0
      ? ["| # | Answer | Points | Standard | Why |", "| ---: | --- | ---: | --- | --- |", ...rows].join("\n")
      : "_Not drafted._";
  const markdown = answerKeyPage(
    topic,
    assembled.totalPoints,
    { standards: standardsMarkdown(grounded), answers, rubric: rubricTable(assembled.rubric) },
    offlineNote(view),
  );
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
    case "count": {
      const c = output as CountedQuestions;
      return c.missing > 0 ? `Only ${plural(c.questions.length, "question")} came back; asking for the ${c.missing} missing.` : undefined;
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
    case "top-up-rubric":
      return `Rubric: ${(output as Rubric).criteria.map((c) => c.name).join(", ")}.`;
    default:
      return undefined;
  }
}
