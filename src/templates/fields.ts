// Input field builders and parsers shared by the templates (grade, duration, counts), and
// `describeFields`, which reads a template's zod schema back into plain field descriptions for surfaces.
import { z } from "zod";
import type { FieldMeta } from "./types.ts";

export const GRADES = ["K", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"] as const;
export type Grade = (typeof GRADES)[number];

const ORDINAL_WORDS: Record<string, number> = {
  first: 1,
  second: 2,
  third: 3,
  fourth: 4,
  fifth: 5,
  sixth: 6,
  seventh: 7,
  eighth: 8,
  ninth: 9,
  tenth: 10,
  eleventh: 11,
  twelfth: 12,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  thirteen: 13,
};

/**
 * Canonical grade ("K", "1".."12") from how teachers write it: "5", "5th", "grade 5", "5th grade",
 * "fifth grade", "K", "kindergarten", "Year 7" / "Y7" (UK year N = US grade N-1). Undefined when unknown.
 */
export function parseGrade(value: unknown): Grade | undefined {
  if (typeof value === "number")
    return Number.isInteger(value) && value >= 0 && value <= 12 ? (value === 0 ? "K" : (String(value) as Grade)) : undefined;
  if (typeof value !== "string") return undefined;
  const text = value.trim().toLowerCase().replace(/\s+/g, " ");
  if (/^(k|kg|kinder|kindergarten|grade k|k grade|year 1|y1)$/.test(text)) return "K";
  const year = /^(?:year|yr|y)\s?(\d{1,2}|[a-z]+)$/.exec(text);
  if (year) {
    const n = toNumber(year[1]!);
    return n !== undefined && n >= 1 && n <= 13 ? (n === 1 ? "K" : (String(n - 1) as Grade)) : undefined;
  }
  // An ordinal alone ("fifth") is a grade too; a cardinal alone ("five") is not, it reads like a count.
  const ordinal = /^(first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth)$/.exec(text);
  if (ordinal) return String(ORDINAL_WORDS[ordinal[1]!]) as Grade;
  const grade =
    /^(?:grade|gr\.?|g)\s?(\d{1,2}|[a-z]+)$/.exec(text) ??
    /^(\d{1,2})(?:st|nd|rd|th)?(?: grade| grader| graders)?$/.exec(text) ??
    /^([a-z]+)(?: grade| grader| graders)$/.exec(text);
  if (!grade) return undefined;
  const n = toNumber(grade[1]!);
  if (n === undefined || n < 0 || n > 12) return undefined;
  return n === 0 ? "K" : (String(n) as Grade);
}

function toNumber(token: string): number | undefined {
  if (/^\d+$/.test(token)) return Number(token);
  return ORDINAL_WORDS[token];
}

/** Minutes from "45", 45, "45 min", "1 hour", "1.5 hours", "1h 30m", "an hour", "half an hour". Undefined when unknown. */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (typeof value !== "string") return undefined;
  let text = value.trim().toLowerCase().replace(/\s+/g, " ");
  if (text === "") return undefined;
  text = text
    .replace(/^half an? hour$/, "30 min")
    .replace(/^an? hour and a half$/, "90 min")
    .replace(/^an? hour/, "1 hour");
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  const re = /(\d+(?:\.\d+)?)\s*(hours?|hrs?|h|minutes?|mins?|m)\b/g;
  let total = 0;
  let matched = "";
  for (const m of text.matchAll(re)) {
    const n = Number(m[1]);
    total += m[2]!.startsWith("h") ? n * 60 : n;
    matched += m[0];
  }
  // Everything except separators must have been understood, so "45 min or so" is not silently 45.
  const rest = text.replace(re, "").replace(/\b(and)\b|[ ,+]/g, "");
  if (matched === "" || rest !== "") return undefined;
  return Math.round(total);
}

/** A whole number from 12, "12" or "12 questions". Undefined when unknown. */
export function parseCount(value: unknown): number | undefined {
  if (typeof value === "number") return value;
  if (typeof value !== "string") return undefined;
  const m = /^\s*(\d{1,4})\b[a-z ]*$/i.exec(value);
  return m ? Number(m[1]) : undefined;
}

/** Keep what the parser understood, else hand the original to the inner schema so its message explains the problem. */
const via = (parse: (v: unknown) => unknown) => (v: unknown) => parse(v) ?? v;

/** Trimmed text; blank becomes undefined so optional fields treat it as "not given". */
const blankToUndefined = (v: unknown) => (typeof v === "string" ? (v.trim() === "" ? undefined : v.trim()) : v);

export function gradeField(meta: Partial<FieldMeta> = {}) {
  return z
    .preprocess(
      via(parseGrade),
      z.enum(GRADES, { error: 'Grade should be K or 1-12; "5th", "grade 5", "Year 7" and "kindergarten" also work.' }),
    )
    .meta({
      label: "Grade",
      question: "Which grade is this for?",
      help: 'K-12. "5th", "grade 5", "kindergarten" and UK years ("Year 7" = grade 6) also work.',
      example: "5",
      aliases: ["gr", "year", "level", "grade level"],
      remember: "subject",
      choices: GRADES.map((g) => ({ value: g, label: g === "K" ? "Kindergarten" : `Grade ${g}` })),
      ...meta,
    } satisfies FieldMeta);
}

export function minutesField(meta: Partial<FieldMeta> = {}, min = 10, max = 240) {
  return z
    .preprocess(
      via(parseDuration),
      z
        .number({ error: 'Duration should be a number of minutes, such as 45, "45 min" or "1 hour".' })
        .int("Duration should be whole minutes.")
        .min(min, `A lesson should be at least ${min} minutes.`)
        .max(max, `Plans cover at most ${max} minutes; split longer sessions into several lessons.`),
    )
    .meta({
      label: "Duration",
      question: "How long is the lesson?",
      help: `Minutes, between ${min} and ${max}. "45 min" and "1 hour" also work.`,
      example: "45",
      aliases: ["minutes", "mins", "min", "length", "time", "lesson length"],
      remember: "template",
      ...meta,
    } satisfies FieldMeta);
}

export function countField(meta: FieldMeta, min: number, max: number) {
  return z
    .preprocess(
      via(parseCount),
      z
        .number({ error: `Give a whole number between ${min} and ${max}.` })
        .int(`Give a whole number between ${min} and ${max}.`)
        .min(min, `At least ${min}.`)
        .max(max, `At most ${max}.`),
    )
    .meta(meta);
}

export function textField(meta: FieldMeta, opts: { min?: number; max: number }) {
  const min = opts.min ?? 1;
  return z
    .preprocess(
      blankToUndefined,
      z
        .string({ error: `${meta.label} is needed.` })
        .min(min, `${meta.label} should be at least ${min} characters.`)
        .max(opts.max, `${meta.label} should be at most ${opts.max} characters; shorten it a little.`),
    )
    .meta(meta);
}

/** Optional text: the meta sits on the outer optional so surfaces read it without unwrapping. */
export function optionalTextField(meta: FieldMeta, opts: { max: number }) {
  return optional(
    z
      .preprocess(
        blankToUndefined,
        z.string().max(opts.max, `${meta.label} should be at most ${opts.max} characters; shorten it a little.`).optional(),
      )
      .meta(meta),
  );
}

/**
 * An optional person's name: a few words, never a sentence, so a pasted paragraph is refused with one
 * sentence instead of becoming "Hi I think light helps plants,".
 */
export function optionalNameField(meta: FieldMeta, opts: { max: number }) {
  const sentence = `That looks like a sentence rather than a name; type just the name (or skip).`;
  return optional(
    z
      .preprocess(
        blankToUndefined,
        z
          .string()
          .max(opts.max, sentence)
          .refine((v) => looksLikeName(v), sentence)
          .optional(),
      )
      .meta(meta),
  );
}

/** At most five words, no line breaks and no sentence punctuation or digits. */
export function looksLikeName(text: string): boolean {
  const t = text.trim();
  if (t === "" || /[\n.!?;:,"()[\]{}0-9]/.test(t.replace(/\b[A-Z]\.(?=\s|$)/g, "").replace(/\.$/, ""))) return false;
  return t.split(/\s+/).length <= 5;
}

/**
 * An enum that also accepts loose spellings ("multiple choice" for "multiple-choice"); `aliases` maps
 * lower-case spellings to values. Choice labels come from `labels`.
 */
export function choiceField<const T extends readonly [string, ...string[]]>(
  values: T,
  labels: Record<T[number], string>,
  meta: FieldMeta,
  aliases: Record<string, T[number]> = {},
) {
  const normalise = (v: unknown) => {
    if (typeof v !== "string") return v;
    const key = v.trim().toLowerCase();
    const exact = values.find((x) => x.toLowerCase() === key);
    if (exact) return exact;
    const byLabel = values.find((x) => labels[x as T[number]].toLowerCase() === key);
    return byLabel ?? aliases[key.replace(/[\s_]+/g, " ")] ?? v;
  };
  const list = values.map((v) => labels[v as T[number]]).join(", ");
  return z.preprocess(normalise, z.enum(values, { error: `Choose one of: ${list}.` })).meta({
    ...meta,
    choices: values.map((v) => ({ value: v, label: labels[v as T[number]] })),
  });
}

/**
 * A field as surfaces and the conversation need it, read from the zod schema alone: the one field table
 * of a template. Labels, kinds, choices, aliases, bounds and whether it is required all come from here.
 */
export type FieldDescription = {
  name: string;
  label: string;
  question: string;
  help: string;
  example: string;
  internal: boolean;
  required: boolean;
  type: "string" | "integer" | "number" | "enum";
  /** Other keys a teacher may type for this field, lower case (the name and label always work too). */
  aliases: string[];
  /** Several lines expected: a multiline input in forms. */
  multiline: boolean;
  /** How the draft names the field when it was not given ("no class profile"). */
  absent?: string;
  /** Remembered for the next request of the same template (per template or per template and subject). */
  remember?: "template" | "subject";
  choices?: { value: string; label: string }[];
  min?: number;
  max?: number;
  maxLength?: number;
  default?: unknown;
};

type AnySchema = z.core.$ZodType;

/** Every field of an object schema, in order, with its metadata (optional/default/pipe wrappers unwrapped). */
export function describeFields(schema: z.ZodObject<z.ZodRawShape>): FieldDescription[] {
  return Object.entries(schema.shape).map(([name, field]) => describeField(name, field as AnySchema));
}

export function describeField(name: string, field: AnySchema): FieldDescription {
  let required = true;
  let defaultValue: unknown;
  let meta: Record<string, unknown> = {};
  let current: AnySchema | undefined = field;
  let inner: AnySchema = field;
  // Walk wrappers outside-in, collecting metadata (outer wins) until the value schema.
  for (let depth = 0; current && depth < 10; depth++) {
    const found = z.globalRegistry.get(current);
    if (found) meta = { ...found, ...meta };
    inner = current;
    const def = current._zod.def as { type: string; innerType?: AnySchema; out?: AnySchema; in?: AnySchema; defaultValue?: unknown };
    if (def.type === "optional") {
      required = false;
      current = def.innerType;
    } else if (def.type === "default" || def.type === "prefault") {
      required = false;
      defaultValue = typeof def.defaultValue === "function" ? (def.defaultValue as () => unknown)() : def.defaultValue;
      current = def.innerType;
    } else if (def.type === "nullable" || def.type === "readonly") {
      current = def.innerType;
    } else if (def.type === "pipe") {
      const input = def.in?._zod.def.type;
      current = input === "transform" ? def.out : def.in;
    } else break;
  }
  const def = inner._zod.def as { type: string; entries?: Record<string, string>; checks?: { _zod: { def: Record<string, unknown> } }[] };
  const description: FieldDescription = {
    name,
    label: String(meta.label ?? name),
    question: String(meta.question ?? `What is the ${name}?`),
    help: String(meta.help ?? ""),
    example: String(meta.example ?? ""),
    internal: meta.internal === true,
    required,
    type: "string",
    aliases: Array.isArray(meta.aliases) ? (meta.aliases as string[]).map((a) => a.toLowerCase()) : [],
    multiline: meta.multiline === true,
  };
  if (typeof meta.absent === "string") description.absent = meta.absent;
  if (meta.remember === "template" || meta.remember === "subject") description.remember = meta.remember;
  if (defaultValue !== undefined) description.default = defaultValue;
  const metaChoices = meta.choices as { value: string; label: string }[] | undefined;
  if (def.type === "enum") {
    description.type = "enum";
    description.choices = metaChoices ?? Object.values(def.entries ?? {}).map((v) => ({ value: v, label: v }));
  } else if (def.type === "number") {
    const num = inner as unknown as { minValue: number | null; maxValue: number | null; isInt: boolean };
    description.type = num.isInt ? "integer" : "number";
    if (typeof num.minValue === "number" && Number.isFinite(num.minValue) && Math.abs(num.minValue) < Number.MAX_SAFE_INTEGER)
      description.min = num.minValue;
    if (typeof num.maxValue === "number" && Number.isFinite(num.maxValue) && Math.abs(num.maxValue) < Number.MAX_SAFE_INTEGER)
      description.max = num.maxValue;
  } else if (def.type === "string") {
    const str = inner as unknown as { maxLength: number | null };
    if (typeof str.maxLength === "number") description.maxLength = str.maxLength;
  }
  return description;
}

/** Lower-case letters and digits only, so "Student name", "student_name" and "studentName" compare equal. */
export function normaliseKey(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]/g, "");
}

/**
 * The field a typed key names (`student:`, `next steps=`, `Class profile:`): its name, its label or one of
 * its aliases. The one lookup behind the chat parser, `change <field>` and the CLI's key=value reading.
 */
export function fieldForKey<F extends FieldDescription>(fields: readonly F[], key: string): F | undefined {
  const k = normaliseKey(key);
  if (k === "") return undefined;
  const asked = fields.filter((f) => !f.internal);
  return (
    asked.find((f) => normaliseKey(f.name) === k || normaliseKey(f.label) === k) ??
    asked.find((f) => f.aliases.some((a) => normaliseKey(a) === k))
  );
}

/** The key a teacher is shown for a field: its name when it is one word, else its first one-word alias ("student"). */
export function keyOf(field: FieldDescription): string {
  const name = field.name.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
  if (!name.includes(" ")) return name;
  const single = field.aliases.find((a) => /^[a-z]+$/.test(a));
  return single ?? name.replace(/ /g, "-");
}

/** "grade, subject, topic, duration, ..." : the keys a template accepts, in field order. */
export function acceptedKeys(fields: readonly FieldDescription[]): string[] {
  return fields.filter((f) => !f.internal).map(keyOf);
}

/**
 * The usage hint of a command (Slack manifest, /help, the CLI), from the field table alone: required
 * fields with their examples, then how to give the rest.
 */
export function usageHint(fields: readonly FieldDescription[]): string {
  const shown = fields.filter((f) => !f.internal && f.required);
  const pair = (f: FieldDescription) => {
    const example = f.example.length > 24 || f.example === "" ? "..." : f.example;
    return `${keyOf(f)}:${/\s|^\.\.\.$/.test(example) ? `"${example}"` : example}`;
  };
  const optional = fields.filter((f) => !f.internal && !f.required).map(keyOf);
  return `${shown.map(pair).join(" ")}${optional.length ? ` [${optional.join(" ")}]` : ""} (or say it in words)`;
}

/** The metadata of one field (questions, help, example), unwrapping optional/default/pipe. */
export function fieldMeta(schema: z.ZodObject<z.ZodRawShape>, name: string): FieldDescription | undefined {
  const field = schema.shape[name];
  return field ? describeField(name, field as AnySchema) : undefined;
}

/** Language of a document: free text, "English" when not given. */
export function languageField(meta: Partial<FieldMeta> = {}) {
  return z
    .preprocess((v) => {
      const t = blankToUndefined(v);
      return typeof t === "string" ? t.charAt(0).toUpperCase() + t.slice(1) : t;
    }, z.string().min(2, "Name the language, e.g. English or Spanish.").max(40, "Name the language in a word or two.").default("English"))
    .meta({
      label: "Language",
      question: "Which language should it be written in?",
      help: "Any language; English when left empty.",
      example: "English",
      aliases: ["lang", "written in"],
      remember: "template",
      ...meta,
    } satisfies FieldMeta);
}

/** "kindergarten" or "grade 5", for prose. */
export function gradeLabel(grade: unknown): string {
  return grade === "K" ? "kindergarten" : `grade ${String(grade)}`;
}

/** `.optional()` that keeps the field's metadata on the outer schema, so `shape[name].meta()` reads it directly. */
export function optional<T extends z.ZodType>(field: T) {
  return field.optional().meta({ ...(z.globalRegistry.get(field) ?? {}) } as FieldMeta);
}
