// Use case "request": a template's command opens a thread with its root message and starts the guided
// conversation from what was typed (typed fields, the free text, the teacher's profile); plus completions.

import { checkField } from "../../conversation/fields.ts";
import type { ConversationSpec } from "../../conversation/machine.ts";
import { startConversation, templateHelp } from "../../conversation/machine.ts";
import { KNOWN_SUBJECTS, MAX_REQUEST_CHARS, parseRequest } from "../../conversation/parse.ts";
import { rememberedFor } from "../../conversation/profile.ts";
import type { Template } from "../../templates/types.ts";
import { type ChatContext, codeOf } from "../context.ts";
import type { ChatUser, CommandArgs, Inbound } from "../contract.ts";
import { applyTurn } from "./conversation.ts";
import { claimThread, openRequestThread } from "./thread.ts";

export async function startRequest(ctx: ChatContext, inbound: Inbound, template: Template, args: CommandArgs): Promise<void> {
  const { surface, user, place } = inbound;
  const spec = ctx.spec(template);
  const fullText = `${args.text ?? ""}${typeof args.fields?.text === "string" ? ` ${args.fields.text}` : ""}`.trim();
  // "/lesson-plan help" asks how the command works; it is never a topic.
  if (/^(help|\?|--help|-h)$/i.test(fullText) && Object.keys(args.fields ?? {}).every((k) => k === "text")) {
    await surface.notify(place, user, { text: templateHelp(spec), role: "notice" });
    return;
  }
  const text = fullText.slice(0, MAX_REQUEST_CHARS);
  const typed: Record<string, unknown> = {};
  const typedErrors: string[] = [];
  for (const [name, value] of Object.entries(args.fields ?? {})) {
    const field = spec.fields.find((f) => f.name === name);
    if (!field) continue;
    const check = checkField(field, value);
    if (check.ok && check.value !== undefined) typed[name] = check.value;
    else if (!check.ok) typedErrors.push(`${field.label}: ${check.message}`);
  }
  const thread = await openRequestThread(ctx, inbound, template, text);
  if (!thread) return;
  // Requests about a student may name them, and names never go to a model: no model extraction there.
  const extracted = template.studentData ? {} : await extractFields(ctx, text, spec, typed);
  const profile = await ctx.profiles.get(user.id);
  const memory = (await ctx.profiles.memory(user.id))[template.id];
  const turn = startConversation(spec, {
    text: fullText,
    values: { ...extracted, ...typed },
    remembered: (values) => rememberedFor(spec.fields, memory, profile, values),
  });
  await claimThread(ctx, inbound, thread, template, async (rec, now) => {
    const prompts = [...typedErrors.map((e) => ({ kind: "error" as const, text: e })), ...turn.prompts];
    await applyTurn(ctx, inbound, rec, { ...turn, prompts }, now);
  });
}

async function extractFields(
  ctx: ChatContext,
  text: string,
  spec: ConversationSpec,
  typed: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  if (!ctx.extract || text === "") return {};
  const parsed = parseRequest(text, spec.fields);
  const missing = spec.fields.filter((f) => f.required && !(f.name in parsed.values) && !(f.name in typed));
  if (missing.length === 0 && parsed.unused === "") return {};
  try {
    const raw = await ctx.extract(text, spec.fields);
    const out: Record<string, unknown> = {};
    const said = squash(text);
    for (const field of spec.fields) {
      if (field.name in parsed.values || raw[field.name] === undefined || raw[field.name] === null) continue;
      // Draft first starts at once, so facts (key points, student work, objectives) must be the teacher's own
      // words: a long-text value the request does not contain is a model's invention and is dropped.
      if (field.multiline && !said.includes(squash(String(raw[field.name])))) continue;
      const check = checkField(field, raw[field.name]);
      if (check.ok && check.value !== undefined) out[field.name] = check.value;
    }
    return out;
  } catch (error) {
    ctx.logger.warn({ err: codeOf(error) }, "field extraction failed; using the deterministic parse only");
    return {};
  }
}

/** Lower case, one space between words, no quotes: how "contains the teacher's words" is compared. */
function squash(text: string): string {
  return text
    .toLowerCase()
    .replace(/["'\u201c\u201d\u2018\u2019]/g, "")
    .replace(/\s+/g, " ")
    .trim();
}

/** Completions for a command field: its choices, or the teacher's own earlier values and known subjects. */
export async function complete(
  ctx: ChatContext,
  user: ChatUser,
  command: string,
  fieldName: string,
  partial: string,
): Promise<{ value: string; label: string }[]> {
  try {
    const template = ctx.templateFor(command);
    const field = template ? ctx.spec(template).fields.find((f) => f.name === fieldName) : undefined;
    if (!template || !field) return [];
    const needle = partial.trim().toLowerCase().slice(0, 100);
    const matches = (label: string) => needle === "" || label.toLowerCase().includes(needle);
    if (field.choices) return field.choices.filter((c) => matches(c.label) || matches(c.value)).slice(0, 25);
    const seen = new Set<string>();
    const out: { value: string; label: string }[] = [];
    const add = (value: unknown) => {
      if (typeof value !== "string" || value.trim() === "" || seen.has(value.toLowerCase()) || !matches(value)) return;
      if (!checkField(field, value).ok) return;
      seen.add(value.toLowerCase());
      out.push({ value: value.slice(0, 100), label: value.slice(0, 100) });
    };
    const profile = await ctx.profiles.get(user.id);
    if (/subject/i.test(field.name)) add(profile.subject);
    for (const r of await ctx.engine.list({ userId: user.id, limit: 50 })) add(r.inputs[field.name]);
    if (/subject/i.test(field.name)) for (const s of KNOWN_SUBJECTS) add(s);
    return out.slice(0, 25);
  } catch (error) {
    ctx.logger.warn({ err: codeOf(error) }, "completion failed");
    return [];
  }
}
