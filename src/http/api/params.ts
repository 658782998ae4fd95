// Path parameters: each names its shape once (length and characters), checked before any lookup, and
// documented from the same rule; ids are echoed in messages only shortened.
import { HttpProblem } from "../problem.ts";

export type PathParam = {
  description: string;
  /** Anchored, JSON-Schema-compatible pattern (also the OpenAPI schema's). */
  pattern: string;
  maxLength: number;
  /** What a valid value looks like, for the 400's sentence. */
  looksLike: string;
};

/** Execution ids are 16 base64url characters today; 64 leaves room without letting a 10 KB id through. */
export const EXECUTION_ID: PathParam = {
  description: "Execution id (from execution_id of POST /execute).",
  pattern: "^[A-Za-z0-9_-]+$",
  maxLength: 64,
  looksLike: "the execution_id you were given: up to 64 letters, digits, - or _",
};

export const workflowIdParam = (description: string): PathParam => ({
  description,
  pattern: "^[A-Za-z0-9_-]+$",
  maxLength: 64,
  looksLike: "a workflow id such as lesson-plan: up to 64 letters, digits, - or _",
});

/** An id as messages may show it: its first 8 characters, enough to tell ids apart, never a caller's whole string. */
export function shortId(id: string): string {
  return id.length <= 8 ? id : `${id.slice(0, 8)}…`;
}

/** Decodes and checks one path parameter; the 400 names the parameter, never its value. */
export function pathParam(name: string, raw: string, rule: PathParam): string {
  const invalid = () =>
    new HttpProblem(400, "invalid_path", `The ${name} in the path is not valid; send ${rule.looksLike}.`, {
      errors: [{ field: name, message: `should be ${rule.looksLike}` }],
    });
  // Percent-encoding at most triples a character: anything longer cannot decode to a valid value.
  if (raw.length > rule.maxLength * 3) throw invalid();
  let value: string;
  try {
    value = decodeURIComponent(raw);
  } catch {
    throw invalid();
  }
  if (value.length === 0 || value.length > rule.maxLength || !new RegExp(rule.pattern).test(value)) throw invalid();
  return value;
}
