// The student-feedback template: prepare -> (analyze -> compose | revise) -> assemble the draft.
// Names in every field and in the pasted work are replaced at the model boundary (src/privacy) and restored there.

import type { ExecutionView } from "../../engine/records.ts";
import { WorkflowDefinition, type WorkflowDefinitionInput } from "../../engine/schema.ts";
import { INSTRUCTION_VAR } from "../../privacy/fence.ts";
import { bullets, filenameFor, offlineNote, oneLine, outputOf, plural } from "../markdown.ts";
import type { RenderedDocument, Template } from "../types.ts";
import { feedbackDrafters, parsePreviousDraft } from "./drafts.ts";
import { addressName, PLACEHOLDER } from "./names.ts";
import { ANALYSIS, Analysis, Draft, FeedbackInputs, MESSAGE, Message, REVISION } from "./schemas.ts";

export const FEEDBACK_HEADINGS = ["Strengths", "Next steps", "Message to the student"] as const;

const SYSTEM = `You are an experienced, kind and specific teacher writing feedback a student will read. Address the student exactly as the request names them (${PLACEHOLDER} when no name is given) and never guess a name. Quote the work when you praise it; make next steps concrete and doable.`;

const givenText = (v: unknown): string | undefined => (typeof v === "string" && v.trim() ? v : undefined);

function definition(): WorkflowDefinitionInput {
  const r = (field: string) => `nodes.redact.${field}`;
  return {
    id: "student-feedback",
    version: 1,
    title: "Student feedback",
    description: "Strengths, next steps and a message to the student; the student's name never reaches the model.",
    inputs: Object.keys(FeedbackInputs.shape),
    nodes: [
      {
        id: "redact",
        kind: "transform",
        title: "Prepare the request",
        fn: "student-feedback.redact",
        in: {
          studentName: "inputs.studentName",
          assignment: "inputs.assignment",
          work: "inputs.studentWork",
          rubric: "inputs.rubric",
          focus: "inputs.focus",
          previousDraft: "inputs.previousDraft",
          revisionInstruction: "inputs.revisionInstruction",
        },
        next: ["route"],
      },
      {
        id: "route",
        kind: "condition",
        title: "New draft or revision",
        branches: [{ when: [{ path: r("revisionInstruction"), op: "exists" }], to: "revise" }],
        otherwise: "analyze",
      },
      {
        id: "analyze",
        kind: "agent",
        title: "Analyze performance",
        in: { assignment: r("assignment"), work: r("work"), rubric: r("rubric"), focus: r("focus") },
        system: SYSTEM,
        prompt: [
          "Analyze this student's work.",
          "Assignment: {{assignment}}",
          "Rubric or success criteria (may be empty): {{rubric}}",
          "Teacher's focus (may be empty): {{focus}}",
          "Student's work or scores:",
          "{{work}}",
          "Give 2-4 strengths (each with a short quote or score as evidence), 2-3 next steps (each with how to do it), and a one-sentence overall judgement. Address the student as you.",
        ].join("\n"),
        outputSchema: ANALYSIS,
        temperature: 0.3,
        next: ["compose"],
      },
      {
        id: "compose",
        kind: "agent",
        title: "Compose feedback",
        in: {
          analysis: "nodes.analyze",
          assignment: r("assignment"),
          focus: r("focus"),
          tone: "inputs.tone",
          placeholder: r("placeholder"),
        },
        system: SYSTEM,
        prompt: [
          "Write the feedback message to {{placeholder}} about: {{assignment}}",
          "Tone: {{tone}} (warm when empty). Teacher's focus (may be empty): {{focus}}",
          "Analysis to draw on: {{analysis}}",
          "Open with a greeting to {{placeholder}}, name two specific strengths, give at most two next steps, and close encouragingly. Under 200 words.",
        ].join("\n"),
        outputSchema: MESSAGE,
        temperature: 0.6,
        next: ["restore"],
      },
      {
        id: "restore",
        kind: "transform",
        title: "Assemble the draft",
        fn: "student-feedback.restore",
        in: { analysis: "nodes.analyze", compose: "nodes.compose", studentName: "inputs.studentName" },
      },
      {
        id: "revise",
        kind: "agent",
        title: "Revise feedback",
        in: {
          previousDraft: r("previousDraft"),
          // The teacher's instruction is an instruction, not fenced data (see INSTRUCTION_VAR); the work stays fenced.
          [INSTRUCTION_VAR]: r("revisionInstruction"),
          assignment: r("assignment"),
          work: r("work"),
          tone: "inputs.tone",
          placeholder: r("placeholder"),
        },
        system: SYSTEM,
        prompt: [
          "Revise this feedback draft as the teacher asks.",
          `Teacher's instruction: {{${INSTRUCTION_VAR}}}`,
          "Previous draft:",
          "{{previousDraft}}",
          "Assignment: {{assignment}}",
          "Student's work or scores, for reference:",
          "{{work}}",
          "Tone: {{tone}} (warm when empty). Return the revised strengths, next steps and message; keep what the teacher did not ask to change.",
        ].join("\n"),
        outputSchema: REVISION,
        temperature: 0.5,
        next: ["restore-revision"],
      },
      {
        id: "restore-revision",
        kind: "transform",
        title: "Assemble the draft",
        fn: "student-feedback.restore",
        in: {
          draft: "nodes.revise",
          studentName: "inputs.studentName",
          previous: "inputs.previousDraft",
          instruction: "inputs.revisionInstruction",
        },
      },
    ],
  };
}

/** The parts of a feedback draft an instruction names ("make the message shorter" → message). */
export function partsNamed(instruction: string): (keyof Draft)[] {
  const parts: (keyof Draft)[] = [];
  if (/\bstrengths?\b/i.test(instruction)) parts.push("strengths");
  if (/\bnext steps?\b/i.test(instruction)) parts.push("nextSteps");
  if (/\bmessage\b/i.test(instruction)) parts.push("message");
  return parts;
}

/**
 * A revision that names parts changes only those: the others are copied from the previous draft, whatever
 * the model returned for them. An instruction naming no part (e.g. "warmer") may change all three.
 */
export function keepUntouched(revised: Draft, previous: string | undefined, instruction: string | undefined): Draft {
  const named = partsNamed(instruction ?? "");
  if (!previous || named.length === 0) return revised;
  const before = parsePreviousDraft(previous);
  return {
    strengths: named.includes("strengths") ? revised.strengths : before.strengths,
    nextSteps: named.includes("nextSteps") ? revised.nextSteps : before.nextSteps,
    message: named.includes("message") ? revised.message : before.message,
  };
}

const transforms = {
  "student-feedback.redact": (input: Record<string, unknown>) => {
    const name = typeof input.studentName === "string" ? input.studentName : undefined;
    const texts = ["assignment", "work", "rubric", "focus", "previousDraft", "revisionInstruction"] as const;
    const out: Record<string, unknown> = { placeholder: addressName(name) ?? PLACEHOLDER, named: addressName(name) !== undefined };
    for (const key of texts) {
      const value = givenText(input[key]);
      if (value !== undefined) out[key] = value;
    }
    return out;
  },
  "student-feedback.restore": (input: Record<string, unknown>): Draft => {
    if (input.draft) return keepUntouched(input.draft as Draft, givenText(input.previous), givenText(input.instruction));
    const analysis = input.analysis as Analysis;
    const compose = input.compose as Message;
    return {
      strengths: analysis.strengths.map((s) => (s.evidence ? `${oneLine(s.point)} Evidence: ${oneLine(s.evidence)}` : oneLine(s.point))),
      nextSteps: analysis.nextSteps.map((n) => (n.how ? `${oneLine(n.point)} ${oneLine(n.how)}` : oneLine(n.point))),
      message: compose.message,
    };
  },
};

export function renderFeedback(view: ExecutionView): RenderedDocument {
  const inputs = view.inputs as Record<string, unknown>;
  const draft = outputOf<Draft>(view, "restore") ?? outputOf<Draft>(view, "restore-revision");
  const revised = outputOf<Draft>(view, "restore-revision") !== undefined;
  const assignment = oneLine(String(inputs.assignment ?? "Assignment"));
  const short = assignment.length > 60 ? `${assignment.slice(0, 57).replace(/\s+\S*$/, "")}...` : assignment;
  const who = addressName(typeof inputs.studentName === "string" ? inputs.studentName : undefined);
  const notes = offlineNote(view);
  if (revised && view.provider === "offline") {
    notes.splice(
      1,
      0,
      "> Offline revisions apply only simple instructions (shorter, more formal, warmer); edit the rest by hand or configure a model.",
      "",
    );
  }
  const markdown = [
    `# Feedback: ${short}`,
    "",
    ...notes,
    [who ? `**Student:** ${who}` : undefined, revised ? "**Revised draft**" : undefined].filter(Boolean).join(" · "),
    "",
    "## Strengths",
    bullets(draft?.strengths ?? []),
    "",
    "## Next steps",
    bullets(draft?.nextSteps ?? []),
    "",
    "## Message to the student",
    draft?.message.trim() ?? "_Not drafted._",
    "",
  ].join("\n");
  // The filename names the assignment, not the student, so shared files do not carry names.
  return { title: `Feedback: ${short}`, markdown: markdown.replace(/\n{3,}/g, "\n\n"), filename: filenameFor("feedback", short) };
}

function renderFeedbackStep(nodeId: string, output: unknown): string | undefined {
  if (nodeId === "redact") {
    const o = output as { named?: boolean };
    return o.named
      ? "Names, e-mails and phone numbers are replaced by placeholders before any AI model sees them, and restored in the result."
      : `No student name given, so the message uses ${PLACEHOLDER} for you to fill in.`;
  }
  if (nodeId === "analyze") {
    const a = output as Analysis;
    return `Analysis: ${plural(a.strengths.length, "strength")} and ${plural(a.nextSteps.length, "next step")} found.`;
  }
  return undefined;
}

/**
 * Revisable: to revise, the chat core starts the same workflow with the original inputs plus the internal
 * fields, e.g. `engine.start("student-feedback", { inputs: { ...original, previousDraft, revisionInstruction }, userId })`,
 * where previousDraft is the last draft's document Markdown (its sections are kept when the model is offline).
 */
export function studentFeedbackTemplate(): Template {
  return {
    id: "student-feedback",
    command: "feedback",
    title: "Student feedback",
    description: "Draft feedback on a student's work: strengths, next steps and a message to the student. Names stay private.",
    inputSchema: FeedbackInputs,
    workflow: {
      definition: WorkflowDefinition.parse(definition()),
      inputSchema: FeedbackInputs,
      transforms,
      schemas: { [ANALYSIS]: Analysis, [MESSAGE]: Message, [REVISION]: Draft },
    },
    drafters: feedbackDrafters,
    render: renderFeedback,
    renderStep: renderFeedbackStep,
    studentData: true,
    revisable: true,
  };
}
