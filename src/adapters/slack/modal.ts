// Pure rendering for Slack forms: a FormSpec as a modal view (Block Kit input blocks within Slack's limits),
// a view_submission's state read back into form values, and a form check as `response_action: "errors"`.
import type { FormCheck, FormField, FormSpec, FormValues, ThreadRef } from "../../chat/contract.ts";
import { fitTo } from "../../util/shorten.ts";

/** Slack's documented limits for modals and their inputs. */
export const MODAL_LIMITS = {
  /** Modal title, submit and close labels (plain_text). */
  title: 24,
  blocks: 100,
  callbackId: 255,
  privateMetadata: 3000,
  blockId: 255,
  label: 2000,
  hint: 2000,
  placeholder: 150,
  /** plain_text_input max_length. */
  inputChars: 3000,
  options: 100,
  optionText: 75,
  optionValue: 150,
} as const;

/** Room a modal leaves for input blocks (one context block may note what the form leaves out). */
export const SLACK_FORM_LIMITS = { maxFields: MODAL_LIMITS.blocks - 1 };

const CALLBACK_PREFIX = "staffroom:form:";
/** Every input's action_id: the block_id (the field's name) tells the fields apart. */
const ACTION_ID = "value";

/** Where a submitted form goes: the channel the command came from, or the thread whose conversation it fills. */
export type FormOrigin = { channelId: string; isDirect: boolean; thread?: ThreadRef };

const plain = (text: string, max: number) => ({ type: "plain_text" as const, text: fitTo(text, max), emoji: true });

function element(field: FormField): Record<string, unknown> {
  const placeholder = field.placeholder ? { placeholder: plain(field.placeholder, MODAL_LIMITS.placeholder) } : {};
  switch (field.input) {
    case "select": {
      const options = (field.options ?? []).slice(0, MODAL_LIMITS.options).map((o) => ({
        text: plain(o.label, MODAL_LIMITS.optionText),
        value: o.value.slice(0, MODAL_LIMITS.optionValue),
      }));
      const initial = options.find((o) => o.value === field.initial);
      return {
        type: "static_select",
        action_id: ACTION_ID,
        placeholder: plain("Choose…", MODAL_LIMITS.placeholder),
        options,
        ...(initial ? { initial_option: initial } : {}),
      };
    }
    case "number":
      return {
        type: "number_input",
        action_id: ACTION_ID,
        is_decimal_allowed: !field.integer,
        ...(field.min !== undefined ? { min_value: String(field.min) } : {}),
        ...(field.max !== undefined ? { max_value: String(field.max) } : {}),
        ...(field.initial !== undefined && Number.isFinite(Number(field.initial)) ? { initial_value: field.initial } : {}),
        ...placeholder,
      };
    default: {
      const max = Math.min(field.maxLength ?? MODAL_LIMITS.inputChars, MODAL_LIMITS.inputChars);
      return {
        type: "plain_text_input",
        action_id: ACTION_ID,
        multiline: field.input === "paragraph",
        max_length: max,
        ...(field.initial !== undefined ? { initial_value: field.initial.slice(0, max) } : {}),
        ...placeholder,
      };
    }
  }
}

/**
 * The hint under an input. A number box takes digits only, so help about other spellings ("1 hour also
 * works") would mislead: only its first sentence (the unit and range) is kept.
 */
function hintOf(field: FormField): string | undefined {
  if (!field.hint || field.input !== "number") return field.hint;
  return /^[^.]*\./.exec(field.hint)?.[0] ?? field.hint;
}

/** The modal for a form; `origin` rides in private_metadata so the submission knows where to post. */
export function renderModal(form: FormSpec, origin: FormOrigin): Record<string, unknown> {
  const blocks: Record<string, unknown>[] = form.fields.slice(0, SLACK_FORM_LIMITS.maxFields).map((field) => ({
    type: "input",
    block_id: field.name.slice(0, MODAL_LIMITS.blockId),
    label: plain(field.label, MODAL_LIMITS.label),
    optional: !field.required,
    element: element(field),
    ...(hintOf(field) ? { hint: plain(hintOf(field) as string, MODAL_LIMITS.hint) } : {}),
  }));
  if (form.omitted.length > 0) {
    blocks.push({
      type: "context",
      elements: [{ type: "mrkdwn", text: fitTo(`You can add ${form.omitted.join(", ")} afterwards in the thread.`, 3000) }],
    });
  }
  const metadata: Record<string, unknown> = { c: origin.channelId, d: origin.isDirect };
  if (origin.thread) metadata.t = origin.thread.threadId;
  return {
    type: "modal",
    callback_id: `${CALLBACK_PREFIX}${form.command}`.slice(0, MODAL_LIMITS.callbackId),
    title: plain(form.title, MODAL_LIMITS.title),
    submit: plain(origin.thread ? "Start" : "Create", MODAL_LIMITS.title),
    close: plain("Cancel", MODAL_LIMITS.title),
    private_metadata: JSON.stringify(metadata),
    blocks,
  };
}

/** A view_submission body as far as forms read it. */
export type ViewSubmission = {
  type: "view_submission";
  user: { id: string; name?: string; username?: string; team_id?: string };
  team?: { id: string } | null;
  view: {
    id: string;
    callback_id?: string;
    private_metadata?: string;
    state?: { values?: Record<string, Record<string, SubmittedElement>> };
  };
};

type SubmittedElement = {
  type?: string;
  value?: string | null;
  selected_option?: { value: string } | null;
};

export function isFormSubmission(body: Record<string, unknown>): body is ViewSubmission {
  const view = body.view as { id?: unknown; callback_id?: unknown } | undefined;
  return (
    body.type === "view_submission" &&
    typeof view?.id === "string" &&
    typeof view.callback_id === "string" &&
    view.callback_id.startsWith(CALLBACK_PREFIX)
  );
}

/** The command a submitted form belongs to. */
export function formCommand(body: ViewSubmission): string {
  return (body.view.callback_id ?? "").slice(CALLBACK_PREFIX.length);
}

/** Values as submitted, by block_id (the field's name). */
export function submittedValues(body: ViewSubmission): FormValues {
  const out: FormValues = {};
  for (const [blockId, actions] of Object.entries(body.view.state?.values ?? {})) {
    const el = actions[ACTION_ID];
    if (!el) continue;
    const value = el.selected_option ? el.selected_option.value : el.value;
    if (typeof value === "string") out[blockId] = value;
  }
  return out;
}

/** Where the submission goes, from private_metadata; undefined when it is missing or not ours. */
export function formOrigin(body: ViewSubmission): FormOrigin | undefined {
  try {
    const m = JSON.parse(body.view.private_metadata ?? "") as { c?: unknown; d?: unknown; t?: unknown };
    if (typeof m.c !== "string" || m.c === "") return undefined;
    const origin: FormOrigin = { channelId: m.c, isDirect: m.d === true };
    if (typeof m.t === "string" && m.t !== "") origin.thread = { surface: "slack", channelId: m.c, threadId: m.t };
    return origin;
  } catch {
    return undefined;
  }
}

/** The answer to a submission that does not pass: each problem on its field's block, as Slack shows them. */
export function errorsResponse(check: FormCheck, body: ViewSubmission): Record<string, unknown> | undefined {
  if (check.ok) return undefined;
  const blocks = Object.keys(body.view.state?.values ?? {});
  const errors: Record<string, string> = {};
  for (const p of check.problems) {
    // A problem with no block of its own (a form changed since it was opened) is shown on the first one.
    const block = blocks.includes(p.field) ? p.field : blocks[0];
    if (block && errors[block] === undefined) errors[block] = p.message;
  }
  return { response_action: "errors", errors };
}
