// The request target as routes see it. WHATWG URL parsing folds "." and ".." segments (also written
// %2e%2e, or after a backslash) into their parent, so /executions/%2e%2e would reach another route:
// such targets are refused before parsing instead.
import { HttpProblem } from "./problem.ts";

const DOT_SEGMENT = /^(?:\.|%2e){1,2}$/i;

/** The parsed target, or a 400 for anything that is not a plain origin-form path without dot segments. */
export function requestUrl(target: string | undefined): URL {
  const raw = target ?? "/";
  const path = raw.split(/[?#]/, 1)[0] ?? "";
  const invalid = new HttpProblem(400, "invalid_path", "The request path is not valid; send a plain path without . or .. segments.");
  if (!path.startsWith("/") || path.startsWith("//")) throw invalid;
  if (path.split(/[/\\]/).some((segment) => DOT_SEGMENT.test(segment))) throw invalid;
  try {
    return new URL(raw, "http://localhost");
  } catch {
    throw invalid;
  }
}

/** A path as messages may quote it: cut at 100 characters so an echo never grows with the input. */
export function shownPath(path: string): string {
  return path.length > 100 ? `${path.slice(0, 100)}…` : path;
}
