// The assessment template: identify standards -> generate questions -> count them (top up the missing ones)
// -> a rubric scoring the actual questions and standards -> assemble with points that add up.
import { WorkflowDefinition, type WorkflowDefinitionInput, type WorkflowNodeInput } from "../../engine/schema.ts";
import type { Logger } from "../../log.ts";
import type { StandardsSet } from "../standards/load.ts";
import type { GroundedStandards } from "../standards/match.ts";
import { standardsNodes, standardsStage } from "../standards/step.ts";
import type { Template } from "../types.ts";
import { assessmentDrafters } from "./drafts.ts";
import { assembleAssessment, countQuestions, renderAssessment, renderAssessmentStep } from "./render.ts";
import { AssessmentInputs, type CountedQuestions, QUESTIONS, Questions, RUBRIC, Rubric } from "./schemas.ts";

const SYSTEM =
  "You are an experienced teacher and assessment designer. Write clear, unambiguous, grade-appropriate items with accurate answer keys. Never cite a standard code other than those given to you.";

/** What every question-writing step is told beyond the count. */
const ask = { types: "inputs.questionTypes", level: "inputs.level", standards: "nodes.standards" };
const QUESTION_LINES = [
  "Question types (mixed when empty: mostly multiple choice, some short answer, one extended response): {{types}}",
  "Depth of Knowledge level (mixed when empty): {{level}}",
  "Standards to align to (cite only these codes in the standard field, else leave it empty): {{standards.standards}}",
  "For multiple choice give four options without letters and the correct option's letter as the answer; every wrong option must come from a real misconception students hold about this topic, named in misconceptions (one per wrong option, in order). For other types give a model answer or scoring notes (under 1500 characters) and the mistakes to watch for in misconceptions. Give every question an explanation, points and its DOK level (1-4).",
];

/** The rubric on the counted questions, then the assembly; once per branch of the count check. */
function rubricNodes(rubricId: string, assembleId: string, questions: string): WorkflowNodeInput[] {
  return [
    {
      id: rubricId,
      kind: "agent",
      title: "Create rubric",
      in: { grade: "inputs.grade", subject: "inputs.subject", topic: "inputs.topic", questions, standards: "nodes.standards" },
      system: SYSTEM,
      prompt: [
        'Create a scoring rubric for this grade {{grade}} {{subject}} assessment on "{{topic}}".',
        "The questions, numbered, with type, points and standard:",
        "{{questions.numbered}}",
        "Standards assessed (cite only these codes): {{standards.standards}}",
        "The rubric scores questions {{questions.scored}}, worth {{questions.scoredPoints}} points together.",
        "Give 3-5 criteria. Each names the question numbers it scores and the standard it assesses, and has the same four levels (Exceeds, Meets, Approaching, Beginning) with a concrete descriptor about those questions. The top levels' points of all criteria must add up to {{questions.scoredPoints}}.",
      ].join("\n"),
      outputSchema: RUBRIC,
      temperature: 0.3,
      next: [assembleId],
    },
    {
      id: assembleId,
      kind: "transform",
      title: "Assemble answer key",
      fn: "assessment.assemble",
      in: { standards: "nodes.standards", questions, rubric: `nodes.${rubricId}`, count: "inputs.questionCount" },
    },
  ];
}

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
        in: { ...core, ...ask, count: "inputs.questionCount" },
        system: SYSTEM,
        prompt: ['Write exactly {{count}} assessment questions for grade {{grade}} {{subject}} on "{{topic}}".', ...QUESTION_LINES].join(
          "\n",
        ),
        outputSchema: QUESTIONS,
        temperature: 0.4,
        next: ["count"],
      },
      {
        id: "count",
        kind: "transform",
        title: "Check the number of questions",
        fn: "assessment.count",
        in: { questions: "nodes.questions", count: "inputs.questionCount", standards: "nodes.standards" },
        next: ["enough"],
      },
      {
        // Too few questions is repaired by asking for the missing ones, never accepted silently. The engine
        // lets a node read only nodes that always run before it, so each branch has its own rubric and assembly.
        id: "enough",
        kind: "condition",
        title: "Enough questions?",
        branches: [{ when: [{ path: "nodes.count.missing", op: "gt", value: 0 }], to: "top-up" }],
        otherwise: "rubric",
      },
      ...rubricNodes("rubric", "assemble", "nodes.count"),
      {
        id: "top-up",
        kind: "agent",
        title: "Write the missing questions",
        in: { ...core, ...ask, count: "nodes.count.missing", existing: "nodes.count.numbered" },
        system: SYSTEM,
        prompt: [
          'Write exactly {{count}} more assessment questions for grade {{grade}} {{subject}} on "{{topic}}", different from these:',
          "{{existing}}",
          ...QUESTION_LINES,
        ].join("\n"),
        outputSchema: QUESTIONS,
        temperature: 0.4,
        next: ["merge"],
      },
      {
        id: "merge",
        kind: "transform",
        title: "Add the missing questions",
        fn: "assessment.count",
        in: { questions: "nodes.count", more: "nodes.top-up", count: "inputs.questionCount", standards: "nodes.standards" },
        next: ["top-up-rubric"],
      },
      ...rubricNodes("top-up-rubric", "top-up-assemble", "nodes.merge"),
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
        "assessment.count": (input) =>
          countQuestions({
            standards: input.standards as GroundedStandards | undefined,
            questions: input.questions as Questions | CountedQuestions | undefined,
            more: input.more as Questions | undefined,
            count: Number(input.count),
          }),
        "assessment.assemble": (input) =>
          assembleAssessment({
            standards: input.standards as GroundedStandards | undefined,
            questions: input.questions as CountedQuestions | undefined,
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
