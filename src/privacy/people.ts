// Finds person names in free text, including names never seen before and from any culture (pure, apart from
// the word lists). Two detectors, joined: compromise's people detection, and rules: a word that is neither a
// dictionary word nor school vocabulary is a name (capitalised or not), as is any word after a cue ("my friend
// grace", "Dear Will"); capitalised words and particles next to a name extend it ("Park Ji-woo", "de la Cruz").
import type { WorkflowDefinition } from "../engine/schema.ts";
import { fold } from "./forms.ts";
import { HONORIFICS, isDictionaryWord, NAME_CUES, PARENT_CUES, PARTICLES, STOPWORDS, SUBJECT_VOCABULARY } from "./lexicon.ts";

export type PersonKind = "STUDENT" | "PARENT" | "PERSON";
export type Person = { kind: PersonKind; value: string };

const NONE: ReadonlySet<string> = new Set();
const STRONG_CUES = new Set(["named", "called", "dear", "hi", "hello", "hey"]);
const WORD = /[\p{L}\p{M}]+(?:['’-][\p{L}\p{M}]+)*/gu;
const CONTRACTION = /^[\p{L}]+['’](?:s|t|re|ve|ll|d|m)$/iu;

type Role = "name" | "join" | "particle" | "other";
/** `cue`: this word announces a name of that kind; `after`: this name follows such a cue. */
type Token = { text: string; start: number; end: number; lower: string; role: Role; cue?: PersonKind; after?: PersonKind };

/** Is the word (folded, possessive stripped) unknown to the dictionary and to school vocabulary? */
function unknownWord(lower: string, extra: ReadonlySet<string>): boolean {
  if (SUBJECT_VOCABULARY.has(lower) || STOPWORDS.has(lower) || extra.has(lower) || isDictionaryWord(lower)) return false;
  const parts = lower.split(/['’-]/).filter((p) => p.length > 0 && !PARTICLES.has(p));
  if (parts.length <= 1) return true;
  return parts.some((p) => !isDictionaryWord(p) && !SUBJECT_VOCABULARY.has(p) && !extra.has(p));
}

function classify(
  text: string,
  m: RegExpMatchArray,
  previous: Token | undefined,
  compromiseWords: Set<string>,
  extra: ReadonlySet<string>,
): Token {
  const raw = m[0];
  const start = m.index ?? 0;
  const end = start + raw.length;
  const base = raw.replace(/['’]s$/iu, "");
  const lower = fold(base);
  const token: Token = { text: raw, start, end, lower, role: "other" };
  // A placeholder we wrote ("[STUDENT_1]") is not a name to find again.
  if (text.charAt(start - 1) === "[" && text.charAt(end) === "_") return token;
  const adjacent = previous !== undefined && /^[ \t]*\.?[ \t]*$/.test(text.slice(previous.end, start));
  const cue = adjacent ? previous.cue : undefined;
  if (HONORIFICS.has(lower) || PARENT_CUES.has(lower)) token.cue = "PARENT";
  else if (NAME_CUES.has(lower)) token.cue = "STUDENT";
  if (PARTICLES.has(lower) && raw === raw.toLowerCase()) return { ...token, role: "particle" };
  if (token.cue || STOPWORDS.has(lower) || SUBJECT_VOCABULARY.has(lower) || extra.has(lower)) return token;
  const capitalised = /^\p{Lu}/u.test(raw);
  const allCaps = raw === raw.toUpperCase();
  // Identifiers (camelCase keys of JSON in prompts) and contractions are not names.
  if (/^\p{Ll}+\p{Lu}/u.test(raw) || (CONTRACTION.test(raw) && isDictionaryWord(fold(raw.split(/['’]/)[0] ?? "")))) return token;
  // Acronyms, plural too ("IEPs", "ELLs").
  if ((allCaps && base.length <= 5) || /^\p{Lu}{2,5}s$/u.test(base)) return token;
  const byCompromise = compromiseWords.has(lower);
  // After a cue a capitalised or unknown word is a name; an everyday word only after "named", "dear"...
  // or when compromise also reads it as one ("my friend grace", not "my mom says").
  if (cue && (capitalised || byCompromise || unknownWord(lower, extra) || STRONG_CUES.has(previous?.lower ?? "")))
    return { ...token, role: "name", after: cue };
  if (byCompromise) return { ...token, role: "name" };
  if (unknownWord(lower, extra) && (capitalised || lower.length >= 3)) return { ...token, role: "name" };
  // A capitalised everyday word can be part of a name next to one ("Park Ji-woo"), not a name alone.
  if (capitalised) return { ...token, role: "join" };
  return token;
}

type Nlp = typeof import("compromise/two").default;
let nlp: Nlp | undefined;

/** Loads compromise (a large module, so only when a remote model is first used); findPeople needs it. */
export async function loadNameModel(): Promise<void> {
  nlp ??= (await import("compromise/two")).default;
  isDictionaryWord("");
}

/** Words compromise takes for parts of people's names (honorifics and particles left out). */
function compromiseNameWords(text: string): Set<string> {
  // Never detect with one detector silently missing: that would be a leak.
  if (!nlp) throw new Error("findPeople needs loadNameModel() first.");
  const words = new Set<string>();
  const doc = nlp(text);
  const terms = doc.match("#Person").json() as { terms?: { text: string; tags?: string[] }[] }[];
  for (const term of terms.flatMap((t) => t.terms ?? [])) {
    const raw = term.text.replace(/[^\p{L}\p{M}'’-]/gu, "").replace(/['’]s$/iu, "");
    const lower = fold(raw);
    if (lower.length < 2 || HONORIFICS.has(lower) || PARTICLES.has(lower) || STOPWORDS.has(lower) || SUBJECT_VOCABULARY.has(lower))
      continue;
    // compromise guesses "lesson" is a person in "a 45 minute lesson": a lower-case everyday word counts
    // only when its lexicon knows it as a given name or surname ("grace", "maria").
    const lexiconName = (term.tags ?? []).some((t) => /^(?:FirstName|MaleName|FemaleName)$/.test(t));
    if (/^\p{Lu}/u.test(raw) || lexiconName || !isDictionaryWord(lower)) words.add(lower);
  }
  return words;
}

function sentenceStart(text: string, start: number): boolean {
  const before = text.slice(Math.max(0, start - 6), start).replace(/[\s"'“‘(*_-]+$/u, "");
  return before === "" || /[.!?:;\n>•{[,"]$/.test(before);
}

/** Every person name in the text, as written, with who they probably are (from the words before them). */
export function findPeople(text: string, vocabulary: ReadonlySet<string> = NONE): Person[] {
  if (!/\p{L}/u.test(text)) return [];
  const compromiseWords = compromiseNameWords(text);
  const tokens: Token[] = [];
  for (const m of text.matchAll(WORD)) tokens.push(classify(text, m, tokens.at(-1), compromiseWords, vocabulary));
  const people: Person[] = [];
  const joined = (a: Token, b: Token) =>
    /^[ \t]+$|^$/.test(text.slice(a.end, b.start)) || /^[ \t]*-[ \t]*$/.test(text.slice(a.end, b.start));
  let i = 0;
  while (i < tokens.length) {
    const t = tokens[i]!;
    if (t.role !== "name") {
      i++;
      continue;
    }
    let from = i;
    let to = i;
    // Extend left over capitalised words and particles ("Park Ji-woo", "van der Berg"), right likewise.
    const extendsLeft = (x: Token) => x.role === "name" || x.role === "particle" || (x.role === "join" && !sentenceStart(text, x.start));
    while (from > 0 && extendsLeft(tokens[from - 1]!) && joined(tokens[from - 1]!, tokens[from]!)) from--;
    // A capitalised everyday word opening the sentence just before a name may be part of it ("Park Ji-woo")
    // or not ("Yesterday Kwame"): it gets a placeholder of its own, so restoring puts each word back.
    const opener = tokens[from - 1];
    if (opener?.role === "join" && joined(opener, tokens[from]!))
      people.push({ kind: "PERSON", value: opener.text.replace(/['’]s$/iu, "") });
    while (to + 1 < tokens.length && ["join", "particle", "name"].includes(tokens[to + 1]!.role) && joined(tokens[to]!, tokens[to + 1]!))
      to++;
    // Particles only count inside or before a name, never dangling at its end.
    while (to > from && tokens[to]!.role === "particle") to--;
    while (from < to && tokens[from]!.role === "particle" && from === i) from++;
    const first = tokens[from]!;
    const last = tokens[to]!;
    const cue = tokens.slice(from, to + 1).find((x) => x.after)?.after;
    const anyCapitalised = tokens.slice(from, to + 1).some((x) => /^\p{Lu}/u.test(x.text));
    const kind: PersonKind = cue ?? (anyCapitalised || compromiseWords.has(t.lower) ? "STUDENT" : "PERSON");
    people.push({ kind, value: text.slice(first.start, last.end).replace(/['’]s$/iu, "") });
    i = to + 1;
  }
  return people;
}

/** The words of the templates' own prompts (lower case): the app's wording, never a student's name. */
export function vocabularyOf(texts: readonly string[]): Set<string> {
  const out = new Set<string>();
  // Capitalised words are left out: the few that matter are in the lexicon, and the rest could be names.
  for (const t of texts) for (const m of t.matchAll(WORD)) if (!/^\p{Lu}\p{Ll}/u.test(m[0])) out.add(fold(m[0]));
  return out;
}

/** The vocabulary of registered workflows: every agent node's system and prompt text. */
export function workflowVocabulary(definitions: readonly WorkflowDefinition[]): Set<string> {
  const texts: string[] = [];
  for (const d of definitions)
    for (const n of d.nodes) {
      const node = n as { system?: unknown; prompt?: unknown };
      if (typeof node.system === "string") texts.push(node.system);
      if (typeof node.prompt === "string") texts.push(node.prompt);
    }
  return vocabularyOf(texts);
}
