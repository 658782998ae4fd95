// The lesson-plan template: research standards -> outline in a structure that fits (timing fitted) -> content
// -> differentiation adapting the content's actual tasks. The class profile and materials reach every writing step.
import type { WorkflowDefinitionInput } from "../../engine/schema.ts";
import { WorkflowDefinition } from "../../engine/schema.ts";
import type { Logger } from "../../log.ts";
import type { StandardsSet } from "../standards/load.ts";
import type { GroundedStandards } from "../standards/match.ts";
import { stripCodesDeep } from "../standards/match.ts";
import { standardsNodes, standardsStage } from "../standards/step.ts";
import type { Template } from "../types.ts";
import { lessonPlanDrafters } from "./drafts.ts";
import { renderLessonPlan, renderLessonStep } from "./render.ts";
import { CONTENT, Content, DIFFERENTIATION, Differentiation, LessonPlanInputs, OUTLINE, Outline } from "./schemas.ts";
import { structureChoices } from "./structure.ts";
import { fitTiming } from "./timing.ts";

const SYSTEM =
  "You are an experienced teacher and instructional coach writing practical, classroom-ready lesson plans. Be concrete: name the example, the question, the task. Never cite a standard code other than those given to you.";

/** The class profile and materials reach every step that writes the lesson. */
const profile = { classProfile: "inputs.classProfile", materials: "inputs.materials" };
const PROFILE_LINES = [
  "Class profile (may be empty; plan for it): {{classProfile}}",
  "Materials available (may be empty; use these): {{materials}}",
];

function definition(): WorkflowDefinitionInput {
  const core = { grade: "inputs.grade", subject: "inputs.subject", topic: "inputs.topic", language: "inputs.language" };
  return {
    id: "lesson-plan",
    version: 1,
    title: "Lesson plan",
    description: "A standards-grounded lesson plan with timing, activities, an exit ticket and differentiation.",
    inputs: Object.keys(LessonPlanInputs.shape),
    nodes: [
      ...standardsNodes({ next: "outline", framework: "standardsFramework", objectives: "objectives", purpose: "a lesson" }),
      {
        id: "outline",
        kind: "agent",
        title: "Create outline",
        in: { ...core, duration: "inputs.duration", objectives: "inputs.objectives", ...profile, standards: "nodes.standards" },
        system: SYSTEM,
        prompt: [
          'Outline a {{duration}}-minute {{subject}} lesson for grade {{grade}} on "{{topic}}". Write in {{language}}.',
          "Teacher's objectives (may be empty): {{objectives}}",
          ...PROFILE_LINES,
          "Standards (cite only these codes, or none): {{standards.standards}}",
          "Standards to confirm (no codes): {{standards.toConfirm}}",
          `Choose the structure that fits this subject and topic and say why in one sentence: ${structureChoices()}.`,
          'Return a title; the structure; 2-5 measurable objectives; for each objective, in the same order, 1-3 success criteria students can show ("I can ..."); 4-8 key vocabulary terms with a grade-appropriate meaning; 2-4 common misconceptions about this topic with how to correct each; the materials list (use what the teacher has); and the sections warm-up, direct-instruction, guided-practice, independent-practice and exit-ticket, each with its phase in the chosen structure, minutes (adding up to {{duration}}) and a one-sentence focus.',
        ].join("\n"),
        outputSchema: OUTLINE,
        temperature: 0.4,
        next: ["timing"],
      },
      {
        id: "timing",
        kind: "transform",
        title: "Fit timing to the lesson length",
        fn: "lesson-plan.fitTiming",
        in: { outline: "nodes.outline", duration: "inputs.duration", standards: "nodes.standards" },
        next: ["content"],
      },
      {
        id: "content",
        kind: "agent",
        title: "Develop content",
        in: { ...core, ...profile, outline: "nodes.timing" },
        system: SYSTEM,
        prompt: [
          'Develop the activities of this grade {{grade}} {{subject}} lesson on "{{topic}}". Write in {{language}}.',
          "Outline (keep its structure, phases, sections and minutes; teach its vocabulary and address its misconceptions): {{outline}}",
          ...PROFILE_LINES,
          "For warmUp, directInstruction, guidedPractice and independentPractice give a summary, teacher moves, student tasks (the actual question, example or problem), and one check for understanding with what to do with the result.",
          "For exitTicket give a summary, questions that together test every objective (each naming its objective number, 1 = the first objective) and the success criteria.",
        ].join("\n"),
        outputSchema: CONTENT,
        temperature: 0.5,
        next: ["differentiation"],
      },
      {
        id: "differentiation",
        kind: "agent",
        title: "Add differentiation",
        in: { ...core, ...profile, outline: "nodes.timing", content: "nodes.content" },
        system: SYSTEM,
        prompt: [
          'Differentiate this grade {{grade}} {{subject}} lesson on "{{topic}}". Write in {{language}}.',
          ...PROFILE_LINES,
          "Outline: {{outline}}",
          "The lesson's actual tasks: {{content}}",
          "Adapt those tasks, naming the task you change: for English learners (ell) give vocabulary support, sentence frames and home-language supports in the languages the class profile names; for students who need additional support (support) give scaffolds and the IEP/504 accommodations the profile mentions (read-aloud, extended time, reduced items...); for advanced learners (extension) give a harder version of a task. Use only the materials available.",
        ].join("\n"),
        outputSchema: DIFFERENTIATION,
        temperature: 0.5,
      },
    ],
  };
}

export function lessonPlanTemplate(standards: StandardsSet, logger?: Logger): Template {
  const stage = standardsStage(standards, { logger });
  return {
    id: "lesson-plan",
    command: "lesson-plan",
    title: "Lesson plan",
    description: "Plan a lesson: standards from your school's set, objectives, timing, activities, exit ticket and differentiation.",
    inputSchema: LessonPlanInputs,
    workflow: {
      definition: WorkflowDefinition.parse(definition()),
      inputSchema: LessonPlanInputs,
      transforms: {
        ...stage.transforms,
        "lesson-plan.fitTiming": (input) => {
          const grounded = input.standards as GroundedStandards | undefined;
          const allowed = new Set((grounded?.standards ?? []).map((s) => s.code.toUpperCase()));
          return stripCodesDeep(fitTiming(input.outline as Outline, Number(input.duration)), allowed);
        },
      },
      schemas: { ...stage.schemas, [OUTLINE]: Outline, [CONTENT]: Content, [DIFFERENTIATION]: Differentiation },
    },
    drafters: { ...stage.drafters, ...lessonPlanDrafters },
    render: renderLessonPlan,
    renderStep: renderLessonStep,
    studentData: false,
  };
}
