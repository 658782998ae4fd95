// Small templates for core tests: any workflow with a human step must work in chat, and a failing one
// must produce one friendly sentence. Built with the templates' own field builders.
import { z } from "zod";
import { WorkflowDefinition } from "../../src/engine/schema.ts";
import { textField } from "../../src/templates/fields.ts";
import type { Template } from "../../src/templates/types.ts";

const TopicInputs = z.object({
  topic: textField({ label: "Topic", question: "What is it about?", help: "A few words.", example: "volcanoes" }, { min: 2, max: 100 }),
});

/** draft (agent) -> approve (human, requester only, buttons) -> final (agent). */
export function approvalTemplate(deadlineMs = 3_600_000): Template {
  const definition = WorkflowDefinition.parse({
    id: "approval-demo",
    version: 1,
    title: "Approval demo",
    inputs: ["topic"],
    nodes: [
      { id: "draft", kind: "agent", title: "Draft", prompt: "Draft a note about {{inputs.topic}}.", next: ["approve"] },
      {
        id: "approve",
        kind: "human",
        title: "Teacher approval",
        prompt: "Send this note about {{inputs.topic}}?",
        choices: [
          { value: "yes", label: "Send it" },
          { value: "no", label: "Hold it" },
        ],
        deadline: { afterMs: deadlineMs, action: "cancel" },
        next: ["final"],
      },
      { id: "final", kind: "agent", title: "Finalize", in: { decision: "nodes.approve" }, prompt: "Finalize; decision was {{decision}}." },
    ],
  });
  return {
    id: "approval-demo",
    command: "approval",
    title: "Approval demo",
    description: "A workflow with a human step.",
    inputSchema: TopicInputs,
    workflow: { definition, inputSchema: TopicInputs },
    drafters: {},
    render: (view) => ({
      title: `Note: ${String(view.inputs.topic)}`,
      markdown: `# Note\nDecision: ${String(view.nodes.find((n) => n.nodeId === "approve")?.output)}\n${String(view.nodes.find((n) => n.nodeId === "final")?.output)}`,
      filename: "note.md",
    }),
    renderStep: (nodeId) => (nodeId === "draft" ? "Draft written." : undefined),
    studentData: false,
  };
}

/** One agent step; pair it with a model that refuses, to see how failures read. */
export function singleStepTemplate(): Template {
  const definition = WorkflowDefinition.parse({
    id: "single-step",
    version: 1,
    title: "Single step",
    inputs: ["topic"],
    nodes: [{ id: "only", kind: "agent", title: "Write", prompt: "Write about {{inputs.topic}}." }],
  });
  return {
    id: "single-step",
    command: "single",
    title: "Single step",
    description: "One agent step.",
    inputSchema: TopicInputs,
    workflow: { definition, inputSchema: TopicInputs },
    drafters: {},
    render: (view) => ({ title: "Single", markdown: String(view.nodes[0]?.output), filename: "single.md" }),
    studentData: false,
  };
}
