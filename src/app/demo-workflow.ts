// A small, harmless example workflow ("demo-lesson"): a transform, two agent nodes with structured output
// running in parallel, and a join. It shows the engine end to end and gives the CLI and tests something real.
import { z } from "zod";
import type { ExecutionView } from "../engine/records.ts";
import type { WorkflowDefinitionInput } from "../engine/schema.ts";
import { WorkflowDefinition } from "../engine/schema.ts";
import type { Template } from "../templates/types.ts";

export const DEMO_ID = "demo-lesson";

const Objectives = z.object({ objectives: z.array(z.string().min(1).max(300)).min(2).max(5) });
const Activities = z.object({
  activities: z
    .array(z.object({ name: z.string().min(1).max(120), minutes: z.number().int().min(1).max(240), description: z.string().max(600) }))
    .min(2)
    .max(6),
});

const inputSchema = z.object({
  topic: z
    .string()
    .trim()
    .min(2, "Please give a topic of at least two characters.")
    .max(200, "Please keep the topic under 200 characters.")
    .meta({
      label: "Topic",
      question: "What is the lesson about?",
      help: "A few words, e.g. equivalent fractions.",
      example: "equivalent fractions",
    }),
  grade: z
    .string()
    .trim()
    .max(40)
    .optional()
    .meta({ label: "Grade", question: "Which grade or year is it for?", help: "Optional, e.g. 5 or Year 6.", example: "5" }),
  minutes: z.coerce
    .number({ message: "Minutes should be a number, e.g. 45." })
    .int("Minutes should be a whole number.")
    .min(10, "A lesson should be at least 10 minutes.")
    .max(180, "A lesson should be at most 180 minutes.")
    .default(45)
    .meta({ label: "Minutes", question: "How long is the lesson, in minutes?", help: "10 to 180; 45 when left out.", example: "45" }),
});

type Brief = { topic: string; audience: string; minutes: number };

const definition: WorkflowDefinitionInput = {
  id: DEMO_ID,
  version: 1,
  title: "Demo: quick lesson sketch",
  description: "Objectives and activities for one lesson, drafted in parallel and joined into a short plan.",
  inputs: ["topic", "grade", "minutes"],
  nodes: [
    {
      id: "brief",
      kind: "transform",
      title: "Read the request",
      fn: "demo.brief",
      in: { topic: "inputs.topic", grade: "inputs.grade", minutes: "inputs.minutes" },
      next: ["objectives", "activities"],
    },
    {
      id: "objectives",
      kind: "agent",
      title: "Draft learning objectives",
      in: { topic: "nodes.brief.topic", audience: "nodes.brief.audience" },
      system: "You are an experienced teacher who writes clear, measurable learning objectives.",
      prompt: "Write 2 to 4 learning objectives for a lesson on {{topic}} for {{audience}}. Start each with a verb.",
      outputSchema: "demo_objectives",
      next: ["plan"],
    },
    {
      id: "activities",
      kind: "agent",
      title: "Draft activities",
      in: { brief: "nodes.brief" },
      system: "You are an experienced teacher who plans engaging, well-timed lessons.",
      prompt: "Plan 3 or 4 activities for this lesson: {{brief}}. Their minutes should add up to the lesson's minutes.",
      outputSchema: "demo_activities",
      next: ["plan"],
    },
    {
      id: "plan",
      kind: "transform",
      title: "Put the plan together",
      fn: "demo.plan",
      in: { brief: "nodes.brief", objectives: "nodes.objectives.objectives", activities: "nodes.activities.activities" },
    },
  ],
};

function brief(input: Record<string, unknown>): Brief {
  const grade = typeof input.grade === "string" && input.grade.trim() !== "" ? input.grade.trim() : undefined;
  const audience = grade === undefined ? "a mixed-ability class" : /^\d+$/.test(grade) ? `grade ${grade}` : grade;
  return { topic: String(input.topic), audience, minutes: Number(input.minutes) };
}

function plan(input: Record<string, unknown>): { title: string; markdown: string } {
  const b = input.brief as Brief;
  const objectives = (input.objectives as string[] | undefined) ?? [];
  const activities = (input.activities as z.infer<typeof Activities>["activities"] | undefined) ?? [];
  const planned = activities.reduce((sum, a) => sum + a.minutes, 0);
  const title = `Lesson sketch: ${b.topic}`;
  const lines = [
    `# ${title}`,
    "",
    `For ${b.audience}, ${b.minutes} minutes.`,
    "",
    "## Objectives",
    ...objectives.map((o) => `- ${o}`),
    "",
    "## Activities",
    ...activities.map((a, i) => `${i + 1}. **${a.name}** (${a.minutes} min)${a.description ? `: ${a.description}` : ""}`),
  ];
  if (planned !== b.minutes) lines.push("", `_The activities add up to ${planned} minutes; adjust them to fit ${b.minutes}._`);
  return { title, markdown: lines.join("\n") };
}

/** Offline drafts that read like a plan rather than placeholders. */
const drafters: Template["drafters"] = {
  demo_objectives: (vars) => {
    const topic = String(vars.topic ?? "the topic");
    return {
      objectives: [
        `[Offline draft] Explain the key idea of ${topic} in their own words.`,
        `[Offline draft] Apply ${topic} to solve two short problems.`,
        `[Offline draft] Describe one everyday example of ${topic}.`,
      ],
    };
  },
  demo_activities: (vars) => {
    const b = vars.brief as Brief;
    const total = Math.max(3, Math.round(b.minutes));
    const warmUp = Math.max(1, Math.round(total * 0.2));
    const closing = Math.max(1, Math.round(total * 0.2));
    return {
      activities: [
        {
          name: "Warm-up",
          minutes: warmUp,
          description: `[Offline draft] Quick questions on what students already know about ${b.topic}.`,
        },
        {
          name: "Guided practice",
          minutes: total - warmUp - closing,
          description: `[Offline draft] Worked examples on ${b.topic}, in pairs.`,
        },
        { name: "Exit ticket", minutes: closing, description: "[Offline draft] One question each; collect at the door." },
      ],
    };
  },
};

function render(view: ExecutionView): { title: string; markdown: string; filename: string } {
  const out = view.nodes.find((n) => n.nodeId === "plan")?.output as { title?: string; markdown?: string } | undefined;
  const title = out?.title ?? "Lesson sketch";
  const banner = view.provider === "offline" ? "> Offline draft: written from templates without AI (no model configured).\n\n" : "";
  return { title, markdown: banner + (out?.markdown ?? "_No plan was produced._"), filename: `${DEMO_ID}-${view.id}.md` };
}

export const demoTemplate: Template = {
  id: DEMO_ID,
  command: DEMO_ID,
  title: "Demo: quick lesson sketch",
  description: "A short example workflow: objectives and activities drafted in parallel, then joined.",
  inputSchema,
  workflow: {
    definition: WorkflowDefinition.parse(definition),
    inputSchema,
    transforms: { "demo.brief": brief, "demo.plan": plan },
    schemas: { demo_objectives: Objectives, demo_activities: Activities },
  },
  drafters,
  render,
  renderStep(nodeId, output) {
    if (nodeId === "objectives") return ((output as z.infer<typeof Objectives>).objectives ?? []).map((o) => `- ${o}`).join("\n");
    return undefined;
  },
  studentData: false,
  source: "builtin",
};
