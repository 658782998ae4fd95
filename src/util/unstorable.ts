// Characters no store can keep: NUL (PostgreSQL text and jsonb refuse it) and lone UTF-16 surrogates (not
// valid Unicode, so they cannot be encoded as UTF-8). The HTTP edge refuses them in what people send; model
// answers have them stripped before anything is stored (an answer with NUL once left a run `running` forever).

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. Linear: no backtracking. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const HAS_LONE_SURROGATE = new RegExp(LONE_SURROGATE.source);

/** What makes `text` unstorable, as a reader would name it; undefined when it is fine. */
export function unstorableIn(text: string): string | undefined {
  if (text.includes("\u0000")) return "a NUL character (\\u0000)";
  if (HAS_LONE_SURROGATE.test(text)) return "a lone surrogate (half of a UTF-16 pair)";
  return undefined;
}

/** The first string (object keys included) in a JSON value that cannot be stored: where it is and what it holds. */
export function findUnstorable(value: unknown, path = ""): { field: string; what: string } | undefined {
  if (typeof value === "string") {
    const what = unstorableIn(value);
    return what ? { field: path || "(body)", what } : undefined;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findUnstorable(value[i], `${path}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  if (value && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) {
      const field = path ? `${path}.${key}` : key;
      const what = unstorableIn(key);
      if (what) return { field, what };
      const found = findUnstorable(item, field);
      if (found) return found;
    }
  }
  return undefined;
}

/** `text` without NUL characters and lone surrogates (well-formed pairs kept). */
export function stripUnstorable(text: string): string {
  if (!text.includes("\u0000") && !HAS_LONE_SURROGATE.test(text)) return text;
  return text.replaceAll("\u0000", "").replace(LONE_SURROGATE, "");
}

/** A JSON value with every string (and key) stripped of what cannot be stored. */
export function stripUnstorableDeep(value: unknown): unknown {
  if (typeof value === "string") return stripUnstorable(value);
  if (Array.isArray(value)) return value.map(stripUnstorableDeep);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [stripUnstorable(k), stripUnstorableDeep(v)]));
  }
  return value;
}

/**
 * A model's answer made storable. A JSON answer can also carry them as escapes (`"\u0000"`), which only
 * appear once parsed: it is parsed, cleaned and written back; text that is not JSON is stripped as text.
 */
export function storableAnswer(text: string, json: boolean): string {
  const stripped = stripUnstorable(text);
  if (!json || !/\\u[0dD]/i.test(stripped)) return stripped;
  try {
    const parsed: unknown = JSON.parse(stripped);
    return findUnstorable(parsed) ? JSON.stringify(stripUnstorableDeep(parsed)) : stripped;
  } catch {
    return stripped;
  }
}
