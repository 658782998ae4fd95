// Pure rendering for Discord forms: a FormSpec as a modal (interaction callback type 9: label components
// holding text inputs and string selects, within Discord's limits), a MODAL_SUBMIT's components read back
// into form values, and a refused submission as a private message naming each field, with a button that
// reopens the form with what was typed.
import {
  ButtonStyle,
  ComponentType,
  InteractionResponseType,
  MessageFlags,
  type RESTAPIInteractionCallbackObject,
  TextInputStyle,
} from "discord.js";
import type { ChoiceAction, FormField, FormProblem, FormSpec, FormValues, ThreadRef } from "../../chat/contract.ts";
import { fitTo } from "../../util/shorten.ts";
import { encodeAction } from "./render.ts";

/** Discord's documented limits for modals. */
export const MODAL_LIMITS = {
  /** Top-level components of a modal: one field per label. */
  components: 5,
  title: 45,
  customId: 100,
  label: 45,
  description: 100,
  placeholder: 100,
  inputChars: 4000,
  selectOptions: 25,
  optionText: 100,
} as const;

export const DISCORD_FORM_LIMITS = { maxFields: MODAL_LIMITS.components };

/** Action id of the "Open the form again" button under a refused submission (a surface-local action). */
export const REOPEN_ACTION = "discord:form:reopen";

/** What a modal's custom_id carries: the command, and the thread whose conversation it fills, if any. */
export type ModalTarget = { command: string; thread?: ThreadRef };

const MODAL_PREFIX = "form";

export function encodeModalId(target: ModalTarget): string {
  const parts = [MODAL_PREFIX, target.command];
  if (target.thread) parts.push(target.thread.channelId, target.thread.threadId);
  return JSON.stringify(parts);
}

export function decodeModalId(customId: string): ModalTarget | undefined {
  try {
    const parts = JSON.parse(customId) as unknown;
    if (!Array.isArray(parts) || parts[0] !== MODAL_PREFIX || typeof parts[1] !== "string" || parts[1] === "") return undefined;
    const [, command, channelId, threadId] = parts as string[];
    if (typeof channelId === "string" && typeof threadId === "string")
      return { command: command as string, thread: { surface: "discord", channelId, threadId } };
    return { command: command as string };
  } catch {
    return undefined;
  }
}

function inputComponent(field: FormField): Record<string, unknown> {
  if (field.input === "select") {
    const options = (field.options ?? []).slice(0, MODAL_LIMITS.selectOptions).map((o) => ({
      label: fitTo(o.label, MODAL_LIMITS.optionText),
      value: o.value.slice(0, MODAL_LIMITS.optionText),
      ...(o.value === field.initial ? { default: true } : {}),
    }));
    return {
      type: ComponentType.StringSelect,
      custom_id: field.name.slice(0, MODAL_LIMITS.customId),
      placeholder: "Choose…",
      min_values: field.required ? 1 : 0,
      max_values: 1,
      required: field.required,
      options,
    };
  }
  const range = field.input === "number" && field.min !== undefined && field.max !== undefined ? ` (${field.min} to ${field.max})` : "";
  const example = field.placeholder ? `${field.placeholder}${range}` : range.trim();
  const max = Math.min(field.maxLength ?? MODAL_LIMITS.inputChars, MODAL_LIMITS.inputChars);
  return {
    type: ComponentType.TextInput,
    custom_id: field.name.slice(0, MODAL_LIMITS.customId),
    style: field.input === "paragraph" ? TextInputStyle.Paragraph : TextInputStyle.Short,
    required: field.required,
    max_length: max,
    ...(example ? { placeholder: fitTo(example, MODAL_LIMITS.placeholder) } : {}),
    ...(field.initial !== undefined ? { value: field.initial.slice(0, max) } : {}),
  };
}

/** The interaction callback that shows a form (type 9); one label per field, at most five. */
export function modalCallback(form: FormSpec): RESTAPIInteractionCallbackObject & Record<string, unknown> {
  const components = form.fields.slice(0, MODAL_LIMITS.components).map((field) => ({
    type: ComponentType.Label,
    label: fitTo(field.label, MODAL_LIMITS.label),
    ...(field.hint ? { description: fitTo(field.hint, MODAL_LIMITS.description) } : {}),
    component: inputComponent(field),
  }));
  return {
    type: InteractionResponseType.Modal,
    data: {
      custom_id: encodeModalId({ command: form.command, ...(form.thread ? { thread: form.thread } : {}) }),
      title: fitTo(form.title, MODAL_LIMITS.title),
      components,
    },
  } as unknown as RESTAPIInteractionCallbackObject & Record<string, unknown>;
}

type SubmittedComponent = {
  type?: number;
  custom_id?: string;
  customId?: string;
  value?: string;
  values?: string[];
  component?: SubmittedComponent;
  components?: SubmittedComponent[];
};

/**
 * Values of a MODAL_SUBMIT by field name, from the raw payload (`custom_id`) or discord.js's structures
 * (`customId`): labels hold one component, legacy action rows several.
 */
export function modalValues(components: readonly SubmittedComponent[] | undefined): FormValues {
  const out: FormValues = {};
  const visit = (c: SubmittedComponent) => {
    if (c.component) visit(c.component);
    for (const inner of c.components ?? []) visit(inner);
    const id = c.custom_id ?? c.customId;
    if (!id) return;
    if (typeof c.value === "string") out[id] = c.value;
    else if (Array.isArray(c.values)) out[id] = c.values[0] ?? "";
  };
  for (const c of components ?? []) visit(c);
  return out;
}

/**
 * The button under a refused submission. It carries the form only (command and thread); what was typed is
 * kept by the chat core (keepRefusedForm), never in a button id, since it may hold student work.
 */
export function reopenAction(target: ModalTarget): ChoiceAction {
  return { id: REOPEN_ACTION, label: "Open the form again", value: encodeModalId(target), style: "primary" };
}

/** The form a reopen button stands for, or undefined when it is not one. */
export function reopenTarget(value: string): ModalTarget | undefined {
  return decodeModalId(value);
}

/** The private answer to a refused submission: every problem on its field, and the reopen button. */
export function refusalCallback(problems: readonly FormProblem[], reopen: ChoiceAction): Record<string, unknown> {
  const lines = problems.map((p) => `**${p.label}**: ${p.message}`);
  return {
    type: InteractionResponseType.ChannelMessageWithSource,
    data: {
      content: fitTo(`Nothing was started; please fix this and send the form again:\n${lines.join("\n")}`, 2000),
      flags: MessageFlags.Ephemeral,
      allowed_mentions: { parse: [] },
      components: [
        {
          type: ComponentType.ActionRow,
          components: [
            {
              type: ComponentType.Button,
              style: ButtonStyle.Primary,
              label: reopen.label,
              custom_id: encodeAction(reopen.id, reopen.value),
            },
          ],
        },
      ],
    },
  };
}
