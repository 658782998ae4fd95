// Reading the execution context: dotted paths into inputs and node outputs, input/output mappings,
// prompt templates ({{name.path}}) and condition rules. All pure.
import type { ConditionRule } from "./schema.ts";

export type Context = { inputs: Record<string, unknown>; nodes: Record<string, unknown> };

/** Reads a dotted path (`a.b.0.c`) from a value; undefined when any step is missing. */
export function readPath(value: unknown, path: string | string[]): unknown {
  const parts = Array.isArray(path) ? path : path.split(".").filter(Boolean);
  let current: unknown = value;
  for (const part of parts) {
    if (current === null || current === undefined || typeof current !== "object") return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

/** The node's local scope: its `in` mapping resolved, or `{ inputs }` when it has none. */
export function mapInputs(mapping: Record<string, string> | undefined, ctx: Context): Record<string, unknown> {
  if (!mapping) return { inputs: ctx.inputs };
  const out: Record<string, unknown> = {};
  for (const [name, path] of Object.entries(mapping)) out[name] = readPath(ctx, path);
  return out;
}

/** Applies an `out` mapping to a raw result; without one the result is the output. */
export function mapOutput(mapping: Record<string, string> | undefined, raw: unknown): unknown {
  if (!mapping) return raw;
  const out: Record<string, unknown> = {};
  for (const [name, path] of Object.entries(mapping)) out[name] = readPath(raw, path);
  return out;
}

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_-]+)*)\s*\}\}/g;

/** Names (first path segment) and full paths a template reads. */
export function templateVariables(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1] ?? "");
}

function display(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value) && value.every((v) => typeof v === "string" || typeof v === "number")) return value.join(", ");
  return JSON.stringify(value, null, 2);
}

/** Fills `{{name.path}}` placeholders from the node's scope; objects become JSON, missing values empty. */
export function renderTemplate(template: string, scope: Record<string, unknown>): string {
  return template.replace(PLACEHOLDER, (_, path: string) => display(readPath(scope, path)));
}

function compare(a: unknown, b: unknown): number | undefined {
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "string" && typeof b === "string") return a.localeCompare(b);
  return undefined;
}

export function ruleHolds(rule: ConditionRule, ctx: Context): boolean {
  const v = readPath(ctx, rule.path);
  switch (rule.op) {
    case "eq":
      return v === rule.value;
    case "neq":
      return v !== rule.value;
    case "in":
      return Array.isArray(rule.value) && rule.value.includes(v);
    case "exists":
      return v !== undefined && v !== null && v !== "";
    case "truthy":
      return Boolean(v) && !(Array.isArray(v) && v.length === 0);
    case "falsy":
      return !v || (Array.isArray(v) && v.length === 0);
    case "gt":
    case "gte":
    case "lt":
    case "lte": {
      const c = compare(v, rule.value);
      if (c === undefined) return false;
      return rule.op === "gt" ? c > 0 : rule.op === "gte" ? c >= 0 : rule.op === "lt" ? c < 0 : c <= 0;
    }
  }
}
