// Use case "form": a bare template command (or a "Fill in a form" click) gets the template's form, prefilled
// from the teacher's profile for that template, the thread's conversation so far, or what was typed; a
// submitted form is checked as the conversation checks answers and starts one execution in a thread.

import { displayValue } from "../../conversation/fields.ts";
import { assumedLine } from "../../conversation/machine.ts";
import { rememberedFor } from "../../conversation/profile.ts";
import type { Template } from "../../templates/types.ts";
import { type ChatContext, threadParts } from "../context.ts";
import {
  type ChatUser,
  type ChoiceAction,
  type CommandArgs,
  FORM_OPEN_ACTION,
  type FormCheck,
  type FormLimits,
  type FormSpec,
  type FormValues,
  type Inbound,
  type Surface,
  type ThreadRef,
} from "../contract.ts";
import { buildForm, checkSubmission, formCheck } from "../forms.ts";
import { type ThreadRecord, threadKey } from "../records.ts";
import { startDraftRun } from "./conversation.ts";
import { claimThread, openRequestThread } from "./thread.ts";

export type FormOptions = { limits?: FormLimits; refused?: boolean; thread?: ThreadRef; direct?: boolean };

const commandName = (name: string) => name.replace(/^\/+/, "").trim().toLowerCase();

/**
 * Whether a command goes to the conversation rather than a form: something was typed with it (the
 * conversation reads it), or it came in a direct message, where the conversation is how the bot talks.
 */
function conversational(args: CommandArgs, direct: boolean): boolean {
  return direct || typedAnything(args);
}

function typedAnything(args: CommandArgs): boolean {
  return (args.text ?? "").trim() !== "" || Object.values(args.fields ?? {}).some((v) => v !== undefined && v !== "");
}

/** The button that opens a request's form from its conversation. */
export function formButton(command: string): ChoiceAction {
  return { id: FORM_OPEN_ACTION, label: "Fill in a form", value: command };
}

/**
 * On surfaces with forms, the first question a request's conversation asks carries "Fill in a form" (the
 * conversation itself knows nothing of forms): the inbound's surface, with that one button added.
 */
export function offeringForm(ctx: ChatContext, inbound: Inbound, command: string): Inbound {
  if (!ctx.rawSurface(inbound.surface).forms) return inbound;
  const inner = inbound.surface;
  let offered = false;
  const surface: Surface = {
    name: inner.name,
    openThread: (place, user, message) => inner.openThread(place, user, message),
    post: (thread, message, delivery) => {
      if (offered || message.role !== "question") return inner.post(thread, message, delivery);
      offered = true;
      return inner.post(thread, { ...message, actions: [...(message.actions ?? []), formButton(command)] }, delivery);
    },
    edit: (ref, message) => inner.edit(ref, message),
    editRoot: (thread, message) => inner.editRoot(thread, message),
    postDocument: (thread, document, delivery) => inner.postDocument(thread, document, delivery),
    notify: (place, user, message) => inner.notify(place, user, message),
  };
  return { ...inbound, surface };
}

/** A form button whose request has moved on (started, cancelled, someone else's): nothing to open. */
export function formClosed(ctx: ChatContext, inbound: Inbound): Promise<void> {
  return ctx.tell(inbound, "This request has already started or ended, so its form is closed. Start a new one with its command.");
}

export async function formFor(
  ctx: ChatContext,
  user: ChatUser,
  command: string,
  args: CommandArgs,
  options: FormOptions = {},
): Promise<FormSpec | undefined> {
  const template = ctx.templateFor(commandName(command));
  if (!template) return undefined;
  if (!options.refused && !options.thread && conversational(args, options.direct === true)) return undefined;
  const spec = ctx.spec(template);
  // Prefill from what this teacher used last time with this template only (never another template's settings).
  const memory = (await ctx.profiles.memory(user.id))[template.id];
  const initial: Record<string, unknown> = rememberedFor(spec.fields, memory, await ctx.profiles.get(user.id), {});
  if (options.thread) {
    const conversation = await threadConversation(ctx, options.thread, user, template);
    if (!conversation) return undefined;
    Object.assign(initial, conversation);
  }
  if (options.refused) {
    const kept = await ctx.records.refusedForm(user.id);
    if (kept?.command === template.command) Object.assign(initial, kept.values);
  }
  const form = buildForm(spec, initial, options.limits);
  if (form && options.thread) form.thread = options.thread;
  return form;
}

/** The values a thread's open conversation holds, or undefined when the thread is not this teacher's open request. */
async function threadConversation(
  ctx: ChatContext,
  thread: ThreadRef,
  user: ChatUser,
  template: Template,
): Promise<Record<string, unknown> | undefined> {
  const rec = await ctx.records.thread(thread);
  if (rec?.phase !== "conversation" || rec.userId !== user.id || rec.templateId !== template.id) return undefined;
  const conv = await ctx.conversations.get({ ...threadParts(thread), userId: user.id });
  return { ...(conv?.state.values ?? {}) };
}

export async function keepRefusedForm(ctx: ChatContext, user: ChatUser, command: string, values: FormValues): Promise<void> {
  const template = ctx.templateFor(commandName(command));
  if (!template) return;
  // Only the template's own fields, as typed: nothing else rides along.
  const kept: FormValues = {};
  for (const f of ctx.spec(template).fields) if (typeof values[f.name] === "string") kept[f.name] = values[f.name];
  await ctx.records.keepRefusedForm(user.id, { command: template.command, values: kept }, ctx.ttlMs);
}

export function checkForm(ctx: ChatContext, command: string, values: FormValues): FormCheck {
  const template = ctx.templateFor(commandName(command));
  if (!template) return { ok: false, problems: [{ field: "", label: "Form", message: "This form is no longer in use." }] };
  return formCheck(checkSubmission(ctx.spec(template), values));
}

export async function submitForm(
  ctx: ChatContext,
  inbound: Inbound,
  command: string,
  values: FormValues,
  thread: ThreadRef | undefined,
): Promise<void> {
  const template = ctx.templateFor(commandName(command));
  if (!template) return ctx.tell(inbound, `I don't know /${commandName(command).slice(0, 40)}. Try /staffroom help.`);
  const spec = ctx.spec(template);
  const result = checkSubmission(spec, values);
  if (!result.ok) {
    // Surfaces check before they answer; this only happens when a form changed under a submission.
    return ctx.tell(inbound, result.problems.map((p) => `${p.label}: ${p.message}`).join(" "));
  }
  // A form that passes supersedes what an earlier refusal kept (it may hold student work).
  await ctx.records.dropRefusedForm(inbound.user.id);
  const summary = spec.fields
    .filter((f) => result.values[f.name] !== undefined && values[f.name] !== undefined && values[f.name]?.trim() !== "")
    // A choice's label says what it is ("Grade 5"); other values need their field's name.
    .map((f) => (f.choices ? displayValue(f, result.values[f.name]) : `${f.label}: ${displayValue(f, result.values[f.name])}`))
    .join(" · ");
  if (thread) return submitInThread(ctx, inbound, template, result.values, summary, thread, filledIn(values));
  const opened = await openRequestThread(ctx, inbound, template, summary);
  if (!opened) return;
  await claimThread(ctx, inbound, opened, template, (rec) => run(ctx, inbound, rec, template, result.values, filledIn(values)));
}

/** The fields the teacher filled in (the rest were assumed, and the root says so). */
function filledIn(values: FormValues): string[] {
  return Object.entries(values)
    .filter(([, v]) => typeof v === "string" && v.trim() !== "")
    .map(([name]) => name);
}

/** A form opened from a thread's conversation: it replaces the questions, and the run starts in that thread. */
async function submitInThread(
  ctx: ChatContext,
  inbound: Inbound,
  template: Template,
  values: Record<string, unknown>,
  summary: string,
  thread: ThreadRef,
  given: string[],
): Promise<void> {
  await ctx.locks.run(threadKey(thread), async () => {
    const rec = await ctx.records.thread(thread);
    if (rec?.phase !== "conversation" || rec.userId !== inbound.user.id || rec.templateId !== template.id) {
      await ctx.tell(inbound, `That request has already started or ended. Start a new one with /${template.command}.`);
      return;
    }
    await ctx.conversations.delete({ ...threadParts(thread), userId: rec.userId });
    if (summary !== "" && !template.studentData) await inbound.surface.post(thread, { text: `From the form: ${summary}.`, role: "notice" });
    await run(ctx, inbound, rec, template, values, given);
    await ctx.countConversations();
  });
}

/** As after a conversation: draft first (the root names what was assumed, with Change and Cancel), and the
 * settings used are remembered for this template. */
async function run(
  ctx: ChatContext,
  inbound: Inbound,
  rec: ThreadRecord,
  template: Template,
  values: Record<string, unknown>,
  given: string[],
): Promise<void> {
  const spec = ctx.spec(template);
  await startDraftRun(ctx, inbound, rec, template, { values, assumed: assumedLine(spec, values, given), given });
}
