// Reads the text typed with a command into field values: `key:value` pairs (quoted or not), then
// deterministic rules for the common fields in free text ("5th grade science solar system 45 min").
// Pure; every value it returns has passed the field's own zod schema.

import { shorten } from "../util/shorten.ts";
import { type ConversationField, checkField, findField, isDuration, normaliseKey } from "./fields.ts";

/** Longest request text read; the rest is ignored and the teacher is told so. */
export const MAX_REQUEST_CHARS = 2000;

export type ParseIssue = { field: string; label: string; text: string; message: string };

export type ParsedRequest = {
  /** Validated (normalised) values by field name. */
  values: Record<string, unknown>;
  /** Values the teacher gave that did not fit, with the field's own explanation. */
  issues: ParseIssue[];
  /** Free text no rule could place. */
  unused: string;
  /** Keys typed as `key:value` that name no field ("colour"), reported, never glued onto a neighbour. */
  unknown: string[];
  truncated: boolean;
};

const QUOTES: Record<string, string> = { '"': '"', "'": "'", "\u201c": "\u201d", "\u2018": "\u2019", "\u00ab": "\u00bb" };
/** Marks text already consumed; splits free text into segments. */
const CUT = "\u0000";

export function parseRequest(input: string, fields: ConversationField[]): ParsedRequest {
  const truncated = input.length > MAX_REQUEST_CHARS;
  const text = withoutControls(input.slice(0, MAX_REQUEST_CHARS));
  const values: Record<string, unknown> = {};
  const issues: ParseIssue[] = [];
  const accept = (field: ConversationField, raw: string, report: boolean): boolean => {
    if (field.name in values) return false;
    const check = checkField(field, raw);
    if (check.ok && check.value !== undefined) {
      values[field.name] = check.value;
      return true;
    }
    // A rejected value the teacher clearly meant for this field ("15th grade") is reported and consumed,
    // so it does not leak into the topic.
    if (report && !check.ok) {
      if (!issues.some((i) => i.field === field.name))
        issues.push({ field: field.name, label: field.label, text: shorten(raw, 60), message: check.message });
      return true;
    }
    return false;
  };

  const unknown: string[] = [];
  let rest = extractPairs(text, fields, accept, unknown);
  const open = () => fields.filter((f) => !(f.name in values));

  for (const field of open().filter((f) => isDuration(f))) rest = takeFirst(rest, DURATION, (m) => accept(field, m, true));
  for (const field of open().filter((f) => f.type === "integer" && !isDuration(f))) {
    const nouns = nounsOf(field);
    if (nouns.length === 0) continue;
    const re = new RegExp(`\\b(\\d{1,4})\\s+(?:${nouns.join("|")})\\b`, "i");
    rest = takeFirst(rest, re, (m) => accept(field, m, true));
  }
  for (const field of open().filter((f) => f.choices && /grade|year/i.test(`${f.name} ${f.label}`))) {
    for (const re of GRADE_PATTERNS) rest = takeFirst(rest, re, (m) => accept(field, m, true));
  }
  for (const field of open().filter((f) => f.choices)) rest = takeChoice(rest, field, accept);
  for (const field of open().filter((f) => !f.choices && /subject/i.test(f.name) && f.type === "string")) {
    rest = takeFirst(rest, SUBJECT_PATTERN, (m) => accept(field, canonicalSubject(m), false));
  }

  // Quotes only group words ("Solar System"); they are not part of the value.
  let unused = leftover(rest)
    .replace(/["\u201c\u201d]([^"\u201c\u201d]*)["\u201c\u201d]/g, "$1")
    .replace(/^["\u201c\u201d]+|["\u201c\u201d]+$/g, "")
    .trim();
  const topic = open().find((f) => f.type === "string" && !f.choices && TOPIC_NAMES.test(f.name));
  if (topic && unused !== "") {
    if (accept(topic, unused, true)) unused = "";
  }
  return { values, issues, unused, unknown, truncated };
}

/**
 * Only the `field:value` pairs of a text (an answer like "duration: 60, topic: fractions"); `rest` is
 * what is left once they are removed, so callers can tell a pure list of pairs from prose.
 */
export function parsePairs(
  input: string,
  fields: ConversationField[],
): { values: Record<string, unknown>; issues: ParseIssue[]; unknown: string[]; rest: string } {
  const text = withoutControls(input.slice(0, MAX_REQUEST_CHARS));
  const values: Record<string, unknown> = {};
  const issues: ParseIssue[] = [];
  const unknown: string[] = [];
  const rest = extractPairs(
    text,
    fields,
    (field, raw) => {
      if (field.name in values) return false;
      const check = checkField(field, raw);
      if (check.ok && check.value !== undefined) values[field.name] = check.value;
      else
        issues.push({
          field: field.name,
          label: field.label,
          text: shorten(raw, 60),
          message: check.ok ? `${field.label} is needed.` : check.message,
        });
      return true;
    },
    unknown,
  );
  return {
    values,
    issues,
    unknown,
    rest: rest
      .split(CUT)
      .join(" ")
      .replace(/[\s,;]+/g, " ")
      .trim(),
  };
}

type FoundKey = { start: number; valueStart: number; field?: ConversationField; key: string };

/**
 * Where `key:` / `key=` markers are: a field's name, label or alias (up to three words, "next steps:"),
 * or, when `unknown` is collected, a lower-case word that names no field ("colour:").
 */
function findKeys(text: string, fields: ConversationField[]): FoundKey[] {
  const found: FoundKey[] = [];
  for (const m of text.matchAll(/[ \t]*[:=][ \t]*/g)) {
    const before = text.slice(Math.max(0, m.index - 60), m.index);
    const words = /(?:^|[\s,;(])((?:[A-Za-z][\w'-]*[ \t]+){0,2}[A-Za-z][\w'-]*)$/.exec(before);
    if (!words) continue;
    const parts = words[1]!.split(/[ \t]+/);
    let hit: FoundKey | undefined;
    for (let n = parts.length; n >= 1 && !hit; n--) {
      const key = parts.slice(-n).join(" ");
      const field = findField(fields, key);
      if (field) hit = { start: m.index - key.length, valueStart: m.index + m[0].length, field, key };
    }
    const last = parts.at(-1)!;
    // A URL (https://) or a clock time is not a key; an unknown key looks like one (lower case, no space before the colon).
    if (!hit && /^[a-z][a-z0-9_-]*$/.test(last) && !/^\s/.test(m[0]) && !text.startsWith("//", m.index + 1))
      hit = { start: m.index - last.length, valueStart: m.index + m[0].length, key: last };
    if (hit && hit.valueStart < text.length && !/^[\s,;]*$/.test(text.slice(hit.valueStart, hit.valueStart + 1))) found.push(hit);
  }
  return found;
}

/**
 * Pulls out `key:value` / `key=value` pairs whose key names a field; returns the text left over. Keys that
 * name no field are collected in `unknown` (and their values dropped) only when the text also has a known
 * key: then the teacher is clearly writing pairs, while "Note: bring a snack" in prose stays prose. Several
 * keys of one text field ("strengths:" and "next steps:" for Focus) are joined, each with its key.
 */
function extractPairs(
  text: string,
  fields: ConversationField[],
  accept: (f: ConversationField, raw: string, report: boolean) => boolean,
  unknown: string[] = [],
): string {
  const all = findKeys(text, fields);
  if (!all.some((k) => k.field)) return text;
  const keys = all;
  let out = "";
  let pos = 0;
  const given: { field: ConversationField; key: string; value: string }[] = [];
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (key.start < pos) continue; // inside an earlier quoted value
    out += text.slice(pos, key.start) + CUT;
    const nextStart = keys.slice(i + 1).find((k) => k.start >= key.valueStart)?.start ?? text.length;
    const opener = text[key.valueStart];
    let value: string;
    let end: number;
    const closer = opener === undefined ? undefined : QUOTES[opener];
    if (closer) {
      const close = text.indexOf(closer, key.valueStart + 1);
      end = close === -1 ? text.length : close + 1;
      value = text.slice(key.valueStart + 1, close === -1 ? text.length : close);
    } else {
      // Long text (key points, objectives) runs to the next key; a short value stops at a comma or line end.
      const stop = key.field?.multiline ? -1 : text.slice(key.valueStart, nextStart).search(/[,;\n]/);
      end = stop === -1 ? nextStart : key.valueStart + stop;
      value = text.slice(key.valueStart, end);
    }
    if (key.field) given.push({ field: key.field, key: key.key, value: value.trim() });
    else if (!unknown.includes(key.key)) unknown.push(key.key);
    pos = end;
  }
  for (const field of new Set(given.map((g) => g.field))) {
    const mine = given.filter((g) => g.field === field);
    const joined =
      mine.length > 1 && !field.choices && field.type === "string" && new Set(mine.map((g) => normaliseKey(g.key))).size > 1
        ? mine.map((g) => `${g.key}: ${g.value}`).join("; ")
        : mine[0]!.value;
    accept(field, joined, true);
  }
  return out + text.slice(pos);
}

/** Replaces the first match `use` accepts with a cut; tries later matches when one is refused. */
function takeFirst(text: string, pattern: RegExp, use: (match: string) => boolean): string {
  const re = new RegExp(pattern.source, pattern.flags.includes("g") ? pattern.flags : `${pattern.flags}g`);
  for (const m of text.matchAll(re)) {
    if (m[0].trim() === "") continue;
    if (use(m[0].trim())) return text.slice(0, m.index) + CUT + text.slice(m.index + m[0].length);
  }
  return text;
}

/** A choice named by its value or label as whole words ("quiz", "multiple choice"), longest first. */
function takeChoice(
  text: string,
  field: ConversationField,
  accept: (f: ConversationField, raw: string, report: boolean) => boolean,
): string {
  const names = (field.choices ?? [])
    .flatMap((c) => [c.label, c.value])
    .filter((n) => /[a-z]/i.test(n) && n.length >= 2)
    .sort((a, b) => b.length - a.length);
  for (const name of names) {
    const words = name
      .trim()
      .split(/[\s_-]+/)
      .filter(Boolean)
      .map(escapeRe);
    if (words.length === 0) continue;
    const re = new RegExp(`(?<![\\w-])${words.join("[\\s_-]+")}(?![\\w-])`, "i");
    const m = re.exec(text);
    if (m && accept(field, m[0], false)) return text.slice(0, m.index) + CUT + text.slice(m.index + m[0].length);
  }
  return text;
}

/** The nouns that count a field ("10 questions" for numQuestions / "Number of questions"). */
function nounsOf(field: ConversationField): string[] {
  const words = `${field.name.replace(/([a-z])([A-Z])/g, "$1 $2")} ${field.label}`
    .toLowerCase()
    .split(/[^a-z]+/)
    .filter((w) => w.length >= 4 && !["number", "count", "total", "many", "with"].includes(w));
  const stems = new Set(words.map((w) => w.replace(/s$/, "")));
  return [...stems].map((s) => `${escapeRe(s)}s?`);
}

const DURATION =
  /\b(?:\d+(?:\.\d+)?\s*(?:hours?|hrs?|h)(?:\s*(?:and\s*)?\d+\s*(?:minutes?|mins?|m))?|\d+\s*(?:minutes?|mins?|m)|half an? hour|an? hour and a half|an? hour)\b/i;

const GRADE_PATTERNS = [
  /\b(?:grade|gr\.?|year|yr)\s*(?:\d{1,2}|k)\b/i,
  /\b\d{1,2}(?:st|nd|rd|th)(?:\s+grade(?:rs?)?)?\b/i,
  /\b(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth)\s+grade(?:rs?)?\b/i,
  /\bkindergarten\b/i,
];

const SUBJECTS: Record<string, string> = {
  math: "Math",
  maths: "Math",
  mathematics: "Math",
  algebra: "Algebra",
  geometry: "Geometry",
  science: "Science",
  biology: "Biology",
  chemistry: "Chemistry",
  physics: "Physics",
  english: "English",
  ela: "English Language Arts",
  "english language arts": "English Language Arts",
  reading: "Reading",
  writing: "Writing",
  literacy: "Literacy",
  history: "History",
  "social studies": "Social Studies",
  geography: "Geography",
  civics: "Civics",
  economics: "Economics",
  art: "Art",
  music: "Music",
  drama: "Drama",
  pe: "Physical Education",
  "physical education": "Physical Education",
  health: "Health",
  "computer science": "Computer Science",
  computing: "Computing",
  spanish: "Spanish",
  french: "French",
  german: "German",
};
const SUBJECT_PATTERN = new RegExp(
  `\\b(?:${Object.keys(SUBJECTS)
    .sort((a, b) => b.length - a.length)
    .map((s) => s.replace(/ /g, "\\s+"))
    .join("|")})\\b`,
  "i",
);

function canonicalSubject(match: string): string {
  return SUBJECTS[match.toLowerCase().replace(/\s+/g, " ")] ?? match;
}

/** Subjects the parser knows, for completions. */
export const KNOWN_SUBJECTS = [...new Set(Object.values(SUBJECTS))].sort();

const TOPIC_NAMES = /^(topic|title|focus|unit|goal|theme|situation|purpose|concern)/i;
const LEADING = new Set([
  "a",
  "an",
  "the",
  "on",
  "about",
  "for",
  "of",
  "to",
  "in",
  "and",
  "with",
  "please",
  "lesson",
  "plan",
  "unit",
  "my",
  "class",
]);
const TRAILING = new Set(["a", "an", "the", "on", "about", "for", "of", "to", "in", "and", "with", "please", "lesson", "plan", "class"]);

/** Free text still unplaced: segments between cuts and separators, trimmed of filler words. */
function leftover(text: string): string {
  const parts = text
    .split(new RegExp(`[${CUT},;\\n]`))
    .map((part) => trimFiller(part))
    .filter((part) => part !== "");
  return parts.join(", ");
}

function trimFiller(part: string): string {
  const words = part
    .replace(/\s+/g, " ")
    .trim()
    .split(" ")
    .filter((w) => w !== "");
  const clean = (w: string) => normaliseKey(w);
  while (words.length > 0 && (LEADING.has(clean(words[0]!)) || clean(words[0]!) === "")) words.shift();
  while (words.length > 0 && (TRAILING.has(clean(words[words.length - 1]!)) || clean(words[words.length - 1]!) === "")) words.pop();
  return words.join(" ");
}

/** Control characters would only confuse the rules (and CUT must never come from the input). */
function withoutControls(text: string): string {
  let out = "";
  for (const ch of text) {
    const code = ch.charCodeAt(0);
    out += (code < 32 && ch !== "\n" && ch !== "\t") || code === 127 ? " " : ch;
  }
  return out;
}

function escapeRe(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
