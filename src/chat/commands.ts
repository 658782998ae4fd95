// The command list every surface registers (Discord typed options) or lists (Slack manifest), built
// from the templates' input schemas, plus the `staffroom` admin command and its subcommands.
import { conversationFields } from "../conversation/fields.ts";
import { usageHint } from "../templates/fields.ts";
import type { Template } from "../templates/types.ts";
import { shorten } from "../util/shorten.ts";
import type { CommandField, CommandSpec } from "./contract.ts";

export const STAFFROOM_SUBCOMMANDS: NonNullable<CommandSpec["subcommands"]> = [
  { name: "help", description: "What I can do and how to answer my questions" },
  {
    name: "status",
    description: "Progress of one of your requests",
    arg: { name: "id", description: "Request number (#7) or id", required: true },
  },
  { name: "history", description: "Your requests with their numbers, newest first" },
  {
    name: "open",
    description: "Post one of your documents again, in a new thread",
    arg: { name: "number", description: "Request number, e.g. 7 or 7 v2", required: true },
  },
  { name: "stats", description: "Runs, success rate and timings per workflow" },
  {
    name: "profile",
    description: "Show or set your defaults (grade, subject, framework, language, school)",
    arg: { name: "settings", description: "For example: grade=5 subject=Science", required: false },
  },
  { name: "forget", description: "Delete your profile, conversations and requests" },
  {
    name: "cancel",
    description: "Cancel one of your running requests",
    arg: { name: "id", description: "Request number (#7) or id", required: true },
  },
];

export function commandSpecs(templates: Template[]): CommandSpec[] {
  const specs = templates.map((t): CommandSpec => {
    const fields = conversationFields(t.inputSchema).map((f): CommandField => {
      const field: CommandField = {
        name: f.name,
        description: shorten(f.question || f.label, 100),
        type: f.type === "enum" ? "string" : f.type,
        required: f.required,
      };
      if (f.choices) field.choices = f.choices.slice(0, 25).map((c) => ({ value: c.value, label: shorten(c.label, 100) }));
      if (f.min !== undefined) field.min = f.min;
      if (f.max !== undefined) field.max = f.max;
      if (f.maxLength !== undefined) field.maxLength = f.maxLength;
      if (!f.choices && /subject/i.test(f.name)) field.autocomplete = true;
      return field;
    });
    // The same hint everywhere (Slack manifest, /help, the CLI), from the template's field table.
    const usage = `/${t.command} ${usageHint(conversationFields(t.inputSchema))}`;
    return { name: t.command, description: shorten(t.description, 100), usage, fields, studentData: t.studentData };
  });
  specs.push({
    name: "staffroom",
    description: "Help, history, open, status, stats, your profile, forget, cancel",
    usage:
      "/staffroom help | history | open <number> [v2] | status <number> | stats | profile [grade=5 subject=Science] | forget | cancel <number>",
    fields: [],
    subcommands: STAFFROOM_SUBCOMMANDS,
    studentData: false,
  });
  return specs;
}
