// RFC 9457 problem+json answers: one error type the routes throw, and the writer that turns it (or any
// unexpected error) into a body naming the field and the fix. Never a stack trace.
import type { ServerResponse } from "node:http";
import type { z } from "zod";

export type FieldError = { field: string; message: string };

export type ProblemBody = {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  request_id?: string;
  instance?: string;
  errors?: FieldError[];
};

const TITLES: Record<number, string> = {
  400: "Bad request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not found",
  405: "Method not allowed",
  406: "Not acceptable",
  409: "Conflict",
  413: "Request body too large",
  415: "Unsupported media type",
  422: "Unprocessable request",
  429: "Too many requests",
  500: "Internal server error",
  503: "Service unavailable",
};

/** A 4xx/5xx answer a route decided on; the server writes it as problem+json. */
export class HttpProblem extends Error {
  readonly status: number;
  readonly code: string;
  readonly errors: FieldError[] | undefined;
  readonly headers: Record<string, string> | undefined;
  constructor(status: number, code: string, detail: string, opts: { errors?: FieldError[]; headers?: Record<string, string> } = {}) {
    super(detail);
    this.name = "HttpProblem";
    this.status = status;
    this.code = code;
    this.errors = opts.errors;
    this.headers = opts.headers;
  }
}

export function problemBody(status: number, code: string, detail: string, extra: Partial<ProblemBody> = {}): ProblemBody {
  return {
    type: `urn:staffroom:problem:${code}`,
    title: TITLES[status] ?? (status >= 500 ? "Server error" : "Request error"),
    status,
    detail,
    code,
    ...extra,
  };
}

export function sendProblem(res: ServerResponse, problem: ProblemBody, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = JSON.stringify(problem);
  res.writeHead(problem.status, {
    ...headers,
    "content-type": "application/problem+json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
  });
  res.end(text);
}

/** A dotted path with [n] for array indexes: input_data.items[2].name. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out;
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  if (typeof value === "string") return "a string";
  if (typeof value === "number") return "a number";
  if (typeof value === "boolean") return "true/false";
  return typeof value;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur = root;
  for (const key of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    if (!Object.hasOwn(cur, key as string)) return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

const EXPECTED: Record<string, string> = {
  string: "text",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
  object: "an object",
  array: "a list",
  record: "an object",
};

/**
 * Zod issues as field errors a caller can act on: "is required", "is not a known field; remove it",
 * "should be one of: ...". `prefix` puts them under a body field (input_data), `hint` adds a per-field fix.
 */
export function zodFieldErrors(
  error: z.ZodError,
  input: unknown,
  opts: { prefix?: readonly PropertyKey[]; hint?: (field: string) => string | undefined } = {},
): FieldError[] {
  const prefix = opts.prefix ?? [];
  const out: FieldError[] = [];
  for (const issue of error.issues) {
    const path = issue.path as PropertyKey[];
    const withHint = (fieldPath: PropertyKey[], message: string) => {
      const top = fieldPath[0];
      const hint = typeof top === "string" ? opts.hint?.(top) : undefined;
      out.push({ field: formatPath([...prefix, ...fieldPath]) || "(body)", message: hint ? `${message}; ${hint}` : message });
    };
    // A schema's own message (templates write friendly ones) beats our generic wording, except for a
    // missing field, where "is required" plus the example says more.
    const custom = !/^(Invalid|Too (small|big)|Unrecognized)/.test(issue.message);
    if (
      custom &&
      issue.code !== "unrecognized_keys" &&
      !(issue.code === "invalid_type" && valueAt(input, path) === undefined && path.length > 0)
    ) {
      out.push({ field: formatPath([...prefix, ...path]) || "(body)", message: issue.message });
      continue;
    }
    switch (issue.code) {
      case "unrecognized_keys":
        for (const key of issue.keys) withHint([...path, key], "is not a known field; remove it");
        break;
      case "invalid_type": {
        const got = valueAt(input, path);
        const want = EXPECTED[issue.expected] ?? issue.expected;
        if (got === undefined && path.length > 0) withHint(path, "is required");
        else withHint(path, `should be ${want}, not ${typeName(got)}`);
        break;
      }
      case "invalid_value":
        withHint(
          path,
          `should be ${issue.values.length === 1 ? JSON.stringify(issue.values[0]) : `one of: ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`}`,
        );
        break;
      case "too_small":
        if (issue.origin === "string")
          withHint(path, issue.minimum === 1 ? "should not be empty" : `should be at least ${issue.minimum} characters`);
        else if (issue.origin === "array") withHint(path, `should have at least ${issue.minimum} item${issue.minimum === 1 ? "" : "s"}`);
        else withHint(path, `should be at least ${issue.minimum}`);
        break;
      case "too_big":
        if (issue.origin === "string") withHint(path, `should be at most ${issue.maximum} characters`);
        else if (issue.origin === "array") withHint(path, `should have at most ${issue.maximum} items`);
        else withHint(path, `should be at most ${issue.maximum}`);
        break;
      default:
        withHint(path, issue.message.replace(/^Invalid input: /, "").replace(/\.$/, ""));
    }
  }
  return out;
}

/** One sentence for `detail`: the first problem, and how many more the `errors` list holds. */
export function describeFieldErrors(errors: readonly FieldError[]): string {
  const first = errors[0];
  if (!first) return "The request is not valid.";
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more problem${errors.length === 2 ? "" : "s"} listed in errors)` : "";
  // Our messages continue the field name ("grade is required"); a schema's own is a sentence of its own.
  const sentence = /^[a-z]/.test(first.message) ? `${first.field} ${first.message}` : `${first.field}: ${first.message.replace(/\.$/, "")}`;
  return `${sentence}${more}.`;
}

export function validationProblem(errors: FieldError[], status = 400): HttpProblem {
  return new HttpProblem(status, "invalid_request", describeFieldErrors(errors), { errors });
}
