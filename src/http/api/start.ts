// Starting an execution from an API request, shared by /execute and the quick actions: checks the
// inputs against the workflow's schema (naming each field and its fix), honours Idempotency-Key.
import type { IncomingMessage } from "node:http";
import { z } from "zod";
import type { RegisteredWorkflow } from "../../engine/api.ts";
import type { ExecutionRecord } from "../../engine/records.ts";
import { InvalidInputError, NotFoundError } from "../../errors.ts";
import { describeFields } from "../../templates/index.ts";
import { type FieldError, HttpProblem, validationProblem, zodFieldErrors } from "../problem.ts";
import type { ApiDeps } from "./route.ts";
import { executionUrl } from "./views.ts";

/** Field names an input object may carry: the schema's shape, else the definition's declared inputs. */
export function knownInputs(workflow: RegisteredWorkflow): string[] {
  const schema = workflow.inputSchema;
  if (schema instanceof z.ZodObject) return Object.keys(schema.shape);
  return workflow.definition.inputs;
}

/** "Grade, for example \"5\"" from the fields' metadata (templates and any zod object with .meta()), to append to a field error. */
export function fieldHints(schema: z.ZodType | undefined): (field: string) => string | undefined {
  if (!(schema instanceof z.ZodObject)) return () => undefined;
  const fields = new Map(describeFields(schema).map((f) => [f.name, f]));
  return (name) => {
    const f = fields.get(name);
    if (!f) return undefined;
    if (f.choices?.length) return `${f.label}: one of ${f.choices.map((c) => c.value).join(", ")}`;
    return f.example ? `${f.label}, for example "${f.example}"` : undefined;
  };
}

/**
 * Validates inputs the way the engine will, so bad input gets a 400 naming each field before anything
 * is created. `prefix` is where the inputs sit in the request body.
 */
export function checkInputs(workflow: RegisteredWorkflow, inputs: Record<string, unknown>, prefix: string[]): unknown {
  const known = new Set(knownInputs(workflow));
  const errors: FieldError[] = [];
  for (const key of Object.keys(inputs)) {
    if (!known.has(key)) {
      const list = [...known].join(", ");
      errors.push({
        field: [...prefix, key].join("."),
        message: `is not an input of ${workflow.definition.id}; remove it${list ? ` (inputs: ${list})` : ""}`,
      });
    }
  }
  if (errors.length > 0) throw validationProblem(errors);
  if (!workflow.inputSchema) return inputs;
  const parsed = workflow.inputSchema.safeParse(inputs);
  if (!parsed.success) throw validationProblem(zodFieldErrors(parsed.error, inputs, { prefix, hint: fieldHints(workflow.inputSchema) }));
  return parsed.data;
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

/** The Idempotency-Key header scoped to the API key (two systems never share an execution by accident). */
export function idempotencyKey(req: IncomingMessage, keyId: string): string | undefined {
  const raw = req.headers["idempotency-key"];
  if (raw === undefined) return undefined;
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined || !IDEMPOTENCY_KEY.test(value)) {
    throw new HttpProblem(
      400,
      "invalid_idempotency_key",
      "The Idempotency-Key header should be 1 to 200 visible ASCII characters (a UUID works well).",
      {
        errors: [{ field: "Idempotency-Key", message: "should be 1 to 200 visible ASCII characters" }],
      },
    );
  }
  return `api:${keyId}:${value}`;
}

function stable(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

export type StartRequest = {
  workflow: RegisteredWorkflow;
  inputs: Record<string, unknown>;
  userId: string;
  /** Where the inputs sit in the body, for field names in errors. */
  prefix: string[];
  version?: number;
  req: IncomingMessage;
  keyId: string;
};

export async function startExecution(deps: ApiDeps, r: StartRequest): Promise<ExecutionRecord> {
  const parsed = checkInputs(r.workflow, r.inputs, r.prefix);
  const idem = idempotencyKey(r.req, r.keyId);
  let record: ExecutionRecord;
  try {
    record = await deps.engine.start(r.workflow.definition.id, {
      inputs: r.inputs,
      userId: r.userId,
      origin: { surface: "api", apiKey: r.keyId },
      ...(idem ? { idempotencyKey: idem } : {}),
      ...(r.version !== undefined ? { version: r.version } : {}),
    });
  } catch (error) {
    if (error instanceof InvalidInputError) {
      throw validationProblem(
        error.issues.length > 0
          ? error.issues.map((i) => ({ field: [...r.prefix, i.path].filter(Boolean).join("."), message: i.message }))
          : [{ field: r.prefix.join(".") || "(body)", message: error.message }],
      );
    }
    if (error instanceof NotFoundError) throw new HttpProblem(422, "unknown_workflow", error.message);
    throw error;
  }
  if (idem) {
    // A key reused for a different request must not silently answer with someone else's execution.
    const same =
      record.templateId === r.workflow.definition.id &&
      record.userId === r.userId &&
      (stable(record.inputs) === stable(parsed) || stable(record.inputs) === stable(r.inputs));
    if (!same) {
      throw new HttpProblem(
        422,
        "idempotency_key_reused",
        "This Idempotency-Key was already used for a different request; use a new key for a new request.",
        { errors: [{ field: "Idempotency-Key", message: "was used for a different request" }] },
      );
    }
  }
  return record;
}

export function accepted(record: ExecutionRecord) {
  const url = executionUrl(record.id);
  return {
    status: 202,
    body: {
      execution_id: record.id,
      workflow_id: record.templateId,
      status: record.status,
      created_at: new Date(record.createdAt).toISOString(),
      status_url: url,
      events_url: `${url}/events`,
    },
    headers: { location: url },
  };
}
