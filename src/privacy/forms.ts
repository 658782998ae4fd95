// The forms a known name can take in text (full, first or last alone, hyphen parts, without particles or
// accents) and whole-word matching of them that ignores case and accents (pure).
import { COMMON_WORD_NAMES, PARTICLES } from "./lexicon.ts";

/** Folds one UTF-16 unit to lower case without accents, keeping its length (so indices map back). */
function foldUnit(unit: string): string {
  const bare = unit.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
  return bare.length === 1 ? bare : unit.toLowerCase().length === 1 ? unit.toLowerCase() : unit;
}

/** Lower-case, accent-free text of the same length as the input. */
export function fold(text: string): string {
  // ASCII (most of every prompt) lower-cases in one step; other characters one by one.
  if (!/\P{ASCII}/u.test(text)) return text.toLowerCase();
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    out += c < 128 ? (c >= 65 && c <= 90 ? String.fromCharCode(c + 32) : text.charAt(i)) : foldUnit(text.charAt(i));
  }
  return out;
}

/** Every form to look for, longest first: "Ana María García-López" -> "García-López", "García López", "García", "Ana"... */
export function nameForms(name: string): string[] {
  const full = name.normalize("NFC").trim().replace(/\s+/g, " ");
  if (full.replace(/[^\p{L}]/gu, "").length < 2) return [];
  const tokens = full.split(/[\s,]+/).filter((t) => t.replace(/[^\p{L}]/gu, "").length >= 2);
  const named = tokens.filter((t) => !PARTICLES.has(t.toLowerCase().replace(/[.]$/, "")));
  const forms = new Set<string>([full]);
  if (named.length > 0) forms.add(named.join(" "));
  for (const t of named) {
    forms.add(t.replace(/['’]s$/i, ""));
    if (t.includes("-")) {
      forms.add(t.replace(/-/g, " "));
      for (const part of t.split("-")) if (part.length >= 2 && !PARTICLES.has(part.toLowerCase())) forms.add(part);
    }
  }
  // "Last, First" and "First Last" both appear in rosters and text.
  if (named.length === 2) forms.add([...named].reverse().join(" "));
  const comma = full.split(",");
  if (comma.length === 2 && comma[1]!.trim()) forms.add(`${comma[1]!.trim()} ${comma[0]!.trim()}`);
  // Any run of two or more parts ("Thi Mai" of "Nguyen Thi Mai"): one person, one placeholder.
  for (let i = 0; i < named.length; i++) for (let j = i + 2; j <= named.length; j++) forms.add(named.slice(i, j).join(" "));
  return [...forms].filter((f) => f.replace(/[^\p{L}]/gu, "").length >= 2).sort((a, b) => b.length - a.length);
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const BEFORE = "(?<![\\p{L}\\p{N}\\p{M}_])";
// A digit may follow a name ("Kai2" as a username); a letter may not.
const AFTER = "(?![\\p{L}\\p{M}_])";
/** Letters of scripts without case (Arabic, Hebrew, Hangul, Han, Kana, Devanagari, Thai...). */
const CASELESS = /^[^\p{Script=Latin}\p{Script=Cyrillic}\p{Script=Greek}]*[\p{Lo}][^\p{Script=Latin}]*$/u;

/** Forms that are everyday words or two letters long match only capitalised ("Will", "WILL", "Li"). */
export function matchesOnlyCapitalised(form: string): boolean {
  const f = fold(form);
  return COMMON_WORD_NAMES.has(f) || f.replace(/[^\p{L}]/gu, "").length <= 2;
}

export type FormMatch = { start: number; end: number; form: string };

/** A form written "=grace" matches exactly as written: a name found in the text, even an everyday word. */
export const EXACT = "=";

/**
 * Whole-word occurrences of the forms in the text, longest form first, never overlapping. Forms that
 * are everyday words match only when capitalised; the others in any case and with or without accents.
 */
export function findForms(text: string, forms: readonly string[]): FormMatch[] {
  if (!text || forms.length === 0) return [];
  const sorted = [...new Set(forms)].sort((a, b) => b.length - a.length);
  const anyCase = sorted.filter((f) => !f.startsWith(EXACT) && !matchesOnlyCapitalised(f));
  const capitalisedForms = (f: string) => [f.charAt(0).toUpperCase() + f.slice(1).toLowerCase(), f.toUpperCase()];
  const exact = [
    ...sorted.filter((f) => f.startsWith(EXACT)).flatMap((f) => [f.slice(EXACT.length), ...capitalisedForms(f.slice(EXACT.length))]),
    ...sorted
      .filter((f) => !f.startsWith(EXACT) && matchesOnlyCapitalised(f))
      .flatMap((f) => [...capitalisedForms(f), ...(/^\p{Lu}/u.test(f) ? [f] : [])]),
  ].sort((a, b) => b.length - a.length);
  // A roster or name-field name that is an everyday word matches in lower case too, where the word is not
  // used as the everyday word ("hope finished early", not "I hope" or "the long way").
  const lowered = sorted
    .filter((f) => !f.startsWith(EXACT) && matchesOnlyCapitalised(f) && fold(f).replace(/[^\p{L}]/gu, "").length > 2)
    .map((f) => f.toLowerCase());
  const taken: FormMatch[] = [];
  const overlaps = (s: number, e: number) => taken.some((t) => s < t.end && e > t.start);
  const flexible = (f: string) => escapeRegExp(fold(f)).replace(/[- ]/g, "[\\s-]+");
  if (anyCase.length > 0) {
    const bounded = (f: string) => (CASELESS.test(f) ? flexible(f) : `${BEFORE}${flexible(f)}${AFTER}`);
    const re = new RegExp(`(?:${anyCase.map(bounded).join("|")})`, "gu");
    for (const m of fold(text).matchAll(re)) {
      const start = m.index;
      const end = start + m[0].length;
      if (!overlaps(start, end)) taken.push({ start, end, form: text.slice(start, end) });
    }
  }
  if (exact.length > 0) {
    // Scripts without case or spaces between words attach particles to a name ("서연이는", "小明同学"):
    // their forms match inside a word.
    const bounded = (f: string) => (CASELESS.test(f) ? escapeRegExp(f) : `${BEFORE}${escapeRegExp(f)}${AFTER}`);
    const re = new RegExp(`(?:${[...new Set(exact)].map(bounded).join("|")})`, "gu");
    for (const m of text.matchAll(re)) {
      const start = m.index;
      const end = start + m[0].length;
      if (!overlaps(start, end)) taken.push({ start, end, form: m[0] });
    }
  }
  if (lowered.length > 0) {
    const re = new RegExp(`${BEFORE}(?:${[...new Set(lowered)].map(escapeRegExp).join("|")})${AFTER}`, "gu");
    for (const m of text.matchAll(re)) {
      const start = m.index;
      const end = start + m[0].length;
      if (!overlaps(start, end) && !everydayUse(text, start, end)) taken.push({ start, end, form: m[0] });
    }
  }
  return taken.sort((a, b) => a.start - b.start);
}

/** Words before an everyday word that make it the everyday word: "I hope", "will", "the long", "in summer". */
const EVERYDAY_BEFORE = new Set(
  "i you we they he she it who that which this these those the a an my your our their his her its to will would can could may might must should shall do does did not so very too more most less in on at of for by from into with about than as is are was were be been being am has have had get got feel felt".split(
    " ",
  ),
);
/** Words after an everyday word that make it one: "will you", "may I", "hope that", "long ago". */
const EVERYDAY_AFTER = new Set("i you we they he she it that this the a an to be not ago enough as than".split(" "));

function everydayUse(text: string, start: number, end: number): boolean {
  const before = /([\p{L}']+)[ \t]*$/u.exec(text.slice(Math.max(0, start - 24), start));
  const after = /^[ \t]*([\p{L}']+)/u.exec(text.slice(end, end + 24));
  return EVERYDAY_BEFORE.has(before?.[1]?.toLowerCase() ?? "") || EVERYDAY_AFTER.has(after?.[1]?.toLowerCase() ?? "");
}
