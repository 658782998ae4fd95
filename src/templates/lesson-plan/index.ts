// The lesson-plan template: research standards -> outline (timing fitted) -> content and differentiation in parallel.
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
import { fitTiming } from "./timing.ts";

const SYSTEM =
  "You are an experienced teacher and instructional coach writing practical, classroom-ready lesson plans. Be concrete: name the example, the question, the task. Never cite a standard code other than those given to you.";

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
        in: {
          ...core,
          duration: "inputs.duration",
          objectives: "inputs.objectives",
          classProfile: "inputs.classProfile",
          materials: "inputs.materials",
          standards: "nodes.standards",
        },
        system: SYSTEM,
        prompt: [
          'Outline a {{duration}}-minute {{subject}} lesson for grade {{grade}} on "{{topic}}". Write in {{language}}.',
          "Teacher's objectives (may be empty): {{objectives}}",
          "Class profile (may be empty): {{classProfile}}",
          "Materials available (may be empty): {{materials}}",
          "Standards (cite only these codes, or none): {{standards.standards}}",
          "Standards to confirm (no codes): {{standards.toConfirm}}",
          "Return a title, 2-5 measurable objectives, the materials list, and the sections warm-up, direct-instruction, guided-practice, independent-practice and exit-ticket, each with minutes (adding up to {{duration}}) and a one-sentence focus.",
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
        next: ["content", "differentiation"],
      },
      {
        id: "content",
        kind: "agent",
        title: "Develop content",
        in: { ...core, materials: "inputs.materials", outline: "nodes.timing" },
        system: SYSTEM,
        prompt: [
          'Develop the activities of this grade {{grade}} {{subject}} lesson on "{{topic}}". Write in {{language}}.',
          "Outline (keep its sections and minutes): {{outline}}",
          "Materials available (may be empty): {{materials}}",
          "For warmUp, directInstruction, guidedPractice and independentPractice give a summary, teacher moves and student tasks. For exitTicket give a summary, 2-4 questions and success criteria.",
        ].join("\n"),
        outputSchema: CONTENT,
        temperature: 0.5,
      },
      {
        id: "differentiation",
        kind: "agent",
        title: "Add differentiation",
        in: { ...core, classProfile: "inputs.classProfile", outline: "nodes.timing" },
        system: SYSTEM,
        prompt: [
          'Add differentiation to this grade {{grade}} {{subject}} lesson on "{{topic}}". Write in {{language}}.',
          "Class profile (may be empty): {{classProfile}}",
          "Outline: {{outline}}",
          "Give concrete strategies for English learners (ell), students who need additional support, including IEP/504 accommodations (support), and advanced learners (extension).",
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
