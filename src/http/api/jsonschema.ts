// zod -> JSON Schema (2020-12) for the API: tolerant of transforms (described by their input side),
// without the $schema/$id headers that would be noise inside an OpenAPI document.
import { z } from "zod";

export function toJsonSchema(schema: z.ZodType, io: "input" | "output"): Record<string, unknown> {
  try {
    const out = z.toJSONSchema(schema, { target: "draft-2020-12", io, unrepresentable: "any" }) as Record<string, unknown>;
    delete out.$schema;
    return out;
  } catch {
    // A schema zod cannot describe (a cycle through a transform) still gets a usable, honest answer.
    return { type: "object" };
  }
}

/** Input schema of a workflow: its zod schema, or an object of its declared inputs. */
export function workflowInputSchema(inputSchema: z.ZodType | undefined, inputs: readonly string[]): Record<string, unknown> {
  if (inputSchema) return toJsonSchema(inputSchema, "input");
  return { type: "object", properties: Object.fromEntries(inputs.map((k) => [k, {}])), additionalProperties: false };
}
