// Forms, pure: a template's field table as a platform-neutral FormSpec (Slack and Discord render it as a
// modal), the check of a submitted form (each field's own check, then the template's schema), and the
// values a form opens with. Built from the field table alone, so a field added to a template is in its forms.
import { type ConversationField, checkField, fittingChoices } from "../conversation/fields.ts";
import type { ConversationSpec } from "../conversation/machine.ts";
import type { FormCheck, FormField, FormInput, FormLimits, FormProblem, FormSpec, FormValues } from "./contract.ts";

/** Text fields that may hold more than this many characters get a multi-line input. */
export const PARAGRAPH_OVER_CHARS = 300;

/** How a field is entered, from its type and limits in the field table. */
export function inputOf(field: ConversationField): FormInput {
  if (field.choices?.length) return "select";
  if (field.type === "integer" || field.type === "number") return "number";
  return (field.maxLength ?? Number.POSITIVE_INFINITY) > PARAGRAPH_OVER_CHARS ? "paragraph" : "text";
}

/** A value as a form shows it: a choice's value, a number's digits, text as is; undefined for nothing. */
export function formText(value: unknown): string | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return String(value);
  return undefined;
}

/**
 * The fields a form holds: every field of the table when it fits, else the required ones and then optional
 * ones in table order up to `maxFields`. Undefined when the required fields alone do not fit.
 */
export function formFields(fields: readonly ConversationField[], limits: FormLimits = {}): ConversationField[] | undefined {
  const max = limits.maxFields ?? Number.POSITIVE_INFINITY;
  if (fields.length <= max) return [...fields];
  const required = fields.filter((f) => f.required);
  if (required.length > max) return undefined;
  const room = max - required.length;
  const keep = new Set([...required, ...fields.filter((f) => !f.required).slice(0, room)]);
  return fields.filter((f) => keep.has(f));
}

/** A field's form description, prefilled with `initial` when that value passes the field's own check. */
export function formField(field: ConversationField, initial: unknown, others: Record<string, unknown> = {}): FormField {
  const out: FormField = { name: field.name, label: field.label, input: inputOf(field), required: field.required };
  // A select's choices speak for themselves; its help is about typing them ("5th" for grade 5).
  if (field.help && out.input !== "select") out.hint = field.help;
  if (field.example) out.placeholder = field.example;
  if (field.choices?.length) out.options = fittingChoices(field, others).map((c) => ({ value: c.value, label: c.label }));
  if (out.input === "number") {
    out.integer = field.type === "integer";
    if (field.min !== undefined) out.min = field.min;
    if (field.max !== undefined) out.max = field.max;
  } else if (field.maxLength !== undefined) out.maxLength = field.maxLength;
  const text = formText(initial);
  if (text !== undefined) {
    // A select opens on a choice only when the value is one (checked as the conversation would read it).
    if (out.options) {
      const check = checkField(field, text);
      const value = check.ok ? formText(check.value) : undefined;
      if (value !== undefined && out.options.some((o) => o.value === value)) out.initial = value;
    } else out.initial = text;
  }
  return out;
}

/**
 * A template's form. `initial` holds what it opens with, by field name (the caller decides the sources:
 * the teacher's profile for this template, the conversation so far, what was typed in a refused form).
 */
export function buildForm(spec: ConversationSpec, initial: Record<string, unknown>, limits: FormLimits = {}): FormSpec | undefined {
  const fields = formFields(spec.fields, limits);
  if (!fields) return undefined;
  const kept = new Set(fields.map((f) => f.name));
  return {
    command: spec.command,
    title: spec.title,
    fields: fields.map((f) => formField(f, initial[f.name], initial)),
    omitted: spec.fields.filter((f) => !kept.has(f.name)).map((f) => f.label),
  };
}

/** Values as submitted: trimmed, blanks dropped, only the template's own fields. */
export function submittedValues(spec: ConversationSpec, values: FormValues): Record<string, string> {
  const out: Record<string, string> = {};
  for (const field of spec.fields) {
    const raw = values[field.name];
    if (typeof raw === "string" && raw.trim() !== "") out[field.name] = raw;
  }
  return out;
}

export type FormResult = { ok: true; values: Record<string, unknown> } | { ok: false; problems: FormProblem[] };

/**
 * Checks a submitted form as the conversation checks answers: each field with its own schema (so "5th"
 * is grade 5 here as there), a required field left blank is named, then the whole with the template's schema.
 */
export function checkSubmission(spec: ConversationSpec, values: FormValues): FormResult {
  const given = submittedValues(spec, values);
  const problems: FormProblem[] = [];
  const parsed: Record<string, unknown> = {};
  for (const field of spec.fields) {
    const raw = given[field.name];
    if (raw === undefined) {
      if (field.required) problems.push({ field: field.name, label: field.label, message: `${field.label} is needed.` });
      continue;
    }
    const check = checkField(field, raw);
    if (!check.ok) problems.push({ field: field.name, label: field.label, message: check.message });
    else if (check.value !== undefined) parsed[field.name] = check.value;
  }
  if (problems.length > 0) return { ok: false, problems };
  const whole = spec.validate?.(parsed) ?? { ok: true as const, values: parsed };
  if (whole.ok) return { ok: true, values: whole.values };
  const field = spec.fields.find((f) => f.name === whole.field) ?? spec.fields[0];
  // The template's message already starts with the field's label when it names one.
  const message = field && whole.message.startsWith(`${field.label}: `) ? whole.message.slice(field.label.length + 2) : whole.message;
  return { ok: false, problems: [{ field: field?.name ?? "", label: field?.label ?? "", message }] };
}

/** The public shape of a check (surfaces need the problems, not the parsed values). */
export function formCheck(result: FormResult): FormCheck {
  return result.ok ? { ok: true } : { ok: false, problems: result.problems };
}
