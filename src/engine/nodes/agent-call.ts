// The model call of an agent node: render the prompt, call the provider (its concurrency is the work
// queue's `model:<provider>` group), and parse a structured answer (one repair attempt, then a clear error).
import { z } from "zod";
import { ModelOutputError } from "../../errors.ts";
import type { ChatMessage, ModelProvider, ModelRequest, TokenUsage } from "../../model/types.ts";
import { renderTemplate } from "../context.ts";
import type { AgentNode } from "../schema.ts";

export type AgentResult = { raw: unknown; usage: TokenUsage };

const jsonSchemaCache = new WeakMap<z.ZodType, Record<string, unknown>>();

export function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  let js = jsonSchemaCache.get(schema);
  if (!js) {
    js = z.toJSONSchema(schema, { io: "output", unrepresentable: "any" }) as Record<string, unknown>;
    jsonSchemaCache.set(schema, js);
  }
  return js;
}

/** Pulls the JSON out of an answer that may be wrapped in a Markdown code fence. */
export function extractJson(text: string): unknown {
  const trimmed = text.trim();
  const fenced = /^```(?:json)?\s*([\s\S]*?)\s*```$/i.exec(trimmed);
  return JSON.parse(fenced?.[1] ?? trimmed);
}

function check(schema: z.ZodType, text: string): { ok: true; value: unknown } | { ok: false; issues: string } {
  let value: unknown;
  try {
    value = extractJson(text);
  } catch {
    return { ok: false, issues: "the answer was not JSON" };
  }
  const parsed = schema.safeParse(value);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issues = parsed.error.issues
    .slice(0, 8)
    .map((i) => `${i.path.length ? i.path.join(".") : "(root)"}: ${i.message}`)
    .join("; ");
  return { ok: false, issues };
}

export type AgentCall = {
  node: AgentNode;
  scope: Record<string, unknown>;
  schema: z.ZodType | undefined;
  model: ModelProvider;
  signal: AbortSignal;
  onDelta?: (text: string) => void;
  defaultModel?: string;
  meta: Omit<ModelRequest["meta"], "vars">;
};

export async function runAgent(call: AgentCall): Promise<AgentResult> {
  const { node, scope, schema } = call;
  const messages: ChatMessage[] = [];
  if (node.system) messages.push({ role: "system", content: renderTemplate(node.system, scope) });
  messages.push({ role: "user", content: renderTemplate(node.prompt, scope) });
  const usage: TokenUsage = { inputTokens: 0, outputTokens: 0 };
  const ask = async (msgs: ChatMessage[]) => {
    const res = await call.model.complete({
      messages: msgs,
      ...(schema && node.outputSchema ? { schema: { name: node.outputSchema, zod: schema, jsonSchema: jsonSchemaOf(schema) } } : {}),
      ...((node.model ?? call.defaultModel) ? { model: node.model ?? call.defaultModel } : {}),
      ...(node.temperature !== undefined ? { temperature: node.temperature } : {}),
      ...(node.maxTokens !== undefined ? { maxTokens: node.maxTokens } : {}),
      signal: call.signal,
      ...(call.onDelta ? { onDelta: call.onDelta } : {}),
      meta: { ...call.meta, vars: scope },
    });
    usage.inputTokens += res.usage.inputTokens;
    usage.outputTokens += res.usage.outputTokens;
    return res.text;
  };

  const first = await ask(messages);
  if (!schema) return { raw: first, usage };
  const parsed = check(schema, first);
  if (parsed.ok) return { raw: parsed.value, usage };
  const repair: ChatMessage[] = [
    ...messages,
    { role: "assistant", content: first },
    {
      role: "user",
      content: `Your answer did not match the required JSON schema (${parsed.issues}). Reply with only the corrected JSON, nothing else.`,
    },
  ];
  const second = await ask(repair);
  const reparsed = check(schema, second);
  if (reparsed.ok) return { raw: reparsed.value, usage };
  throw new ModelOutputError(node.id, reparsed.issues);
}
