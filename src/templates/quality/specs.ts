// What each built-in template's quality checks read: the node whose output the document renders, the
// student- or family-facing texts (reading level), the tasks and questions (rigor) and the target grade.
import type { AssembledAssessment } from "../assessment/schemas.ts";
import type { Content } from "../lesson-plan/schemas.ts";

/** One text inside a node's output; `id` is its dotted path there ("exitTicket.questions.1"). */
export type TextItem = { id: string; text: string };

export type QualitySpec = {
  /** Node whose output the document renders; the checks read it and the repair rewrites parts of it. */
  source: string;
  /** Node the stage starts after (default: the source), e.g. the last drafting step so the stage runs last. */
  after?: string;
  /** Where the target grade comes from: an input field, or a fixed grade (family messages). */
  grade: { input: string } | { fixed: number };
  /** Who reads the text, for the repair prompt and the footer. */
  audience: "students" | "families";
  /** What the reading level covers, for the footer ("the exit ticket and student tasks"). */
  covers: string;
  read(output: unknown): TextItem[];
  /** Tasks and questions rated for rigor; absent: no rigor check. */
  tasks?(output: unknown): TextItem[];
  /** Inputs that may name the grade when there is no grade input ("for my 7th grade class"). */
  gradeHints?: string[];
};

const ACTIVITIES = ["warmUp", "directInstruction", "guidedPractice", "independentPractice"] as const;

function lessonTasks(output: unknown): TextItem[] {
  const c = output as Content | undefined;
  if (!c) return [];
  const list = (prefix: string, texts: readonly string[] = []) => texts.map((text, i) => ({ id: `${prefix}.${i}`, text }));
  const exit = (c.exitTicket?.questions ?? []).map((q, i) => ({ id: `exitTicket.questions.${i}.question`, text: q.question }));
  return [...ACTIVITIES.flatMap((key) => list(`${key}.students`, c[key]?.students)), ...exit];
}

function assessmentQuestions(output: unknown): TextItem[] {
  const a = output as AssembledAssessment | undefined;
  return (a?.questions ?? []).map((q, i) => ({ id: `questions.${i}.prompt`, text: q.prompt }));
}

function assessmentText(output: unknown): TextItem[] {
  const a = output as AssembledAssessment | undefined;
  const choices = (a?.questions ?? []).flatMap((q, i) => q.choices.map((text, j) => ({ id: `questions.${i}.choices.${j}`, text })));
  return [...assessmentQuestions(output), ...choices];
}

function strings(output: unknown, keys: readonly string[]): TextItem[] {
  const o = (output ?? {}) as Record<string, unknown>;
  const items: TextItem[] = [];
  for (const key of keys) {
    const v = o[key];
    if (typeof v === "string") items.push({ id: key, text: v });
    else if (Array.isArray(v)) items.push(...v.flatMap((t, i) => (typeof t === "string" ? [{ id: `${key}.${i}`, text: t }] : [])));
  }
  return items;
}

export const QUALITY_SPECS: Record<string, QualitySpec[]> = {
  "lesson-plan": [
    {
      source: "content",
      // Differentiation adapts the content's tasks; checking after it keeps the drafting steps in their order.
      after: "differentiation",
      grade: { input: "grade" },
      audience: "students",
      covers: "the student tasks and exit ticket",
      read: lessonTasks,
      tasks: lessonTasks,
    },
  ],
  assessment: [
    {
      source: "assemble",
      grade: { input: "grade" },
      audience: "students",
      covers: "the questions and answer choices",
      read: assessmentText,
      tasks: assessmentQuestions,
    },
  ],
  "student-feedback": ["restore", "restore-revision"].map((source) => ({
    source,
    grade: { input: "grade" },
    audience: "students" as const,
    covers: "the feedback the student reads",
    read: (output: unknown) => strings(output, ["message", "strengths", "nextSteps"]),
    gradeHints: ["assignment", "rubric", "focus"],
  })),
  "parent-message": [
    {
      source: "draft",
      // The template writes for families at about a 6th-grade reading level.
      grade: { fixed: 6 },
      audience: "families",
      covers: "the English message",
      read: (output: unknown) => strings(output, ["message"]),
    },
  ],
};
