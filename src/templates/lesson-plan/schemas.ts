// Lesson plan inputs (what the conversation asks) and the structured outputs of its agent steps.
import { z } from "zod";
import { choiceField, gradeField, languageField, minutesField, optional, optionalTextField, textField } from "../fields.ts";
import { clipped } from "../text.ts";

export const FRAMEWORKS = ["CCSS", "NGSS", "state", "none"] as const;

export const LessonPlanInputs = z.object({
  grade: gradeField(),
  subject: textField(
    {
      label: "Subject",
      question: "Which subject?",
      help: "The subject as you would name it: Science, Math, ELA, History...",
      example: "Science",
      aliases: ["subj"],
      remember: "template",
    },
    { min: 2, max: 60 },
  ),
  topic: textField(
    {
      label: "Topic",
      question: "What is the lesson about?",
      help: "The topic or question the lesson centres on, in a phrase or a sentence.",
      example: "Why shadows change length and direction during the day",
      aliases: ["about", "title", "unit", "theme"],
    },
    { min: 3, max: 200 },
  ),
  duration: minutesField(),
  standardsFramework: optional(
    choiceField(
      FRAMEWORKS,
      { CCSS: "Common Core (CCSS)", NGSS: "NGSS", state: "My state's standards", none: "No standards" },
      {
        label: "Standards framework",
        question: "Which standards framework should the plan use?",
        help: "The plan cites only codes from the standards set your admin loaded. Skip to use any framework in the set.",
        example: "NGSS",
        aliases: ["standards", "standard", "framework"],
        absent: "any standards in the loaded set",
        remember: "subject",
      },
      {
        "common core": "CCSS",
        ccss: "CCSS",
        "next generation science standards": "NGSS",
        state: "state",
        "state standards": "state",
        no: "none",
        skip: "none",
      },
    ),
  ),
  objectives: optionalTextField(
    {
      label: "Learning objectives",
      question: "Any learning objectives you already have in mind?",
      help: "Optional. One per line or separated by semicolons; the plan builds on them.",
      example: "Explain why shadows are longest in the morning and evening; record shadow data in a table",
      aliases: ["objective", "goals", "goal", "aims"],
      multiline: true,
      absent: "no objectives given",
    },
    { max: 1000 },
  ),
  classProfile: optionalTextField(
    {
      label: "Class profile",
      question: "Anything about the class the plan should account for?",
      help: "Optional. English learners (and their languages), IEP/504 accommodations, advanced learners, class size. No student names.",
      example: "26 students; 4 English learners (Spanish); 2 students with IEPs for reading; a few advanced learners",
      aliases: ["class", "profile", "learners", "needs"],
      multiline: true,
      absent: "no class profile",
      remember: "template",
    },
    { max: 1000 },
  ),
  materials: optionalTextField(
    {
      label: "Materials available",
      question: "What materials do you have?",
      help: "Optional. Equipment, texts or technology the lesson can use.",
      example: "Flashlights, globes, chart paper, Chromebooks",
      aliases: ["resources", "equipment"],
      multiline: true,
      absent: "no materials list",
    },
    { max: 600 },
  ),
  language: languageField({ question: "Which language should the plan be written in?", help: "Any language; English when left empty." }),
});
export type LessonPlanInputs = z.infer<typeof LessonPlanInputs>;

export const SECTION_KEYS = ["warm-up", "direct-instruction", "guided-practice", "independent-practice", "exit-ticket"] as const;
export type SectionKey = (typeof SECTION_KEYS)[number];
export const SECTION_TITLES: Record<SectionKey, string> = {
  "warm-up": "Warm-up",
  "direct-instruction": "Direct instruction",
  "guided-practice": "Guided practice",
  "independent-practice": "Independent practice",
  "exit-ticket": "Assessment / exit ticket",
};
/** Default share of the lesson per section (sums to 1). */
export const SECTION_WEIGHTS: Record<SectionKey, number> = {
  "warm-up": 0.1,
  "direct-instruction": 0.25,
  "guided-practice": 0.25,
  "independent-practice": 0.25,
  "exit-ticket": 0.15,
};

/** How the lesson is organised; the sections keep their keys (and the document its headings), each labelled with its phase. */
export const Structure = z.object({
  name: clipped(80),
  why: clipped(300, 0),
});
export type Structure = z.infer<typeof Structure>;

export const Outline = z.object({
  title: clipped(200),
  structure: Structure,
  objectives: z.array(clipped(400)).min(1).max(6),
  /** One list per objective, in the objectives' order: what students can show when they have met it. */
  successCriteria: z.array(z.array(clipped(300)).max(4)).max(6),
  vocabulary: z.array(z.object({ term: clipped(80), meaning: clipped(300) })).max(12),
  misconceptions: z.array(z.object({ misconception: clipped(300), correction: clipped(400) })).max(6),
  materials: z.array(clipped(300)).max(15),
  sections: z
    .array(
      z.object({
        key: z.enum(SECTION_KEYS),
        /** The phase this section is in the chosen structure, e.g. "Engage" (5E) or "Mini-lesson" (workshop). */
        phase: clipped(60, 0),
        minutes: z.number().int().min(1).max(240),
        focus: clipped(500),
      }),
    )
    .min(1)
    .max(10),
});
export type Outline = z.infer<typeof Outline>;

const Activity = z.object({
  summary: clipped(800),
  teacher: z.array(clipped(400)).max(8),
  students: z.array(clipped(400)).max(8),
  /** A check for understanding inside this section (a question, a signal, a quick task) and what to do with it. */
  check: clipped(400),
});
export type Activity = z.infer<typeof Activity>;

export const Content = z.object({
  warmUp: Activity,
  directInstruction: Activity,
  guidedPractice: Activity,
  independentPractice: Activity,
  exitTicket: z.object({
    summary: clipped(800),
    /** Each question names the objective (1-based) it tests; together they test every objective. */
    questions: z
      .array(z.object({ question: clipped(400), objective: z.number().int().min(1).max(6) }))
      .min(1)
      .max(8),
    successCriteria: z.array(clipped(300)).max(6),
  }),
});
export type Content = z.infer<typeof Content>;

export const Differentiation = z.object({
  ell: z.array(clipped(400)).min(1).max(8),
  support: z.array(clipped(400)).min(1).max(8),
  extension: z.array(clipped(400)).min(1).max(8),
});
export type Differentiation = z.infer<typeof Differentiation>;

export const OUTLINE = "lesson-plan.outline";
export const CONTENT = "lesson-plan.content";
export const DIFFERENTIATION = "lesson-plan.differentiation";
