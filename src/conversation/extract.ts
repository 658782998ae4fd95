// Optional model-backed extraction of fields from a free-text request, for what the deterministic rules
// could not place. The model only proposes text; every value still goes through the field's own schema.
import { z } from "zod";
import type { ModelProvider } from "../model/types.ts";
import type { ConversationField } from "./fields.ts";

/** Proposes raw values by field name; the caller validates each with `checkField`. */
export type FieldExtractor = (text: string, fields: ConversationField[]) => Promise<Record<string, unknown>>;

export type ExtractorOptions = {
  /** Extraction must be quick: the teacher is waiting for the first question. */
  timeoutMs?: number;
  model?: string;
};

/** An extractor over a configured model; undefined for the offline model, which cannot read requests. */
export function createModelExtractor(provider: ModelProvider, options: ExtractorOptions = {}): FieldExtractor | undefined {
  if (provider.name === "offline") return undefined;
  const timeoutMs = options.timeoutMs ?? 8000;
  return async (text, fields) => {
    const wanted = fields.filter((f) => !f.internal);
    const shape = Object.fromEntries(wanted.map((f) => [f.name, z.string().max(2000).nullable()]));
    const schema = z.object(shape);
    const jsonSchema = z.toJSONSchema(schema, { io: "output", unrepresentable: "any" }) as Record<string, unknown>;
    const lines = wanted.map((f) => {
      const choices = f.choices ? ` One of: ${f.choices.map((c) => c.value).join(", ")}.` : "";
      return `- ${f.name} (${f.label}): ${f.help || f.question}${choices}`;
    });
    const request = text.slice(0, 2000);
    const response = await provider.complete({
      messages: [
        {
          role: "system",
          content:
            "You read a teacher's short request and fill in form fields. Return JSON with exactly the listed keys. Use null for anything the request does not clearly say; never guess.",
        },
        { role: "user", content: `Fields:\n${lines.join("\n")}\n\nRequest: """${request}"""` },
      ],
      schema: { name: "staffroom-extract", zod: schema, jsonSchema },
      temperature: 0,
      maxTokens: 600,
      ...(options.model ? { model: options.model } : {}),
      signal: AbortSignal.timeout(timeoutMs),
      // The request is material to read (it may hold pasted work): named here so the privacy boundary fences it.
      meta: { executionId: "conversation", nodeId: "extract", templateId: "conversation", vars: { request } },
    });
    let json: unknown;
    try {
      json = JSON.parse(response.text);
    } catch {
      return {};
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) return {};
    return Object.fromEntries(Object.entries(parsed.data).filter(([, v]) => typeof v === "string" && v.trim() !== ""));
  };
}
