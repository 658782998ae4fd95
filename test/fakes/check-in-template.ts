// A small template with a human step (the requester confirms before a note is written), for surface tests
// that check questions appear with buttons, survive a restart, and resume the execution when answered.
import { z } from "zod";
import { WorkflowDefinition } from "../../src/engine/schema.ts";
import type { Template } from "../../src/templates/types.ts";

const inputSchema = z.object({
  topic: z
    .string()
    .trim()
    .min(2)
    .max(100)
    .meta({ label: "Topic", question: "What should the department check?", help: "A few words.", example: "fractions unit" }),
});

export const checkIn: Template = {
  id: "check-in",
  command: "check-in",
  title: "Department check-in",
  description: "Asks the requester to confirm, then writes a note.",
  inputSchema,
  workflow: {
    definition: WorkflowDefinition.parse({
      id: "check-in",
      version: 1,
      title: "Department check-in",
      inputs: ["topic"],
      nodes: [
        {
          id: "confirm",
          kind: "human",
          title: "Confirm with the teacher",
          prompt: "Share this check-in with the department?",
          choices: [
            { value: "yes", label: "Yes, share it" },
            { value: "no", label: "No, keep it" },
          ],
          deadline: { afterMs: 3_600_000, action: "skip" },
          next: ["note"],
        },
        {
          id: "note",
          kind: "transform",
          title: "Write the note",
          fn: "checkin.note",
          in: { topic: "inputs.topic", answer: "nodes.confirm" },
        },
      ],
    }),
    inputSchema,
    transforms: {
      "checkin.note": (i: Record<string, unknown>) => ({
        markdown: `# Check-in: ${String(i.topic)}\n\nAnswer: ${JSON.stringify(i.answer)}`,
      }),
    },
  },
  drafters: {},
  render: (view) => ({
    title: "Check-in",
    markdown: String((view.nodes.find((n) => n.nodeId === "note")?.output as { markdown?: string } | undefined)?.markdown ?? ""),
    filename: "check-in.md",
  }),
  studentData: false,
};
