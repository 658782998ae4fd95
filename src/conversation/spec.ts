// A template's conversation spec: its field table (every non-internal input) and the whole-request check
// by its zod input schema. One place builds it; the chat core caches it per template.
import type { Template } from "../templates/types.ts";
import { conversationFields } from "./fields.ts";
import type { ConversationSpec } from "./machine.ts";

export function specOf(template: Pick<Template, "id" | "command" | "title" | "inputSchema">): ConversationSpec {
  const fields = conversationFields(template.inputSchema);
  return {
    templateId: template.id,
    command: template.command,
    title: template.title,
    fields,
    validate: (values) => {
      const parsed = template.inputSchema.safeParse(values);
      if (parsed.success) return { ok: true, values: parsed.data as Record<string, unknown> };
      const issue = parsed.error.issues[0];
      const name = typeof issue?.path[0] === "string" ? issue.path[0] : undefined;
      const field = fields.find((f) => f.name === name);
      return {
        ok: false,
        message: `${field ? `${field.label}: ` : ""}${issue?.message ?? "something doesn't fit"}`,
        ...(field ? { field: field.name } : {}),
      };
    },
  };
}
