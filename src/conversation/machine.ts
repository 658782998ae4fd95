// The guided conversation as a pure state machine: ask each missing field one at a time (offering
// choices), validate answers, understand cancel/back/skip/help, then a summary to confirm or change.
// No I/O: the chat core persists the state and posts the prompts.
import { type ConversationField, checkField, displayValue, findField, MAX_ANSWER_CHARS } from "./fields.ts";
import { parsePairs, parseRequest } from "./parse.ts";

export type Step =
  | { kind: "offer" }
  | { kind: "ask"; field: string; fromSummary?: boolean }
  | { kind: "summary" }
  | { kind: "pick" }
  | { kind: "done" }
  | { kind: "cancelled" };

/** Persisted between turns (JSON-safe). */
export type ConversationState = {
  v: 1;
  templateId: string;
  values: Record<string, unknown>;
  step: Step;
  /** Fields answered through questions, newest last: what `back` undoes. */
  asked: string[];
  /** Optional fields the teacher chose to leave out. */
  skipped: string[];
  /** Profile values offered for reuse, by field name. */
  offer?: Record<string, unknown>;
};

/** A button the prompt offers; `key` says what it does, `value` what it carries. */
export type PromptOption = {
  key: "answer" | "skip" | "cancel" | "run" | "change" | "field" | "yes" | "no";
  label: string;
  value: string;
  /** The field a choice answers, so a click on an older question's button is recognised as stale. */
  field?: string;
  style?: "primary" | "danger";
};

export type Prompt = { text: string; options?: PromptOption[]; kind: "question" | "summary" | "notice" | "error" };

export type Outcome = { kind: "run"; values: Record<string, unknown> } | { kind: "cancelled" };

export type Turn = { state: ConversationState; prompts: Prompt[]; outcome?: Outcome };

/** What the teacher did: typed text, or clicked an option (key and value as offered). */
export type Answer = { kind: "text"; text: string } | { kind: "option"; key: string; value: string; field?: string };

export type ConversationSpec = {
  templateId: string;
  /** Slash command without the slash, for hints. */
  command: string;
  title: string;
  fields: ConversationField[];
  /** Whole-request check at Run (cross-field rules); issues name the field to ask again. */
  validate?: (
    values: Record<string, unknown>,
  ) => { ok: true; values: Record<string, unknown> } | { ok: false; field?: string; message: string };
};

export type StartInput = {
  /** Text typed with the command. */
  text?: string;
  /** Values already validated elsewhere (typed command options, model extraction); they win over text. */
  values?: Record<string, unknown>;
  /** Reusable profile values by field name (already validated); offered, never applied silently. */
  profile?: Record<string, unknown>;
};

const CANCEL = /^(cancel|stop|quit|exit|abort|never ?mind)$/i;
const BACK = /^(back|go back|undo|previous)$/i;
const SKIP = /^(skip|none|n\/a|pass|no thanks)$/i;
const HELP = /^(help|\?|what|huh|explain)$/i;
const YES = /^(y|yes|yeah|yep|sure|ok|okay|please|use (it|them|that|those)|yes please)$/i;
const NO = /^(n|no|nope|no thanks|don'?t|ask me)$/i;
const RUN = /^(run|run it|go|yes|y|ok|okay|confirm|start|do it|looks good|lgtm)$/i;
const CHANGE = /^(change|edit|modify|fix)(\s+(.+))?$/i;

/** Starts a conversation from the command text; may go straight to the summary when nothing is missing. */
export function startConversation(spec: ConversationSpec, input: StartInput): Turn {
  const parsed = parseRequest(input.text ?? "", spec.fields);
  const values: Record<string, unknown> = { ...parsed.values, ...(input.values ?? {}) };
  const prompts: Prompt[] = [];
  const understood = spec.fields.filter((f) => f.name in values);
  if (understood.length > 0) {
    prompts.push({
      kind: "notice",
      text: `Got it: ${understood.map((f) => `${f.label}: ${displayValue(f, values[f.name])}`).join(" · ")}.`,
    });
  }
  for (const issue of parsed.issues.filter((i) => !(i.field in values))) {
    prompts.push({ kind: "error", text: `I couldn't use "${issue.text}" for ${issue.label}: ${issue.message}` });
  }
  if (parsed.truncated) prompts.push({ kind: "notice", text: "That request was very long, so I only read the beginning of it." });
  const state: ConversationState = { v: 1, templateId: spec.templateId, values, step: { kind: "summary" }, asked: [], skipped: [] };
  const offer = Object.fromEntries(
    Object.entries(input.profile ?? {}).filter(
      ([name, value]) => !(name in values) && spec.fields.some((f) => f.name === name) && value !== undefined,
    ),
  );
  if (Object.keys(offer).length > 0) {
    state.offer = offer;
    state.step = { kind: "offer" };
    prompts.push(offerPrompt(spec, offer));
    return { state, prompts };
  }
  return advance(spec, state, prompts);
}

/** One teacher turn. Never throws; whatever the text, the reply says what to do next. */
export function answer(spec: ConversationSpec, current: ConversationState, input: Answer): Turn {
  const state: ConversationState = structuredClone(current);
  const text = input.kind === "text" ? input.text.trim() : "";
  const word = text.replace(/^\/+/, "").replace(/[.!]+$/, "");
  if (state.step.kind === "done" || state.step.kind === "cancelled") {
    return { state, prompts: [{ kind: "notice", text: "This request is already finished; start a new one with its command." }] };
  }
  if (input.kind === "option" ? input.key === "cancel" : CANCEL.test(word)) {
    state.step = { kind: "cancelled" };
    return {
      state,
      prompts: [{ kind: "notice", text: `Cancelled; nothing was run. Start again any time with /${commandHint(spec)}.` }],
      outcome: { kind: "cancelled" },
    };
  }
  if (input.kind === "text" && text.length > MAX_ANSWER_CHARS) {
    return {
      state,
      prompts: [
        { kind: "error", text: `That is longer than I can take (${MAX_ANSWER_CHARS} characters at most); please shorten it.` },
        ...reprompt(spec, state),
      ],
    };
  }
  switch (state.step.kind) {
    case "offer":
      return onOffer(spec, state, input, word);
    case "ask":
      return onAsk(spec, state, state.step, input, text, word);
    case "summary":
      return onSummary(spec, state, input, text, word);
    case "pick":
      return onPick(spec, state, input, word);
  }
}

/** The current question again (after a restart or when the teacher seems lost). */
export function reprompt(spec: ConversationSpec, state: ConversationState): Prompt[] {
  switch (state.step.kind) {
    case "offer":
      return [offerPrompt(spec, state.offer ?? {})];
    case "ask": {
      const field = spec.fields.find((f) => f.name === (state.step as { field: string }).field);
      return field ? [askPrompt(spec, state, field)] : [summaryPrompt(spec, state)];
    }
    case "summary":
      return [summaryPrompt(spec, state)];
    case "pick":
      return [pickPrompt(spec)];
    default:
      return [];
  }
}

function onOffer(spec: ConversationSpec, state: ConversationState, input: Answer, word: string): Turn {
  if (input.kind === "option" && input.key !== "yes" && input.key !== "no") return stale(spec, state);
  const yes = input.kind === "option" ? input.key === "yes" : YES.test(word);
  const no = input.kind === "option" ? input.key === "no" : NO.test(word);
  if (yes) {
    Object.assign(state.values, state.offer ?? {});
    delete state.offer;
    return advance(spec, state, []);
  }
  if (no) {
    delete state.offer;
    return advance(spec, state, []);
  }
  if (HELP.test(word)) {
    return {
      state,
      prompts: [
        {
          kind: "notice",
          text: "These are the values you used last time (see /staffroom profile). Answer yes to reuse them or no to answer each question.",
        },
        offerPrompt(spec, state.offer ?? {}),
      ],
    };
  }
  if (BACK.test(word))
    return { state, prompts: [{ kind: "notice", text: "This is the first question." }, offerPrompt(spec, state.offer ?? {})] };
  return { state, prompts: [{ kind: "error", text: "Please answer yes or no." }, offerPrompt(spec, state.offer ?? {})] };
}

function onAsk(
  spec: ConversationSpec,
  state: ConversationState,
  step: { field: string; fromSummary?: boolean },
  input: Answer,
  text: string,
  word: string,
): Turn {
  const field = spec.fields.find((f) => f.name === step.field);
  if (!field) return advance(spec, state, []);
  if (input.kind === "option" && (!["answer", "skip"].includes(input.key) || (input.field !== undefined && input.field !== field.name))) {
    return stale(spec, state);
  }
  if (input.kind === "text" && BACK.test(word)) return step.fromSummary ? toSummary(spec, state, []) : goBack(spec, state);
  if (input.kind === "text" && HELP.test(word)) return { state, prompts: [helpPrompt(field), askPrompt(spec, state, field)] };
  const skip = input.kind === "option" ? input.key === "skip" : SKIP.test(word);
  if (skip) {
    if (field.required) {
      return {
        state,
        prompts: [
          {
            kind: "error",
            text: `${field.label} is needed for this request, so it can't be skipped.${field.example ? ` For example: ${field.example}` : ""}`,
          },
          askPrompt(spec, state, field),
        ],
      };
    }
    delete state.values[field.name];
    if (!state.skipped.includes(field.name)) state.skipped.push(field.name);
    pushAsked(state, field.name);
    return step.fromSummary ? toSummary(spec, state, []) : advance(spec, state, []);
  }
  if (input.kind === "text") {
    const pairs = keyValues(spec, text);
    if (pairs) return applyPairs(spec, state, pairs, step.fromSummary ? "summary" : "advance");
  }
  const raw = input.kind === "option" ? input.value : text;
  if (input.kind === "text" && text === "") return { state, prompts: reprompt(spec, state) };
  const check = checkField(field, raw);
  if (!check.ok || check.value === undefined) {
    const why = check.ok ? `${field.label} is needed.` : check.message;
    return {
      state,
      prompts: [
        { kind: "error", text: `${why} Try again, or type help, back${field.required ? "" : ", skip"} or cancel.` },
        askPrompt(spec, state, field),
      ],
    };
  }
  state.values[field.name] = check.value;
  state.skipped = state.skipped.filter((n) => n !== field.name);
  pushAsked(state, field.name);
  return step.fromSummary ? toSummary(spec, state, []) : advance(spec, state, []);
}

function onSummary(spec: ConversationSpec, state: ConversationState, input: Answer, text: string, word: string): Turn {
  if (input.kind === "option") {
    if (input.key === "run") return run(spec, state);
    if (input.key === "change") return pick(spec, state);
    return stale(spec, state);
  }
  if (RUN.test(word)) return run(spec, state);
  if (BACK.test(word)) return goBack(spec, state);
  if (HELP.test(word)) {
    return {
      state,
      prompts: [
        {
          kind: "notice",
          text: 'Type run to start, change (or "change topic") to fix a field, field:value to set one directly, or cancel.',
        },
        summaryPrompt(spec, state),
      ],
    };
  }
  const change = CHANGE.exec(word);
  if (change) {
    const named = change[3] ? findField(spec.fields, change[3]) : undefined;
    if (named) return askField(spec, state, named, true);
    return pick(spec, state);
  }
  const pairs = keyValues(spec, text);
  if (pairs) return applyPairs(spec, state, pairs, "summary");
  const named = findField(spec.fields, word);
  if (named) return askField(spec, state, named, true);
  return {
    state,
    prompts: [{ kind: "error", text: "Type run to start it, change to fix a field, or cancel." }, summaryPrompt(spec, state)],
  };
}

function onPick(spec: ConversationSpec, state: ConversationState, input: Answer, word: string): Turn {
  if (input.kind === "text" && (BACK.test(word) || word === "")) return toSummary(spec, state, []);
  if (input.kind === "text" && HELP.test(word))
    return { state, prompts: [{ kind: "notice", text: "Name the field you want to change, or type back." }, pickPrompt(spec)] };
  if (input.kind === "option" && input.key !== "field") return stale(spec, state);
  const name = input.kind === "option" ? input.value : word;
  const field = findField(spec.fields, name);
  if (!field) return { state, prompts: [{ kind: "error", text: `There is no field called "${clip(name)}".` }, pickPrompt(spec)] };
  return askField(spec, state, field, true);
}

function run(spec: ConversationSpec, state: ConversationState): Turn {
  const missing = firstMissing(spec, state);
  if (missing) return advance(spec, state, []);
  const values = Object.fromEntries(Object.entries(state.values).filter(([, v]) => v !== undefined));
  const checked = spec.validate ? spec.validate(values) : { ok: true as const, values };
  if (!checked.ok) {
    const field = checked.field ? spec.fields.find((f) => f.name === checked.field) : undefined;
    const prompts: Prompt[] = [{ kind: "error", text: checked.message }];
    if (field) return { ...askField(spec, state, field, true), prompts: [...prompts, askPrompt(spec, state, field)] };
    return { state, prompts: [...prompts, summaryPrompt(spec, state)] };
  }
  state.step = { kind: "done" };
  return { state, prompts: [], outcome: { kind: "run", values: checked.values } };
}

function pick(spec: ConversationSpec, state: ConversationState): Turn {
  state.step = { kind: "pick" };
  return { state, prompts: [pickPrompt(spec)] };
}

function askField(spec: ConversationSpec, state: ConversationState, field: ConversationField, fromSummary: boolean): Turn {
  state.step = { kind: "ask", field: field.name, fromSummary };
  return { state, prompts: [askPrompt(spec, state, field)] };
}

function goBack(spec: ConversationSpec, state: ConversationState): Turn {
  const last = state.asked.pop();
  if (!last) {
    const prompts: Prompt[] = [{ kind: "notice", text: "There is no earlier question to go back to." }];
    return { state, prompts: [...prompts, ...reprompt(spec, state)] };
  }
  const field = spec.fields.find((f) => f.name === last);
  if (!field) return advance(spec, state, []);
  delete state.values[last];
  state.skipped = state.skipped.filter((n) => n !== last);
  state.step = { kind: "ask", field: last };
  return { state, prompts: [askPrompt(spec, state, field)] };
}

function stale(spec: ConversationSpec, state: ConversationState): Turn {
  return {
    state,
    prompts: [{ kind: "notice", text: "That button belongs to an earlier question; here is the current one." }, ...reprompt(spec, state)],
  };
}

/** Moves to the next missing field, or the summary when none is left. */
function advance(spec: ConversationSpec, state: ConversationState, prompts: Prompt[]): Turn {
  const next = firstMissing(spec, state);
  if (next) {
    state.step = { kind: "ask", field: next.name };
    return { state, prompts: [...prompts, askPrompt(spec, state, next)] };
  }
  return toSummary(spec, state, prompts);
}

function toSummary(spec: ConversationSpec, state: ConversationState, prompts: Prompt[]): Turn {
  // From the summary only required gaps are asked; optional ones are reached through "change".
  const next = spec.fields.find((f) => f.required && !(f.name in state.values));
  if (next) return advance(spec, state, prompts);
  state.step = { kind: "summary" };
  return { state, prompts: [...prompts, summaryPrompt(spec, state)] };
}

/**
 * Required fields are always asked. Optional ones are asked too once the conversation is under way,
 * but a request that already names every required field goes straight to the summary.
 */
function firstMissing(spec: ConversationSpec, state: ConversationState): ConversationField | undefined {
  const required = spec.fields.find((f) => f.required && !(f.name in state.values));
  if (required) return required;
  if (state.asked.length === 0) return undefined;
  return spec.fields.find(
    (f) =>
      !f.required &&
      f.default === undefined &&
      !(f.name in state.values) &&
      !state.skipped.includes(f.name) &&
      !state.asked.includes(f.name),
  );
}

function pushAsked(state: ConversationState, name: string): void {
  state.asked = state.asked.filter((n) => n !== name);
  state.asked.push(name);
}

/** `field:value` pairs typed as an answer, when every part of the text is such a pair. */
function keyValues(spec: ConversationSpec, text: string): { values: Record<string, unknown>; errors: string[] } | undefined {
  if (!/[:=]/.test(text)) return undefined;
  const parsed = parsePairs(text, spec.fields);
  if (parsed.rest !== "" || (Object.keys(parsed.values).length === 0 && parsed.issues.length === 0)) return undefined;
  return { values: parsed.values, errors: parsed.issues.map((i) => `${i.label}: ${i.message}`) };
}

function applyPairs(
  spec: ConversationSpec,
  state: ConversationState,
  pairs: { values: Record<string, unknown>; errors: string[] },
  then: "summary" | "advance",
): Turn {
  Object.assign(state.values, pairs.values);
  for (const name of Object.keys(pairs.values)) state.skipped = state.skipped.filter((n) => n !== name);
  const prompts: Prompt[] = pairs.errors.map((e) => ({ kind: "error" as const, text: e }));
  return then === "summary" ? toSummary(spec, state, prompts) : advance(spec, state, prompts);
}

function offerPrompt(spec: ConversationSpec, offer: Record<string, unknown>): Prompt {
  const parts = spec.fields.filter((f) => f.name in offer).map((f) => displayValue(f, offer[f.name]));
  return {
    kind: "question",
    text: `Use ${parts.join(" · ")} again?`,
    options: [
      { key: "yes", label: "Yes", value: "yes", style: "primary" },
      { key: "no", label: "No, ask me", value: "no" },
      { key: "cancel", label: "Cancel", value: "cancel", style: "danger" },
    ],
  };
}

function askPrompt(spec: ConversationSpec, state: ConversationState, field: ConversationField): Prompt {
  const options: PromptOption[] = (field.choices ?? []).map((c) => ({ key: "answer", label: c.label, value: c.value, field: field.name }));
  if (!field.required) options.push({ key: "skip", label: "Skip", value: "skip" });
  options.push({ key: "cancel", label: "Cancel", value: "cancel", style: "danger" });
  const missing = spec.fields.filter((f) => f.required && !(f.name in state.values)).length;
  const hint = field.required ? "" : " _(optional: type skip to leave it out)_";
  const example = !field.choices && field.example ? `\nFor example: ${field.example}` : "";
  const left = field.required && missing > 1 ? ` (${missing} questions left)` : "";
  return { kind: "question", text: `**${field.question}**${left}${hint}${example}`, options };
}

function helpPrompt(field: ConversationField): Prompt {
  const lines = [field.help || `${field.label} for this request.`];
  if (field.example) lines.push(`Example: ${field.example}`);
  lines.push(`You can also type ${field.required ? "back or cancel" : "back, skip or cancel"}.`);
  return { kind: "notice", text: lines.join("\n") };
}

function summaryPrompt(spec: ConversationSpec, state: ConversationState): Prompt {
  const lines = spec.fields.map(
    (f) =>
      `- **${f.label}:** ${f.name in state.values ? displayValue(f, state.values[f.name]) : f.default !== undefined ? `${displayValue(f, f.default)} (default)` : "(none)"}`,
  );
  return {
    kind: "summary",
    text: `**${spec.title}: ready to run**\n${lines.join("\n")}\nRun it, change a field, or cancel?`,
    options: [
      { key: "run", label: "Run", value: "run", style: "primary" },
      { key: "change", label: "Change a field", value: "change" },
      { key: "cancel", label: "Cancel", value: "cancel", style: "danger" },
    ],
  };
}

function pickPrompt(spec: ConversationSpec): Prompt {
  return {
    kind: "question",
    text: "**Which field do you want to change?** (or type back)",
    options: [
      ...spec.fields.map((f) => ({ key: "field" as const, label: f.label, value: f.name })),
      { key: "cancel", label: "Cancel", value: "cancel", style: "danger" },
    ],
  };
}

function commandHint(spec: ConversationSpec): string {
  return spec.command;
}

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}
