// The guided conversation as a pure state machine, draft first: once the required fields are known the
// request runs at once, with what was assumed said in one line; only missing required fields are asked.
// Steering words (cancel, back, skip, help, run, history, a slash command) are understood at any step and
// never stored as content; a message is one answer however many lines it has. "Change" after a run picks
// one field (or several as key:value) and reruns without asking anything else. No I/O: the chat core
// persists the state and posts the prompts.
import { acceptedKeys } from "../templates/fields.ts";
import { plural } from "../templates/markdown.ts";
import { shorten } from "../util/shorten.ts";
import { type ConversationField, checkField, displayValue, findField, fittingChoices, MAX_ANSWER_CHARS } from "./fields.ts";
import { KNOWN_SUBJECTS, parsePairs, parseRequest } from "./parse.ts";

export type Step =
  | { kind: "ask"; field: string; change?: boolean }
  | { kind: "pick" }
  | { kind: "done" }
  | { kind: "cancelled" }
  /** Steps of the earlier (summary-first) conversation, still found in stored states after an upgrade. */
  | { kind: "offer" }
  | { kind: "summary" };

/** Persisted between turns (JSON-safe). */
export type ConversationState = {
  v: 1 | 2;
  templateId: string;
  values: Record<string, unknown>;
  step: Step;
  /** Fields answered through questions, newest last: what `back` undoes. */
  asked: string[];
  /** Optional fields the teacher chose to leave out. */
  skipped: string[];
  /** Fields the teacher gave (typed with the command, answered, changed): never listed as assumptions. */
  given?: string[];
  /** Fields filled from what the teacher used last time; the root message lists them as assumptions. */
  remembered?: string[];
  /** Changing a request that already ran: an answer reruns at once, cancel keeps what ran. */
  change?: boolean;
  /** Earlier conversations offered profile values here. */
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

export type Outcome =
  /** Start the work. `assumed` names, in one line, what the teacher did not say ("45 min, NGSS, no class profile"). */
  | { kind: "run"; values: Record<string, unknown>; assumed: string; given?: string[] }
  | { kind: "cancelled" }
  /** A change was abandoned: what ran before stays as it is. */
  | { kind: "kept" };

export type Turn = {
  state: ConversationState;
  prompts: Prompt[];
  outcome?: Outcome;
  /** Something the chat core shows before the prompts (the teacher typed "history" at a question). */
  show?: "history";
};

/** What the teacher did: typed text, or clicked an option (key and value as offered). */
export type Answer = { kind: "text"; text: string } | { kind: "option"; key: string; value: string; field?: string };

export type ConversationSpec = {
  templateId: string;
  /** Slash command without the slash, for hints. */
  command: string;
  title: string;
  fields: ConversationField[];
  /** Whole-request check before running (cross-field rules); issues name the field to ask again. */
  validate?: (
    values: Record<string, unknown>,
  ) => { ok: true; values: Record<string, unknown> } | { ok: false; field?: string; message: string };
};

export type StartInput = {
  /** Text typed with the command. */
  text?: string;
  /** Values already validated elsewhere (typed command options, model extraction); they win over text. */
  values?: Record<string, unknown>;
  /**
   * What the teacher used last time for this template, given what this request says (so a framework
   * remembered for science is not offered for math). Already validated; listed as assumptions.
   */
  remembered?: (values: Record<string, unknown>) => Record<string, unknown>;
  /** Older callers: reusable values by field name, treated like `remembered`. */
  profile?: Record<string, unknown>;
};

const CANCEL = /^(cancel|stop|quit|exit|abort|never ?mind)$/i;
const BACK = /^(back|go back|undo|previous)$/i;
const SKIP = /^(skip|none|n\/a|pass|no thanks)$/i;
const HELP = /^(help|\?|what|huh|explain)$/i;
const RUN = /^(run|run it|go|go ahead|start|start it|do it|draft it|write it|confirm|looks good|lgtm)$/i;
const HISTORY = /^(history|my requests)$/i;
const CHANGE = /^(change|edit|modify|fix)(\s+(.+))?$/i;

/** Starts a conversation from the command text; runs at once when every required field is known. */
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
  if (parsed.unknown.length > 0) prompts.push({ kind: "error", text: unknownKeys(spec, parsed.unknown) });
  if (parsed.truncated) prompts.push({ kind: "notice", text: "That request was very long, so I only read the beginning of it." });
  const state: ConversationState = {
    v: 2,
    templateId: spec.templateId,
    values,
    step: { kind: "ask", field: "" },
    asked: [],
    skipped: [],
    given: Object.keys(values),
    remembered: [],
  };
  const remembered = { ...(input.profile ?? {}), ...(input.remembered?.(values) ?? {}) };
  for (const field of spec.fields) {
    if (field.name in values || remembered[field.name] === undefined) continue;
    values[field.name] = remembered[field.name];
    state.remembered!.push(field.name);
  }
  return advance(spec, state, prompts);
}

/**
 * A change of a request that already ran: which field should change? Nothing else is asked. `given`
 * names the fields the teacher gave (the rest stay assumptions in the rerun's root); all when unknown.
 */
export function startChange(spec: ConversationSpec, values: Record<string, unknown>, given?: string[]): Turn {
  const known = Object.fromEntries(Object.entries(values).filter(([name]) => spec.fields.some((f) => f.name === name)));
  const state: ConversationState = {
    v: 2,
    templateId: spec.templateId,
    values: known,
    step: { kind: "pick" },
    asked: [],
    skipped: [],
    given: given ?? Object.keys(known),
    remembered: [],
    change: true,
  };
  return { state, prompts: [pickPrompt(spec, state)] };
}

/** One teacher turn. Never throws; whatever the text, the reply says what to do next. */
export function answer(spec: ConversationSpec, current: ConversationState, input: Answer): Turn {
  const state = upgrade(spec, structuredClone(current));
  const text = input.kind === "text" ? input.text.trim() : "";
  const oneLine = !text.includes("\n");
  const word = oneLine
    ? text
        .replace(/^\/+/, "")
        .replace(/[.!]+$/, "")
        .trim()
    : "";
  if (state.step.kind === "done" || state.step.kind === "cancelled") {
    return { state, prompts: [{ kind: "notice", text: "This request is already finished; start a new one with its command." }] };
  }
  if (input.kind === "option" ? input.key === "cancel" : CANCEL.test(word)) return cancel(spec, state);
  if (input.kind === "text" && text.length > MAX_ANSWER_CHARS) {
    return {
      state,
      prompts: [
        { kind: "error", text: `That is longer than I can take (${MAX_ANSWER_CHARS} characters at most); please shorten it.` },
        ...reprompt(spec, state),
      ],
    };
  }
  const field = state.step.kind === "ask" ? spec.fields.find((f) => f.name === (state.step as { field: string }).field) : undefined;
  if (input.kind === "text" && oneLine && !(field && isValueOf(field, word))) {
    if (text.startsWith("/")) {
      if (HELP.test(word)) return { state, prompts: [templateHelpPrompt(spec), ...reprompt(spec, state)] };
      return {
        state,
        prompts: [
          {
            kind: "notice",
            text: `Commands aren't answers: to start another request, type ${shorten(text, 40)} outside this thread. This one is still waiting:`,
          },
          ...reprompt(spec, state),
        ],
      };
    }
    if (HISTORY.test(word)) return { state, prompts: reprompt(spec, state), show: "history" };
  }
  if (state.step.kind === "pick") return onPick(spec, state, input, text, word);
  if (!field) return advance(spec, state, []);
  return onAsk(spec, state, field, input, text, word, oneLine);
}

/** The current question again (after a restart or when the teacher seems lost). */
export function reprompt(spec: ConversationSpec, state: ConversationState): Prompt[] {
  switch (state.step.kind) {
    case "ask": {
      const field = spec.fields.find((f) => f.name === (state.step as { field: string }).field);
      return field ? [askPrompt(spec, state, field)] : [];
    }
    case "pick":
      return [pickPrompt(spec, state)];
    case "offer":
    case "summary": {
      const next = firstMissing(spec, state);
      return next ? [askPrompt(spec, state, next)] : [pickPrompt(spec, state)];
    }
    default:
      return [];
  }
}

/** A stored state from the summary-first conversation continues as a draft-first one. */
function upgrade(spec: ConversationSpec, state: ConversationState): ConversationState {
  if (state.v === 2) return state;
  const values = { ...state.values };
  const next = firstMissing(spec, { ...state, values });
  const step: Step = next ? { kind: "ask", field: next.name } : { kind: "pick" };
  return { ...state, v: 2, values, step, given: Object.keys(values), remembered: [], ...(next ? {} : { change: true }) };
}

function cancel(spec: ConversationSpec, state: ConversationState): Turn {
  if (state.change) {
    state.step = { kind: "done" };
    return { state, prompts: [{ kind: "notice", text: "OK, nothing changed." }], outcome: { kind: "kept" } };
  }
  state.step = { kind: "cancelled" };
  return {
    state,
    prompts: [{ kind: "notice", text: `Cancelled; nothing was run. Start again any time with /${spec.command}.` }],
    outcome: { kind: "cancelled" },
  };
}

function onAsk(
  spec: ConversationSpec,
  state: ConversationState,
  field: ConversationField,
  input: Answer,
  text: string,
  word: string,
  oneLine: boolean,
): Turn {
  const change = state.step.kind === "ask" && state.step.change === true;
  if (input.kind === "option" && (!["answer", "skip"].includes(input.key) || (input.field !== undefined && input.field !== field.name))) {
    return stale(spec, state);
  }
  // A paste of several lines is one answer to this question, whatever words it holds.
  const steering = input.kind === "text" && oneLine && !isValueOf(field, word);
  if (steering && BACK.test(word)) return change ? toPick(spec, state) : goBack(spec, state);
  if (steering && HELP.test(word)) return { state, prompts: [helpPrompt(field), askPrompt(spec, state, field)] };
  if (steering && RUN.test(word)) {
    const missing = spec.fields.filter((f) => f.required && !(f.name in state.values));
    if (missing.length === 0) return run(spec, state, []);
    return {
      state,
      prompts: [
        { kind: "error", text: `I need ${listOf(missing.map((f) => f.label.toLowerCase()))} before I can start.` },
        askPrompt(spec, state, field),
      ],
    };
  }
  const skip = input.kind === "option" ? input.key === "skip" : steering && SKIP.test(word) && !isValueOf(field, word);
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
    markGiven(state, field.name);
    pushAsked(state, field.name);
    return change ? run(spec, state, []) : advance(spec, state, []);
  }
  if (input.kind === "text" && oneLine) {
    const pairs = keyValues(spec, text);
    if (pairs) {
      const turn = applyPairs(spec, state, pairs);
      return change ? run(spec, turn.state, turn.prompts) : advance(spec, turn.state, turn.prompts);
    }
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
  markGiven(state, field.name);
  pushAsked(state, field.name);
  return change ? run(spec, state, []) : advance(spec, state, []);
}

function onPick(spec: ConversationSpec, state: ConversationState, input: Answer, text: string, word: string): Turn {
  if (input.kind === "option") {
    if (input.key === "run") return run(spec, state, []);
    if (input.key !== "field") return stale(spec, state);
    const field = findField(spec.fields, input.value);
    return field ? askField(spec, state, field) : stale(spec, state);
  }
  if (BACK.test(word) || text === "") return cancel(spec, state);
  if (HELP.test(word))
    return {
      state,
      prompts: [
        {
          kind: "notice",
          text: 'Name the field to change (for example "duration"), or give new values as key:value ("duration: 50, grade: 6"); cancel keeps what you have.',
        },
        pickPrompt(spec, state),
      ],
    };
  if (RUN.test(word)) return run(spec, state, []);
  const change = CHANGE.exec(word);
  const named = findField(spec.fields, change?.[3] ?? word);
  if (named) return askField(spec, state, named);
  const pairs = keyValues(spec, text);
  if (pairs) {
    const turn = applyPairs(spec, state, pairs);
    return run(spec, turn.state, turn.prompts);
  }
  // "55 min" or "grade 6": the request parser places what it recognises (never a free-text topic).
  const parsed = parseRequest(
    text,
    spec.fields.filter((f) => f.choices || f.type !== "string" || /subject/i.test(f.name)),
  );
  if (Object.keys(parsed.values).length > 0 && parsed.unused === "") {
    Object.assign(state.values, parsed.values);
    for (const name of Object.keys(parsed.values)) markGiven(state, name);
    return run(spec, state, []);
  }
  return {
    state,
    prompts: [{ kind: "error", text: `There is no field called "${shorten(text, 40)}".` }, pickPrompt(spec, state)],
  };
}

/** Validates the whole request and hands it over to run, with what was assumed in one line. */
function run(spec: ConversationSpec, state: ConversationState, prompts: Prompt[]): Turn {
  const missing = firstMissing(spec, state);
  if (missing) return advance(spec, state, prompts);
  const values = Object.fromEntries(Object.entries(state.values).filter(([, v]) => v !== undefined));
  const checked = spec.validate ? spec.validate(values) : { ok: true as const, values };
  if (!checked.ok) {
    const field = checked.field ? spec.fields.find((f) => f.name === checked.field) : undefined;
    const out: Prompt[] = [...prompts, { kind: "error", text: checked.message }];
    if (field) {
      delete state.values[field.name];
      state.step = { kind: "ask", field: field.name, ...(state.change ? { change: true } : {}) };
      return { state, prompts: [...out, askPrompt(spec, state, field)] };
    }
    state.step = { kind: "pick" };
    state.change = true;
    return { state, prompts: [...out, pickPrompt(spec, state)] };
  }
  state.step = { kind: "done" };
  const given = (state.given ?? []).filter((n) => !(state.remembered ?? []).includes(n));
  return { state, prompts, outcome: { kind: "run", values: checked.values, assumed: assumptions(spec, state), given } };
}

/**
 * What the request takes without the teacher having said it, in one line: remembered values, defaults,
 * and optional fields left out ("Grade 5, 45 min, English, no class profile").
 */
export function assumptions(spec: ConversationSpec, state: ConversationState): string {
  const remembered = state.remembered ?? [];
  return assumedLine(
    spec,
    state.values,
    (state.given ?? []).filter((n) => !remembered.includes(n)),
  );
}

/**
 * The same line for values that came another way (a platform form): every field not in `given` is an
 * assumption, named by its value, its default or its `absent` wording.
 */
export function assumedLine(spec: Pick<ConversationSpec, "fields">, values: Record<string, unknown>, given: readonly string[]): string {
  const said = new Set(given);
  const parts: string[] = [];
  for (const f of spec.fields) {
    if (said.has(f.name)) continue;
    const value = values[f.name];
    if (value !== undefined && value !== "") parts.push(displayValue(f, value));
    else if (f.default !== undefined) parts.push(displayValue(f, f.default));
    else if (!f.required) parts.push(f.absent ?? `no ${f.label.toLowerCase()}`);
  }
  return parts.join(", ");
}

function askField(spec: ConversationSpec, state: ConversationState, field: ConversationField): Turn {
  state.step = { kind: "ask", field: field.name, ...(state.change ? { change: true } : {}) };
  return { state, prompts: [askPrompt(spec, state, field)] };
}

function toPick(spec: ConversationSpec, state: ConversationState): Turn {
  state.step = { kind: "pick" };
  return { state, prompts: [pickPrompt(spec, state)] };
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

/** The next missing required field, or the run when none is left: optional fields are never asked here. */
function advance(spec: ConversationSpec, state: ConversationState, prompts: Prompt[]): Turn {
  const next = firstMissing(spec, state);
  if (next) {
    state.step = { kind: "ask", field: next.name };
    return { state, prompts: [...prompts, askPrompt(spec, state, next)] };
  }
  return run(spec, state, prompts);
}

function firstMissing(spec: ConversationSpec, state: ConversationState): ConversationField | undefined {
  return spec.fields.find((f) => f.required && !(f.name in state.values));
}

function pushAsked(state: ConversationState, name: string): void {
  state.asked = state.asked.filter((n) => n !== name);
  state.asked.push(name);
}

function markGiven(state: ConversationState, name: string): void {
  state.given = [...(state.given ?? []).filter((n) => n !== name), name];
  state.remembered = (state.remembered ?? []).filter((n) => n !== name);
}

/** A word that is a real answer to this field (History as a subject, a choice's name) is never a steering word. */
function isValueOf(field: ConversationField, word: string): boolean {
  const lower = word.toLowerCase();
  if (lower === "") return false;
  if (field.choices?.some((c) => c.value.toLowerCase() === lower || c.label.toLowerCase() === lower)) return true;
  return /subject/i.test(field.name) && KNOWN_SUBJECTS.some((s) => s.toLowerCase() === lower);
}

/** `field:value` pairs typed as an answer, when every part of the text is such a pair. */
function keyValues(
  spec: ConversationSpec,
  text: string,
): { values: Record<string, unknown>; errors: string[]; unknown: string[] } | undefined {
  if (!/[:=]/.test(text)) return undefined;
  const parsed = parsePairs(text, spec.fields);
  if (parsed.rest !== "" || (Object.keys(parsed.values).length === 0 && parsed.issues.length === 0)) return undefined;
  return { values: parsed.values, errors: parsed.issues.map((i) => `${i.label}: ${i.message}`), unknown: parsed.unknown };
}

function applyPairs(
  spec: ConversationSpec,
  state: ConversationState,
  pairs: { values: Record<string, unknown>; errors: string[]; unknown: string[] },
): Turn {
  Object.assign(state.values, pairs.values);
  for (const name of Object.keys(pairs.values)) {
    state.skipped = state.skipped.filter((n) => n !== name);
    markGiven(state, name);
  }
  const prompts: Prompt[] = pairs.errors.map((e) => ({ kind: "error" as const, text: e }));
  if (pairs.unknown.length > 0) prompts.push({ kind: "error", text: unknownKeys(spec, pairs.unknown) });
  return { state, prompts };
}

/** One sentence naming the keys that are not fields and listing those the template takes. */
export function unknownKeys(spec: ConversationSpec, unknown: string[]): string {
  const named = unknown.map((k) => `"${shorten(k, 40)}"`);
  return `/${spec.command} has no ${listOf(named, "or")} field; it takes ${acceptedKeys(spec.fields).join(", ")}.`;
}

function askPrompt(spec: ConversationSpec, state: ConversationState, field: ConversationField): Prompt {
  // Only the choices that fit what is already known (no NGSS offered for a math lesson).
  const options: PromptOption[] = fittingChoices(field, state.values).map((c) => ({
    key: "answer",
    label: c.label,
    value: c.value,
    field: field.name,
  }));
  if (!field.required) options.push({ key: "skip", label: "Skip", value: "skip" });
  options.push({ key: "cancel", label: state.change ? "Keep as is" : "Cancel", value: "cancel", style: "danger" });
  const change = state.step.kind === "ask" && state.step.change === true;
  const missing = spec.fields.filter((f) => f.required && !(f.name in state.values) && f.name !== field.name).length;
  const left = change || !field.required ? "" : missing === 0 ? " (last question)" : ` (${plural(missing + 1, "question")} left)`;
  const hint = field.required ? "" : " _(optional: type skip to leave it out)_";
  const now = change ? `\nNow: ${currentText(field, state.values)}` : "";
  const example = !field.choices && field.example ? `\nFor example: ${field.example}` : "";
  return { kind: "question", text: `**${field.question}**${left}${hint}${now}${example}`, options };
}

/** What a field holds now, as the teacher reads it: the value given, else its default, else how it is left out. */
function currentText(field: ConversationField, values: Record<string, unknown>): string {
  if (field.name in values) return displayValue(field, values[field.name]);
  return field.default !== undefined ? displayValue(field, field.default) : (field.absent ?? "(none)");
}

function helpPrompt(field: ConversationField): Prompt {
  const lines = [field.help || `${field.label} for this request.`];
  if (field.example) lines.push(`Example: ${field.example}`);
  lines.push(`You can also type ${field.required ? "back or cancel" : "back, skip or cancel"}.`);
  return { kind: "notice", text: lines.join("\n") };
}

function pickPrompt(spec: ConversationSpec, state: ConversationState): Prompt {
  const shown = (f: ConversationField) => {
    const line = currentText(f, state.values).replace(/\s*\n+\s*/g, " / ");
    return shorten(line, 80);
  };
  const lines = spec.fields.map((f) => `- ${f.label}: ${shown(f)}`);
  const sample = spec.fields.find((f) => f.example !== "" && f.example.length <= 20 && !f.choices) ?? spec.fields[0];
  const example = sample ? ` (for example: ${acceptedKeys([sample])[0]}: ${sample.example})` : "";
  return {
    kind: "question",
    text: `**What should change?** Pick a field, or type new values${example}.\n${lines.join("\n")}`,
    options: [
      ...spec.fields.map((f) => ({ key: "field" as const, label: f.label, value: f.name })),
      { key: "cancel", label: "Keep as is", value: "cancel", style: "danger" },
    ],
  };
}

/** What a template takes and how to ask for it: `/lesson-plan help`, `/help lesson-plan`, "/help" in a thread. */
export function templateHelp(spec: ConversationSpec): string {
  const asked = spec.fields.filter((f) => !f.internal);
  const describe = (f: ConversationField) => {
    const keys = [...new Set([...acceptedKeys([f]), ...f.aliases])].slice(0, 4).join(", ");
    return `- ${f.label} (${keys})${f.required ? "" : ", optional"}: ${f.help || f.question}`;
  };
  const example = asked
    .filter((f) => f.required)
    .map((f) => `${acceptedKeys([f])[0]}:${/\s/.test(f.example) ? `"${f.example}"` : f.example}`)
    .join(" ");
  return [
    `**/${spec.command}**: ${spec.title}. Say what you know, in words or as key:value pairs; I ask only for what is missing and start at once, then you can change anything.`,
    ...asked.map(describe),
    `For example: /${spec.command} ${example}`,
  ].join("\n");
}

function templateHelpPrompt(spec: ConversationSpec): Prompt {
  return { kind: "notice", text: templateHelp(spec) };
}

function listOf(items: string[], joiner = "and"): string {
  if (items.length <= 1) return items[0] ?? "";
  return `${items.slice(0, -1).join(", ")} ${joiner} ${items.at(-1)}`;
}
