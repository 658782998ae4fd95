// A template's conversation spec: its field table (every non-internal input) and the whole-request check
// by its zod input schema. One place builds it; the chat core caches it per template.
import type { Template } from "../templates/types.ts";
import { type ConversationField, conversationFields } from "./fields.ts";
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
      if (parsed.success) {
        const data = parsed.data as Record<string, unknown>;
        const misfit = misfitOf(fields, data);
        return misfit ?? { ok: true, values: data };
      }
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

/**
 * The first choice that does not fit the field it depends on (NGSS for a math lesson), as the one sentence
 * the teacher reads, naming the choices that would fit.
 */
function misfitOf(fields: ConversationField[], values: Record<string, unknown>): { ok: false; message: string; field: string } | undefined {
  for (const field of fields) {
    const fit = field.fitsWith;
    const choice = values[field.name];
    const other = values[fit?.field ?? ""];
    if (!fit || typeof choice !== "string" || typeof other !== "string" || fit.fits(choice, other)) continue;
    const label = (value: string) => field.choices?.find((c) => c.value === value)?.label ?? value;
    const fitting = (field.choices ?? []).filter((c) => fit.fits(c.value, other)).map((c) => c.label);
    return {
      ok: false,
      field: field.name,
      message: `${field.label}: ${label(choice)} has no standards for ${other}; choose ${fitting.join(", ").replace(/, ([^,]*)$/, " or $1")}.`,
    };
  }
  return undefined;
}
