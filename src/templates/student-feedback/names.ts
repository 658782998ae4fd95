// Student-name privacy, pure: the name (full, first, last, initial forms, with and without accents) is replaced
// by a placeholder before any model call and put back in the output.

export const PLACEHOLDER = "[STUDENT]";

/** Lower-case particles that are not names on their own ("van", "de"). */
const PARTICLES = new Set(["de", "da", "del", "der", "di", "du", "la", "le", "van", "von", "bin", "ibn", "al", "y", "st"]);

function stripAccents(text: string): string {
  return text.normalize("NFD").replace(/\p{M}/gu, "");
}

/** Every form of the name to look for, longest first: "Maria Garcia", "Maria", "Garcia" (and accent-free forms). */
export function nameVariants(name: string | undefined): string[] {
  const full = (name ?? "").trim().replace(/\s+/g, " ");
  if (full.length < 2) return [];
  const tokens = full.split(/[\s,]+/).filter((t) => t.replace(/[^\p{L}]/gu, "").length >= 2 && !PARTICLES.has(t.toLowerCase()));
  const forms = new Set<string>([full, ...tokens]);
  // Hyphenated parts ("Garcia-Lopez") can appear alone.
  for (const t of tokens) for (const part of t.split("-")) if (part.length >= 2) forms.add(part);
  for (const f of [...forms]) forms.add(stripAccents(f));
  return [...forms].sort((a, b) => b.length - a.length);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Names that are also everyday words ("Will", "Grace", "May"): matched only when capitalised, so "I will"
 * stays intact while "Will" is still caught. Other forms match in any case.
 */
const COMMON_WORDS = new Set(
  "will grace may june april august hope faith joy rose summer autumn mark bill art sky angel max pat sue don ray jack dawn eve ivy lily iris amber ruby pearl violet river reed hunter page miles chase drew grant wade young brown white black green king long little rich bell hall hill wood stone rice lane park west north best love star true gray grey fox cook baker carter cole frank hardy honor justice lee major mason noble rob sage sterling taylor tucker victor".split(
    " ",
  ),
);

/** Replaces every name form with the placeholder (whole words); merges "[STUDENT] [STUDENT]" and "M. [STUDENT]". */
export function redact(text: string, variants: readonly string[], placeholder = PLACEHOLDER): string {
  if (!text || variants.length === 0) return text;
  const anyCase = variants.filter((v) => !COMMON_WORDS.has(v.toLowerCase()));
  const capitalised = variants
    .filter((v) => COMMON_WORDS.has(v.toLowerCase()))
    .flatMap((v) => [v.charAt(0).toUpperCase() + v.slice(1).toLowerCase(), v.toUpperCase()]);
  const word = (forms: string[]) => `(?<![\\p{L}\\p{N}])(?:${forms.map(escape).join("|")})(?![\\p{L}\\p{N}])`;
  let out = text;
  if (anyCase.length > 0) out = out.replace(new RegExp(word(anyCase), "giu"), placeholder);
  if (capitalised.length > 0) out = out.replace(new RegExp(word(capitalised), "gu"), placeholder);
  const p = escapeRegExp(placeholder);
  return out
    .replace(new RegExp(`${p}(?:[ \\t]*,?[ \\t]*${p})+`, "g"), placeholder)
    .replace(new RegExp(`(?<![\\p{L}])\\p{Lu}\\.[ \\t]*${p}`, "gu"), placeholder)
    .replace(new RegExp(`${p}[ \\t]+\\p{Lu}\\.(?=\\s|$)`, "gu"), placeholder);
}

/** Deep copy with every string redacted. */
export function redactDeep<T>(value: T, variants: readonly string[]): T {
  if (typeof value === "string") return redact(value, variants) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, variants)) as T;
  if (value && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(v, variants)])) as T;
  return value;
}

/** The name to address the student by: their first name. */
export function addressName(name: string | undefined): string | undefined {
  const first = (name ?? "").trim().split(/\s+/)[0];
  return first && first.length > 0 ? first : undefined;
}

/** Puts the name back (first name); without a name the placeholder stays for the teacher to fill in. */
export function restoreDeep<T>(value: T, name: string | undefined, placeholder = PLACEHOLDER): T {
  const who = addressName(name);
  if (!who) return value;
  const re = new RegExp(escapeRegExp(placeholder), "g");
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return v.replace(re, who);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as T;
}
