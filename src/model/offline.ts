// The offline model: no network, deterministic drafts built from the request's schema and variables,
// visibly marked as offline drafts. Lets anyone try the bot without a key and gives tests a fast model.
import { abortReason } from "./abort.ts";
import { synthesizeFromJsonSchema } from "./synthesize.ts";
import type { Drafter, ModelProvider, ModelRequest, ModelResponse } from "./types.ts";

export type { Drafter };

/** Builds a structured draft for one output schema (keyed by schema name); its value must fit the schema. */

export type OfflineProviderOptions = {
  /** Hand-written drafters by output schema name; others are synthesized from the JSON schema. */
  drafters?: Record<string, Drafter>;
  /** Simulated thinking time per call (abortable); 0 by default. */
  latencyMs?: number;
};

export const OFFLINE_PREFIX = "[Offline draft] ";
export const OFFLINE_MODEL = "offline-drafts";

export function createOfflineProvider(options: OfflineProviderOptions = {}): ModelProvider {
  const drafters = options.drafters ?? {};
  const latencyMs = options.latencyMs ?? 0;

  return {
    name: "offline",
    async complete(request: ModelRequest): Promise<ModelResponse> {
      await pause(latencyMs, request.signal);
      const text = request.schema ? JSON.stringify(structured(request, drafters)) : freeText(request);
      if (request.onDelta) for (const chunk of text.match(/\S+\s*/g) ?? [text]) request.onDelta(chunk);
      const input = request.messages.map((m) => m.content).join(" ");
      return { text, usage: { inputTokens: countWords(input), outputTokens: countWords(text) }, model: OFFLINE_MODEL };
    },
  };
}

function structured(request: ModelRequest, drafters: Record<string, Drafter>): unknown {
  const schema = request.schema!;
  const vars = request.meta.vars;
  const drafter = drafters[schema.name];
  if (drafter) return drafter(vars, request);
  const subject = subjectOf(vars, request);
  return synthesizeFromJsonSchema(schema.jsonSchema, {
    subject,
    prefix: OFFLINE_PREFIX,
    seed: `${request.meta.templateId}/${request.meta.nodeId}/${subject}`,
  });
}

/** A few sentences that show what the model was asked, so the draft is useful as a scaffold. */
function freeText(request: ModelRequest): string {
  const prompt = [...request.messages].reverse().find((m) => m.role === "user")?.content ?? "";
  const subject = subjectOf(request.meta.vars, request);
  const ask = firstSentence(prompt);
  const lines = [
    `${OFFLINE_PREFIX}This text was written without AI (no model is configured), as a starting point on ${subject}.`,
    ask ? `The request was: "${ask}"` : undefined,
    "Set OPENAI_API_KEY (or OPENAI_BASE_URL for a local model) to get a real draft.",
  ];
  return lines.filter(Boolean).join("\n");
}

/** The draft's subject: the first short text among the variables (a topic, a title), else the prompt's start. */
export function subjectOf(vars: Record<string, unknown>, request?: ModelRequest): string {
  const found = findShortText(vars, 0);
  if (found) return found;
  const prompt = request?.messages.find((m) => m.role === "user")?.content ?? "";
  return firstSentence(prompt).split(/\s+/).slice(0, 8).join(" ") || "the topic";
}

const PREFERRED_KEYS = ["topic", "subject", "title", "unit", "lesson", "focus", "goal"];

function findShortText(value: unknown, depth: number): string | undefined {
  if (depth > 3) return undefined;
  if (typeof value === "string") {
    const t = value.trim().replace(/\s+/g, " ");
    return t.length > 0 && t.length <= 80 ? t : t.length > 80 ? `${t.slice(0, 77)}...` : undefined;
  }
  if (Array.isArray(value)) {
    for (const v of value) {
      const found = findShortText(v, depth + 1);
      if (found) return found;
    }
    return undefined;
  }
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>);
    entries.sort(([a], [b]) => rank(a) - rank(b));
    for (const [, v] of entries) {
      const found = findShortText(v, depth + 1);
      if (found) return found;
    }
  }
  return undefined;
}

function rank(key: string): number {
  const i = PREFERRED_KEYS.indexOf(key.toLowerCase());
  return i === -1 ? PREFERRED_KEYS.length : i;
}

function firstSentence(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  const end = flat.search(/[.!?](\s|$)/);
  const sentence = end === -1 ? flat : flat.slice(0, end + 1);
  return sentence.length > 160 ? `${sentence.slice(0, 157)}...` : sentence;
}

function countWords(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(abortReason(signal));
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason(signal));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
