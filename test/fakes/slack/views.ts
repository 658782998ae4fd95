// Modals as Slack handles them, for the fake: the checks views.open applies to a view (Block Kit limits for
// modals and input blocks), what Slack's client enforces before it lets a person submit (required inputs,
// number ranges, lengths, select options), and the view_submission payload Slack then sends.
import { randomUUID } from "node:crypto";

type Json = Record<string, unknown>;

export type FakeView = {
  id: string;
  hash: string;
  teamId: string;
  userId: string;
  view: Json;
  /** "open" until the app closes it by answering a submission without errors. */
  state: "open" | "closed";
  /** The last `response_action: "errors"` the app answered, by block_id. */
  errors?: Record<string, string>;
  submissions: number;
  /** The last view_submission payload sent for it (a retry sends it again). */
  lastPayload?: Record<string, unknown>;
};

const INPUT_ELEMENTS = new Set([
  "plain_text_input",
  "number_input",
  "static_select",
  "multi_static_select",
  "checkboxes",
  "radio_buttons",
  "datepicker",
  "email_text_input",
  "url_text_input",
]);

function plainText(where: string, value: unknown, max: number, issues: string[]): string | undefined {
  const t = value as { type?: unknown; text?: unknown } | undefined;
  if (t?.type !== "plain_text" || typeof t.text !== "string") {
    issues.push(`${where}: must be a plain_text object`);
    return undefined;
  }
  if (t.text.length === 0) issues.push(`${where}: empty`);
  if (t.text.length > max) issues.push(`${where}: ${t.text.length} characters (max ${max})`);
  return t.text;
}

function checkElement(where: string, el: Json, issues: string[]): void {
  const type = String(el.type);
  if (!INPUT_ELEMENTS.has(type)) issues.push(`${where}: ${type} is not an input element`);
  const actionId = el.action_id;
  if (typeof actionId === "string" && actionId.length > 255) issues.push(`${where}: action_id longer than 255`);
  if (el.placeholder !== undefined) plainText(`${where}.placeholder`, el.placeholder, 150, issues);
  if (type === "plain_text_input") {
    const max = el.max_length as number | undefined;
    if (max !== undefined && (!Number.isInteger(max) || max < 1 || max > 3000)) issues.push(`${where}: max_length ${max} (1..3000)`);
    const initial = el.initial_value as string | undefined;
    if (initial !== undefined && max !== undefined && initial.length > max) issues.push(`${where}: initial_value longer than max_length`);
  }
  if (type === "number_input") {
    if (typeof el.is_decimal_allowed !== "boolean") issues.push(`${where}: number_input needs is_decimal_allowed`);
    for (const k of ["min_value", "max_value", "initial_value"]) {
      const v = el[k];
      if (v !== undefined && (typeof v !== "string" || !Number.isFinite(Number(v))))
        issues.push(`${where}: ${k} must be a number as a string`);
    }
    if (el.min_value !== undefined && el.max_value !== undefined && Number(el.min_value) > Number(el.max_value))
      issues.push(`${where}: min_value above max_value`);
  }
  if (type === "static_select") {
    const options = (el.options as Json[] | undefined) ?? [];
    if (options.length === 0 || options.length > 100) issues.push(`${where}: ${options.length} options (1..100)`);
    const values = new Set<string>();
    for (const [i, o] of options.entries()) {
      plainText(`${where}.options[${i}].text`, o.text, 75, issues);
      const value = o.value;
      if (typeof value !== "string" || value.length > 150) issues.push(`${where}.options[${i}]: value missing or longer than 150`);
      else if (values.has(value)) issues.push(`${where}.options[${i}]: duplicate value ${value}`);
      else values.add(value);
    }
    const initial = el.initial_option as Json | undefined;
    if (initial && !options.some((o) => o.value === initial.value)) issues.push(`${where}: initial_option is not one of the options`);
  }
}

/** Problems views.open would refuse (Slack answers invalid_arguments); empty when the view is fine. */
export function viewIssues(view: Json): string[] {
  const issues: string[] = [];
  if (view.type !== "modal") issues.push(`view: type ${String(view.type)} (a modal was expected)`);
  plainText("view.title", view.title, 24, issues);
  if (view.submit !== undefined) plainText("view.submit", view.submit, 24, issues);
  if (view.close !== undefined) plainText("view.close", view.close, 24, issues);
  if (typeof view.callback_id === "string" && view.callback_id.length > 255) issues.push("view: callback_id longer than 255");
  if (typeof view.private_metadata === "string" && view.private_metadata.length > 3000)
    issues.push("view: private_metadata longer than 3000");
  const blocks = (view.blocks as Json[] | undefined) ?? [];
  if (blocks.length === 0 || blocks.length > 100) issues.push(`view: ${blocks.length} blocks (1..100)`);
  const blockIds = new Set<string>();
  let inputs = 0;
  for (const [i, b] of blocks.entries()) {
    const where = `view.blocks[${i}]`;
    const id = b.block_id;
    if (id !== undefined) {
      if (typeof id !== "string" || id.length === 0 || id.length > 255) issues.push(`${where}: block_id must be 1..255 characters`);
      else if (blockIds.has(id)) issues.push(`${where}: duplicate block_id ${id}`);
      else blockIds.add(id);
    }
    if (b.type === "input") {
      inputs += 1;
      plainText(`${where}.label`, b.label, 2000, issues);
      if (b.hint !== undefined) plainText(`${where}.hint`, b.hint, 2000, issues);
      const el = b.element as Json | undefined;
      if (!el) issues.push(`${where}: input without an element`);
      else checkElement(`${where}.element`, el, issues);
    } else if (b.type === "context") {
      const els = (b.elements as Json[] | undefined) ?? [];
      if (els.length === 0 || els.length > 10) issues.push(`${where}: ${els.length} context elements (1..10)`);
    } else if (b.type !== "section" && b.type !== "divider" && b.type !== "header") {
      issues.push(`${where}: block type ${String(b.type)} not expected in a form`);
    }
  }
  if (inputs > 0 && view.submit === undefined) issues.push("view: a modal with inputs needs a submit button");
  return issues;
}

/** What a person fills in, by block_id: text as typed, a number as typed, a select's option value. */
export type ViewInput = Record<string, string>;

/**
 * The state Slack's client would submit, or the reason it would not let the person submit (as Slack shows
 * it under the input): required inputs, number_input ranges and decimals, max_length, select options.
 */
export function submittedState(view: Json, input: ViewInput): { values: Record<string, Record<string, Json>> } | { refused: string } {
  const values: Record<string, Record<string, Json>> = {};
  for (const b of (view.blocks as Json[] | undefined) ?? []) {
    if (b.type !== "input") continue;
    const blockId = String(b.block_id);
    const el = b.element as Json;
    const actionId = String(el.action_id);
    const typed = input[blockId];
    const given = typed !== undefined && typed.trim() !== "";
    if (!given && b.optional !== true) return { refused: `${blockId}: required` };
    let state: Json;
    switch (el.type) {
      case "static_select": {
        const option = ((el.options as Json[] | undefined) ?? []).find((o) => o.value === typed);
        if (given && !option) return { refused: `${blockId}: ${typed} is not an option` };
        state = { type: "static_select", selected_option: option ?? null };
        break;
      }
      case "number_input": {
        if (given) {
          const n = Number(typed);
          if (!Number.isFinite(n)) return { refused: `${blockId}: not a number` };
          if (el.is_decimal_allowed !== true && !Number.isInteger(n)) return { refused: `${blockId}: whole numbers only` };
          if (el.min_value !== undefined && n < Number(el.min_value)) return { refused: `${blockId}: below ${String(el.min_value)}` };
          if (el.max_value !== undefined && n > Number(el.max_value)) return { refused: `${blockId}: above ${String(el.max_value)}` };
        }
        state = { type: "number_input", value: given ? typed : null };
        break;
      }
      default: {
        const max = el.max_length as number | undefined;
        if (given && max !== undefined && (typed as string).length > max) return { refused: `${blockId}: longer than ${max}` };
        state = { type: String(el.type), value: given ? typed : null };
      }
    }
    values[blockId] = { [actionId]: state };
  }
  return { values };
}

/** The view_submission payload, shaped like the recorded one in ../shared/fixtures (modals-slack.json). */
export function viewSubmissionPayload(
  v: FakeView,
  state: { values: Record<string, Record<string, Json>> },
  user: { id: string; name: string },
): Json {
  return {
    type: "view_submission",
    team: { id: v.teamId, domain: "school" },
    user: { id: user.id, username: user.name, name: user.name, team_id: v.teamId },
    api_app_id: "A0FAKEAPP",
    token: "t",
    trigger_id: `${Date.now()}.${randomUUID().slice(0, 8)}`,
    view: {
      id: v.id,
      team_id: v.teamId,
      type: "modal",
      blocks: v.view.blocks,
      private_metadata: v.view.private_metadata ?? "",
      callback_id: v.view.callback_id ?? "",
      state,
      hash: v.hash,
      title: v.view.title,
      clear_on_close: false,
      notify_on_close: false,
      close: v.view.close ?? null,
      submit: v.view.submit ?? null,
      previous_view_id: null,
      root_view_id: v.id,
      app_id: "A0FAKEAPP",
      external_id: "",
      app_installed_team_id: v.teamId,
      bot_id: "B0FAKEBOT",
    },
    response_urls: [],
    is_enterprise_install: false,
    enterprise: null,
  };
}

/** Problems with an app's answer to a submission (Slack ignores a malformed one and shows an error). */
export function submissionAnswerIssues(v: FakeView, answer: Json | undefined): string[] {
  if (answer === undefined) return [];
  if (answer.response_action !== "errors") return [`view ${v.id}: response_action ${String(answer.response_action)} not expected`];
  const errors = answer.errors as Record<string, unknown> | undefined;
  if (!errors || Object.keys(errors).length === 0) return [`view ${v.id}: errors answer without errors`];
  const inputs = new Set(((v.view.blocks as Json[] | undefined) ?? []).filter((b) => b.type === "input").map((b) => String(b.block_id)));
  return Object.entries(errors).flatMap(([block, message]) => [
    ...(inputs.has(block) ? [] : [`view ${v.id}: error on ${block}, which is not an input block`]),
    ...(typeof message === "string" && message.length > 0 ? [] : [`view ${v.id}: error on ${block} is not a message`]),
  ]);
}
