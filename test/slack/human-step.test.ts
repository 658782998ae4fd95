// A workflow with a human step, through Slack: the question appears in the thread with buttons, survives a
// restart of the whole process, and a click on the original message resumes the execution.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { z } from "zod";
import { WorkflowDefinition } from "../../src/engine/schema.ts";
import type { Template } from "../../src/templates/types.ts";
import { startFake } from "./helpers.ts";
import { startStack, Teacher, textOf } from "./stack.ts";

const tmp = mkdtempSync(join(tmpdir(), "staffroom-slack-human-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const inputSchema = z.object({
  topic: z
    .string()
    .trim()
    .min(2)
    .max(100)
    .meta({ label: "Topic", question: "What should the department check?", help: "A few words.", example: "fractions unit" }),
});

const checkIn: Template = {
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

it("asks a human step in the thread and resumes from a click after a restart", async () => {
  const fake = await startFake();
  const storeUrl = `sqlite://${join(tmp, "human.sqlite")}`;
  let stack = await startStack(fake, { storeUrl, extraTemplates: [checkIn] });
  try {
    const t = new Teacher(fake, () => stack.url, "U0TEACHER", "C0HUMAN");
    await t.command("check-in", 'topic:"fractions unit"');
    const root = await fake.waitFor(() => fake.messages.find((m) => m.channel === "C0HUMAN" && !m.threadTs), 5000, "root");
    const summary = await fake.waitFor(
      () => fake.threadMessages("C0HUMAN", root.ts).find((m) => /ready to run/i.test(textOf(m))),
      5000,
      "summary",
    );
    await t.click(summary, /^Run$/);
    const question = await fake.waitFor(
      () => fake.threadMessages("C0HUMAN", root.ts).find((m) => textOf(m).includes("Share this check-in")),
      8000,
      "human question",
    );
    expect(JSON.stringify(question.blocks)).toContain("Yes, share it");
    await stack.core.idle();
    await stack.crash();

    stack = await startStack(fake, { storeUrl, extraTemplates: [checkIn] });
    await t.click(question, /^Yes, share it$/);
    const done = await fake.waitFor(
      () => {
        const r = fake.message("C0HUMAN", root.ts);
        return r && /done in/.test(textOf(r)) ? r : undefined;
      },
      10_000,
      "root done",
    );
    expect(textOf(done)).toContain("Department check-in");
    const file = fake.files.find((f) => f.threadTs === root.ts);
    expect(file?.content).toContain('"yes"');
    expect(fake.violations).toEqual([]);
  } finally {
    await stack.stop();
    await fake.stop();
  }
});
