// The fields a conversation asks about, read from a template's zod input schema, and the one check
// every value goes through (typed answer, button click, parsed request, model extraction alike).
import type { z } from "zod";
import { describeField, type FieldDescription, fieldForKey, normaliseKey } from "../templates/fields.ts";
import { shorten } from "../util/shorten.ts";

/** A field as the conversation needs it: its description plus the zod schema that validates it. */
export type ConversationField = FieldDescription & { schema: z.ZodType };

/** Longest answer read for one field; longer text is refused with a request to shorten it. */
export const MAX_ANSWER_CHARS = 4000;

/** Every non-internal field of an object schema, in schema order. */
export function conversationFields(schema: z.ZodObject<z.ZodRawShape>): ConversationField[] {
  return Object.entries(schema.shape)
    .map(([name, field]) => ({ ...describeField(name, field as z.core.$ZodType), schema: field as unknown as z.ZodType }))
    .filter((f) => !f.internal);
}

export type FieldCheck = { ok: true; value: unknown } | { ok: false; message: string };

/**
 * Validates one raw value (text as typed, or a value from a parser) with the field's own schema, which
 * also normalises it ("5th grade" -> "5"). `value` undefined means "not given" (blank optional answer).
 */
export function checkField(field: ConversationField, raw: unknown): FieldCheck {
  if (typeof raw === "string" && raw.length > MAX_ANSWER_CHARS) {
    return { ok: false, message: `That is longer than I can take (${MAX_ANSWER_CHARS} characters at most); please shorten it.` };
  }
  let result: ReturnType<z.ZodType["safeParse"]>;
  try {
    result = field.schema.safeParse(raw);
  } catch {
    // A schema's own preprocess throwing is a template bug; the teacher still gets a plain answer.
    return { ok: false, message: `I could not read that as ${article(field.label)}.` };
  }
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, message: friendlyIssue(field, result.error.issues[0]?.message) };
}

/** Zod's default messages read like code ("Too small: expected ..."); prefer one built from the field's bounds. */
function friendlyIssue(field: ConversationField, message: string | undefined): string {
  const generic = !message || /^(Invalid|Too (small|big)|Expected|Required)\b/i.test(message) || message.includes("received");
  if (!generic) return message;
  if (field.choices?.length) return `Choose one of: ${field.choices.map((c) => c.label).join(", ")}.`;
  if (field.type === "integer" || field.type === "number") {
    const whole = field.type === "integer" ? "a whole number" : "a number";
    if (field.min !== undefined && field.max !== undefined) return `${field.label} should be ${whole} from ${field.min} to ${field.max}.`;
    return `${field.label} should be ${whole}.`;
  }
  if (field.maxLength !== undefined) return `${field.label} should be some text of at most ${field.maxLength} characters.`;
  return `${field.label} is needed.`;
}

function article(label: string): string {
  const lower = label.toLowerCase();
  return /^[aeiou]/.test(lower) ? `an ${lower}` : `a ${lower}`;
}

/** How a stored value reads in summaries: choice labels, minutes for durations. */
export function displayValue(field: ConversationField, value: unknown): string {
  if (value === undefined || value === null || value === "") return "(none)";
  const choice = field.choices?.find((c) => c.value === value);
  if (choice) return choice.label;
  if (typeof value === "number" && isDuration(field)) return `${value} min`;
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return shorten(text, 200);
}

export function isDuration(field: Pick<FieldDescription, "name" | "label" | "type">): boolean {
  return (field.type === "integer" || field.type === "number") && /duration|minute|length|time/i.test(`${field.name} ${field.label}`);
}

export { normaliseKey };

/** The field a `key:` or `change <key>` names: its name, label or one of its aliases (from the field table). */
export function findField(fields: ConversationField[], key: string): ConversationField | undefined {
  return fieldForKey(fields, key);
}

/**
 * The choices a field offers (a form's select, a question's buttons): all of them, or, when the field they depend on is already known (the subject
 * prefilled from last time), only those that fit it, so a math form never offers NGSS. The submission is
 * checked for fit as well, for the subject typed into the same form.
 */
export function fittingChoices(field: ConversationField, others: Record<string, unknown>): { value: string; label: string }[] {
  const choices = field.choices ?? [];
  const other = field.fitsWith ? others[field.fitsWith.field] : undefined;
  if (!field.fitsWith || typeof other !== "string" || other.trim() === "") return choices;
  const fit = field.fitsWith;
  return choices.filter((c) => fit.fits(c.value, other));
}
