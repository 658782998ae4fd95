// Student feedback inputs (including the internal revision inputs the chat core sets) and step outputs.
import { z } from "zod";
import { choiceField, optional, optionalNameField, optionalTextField, textField } from "../fields.ts";

export const TONES = ["warm", "encouraging", "direct", "formal"] as const;
export const TONE_LABELS: Record<(typeof TONES)[number], string> = {
  warm: "Warm",
  encouraging: "Encouraging",
  direct: "Direct",
  formal: "Formal",
};

export const FeedbackInputs = z.object({
  studentName: optionalNameField(
    {
      label: "Student's name",
      question: "What is the student's name?",
      help: "Optional. It is replaced by a placeholder before any AI model sees the work, and put back in the final message.",
      example: "Maria Garcia",
      aliases: ["student", "name", "student name", "pupil"],
      absent: "no student name",
    },
    { max: 80 },
  ),
  assignment: textField(
    {
      label: "Assignment",
      question: "What was the assignment?",
      help: "The task as students received it, in a sentence or two.",
      example: "Write a paragraph arguing whether our school should have a longer lunch break, with two reasons",
      aliases: ["task", "topic", "about", "prompt"],
    },
    { min: 5, max: 2000 },
  ),
  studentWork: textField(
    {
      label: "Student's work",
      question: "What did the student hand in? Paste their work or their scores.",
      help: "The text they wrote, or scores per question or criterion (e.g. Q1 3/4, Q2 1/4).",
      example: "I think lunch should be longer because we don't have time to eat and play. Also...",
      aliases: ["work", "submission", "essay", "answer", "scores"],
      multiline: true,
    },
    { min: 5, max: 12_000 },
  ),
  rubric: optionalTextField(
    {
      label: "Rubric",
      question: "Is there a rubric or success criteria to refer to?",
      help: "Optional. Paste the criteria; feedback will refer to them.",
      example: "Clear claim; two reasons with evidence; conclusion; conventions",
      aliases: ["criteria", "success criteria"],
      multiline: true,
      absent: "no rubric",
    },
    { max: 4000 },
  ),
  tone: optional(
    choiceField(TONES, TONE_LABELS, {
      label: "Tone",
      question: "Which tone should the message have?",
      help: "Warm (the default), encouraging, direct or formal.",
      example: "warm",
      absent: "a warm tone",
      remember: "template",
    }),
  ),
  focus: optionalTextField(
    {
      label: "Focus",
      question: "Anything the feedback should focus on?",
      help: "Optional. One skill or criterion to concentrate the next steps on.",
      example: "Using evidence to support each reason",
      aliases: ["strengths", "next steps", "notes", "comments"],
      absent: "no particular focus",
    },
    { max: 400 },
  ),
  previousDraft: optionalTextField(
    {
      label: "Previous draft",
      question: "Which draft is being revised?",
      help: "Set by the chat core when revising: the last draft's text.",
      example: "Hi Maria, ...",
      internal: true,
    },
    { max: 20_000 },
  ),
  revisionInstruction: optionalTextField(
    {
      label: "Revision instruction",
      question: "What should change?",
      help: "Set by the chat core when the teacher replies to a draft asking for changes.",
      example: "Make it shorter and mention her conclusion",
      internal: true,
    },
    { max: 1000 },
  ),
});
export type FeedbackInputs = z.infer<typeof FeedbackInputs>;

export const Analysis = z.object({
  strengths: z
    .array(z.object({ point: z.string().min(1).max(400), evidence: z.string().max(600) }))
    .min(1)
    .max(5),
  nextSteps: z
    .array(z.object({ point: z.string().min(1).max(400), how: z.string().max(600) }))
    .min(1)
    .max(4),
  overall: z.string().max(800),
});
export type Analysis = z.infer<typeof Analysis>;

export const Message = z.object({ message: z.string().min(1).max(4000) });
export type Message = z.infer<typeof Message>;

export const Draft = z.object({
  strengths: z.array(z.string().min(1).max(600)).min(1).max(5),
  nextSteps: z.array(z.string().min(1).max(600)).min(1).max(4),
  message: z.string().min(1).max(4000),
});
/** What the document shows, with the student's name restored. */
export type Draft = z.infer<typeof Draft>;

export const ANALYSIS = "student-feedback.analysis";
export const MESSAGE = "student-feedback.message";
export const REVISION = "student-feedback.revision";
