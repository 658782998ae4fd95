// The assessment template: identify standards -> generate questions -> create rubric -> assemble.
import { WorkflowDefinition, type WorkflowDefinitionInput } from "../../engine/schema.ts";
import type { Logger } from "../../log.ts";
import type { StandardsSet } from "../standards/load.ts";
import type { GroundedStandards } from "../standards/match.ts";
import { standardsNodes, standardsStage } from "../standards/step.ts";
import type { Template } from "../types.ts";
import { assessmentDrafters } from "./drafts.ts";
import { assembleAssessment, renderAssessment, renderAssessmentStep } from "./render.ts";
import { AssessmentInputs, QUESTIONS, Questions, RUBRIC, Rubric } from "./schemas.ts";

const SYSTEM =
  "You are an experienced teacher and assessment designer. Write clear, unambiguous, grade-appropriate items with accurate answer keys. Never cite a standard code other than those given to you.";

function definition(): WorkflowDefinitionInput {
  const core = { grade: "inputs.grade", subject: "inputs.subject", topic: "inputs.topic" };
  return {
    id: "assessment",
    version: 1,
    title: "Assessment",
    description: "Questions with an answer key and a rubric, aligned to standards from the loaded set.",
    inputs: Object.keys(AssessmentInputs.shape),
    nodes: [
      ...standardsNodes({ next: "questions", framework: "standardsFramework", purpose: "an assessment" }),
      {
        id: "questions",
        kind: "agent",
        title: "Generate questions",
        in: { ...core, count: "inputs.questionCount", types: "inputs.questionTypes", level: "inputs.level", standards: "nodes.standards" },
        system: SYSTEM,
        prompt: [
          'Write exactly {{count}} assessment questions for grade {{grade}} {{subject}} on "{{topic}}".',
          "Question types (mixed when empty: mostly multiple choice, some short answer, one extended response): {{types}}",
          "Depth of Knowledge level (mixed when empty): {{level}}",
          "Standards to align to (cite only these codes in the standard field, else leave it empty): {{standards.standards}}",
          "For multiple choice give four options without letters and the correct option's letter as the answer. For other types give a model answer or scoring notes. Give every question an explanation, points and its DOK level (1-4).",
        ].join("\n"),
        outputSchema: QUESTIONS,
        temperature: 0.4,
        next: ["rubric"],
      },
      {
        id: "rubric",
        kind: "agent",
        title: "Create rubric",
        in: { ...core, questions: "nodes.questions" },
        system: SYSTEM,
        prompt: [
          'Create a scoring rubric for this grade {{grade}} {{subject}} assessment on "{{topic}}".',
          "Questions: {{questions.questions}}",
          "Give 3-5 criteria, each with the same four levels (Exceeds 4, Meets 3, Approaching 2, Beginning 1) and a concrete descriptor per level.",
        ].join("\n"),
        outputSchema: RUBRIC,
        temperature: 0.3,
        next: ["assemble"],
      },
      {
        id: "assemble",
        kind: "transform",
        title: "Assemble answer key",
        fn: "assessment.assemble",
        in: { standards: "nodes.standards", questions: "nodes.questions", rubric: "nodes.rubric", count: "inputs.questionCount" },
      },
    ],
  };
}

export function assessmentTemplate(standards: StandardsSet, logger?: Logger): Template {
  const stage = standardsStage(standards, { logger });
  return {
    id: "assessment",
    command: "assessment",
    title: "Assessment",
    description: "Write an assessment: questions at the level you choose, an answer key and a rubric, aligned to your standards.",
    inputSchema: AssessmentInputs,
    workflow: {
      definition: WorkflowDefinition.parse(definition()),
      inputSchema: AssessmentInputs,
      transforms: {
        ...stage.transforms,
        "assessment.assemble": (input) =>
          assembleAssessment({
            standards: input.standards as GroundedStandards | undefined,
            questions: input.questions as Questions | undefined,
            rubric: input.rubric as Rubric | undefined,
            count: Number(input.count),
          }),
      },
      schemas: { ...stage.schemas, [QUESTIONS]: Questions, [RUBRIC]: Rubric },
    },
    drafters: { ...stage.drafters, ...assessmentDrafters },
    render: renderAssessment,
    renderStep: renderAssessmentStep,
    studentData: false,
  };
}
