// Reads a JSON request body with a size cap and a nesting cap; anything else is a 4xx problem.
import type { IncomingMessage } from "node:http";
import { findUnstorable } from "../util/unstorable.ts";
import { HttpProblem } from "./problem.ts";

export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;
const MAX_DEPTH = 32;

/** Parsed JSON body, or undefined when the request has none. */
/** The whole body, refused (413) on its declared length or as soon as the bytes that arrive pass the cap. */
async function readCapped(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = req.headers["content-length"];
  if (declared !== undefined && Number(declared) > maxBytes) throw tooLarge(maxBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    // Stop reading; the server answers 413 and closes this connection.
    if (size > maxBytes) throw tooLarge(maxBytes);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const body = await readCapped(req, maxBytes);
  if (body.length === 0) return undefined;
  const type = String(req.headers["content-type"] ?? "");
  if (!/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(type)) {
    throw new HttpProblem(415, "unsupported_media_type", "Send the body as JSON with the header Content-Type: application/json.");
  }
  const text = body.toString("utf8");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const where = error instanceof SyntaxError ? error.message.replace(/^.*?(at position \d+).*$/s, "$1") : "";
    throw new HttpProblem(
      400,
      "malformed_json",
      `The body is not valid JSON${where.startsWith("at position") ? ` (${where})` : ""}; check quotes, commas and brackets.`,
      {
        errors: [{ field: "(body)", message: "is not valid JSON" }],
      },
    );
  }
  if (depthExceeds(value, MAX_DEPTH)) {
    throw new HttpProblem(400, "body_too_deep", `The body nests objects or lists more than ${MAX_DEPTH} levels deep; flatten it.`, {
      errors: [{ field: "(body)", message: `nests more than ${MAX_DEPTH} levels` }],
    });
  }
  refuseUnstorable(value);
  return value;
}

/**
 * 400 for a NUL character or a lone surrogate anywhere in what was sent (no store can keep either; PostgreSQL
 * answered 500): one sentence naming the field.
 */
export function refuseUnstorable(value: unknown, prefix = ""): void {
  const found = findUnstorable(value, prefix);
  if (!found) return;
  throw new HttpProblem(400, "unstorable_character", `${found.field} contains ${found.what}; remove it and send the text again.`, {
    errors: [{ field: found.field, message: `contains ${found.what}` }],
  });
}

/** Reads and drops a body an endpoint does not use, still within the cap. */
export async function discardBody(req: IncomingMessage, maxBytes: number): Promise<void> {
  const declared = req.headers["content-length"];
  if (declared !== undefined && Number(declared) > maxBytes) throw tooLarge(maxBytes);
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw tooLarge(maxBytes);
  }
}

/** An HTML form's fields (application/x-www-form-urlencoded), within the cap; repeated fields keep the first. */
export async function readFormBody(req: IncomingMessage, maxBytes: number): Promise<Record<string, string>> {
  const body = await readCapped(req, maxBytes);
  const type = String(req.headers["content-type"] ?? "");
  if (body.length > 0 && !/^application\/x-www-form-urlencoded\s*(?:;|$)/i.test(type)) {
    throw new HttpProblem(415, "unsupported_media_type", "Send the form as application/x-www-form-urlencoded.");
  }
  const fields: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(body.toString("utf8"))) fields[key] ??= value;
  return fields;
}

function tooLarge(maxBytes: number): HttpProblem {
  return new HttpProblem(413, "body_too_large", `The body is larger than ${Math.floor(maxBytes / 1024)} KiB; send less text.`);
}

/** Iterative so a hostile body cannot overflow the stack. */
function depthExceeds(root: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[root, 0]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (value === null || typeof value !== "object") continue;
    if (depth >= max) return true;
    for (const child of Array.isArray(value) ? value : Object.values(value)) {
      if (child !== null && typeof child === "object") stack.push([child, depth + 1]);
    }
  }
  return false;
}
