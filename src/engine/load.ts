// Loading workflow definitions from JSON or YAML files or values, with every problem reported.

import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import YAML from "yaml";
import { WorkflowInvalidError } from "../errors.ts";
import { WorkflowDefinition } from "./schema.ts";
import { type Problem, type Registries, validateWorkflow } from "./validate.ts";

/** Parses and validates a definition value; throws WorkflowInvalidError with every problem. */
export function parseWorkflow(value: unknown, registries: Registries = {}): WorkflowDefinition {
  const problems = validateWorkflow(value, registries);
  const id =
    typeof value === "object" && value !== null && typeof (value as { id?: unknown }).id === "string"
      ? (value as { id: string }).id
      : "(unnamed)";
  if (problems.length > 0) throw new WorkflowInvalidError(id, problems);
  return WorkflowDefinition.parse(value);
}

/** Reads a JSON or YAML file into a plain value; syntax errors become one problem with line and column. */
export async function readWorkflowFile(file: string): Promise<{ value: unknown; problems: Problem[] }> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    return {
      value: undefined,
      problems: [{ path: file, message: `cannot read the file: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` }],
    };
  }
  const ext = extname(file).toLowerCase();
  if (ext === ".json") {
    try {
      return { value: JSON.parse(text), problems: [] };
    } catch (error) {
      return { value: undefined, problems: [{ path: file, message: `is not valid JSON: ${(error as Error).message}` }] };
    }
  }
  const doc = YAML.parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    return {
      value: undefined,
      problems: doc.errors.map((e) => ({
        path: `${file}${e.linePos?.[0] ? `:${e.linePos[0].line}:${e.linePos[0].col}` : ""}`,
        message: `is not valid YAML: ${e.message.split("\n")[0]}`,
      })),
    };
  }
  return { value: doc.toJS(), problems: [] };
}

/** Every problem of a workflow file (empty when it is valid). */
export async function validateWorkflowFile(file: string, registries: Registries = {}): Promise<Problem[]> {
  const { value, problems } = await readWorkflowFile(file);
  if (problems.length > 0) return problems;
  return validateWorkflow(value, registries);
}

/** Loads and validates a workflow file; throws WorkflowInvalidError with every problem. */
export async function loadWorkflowFile(file: string, registries: Registries = {}): Promise<WorkflowDefinition> {
  const { value, problems } = await readWorkflowFile(file);
  if (problems.length > 0) throw new WorkflowInvalidError(file, problems);
  return parseWorkflow(value, registries);
}

/** Stable JSON (sorted keys) so equal definitions hash equally. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** Content hash of a definition: executions record it, so editing a template never breaks a run in flight. */
export function definitionHash(def: WorkflowDefinition): string {
  return createHash("sha256").update(canonicalJson(def)).digest("hex");
}
