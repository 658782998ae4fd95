// Assessment inputs (what the conversation asks) and the structured outputs of its agent steps.
import { z } from "zod";
import { choiceField, countField, gradeField, optional, textField } from "../fields.ts";
import { FRAMEWORKS } from "../lesson-plan/schemas.ts";
import { clipped } from "../text.ts";

export const QUESTION_TYPES = ["multiple-choice", "short-answer", "extended-response"] as const;
export type QuestionType = (typeof QUESTION_TYPES)[number];
export const TYPE_LABELS: Record<QuestionType, string> = {
  "multiple-choice": "Multiple choice",
  "short-answer": "Short answer",
  "extended-response": "Extended response",
};

export const TYPE_CHOICES = ["mixed", ...QUESTION_TYPES] as const;
export const LEVELS = ["mixed", "dok1", "dok2", "dok3", "dok4"] as const;
export const LEVEL_LABELS: Record<(typeof LEVELS)[number], string> = {
  mixed: "Mixed levels",
  dok1: "DOK 1: recall",
  dok2: "DOK 2: skills and concepts",
  dok3: "DOK 3: strategic thinking",
  dok4: "DOK 4: extended thinking",
};

export const AssessmentInputs = z.object({
  grade: gradeField({ question: "Which grade is the assessment for?" }),
  subject: textField(
    {
      label: "Subject",
      question: "Which subject?",
      help: "The subject as you would name it: Science, Math, ELA, History...",
      example: "Math",
      aliases: ["subj"],
      remember: "template",
    },
    { min: 2, max: 60 },
  ),
  topic: textField(
    {
      label: "Topic",
      question: "What should the assessment cover?",
      help: "The topic or unit, in a phrase or a sentence.",
      example: "Adding and subtracting fractions with unlike denominators",
      aliases: ["about", "unit", "covers", "title"],
    },
    { min: 3, max: 200 },
  ),
  questionCount: countField(
    {
      label: "Number of questions",
      question: "How many questions?",
      help: "Between 1 and 30.",
      example: "8",
      aliases: ["questions", "count", "items", "length"],
      remember: "template",
    },
    1,
    30,
  ),
  questionTypes: optional(
    choiceField(
      TYPE_CHOICES,
      { mixed: "A mix of types", ...TYPE_LABELS },
      {
        label: "Question types",
        question: "Which question types?",
        help: "Multiple choice, short answer, extended response, or a mix (the default).",
        example: "mixed",
        aliases: ["types", "type", "format"],
        absent: "a mix of question types",
        remember: "template",
      },
      {
        mc: "multiple-choice",
        "multiple choice": "multiple-choice",
        "short answer": "short-answer",
        "extended response": "extended-response",
        essay: "extended-response",
        mix: "mixed",
        all: "mixed",
      },
    ),
  ),
  level: optional(
    choiceField(
      LEVELS,
      LEVEL_LABELS,
      {
        label: "Difficulty (DOK)",
        question: "Which difficulty or Depth of Knowledge level?",
        help: "DOK 1 (recall) to DOK 4 (extended thinking), or mixed levels (the default).",
        example: "mixed",
        aliases: ["dok", "difficulty", "depth"],
        absent: "mixed DOK levels",
      },
      {
        easy: "dok1",
        medium: "dok2",
        hard: "dok3",
        "dok 1": "dok1",
        "dok 2": "dok2",
        "dok 3": "dok3",
        "dok 4": "dok4",
        "1": "dok1",
        "2": "dok2",
        "3": "dok3",
        "4": "dok4",
        mix: "mixed",
      },
    ),
  ),
  standardsFramework: optional(
    choiceField(
      FRAMEWORKS,
      { CCSS: "Common Core (CCSS)", NGSS: "NGSS", state: "My state's standards", none: "No standards" },
      {
        label: "Standards framework",
        question: "Which standards framework should it align to?",
        help: "Questions cite only codes from the standards set your admin loaded. Skip to use any framework in the set.",
        example: "CCSS",
        aliases: ["standards", "standard", "framework"],
        absent: "any standards in the loaded set",
        remember: "subject",
      },
      { "common core": "CCSS", ccss: "CCSS", no: "none", skip: "none" },
    ),
  ),
});
export type AssessmentInputs = z.infer<typeof AssessmentInputs>;

export const Question = z.object({
  type: z.enum(QUESTION_TYPES),
  dok: z.number().int().min(1).max(4),
  prompt: clipped(1500),
  /** Options for multiple choice (letters are added when rendering); empty for other types. */
  choices: z.array(clipped(400)).max(6),
  /** For multiple choice, the correct option's letter; otherwise a model answer or scoring notes. */
  answer: clipped(1500),
  explanation: clipped(1000, 0),
  /** For multiple choice, the misconception behind each wrong option; for others, the mistakes to watch for. */
  misconceptions: z.array(clipped(300)).max(5),
  points: z.number().int().min(1).max(20),
  /** A cited standard code from the given list, or "". */
  standard: z.string().max(60),
});
export type Question = z.infer<typeof Question>;

export const Questions = z.object({ questions: z.array(Question).min(1).max(30) });
export type Questions = z.infer<typeof Questions>;

export const Rubric = z.object({
  criteria: z
    .array(
      z.object({
        name: clipped(120),
        description: clipped(400, 0),
        /** The question numbers (1-based) this criterion scores. */
        questions: z.array(z.number().int().min(1).max(100)).max(30),
        /** The standard code it assesses, from the given list, or "". */
        standard: z.string().max(60),
        levels: z
          .array(z.object({ label: clipped(60), points: z.number().int().min(0).max(40), descriptor: clipped(500) }))
          .min(2)
          .max(5),
      }),
    )
    .min(1)
    .max(8),
});
export type Rubric = z.infer<typeof Rubric>;

export const QUESTIONS = "assessment.questions";
export const RUBRIC = "assessment.rubric";

/** The questions after the count check (and a top-up when the model wrote too few). */
export type CountedQuestions = {
  questions: Question[];
  /** Questions still missing from the number asked for. */
  missing: number;
  /** Numbers of the questions the rubric scores (every non-multiple-choice one, or all when there are none). */
  scored: number[];
  scoredPoints: number;
  /** The questions as numbered lines for the rubric prompt. */
  numbered: string;
};

/** The assembled assessment the document renders. `short` says how many asked-for questions are missing. */
export type AssembledAssessment = { questions: Question[]; rubric: Rubric; totalPoints: number; asked?: number; short?: number };
