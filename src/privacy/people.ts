// Finds person names in free text, including names never seen before, from any culture and in any script
// (pure, apart from the word lists). Rules, joined with compromise's people detection:
// - a word that is neither a dictionary word nor school vocabulary is a name (capitalised or not);
// - an everyday word that is also a name (Hope, Hunter, Brown, Long) is one in a name position: after a cue
//   ("Dear", "my friend"), before "'s", capitalised mid-sentence, as the subject of a verb, in a list of
//   people, or heading a class-profile line ("Hope (IEP): ...");
// - words in another script than the line's are names; in a line of that script, cue words and name lists
//   decide (see scripts.ts);
// - capitalised words and particles next to a name extend it ("Park Ji-woo", "de la Cruz", "Jordan Rivera").
// School terms, eponyms, holidays, places, works and products (not-names.ts) are never names.
import type { WorkflowDefinition } from "../engine/schema.ts";
import { fold } from "./forms.ts";
import {
  COMMON_WORD_NAMES,
  HONORIFICS,
  isDictionaryWord,
  NAME_CUES,
  PARENT_CUES,
  PARTICLES,
  STOPWORDS,
  SUBJECT_VOCABULARY,
} from "./lexicon.ts";
import { NOT_NAMES } from "./not-names.ts";
import { CASED, listedName, mainScript, namesInRun, SCRIPT_CUES, type Script, scriptOf } from "./scripts.ts";

export type PersonKind = "STUDENT" | "PARENT" | "PERSON";
/** `aliases`: the same person written another way beside the name ("Ahmed (أحمد)"). */
export type Person = { kind: PersonKind; value: string; aliases?: string[] };
export type Span = { start: number; end: number };

const NONE: ReadonlySet<string> = new Set();
/** After these a lower-case everyday word is still a name ("a student named maple"). */
const STRONG_CUES = new Set(["named", "called"]);
const WORD = /[\p{L}\p{M}]+(?:['’-][\p{L}\p{M}]+)*/gu;
const CONTRACTION =
  /^[\p{L}]+['’](?:t|re|ve|ll|d|m)$|^(?:it|he|she|that|what|there|here|who|where|how|let|everyone|nobody|someone)['’]s$/iu;
/** Parts of speech that are never a name, even after "called" or "dear" ("called about", "dear me"). */
const FUNCTION_TAGS = /^(?:Modal|Auxiliary|Preposition|Determiner|Conjunction|Adverb|Pronoun|Copula|QuestionWord)$/;
/** Words before an everyday word that make it the everyday word ("this summer", "the young", "a long"). */
const DETERMINERS = new Set(
  "the a an this that these those last next every each our my your his her their its some any no one first early late mid very so too such".split(
    " ",
  ),
);
/** Seasons and months: everyday words after "in", "during", "since"... or before a number ("May 14"). */
const CALENDAR = new Set("spring summer autumn fall winter may june april august march".split(" "));
const TIME_PREPOSITIONS = new Set("in during since until till by before after over through throughout of".split(" "));
/** Verbs that never make the word before them a person ("Will you", "May I"). */
const NOT_SUBJECT_VERBS = new Set(["be", "being"]);

type Role = "name" | "join" | "particle" | "other";
/** `cue`: this word announces a name of that kind; `after`: this name follows such a cue. */
type Token = {
  text: string;
  start: number;
  end: number;
  lower: string;
  role: Role;
  script: Script;
  cue?: PersonKind;
  after?: PersonKind;
  /** Known not to be a name (acronym, school term, place, the app's own word): never made one by a list. */
  fixed?: true;
};

const fixed = (t: Token): Token => ({ ...t, fixed: true });

type Nlp = typeof import("compromise/two").default;
let nlp: Nlp | undefined;
let lexicon: Record<string, string | string[]> = {};

/** Loads compromise (a large module, so only when a remote model is first used); findPeople needs it. */
export async function loadNameModel(): Promise<void> {
  if (!nlp) {
    nlp = (await import("compromise/two")).default;
    lexicon = (nlp.model() as { one: { lexicon: Record<string, string | string[]> } }).one.lexicon;
  }
  isDictionaryWord("");
}

const PRONOUNS = new Set("i we you he she they it".split(" "));

/** compromise's own tags for a word (lower case). */
function lexiconTags(lower: string): string[] {
  const tag = lexicon[lower];
  return Array.isArray(tag) ? tag : tag ? [tag] : [];
}

/** Is the everyday word also a given name or surname ("hope", "hunter", "jordan", "rivera")? */
function nameLike(lower: string): boolean {
  // Short function words are in COMMON_WORD_NAMES only so a roster's "An" or "Can" matches capitalised.
  if (STOPWORDS.has(lower) || lower === "can") return false;
  if (COMMON_WORD_NAMES.has(lower)) return true;
  // "Mary-Grace", "Jean-Luc": a hyphenated word is a name when one of its parts is.
  if (/[-'’]/.test(lower)) return lower.split(/[-'’]/).some((p) => p.length >= 2 && nameLike(p));
  const tag = lexicon[lower];
  const tags = Array.isArray(tag) ? tag : tag ? [tag] : [];
  return tags.some((t) => /^(?:FirstName|MaleName|FemaleName|LastName|Person|Honorific)$/.test(t) && t !== "Honorific");
}

/** A dictionary word, also as a plural or inflected form ("balls", "rods", "graphed"). */
function knownWord(lower: string): boolean {
  if (isDictionaryWord(lower)) return true;
  const stems = [
    lower.replace(/ies$/, "y"),
    lower.replace(/es$/, ""),
    lower.replace(/s$/, ""),
    lower.replace(/ed$/, ""),
    lower.replace(/ing$/, ""),
  ];
  return stems.some((s) => s !== lower && s.length >= 3 && isDictionaryWord(s));
}

/** Is the word (folded, possessive stripped) unknown to the dictionary and to school vocabulary? */
function unknownWord(lower: string, extra: ReadonlySet<string>): boolean {
  if (SUBJECT_VOCABULARY.has(lower) || STOPWORDS.has(lower) || extra.has(lower) || knownWord(lower)) return false;
  // One-letter parts ("data-k", "x-ray") say nothing either way.
  const parts = lower.split(/['’-]/).filter((p) => p.length > 1 && !PARTICLES.has(p));
  if (parts.length === 0) return false;
  if (parts.length === 1 && parts[0] === lower) return true;
  return parts.some((p) => !knownWord(p) && !SUBJECT_VOCABULARY.has(p) && !extra.has(p));
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
let notNameRe: RegExp | undefined;
/** Months that are also names, in a date ("May 14", "14 June"). */
const DATES =
  /(?<![\p{L}\p{N}])(?:(?:may|june|april|august|march)\s+\d{1,2}(?!\d)|\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:may|june|april|august|march))(?![\p{L}])/gu;

/** Where the text holds a school term, eponym, holiday, place, work or product of not-names.ts. */
export function notNameSpans(text: string): Span[] {
  notNameRe ??= new RegExp(
    `(?<![\\p{L}\\p{N}])(?:${[...NOT_NAMES]
      .map((n) => fold(n.term))
      .sort((a, b) => b.length - a.length)
      .map((t) =>
        escapeRegExp(t)
          .replace(/\\\.|[-\s]+/g, (m) => (m === "\\." ? "\\.?" : "[\\s-]+"))
          .replace(/['’]/g, "['’]?"),
      )
      .join("|")})(?:e?s)?(?:['’]s?)?(?![\\p{L}\\p{N}])`,
    "gu",
  );
  const folded = fold(text);
  return [...folded.matchAll(notNameRe), ...folded.matchAll(DATES)].map((m) => ({ start: m.index, end: m.index + m[0].length }));
}

/** A word in another script taught as vocabulary, not a person: "the word «…»", "say …", "… means hello". */
const VOCABULARY_BEFORE =
  /(?:word|words|phrase|phrases|say|says|said|means|meaning|translates?|translated|vocabulary|greeting|spell|spelled|spelt|character|characters|letter|letters|script)\s*[:"“«'‘(]*\s*$/i;
const VOCABULARY_AFTER = /^\s*["”»'’)]*\s*(?:means|=|is\s+(?:the\s+)?(?:word|arabic|hebrew|korean|chinese|japanese|russian|hindi)\b)/i;
/** Words after which a lower-case word opens a clause, so it may be the subject of the next verb. */
const CLAUSE_OPENERS = new Set("and or but so then because while when after before since until if that".split(" "));
/** Words after a family name that make "the X" a family rather than a thing ("the Okafor twins"). */
const FAMILY = new Set("family families twins triplets kids children brothers sisters household parents siblings girls boys".split(" "));
/** Verbs whose object is a person: "remind jade", "ask hope", "tell sky". */
const ACTION_CUE = /(?:^|[^\p{L}])(?:remind|ask|tell|thank|congratulate|invite|praise|call|email|text|message|meet|pair|seat)\s+$/iu;

/** Is the word two dictionary words joined ("infographic" = info + graphic)? */
function compound(lower: string): boolean {
  for (let i = 3; i <= lower.length - 3; i++) if (isDictionaryWord(lower.slice(0, i)) && knownWord(lower.slice(i))) return true;
  return false;
}

/** Does a sentence, clause or list item start here ("Kwame, Hope" too: a comma counts)? */
function sentenceStart(text: string, start: number, comma = true): boolean {
  const before = text.slice(Math.max(0, start - 8), start).replace(/[\s"'“‘(*_-]+$/u, "");
  return before === "" || (comma ? /[.!?:;\n>•{[,"|]$/ : /[.!?:;\n>•{["|]$/).test(before) || /(?:^|\s)\d+[.)]$/.test(before);
}

/** Words that open a sentence before a name without being part of it ("Yesterday Kwame", "Then Ana"). */
const OPENERS = new Set(
  "yesterday today tomorrow tonight then next later now first finally also meanwhile afterwards afterward lastly and but so please ask tell thank thanks congratulations well great good".split(
    " ",
  ),
);

/** "Feedback for faith:", "note to sky": the word after these is the person they are for. */
const FOR_CUE = /(?:feedback|notes?|message|letter|report|comments?|e-?mail|reply|card)\s+(?:for|to|on|about)\s+$/i;

type Tags = Map<number, string[]>;

/** compromise's part-of-speech tags, by the offset of each word. */
function tagWords(text: string): { tags: Tags; people: Set<string> } {
  // Never detect with one detector silently missing: that would be a leak.
  if (!nlp) throw new Error("findPeople needs loadNameModel() first.");
  const tags: Tags = new Map();
  const people = new Set<string>();
  const doc = nlp(text);
  const sentences = doc.json({ offset: true }) as { terms?: { text: string; tags?: string[]; offset?: { start: number } }[] }[];
  for (const term of sentences.flatMap((s) => s.terms ?? [])) {
    const t = term.tags ?? [];
    if (term.offset) tags.set(term.offset.start, t);
    if (!t.includes("Person")) continue;
    const raw = term.text.replace(/[^\p{L}\p{M}'’-]/gu, "").replace(/['’]s$/iu, "");
    const lower = fold(raw);
    if (lower.length < 2 || HONORIFICS.has(lower) || PARTICLES.has(lower) || STOPWORDS.has(lower) || SUBJECT_VOCABULARY.has(lower))
      continue;
    // compromise guesses "lesson" is a person in "a 45 minute lesson": a lower-case everyday word counts
    // only when its lexicon knows it as a given name or surname ("grace", "maria").
    const lexiconName = t.some((x) => /^(?:FirstName|MaleName|FemaleName)$/.test(x));
    if (/^\p{Lu}/u.test(raw) || lexiconName || !knownWord(lower)) people.add(lower);
  }
  return { tags, people };
}

const isVerb = (tags: string[] | undefined, lower: string) =>
  tags?.includes("Verb") === true &&
  !tags.includes("Gerund") &&
  !tags.includes("Modal") &&
  !tags.includes("Auxiliary") &&
  !NOT_SUBJECT_VERBS.has(lower);

type Context = {
  text: string;
  tags: Tags;
  people: Set<string>;
  extra: ReadonlySet<string>;
  lineScript: (at: number) => Script;
  protectedAt: (start: number, end: number) => boolean;
  /** Is the line at this offset written in capitals (so "ZAINAB" is a name, not an acronym)? */
  shouting: (at: number) => boolean;
};

function classify(c: Context, m: RegExpMatchArray, previous: Token | undefined, next: RegExpMatchArray | undefined): Token {
  const { text } = c;
  const raw = m[0];
  const start = m.index ?? 0;
  const end = start + raw.length;
  const possessive = /['’]s$/iu.test(raw);
  const base = raw.replace(/['’]s$/iu, "");
  const lower = fold(base);
  const script = scriptOf(raw);
  const token: Token = { text: raw, start, end, lower, role: "other", script };
  // A placeholder we wrote ("[STUDENT_1]") is not a name to find again.
  if (text.charAt(start - 1) === "[" && text.charAt(end) === "_") return fixed(token);
  if (c.protectedAt(start, end)) return fixed(token);
  // "Mrs. Okafor", "Student: Kwame", "家长：王丽"; a full stop after any other cue ends its sentence ("mom. Mateo").
  const gap = text.slice(previous?.end ?? start, start);
  const adjacent =
    previous !== undefined && (/^[ \t]*[:：]?[ \t]*$/.test(gap) || (HONORIFICS.has(previous.lower) && /^\.[ \t]*$/.test(gap)));
  const cue = adjacent ? previous.cue : undefined;
  if (HONORIFICS.has(lower) || PARENT_CUES.has(lower)) token.cue = "PARENT";
  else if (NAME_CUES.has(lower) || SCRIPT_CUES.has(lower)) token.cue = "STUDENT";
  if (token.cue) return token;

  // Another script than the line's: a name quoted in an English note ("أحمد", "민준", "Дмитрий"), unless
  // it is taught as a word ('the word "你好" means hello', "say مرحبا").
  const main = c.lineScript(start);
  if (script !== "Latin" && script !== main && !(script === "Kana" && main === "Han") && !(script === "Han" && main === "Kana")) {
    const taught =
      !cue &&
      !listedName(raw) &&
      (VOCABULARY_BEFORE.test(text.slice(Math.max(0, start - 24), start)) || VOCABULARY_AFTER.test(text.slice(end, end + 16)));
    return taught ? token : { ...token, role: "name", ...(cue ? { after: cue } : {}) };
  }
  if (script !== "Latin" && CASED.has(script)) {
    // Cyrillic or Greek in its own line: capitals mark names mid-sentence; a sentence opens with a listed name.
    const mid = /^\p{Lu}/u.test(raw) && !sentenceStart(text, start, false);
    if (cue || listedName(raw) || mid) return { ...token, role: "name", ...(cue ? { after: cue } : {}) };
    return token;
  }
  if (!CASED.has(script)) {
    // Caseless scripts in their own line: a listed name, or any word after a cue.
    if (cue || listedName(raw)) return { ...token, role: "name", ...(cue ? { after: cue } : {}) };
    return token;
  }

  if (PARTICLES.has(lower) && raw === raw.toLowerCase()) return { ...token, role: "particle" };
  // A capitalised short word mid-sentence next to a name or after a cue is a name ("daughter An", "Nguyen Van An").
  if (STOPWORDS.has(lower)) {
    const nameBefore = previous !== undefined && adjacent && (previous.role === "name" || previous.role === "join");
    if (/^\p{Lu}\p{Ll}*$/u.test(raw) && !sentenceStart(text, start) && (cue || nameBefore))
      return { ...token, role: "name", ...(cue ? { after: cue } : {}) };
    return fixed(token);
  }
  const allCaps = /\p{Lu}/u.test(base) && base === base.toUpperCase();
  const capitalised = /^\p{Lu}/u.test(raw);
  // Identifiers (camelCase keys of JSON in prompts) and contractions are not names.
  // A capital inside a word is a product ("OneNote", "iPad") unless it follows a name prefix ("McKay", "DeShawn").
  const innerCapital =
    /^\p{Ll}+\p{Lu}/u.test(raw) || (/^\p{Lu}\p{Ll}+\p{Lu}/u.test(raw) && !/^(?:Mc|Mac|De|Da|Di|Du|La|Le|Van|Von|Fitz|O)\p{Lu}/u.test(raw));
  if (innerCapital || (CONTRACTION.test(raw) && knownWord(fold(raw.split(/['’]/)[0] ?? "")))) return fixed(token);
  const named = nameLike(lower);
  // Acronyms, plural too ("IEPs", "ELLs"); an all-capitals given name is still a name ("JAMAL", "MIA").
  if (/^\p{Lu}{2,5}s$/u.test(base) && !named) return fixed(token);
  if (allCaps && !named && (base.length <= 2 || !/[aeiouy]/i.test(base) || (base.length <= 5 && (knownWord(lower) || !c.shouting(start)))))
    return fixed(token);
  // In a line written in capitals, capitals say nothing: an everyday word is just a word ("KWAME MISSED").
  if (allCaps && !named && knownWord(lower) && c.shouting(start)) return fixed(token);
  // A place or language that is also a given name ("Jordan", "Georgia") is one only in a clear name position.
  const place = SUBJECT_VOCABULARY.has(lower) || (lower.endsWith("s") && SUBJECT_VOCABULARY.has(lower.slice(0, -1)));
  if (place && !named) return fixed(token);
  // The templates' own words ("long", "young") are names only in a name position too.
  if (c.extra.has(lower) && !named) return fixed(token);
  const byCompromise = c.people.has(lower);
  const unknown = unknownWord(lower, c.extra);
  const atStart = sentenceStart(text, start, false);
  const before = previous && adjacent ? previous.lower : "";
  const commonUse =
    DETERMINERS.has(before) ||
    (CALENDAR.has(lower) && (TIME_PREPOSITIONS.has(before) || /^\s*\d/.test(text.slice(end)))) ||
    (c.tags.get(start) ?? []).some((t) => /^(?:Modal|Auxiliary|Preposition|Determiner|Conjunction|Adverb)$/.test(t)) ||
    // In lower case, an adjective or verb is the everyday word ("which statement best describes").
    (!/^\p{Lu}/u.test(raw) && (c.tags.get(start) ?? []).some((t) => /^(?:Adjective|Comparative|Superlative|Verb)$/.test(t)));
  // After a cue a capitalised or unknown word is a name; an everyday word only after "named", "dear"...
  // or when it is also a name ("my friend grace", not "my mom says").
  const functionWord = (c.tags.get(start) ?? []).some((t) => FUNCTION_TAGS.test(t));
  if (
    cue &&
    (!functionWord || capitalised) &&
    (capitalised || byCompromise || unknown || STRONG_CUES.has(previous?.lower ?? "") || (named && !commonUse))
  )
    return { ...token, role: "name", after: cue };
  // "May I go?", "Will you help?": a modal asking a question, whatever compromise thinks of "May".
  const question = lexiconTags(lower).includes("Modal") && next !== undefined && PRONOUNS.has(fold(next[0]));
  if (question) return fixed(token);
  // An everyday word opening a sentence is judged by its position below, not by compromise's guess.
  if (byCompromise && (capitalised || !commonUse) && !(atStart && knownWord(lower) && named)) return { ...token, role: "name" };
  // "the Smithsonian", "a Gantt chart", "the Bohr model": an article makes it a thing, not a person, except
  // before a family word ("the Okafor twins").
  const article = /(?:^|[^\p{L}])(?:the|a|an)\s+$/iu.test(text.slice(Math.max(0, start - 5), start));
  const family = next !== undefined && FAMILY.has(fold(next[0]));
  // "the Nguyens", "the Garcias": a family, unless compromise knows the word as a place ("the Andes").
  const placeTag = (c.tags.get(start) ?? []).some((x) => /^(?:Place|Country|City|Region)$/.test(x));
  const followedByNoun =
    next !== undefined &&
    /^[ \t]+\p{Ll}/u.test(text.slice(end, next.index) + next[0]) &&
    !isVerb(c.tags.get(next.index ?? -1), fold(next[0]));
  const plural = /\p{Ll}s$/u.test(base) && !placeTag && !followedByNoun;
  if (unknown && capitalised && article && !family && !named && !plural) return fixed(token);
  // compromise knows many places ("Greenland"); organisations are left out: "Chioma & Ifeoma" is two people.
  const besideCapital =
    /\p{Lu}[\p{L}'’-]*[ \t]+$/u.test(text.slice(Math.max(0, start - 30), start)) || /^[ \t]+\p{Lu}/u.test(text.slice(end, end + 3));
  if (unknown && !named && !besideCapital && placeTag) return fixed(token);
  // A lower-case unknown word made of two dictionary words is a coinage ("infographic"), not a name.
  if (unknown && !capitalised && !named && compound(lower)) return fixed(token);
  if (unknown && (capitalised || lower.length >= 3)) return { ...token, role: "name" };
  if (named && !capitalised && !commonUse && ACTION_CUE.test(text.slice(Math.max(0, start - 16), start))) return { ...token, role: "name" };
  // "Mary-Grace", "Jean-Luc": every part a capitalised name.
  if (/[-]/.test(base) && base.split("-").every((p) => /^\p{Lu}/u.test(p) && nameLike(fold(p)))) return { ...token, role: "name" };
  if (named && FOR_CUE.test(text.slice(Math.max(0, start - 24), start))) return { ...token, role: "name", after: "STUDENT" };
  // "the Hill twins", "the Brown family".
  const theBefore = /(?:^|[^\p{L}])the\s+$/iu.test(text.slice(Math.max(0, start - 5), start));
  if (named && capitalised && theBefore && next !== undefined && FAMILY.has(fold(next[0])) && /^[ \t]+$/.test(text.slice(end, next.index)))
    return { ...token, role: "name" };
  // "Colorado River", "Amazon Basin": an everyday word after a place is part of the place.
  const afterPlace = previous !== undefined && adjacent && /^\p{Lu}/u.test(previous.text) && SUBJECT_VOCABULARY.has(previous.lower);
  if (named && !commonUse && !afterPlace) {
    const followedBy = text.slice(end, end + 3);
    const nextLower = next ? fold(next[0]) : "";
    const nextIsVerb =
      next !== undefined && /^[ \t]+$/.test(text.slice(end, next.index)) && isVerb(c.tags.get(next.index ?? -1), nextLower);
    // "Faith's essay", "Summer asked", "Hope (IEP):", "... and Brown."
    if (possessive) return { ...token, role: "name" };
    if (capitalised && !atStart && !place) return { ...token, role: "name" };
    // The subject of a verb: opening a clause ("hope and hunter finished"), not after a noun ("phrase best
    // completes"); a word read as an adjective needs a verb that a person does ("Brown wrote", "Young is"),
    // not a noun compromise took for a verb ("Brown bears hibernate").
    const adjective = (c.tags.get(start) ?? []).some((t) => t === "Adjective");
    const nextTags = next ? (c.tags.get(next.index ?? -1) ?? []) : [];
    const personVerb = !adjective || nextTags.some((t) => t === "PastTense" || t === "Copula");
    if (nextIsVerb && personVerb && (capitalised || sentenceStart(text, start) || CLAUSE_OPENERS.has(before)))
      return { ...token, role: "name" };
    if (capitalised && atStart && /^\s*[(:–—]/.test(followedBy)) return { ...token, role: "name" };
  }
  // A capitalised everyday word can be part of a name next to one ("Park Ji-woo"), not a name alone; so can
  // a lower-case one that is also a name ("jordan rivera"), unless used as a function word ("kwame will").
  if (capitalised || (named && !commonUse && !functionWord)) return { ...token, role: "join" };
  return token;
}

/** Is a list separator (",", ";", "and", "or", "&", "/") between the two items? */
function listGap(text: string, a: Token, b: Token): boolean {
  const gap = text.slice(a.end, b.start);
  return /^\)?\s*[,;&/]\s*\(?$/.test(gap) || /^\)?\s*,?\s+(?:and|or|&|y|et|und|e)\s+$/i.test(gap);
}

/**
 * Names in a list of people stay names even when everyday words ("Hope, Hunter, Sky and Ahmed"): a
 * one-word item next to a name across a list separator, ending at punctuation, a separator or a verb.
 */
function spreadOverLists(c: Context, tokens: Token[]): void {
  const { text } = c;
  const item = (t: Token) =>
    t.role !== "particle" &&
    !t.fixed &&
    !c.protectedAt(t.start, t.end) &&
    !t.cue &&
    !STOPWORDS.has(t.lower) &&
    (t.role === "name" || (CASED.has(t.script) && (nameLike(t.lower) || (/^\p{Lu}/u.test(t.text) && !SUBJECT_VOCABULARY.has(t.lower)))));
  const single = (i: number) => {
    const t = tokens[i]!;
    const n = tokens[i + 1];
    if (!n) return true;
    const gap = text.slice(t.end, n.start);
    const nextTags = c.tags.get(n.start) ?? [];
    return (
      /[,;.!?()\n:&/]/.test(gap) ||
      ["and", "or", "y", "et", "und"].includes(n.lower) ||
      isVerb(nextTags, n.lower) ||
      nextTags.some((x) => /^(?:Preposition|Conjunction|Adverb)$/.test(x))
    );
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i]!;
      if (t.role === "name" || !item(t) || !single(i)) continue;
      // The neighbouring items, skipping the "and" / "or" words between them.
      const prev = tokens[i - 1]?.lower === "and" || tokens[i - 1]?.lower === "or" ? tokens[i - 2] : tokens[i - 1];
      const nextAt = ["and", "or"].includes(tokens[i + 1]?.lower ?? "") ? i + 2 : i + 1;
      const next = tokens[nextAt];
      const nameBefore = prev?.role === "name" && listGap(text, prev, t) && !/\s\S+\s+\S/.test(text.slice(prev.end, t.start));
      const nameAfter = next?.role === "name" && listGap(text, t, next) && single(nextAt);
      if (nameBefore || nameAfter) {
        t.role = "name";
        changed = true;
      }
    }
  }
}

/** A capitalised word just before a name is part of it unless it is a sentence opener ("Yesterday", "Then"). */
function openerIsName(c: Context, t: Token): boolean {
  if (nameLike(t.lower)) return true;
  if (OPENERS.has(t.lower)) return false;
  return !(c.tags.get(t.start) ?? []).some((x) => FUNCTION_TAGS.test(x) || x === "Date" || x === "Pronoun");
}

/** Every person name in the text, as written, with who they probably are (from the words before them). */
export function findPeople(text: string, vocabulary: ReadonlySet<string> = NONE): Person[] {
  if (!/\p{L}/u.test(text)) return [];
  const { tags, people: compromisePeople } = tagWords(text);
  const protectedSpans = notNameSpans(text);
  const lines: { start: number; end: number; script: Script }[] = [];
  for (let at = 0; at <= text.length; ) {
    const nl = text.indexOf("\n", at);
    const end = nl < 0 ? text.length : nl;
    lines.push({ start: at, end, script: mainScript(text.slice(at, end)) });
    at = end + 1;
  }
  const c: Context = {
    text,
    tags,
    people: compromisePeople,
    extra: vocabulary,
    lineScript: (at) => lines.find((l) => at >= l.start && at <= l.end)?.script ?? "Latin",
    protectedAt: (s, e) => protectedSpans.some((p) => s < p.end && e > p.start),
    shouting: (at) => {
      const line = lines.find((l) => at >= l.start && at <= l.end);
      // Tags ("<data-k3f9q2m7x1>") are not the writer's letters.
      const letters = line
        ? text
            .slice(line.start, line.end)
            .replace(/<[^<>]*>/g, "")
            .replace(/[^\p{L}]/gu, "")
        : "";
      return letters.length >= 12 && letters.replace(/\p{Lu}/gu, "").length <= letters.length * 0.3;
    },
  };
  const matches = [...text.matchAll(WORD)];
  const tokens: Token[] = [];
  for (let k = 0; k < matches.length; k++) tokens.push(classify(c, matches[k]!, tokens.at(-1), matches[k + 1]));
  spreadOverLists(c, tokens);
  const people: Person[] = [];
  // Han and Kana runs in their own line: listed names inside the run (no spaces between words).
  for (const t of tokens)
    if (t.role === "other" && (t.script === "Han" || t.script === "Kana") && c.lineScript(t.start) !== "Latin")
      for (const s of namesInRun(t.text)) people.push({ kind: "STUDENT", value: t.text.slice(s.start, s.end) });
  const joined = (a: Token, b: Token) =>
    a.script === b.script && (/^[ \t]+$|^$/.test(text.slice(a.end, b.start)) || /^[ \t]*-[ \t]*$/.test(text.slice(a.end, b.start)));
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
    // A capitalised everyday word opening the sentence just before a name is part of it when it is a
    // name too ("Jordan Rivera", "Park Ji-woo"), and left alone otherwise ("Yesterday Kwame").
    const opener = tokens[from - 1];
    if (opener?.role === "join" && joined(opener, tokens[from]!) && openerIsName(c, opener)) from--;
    while (to + 1 < tokens.length && ["join", "particle", "name"].includes(tokens[to + 1]!.role) && joined(tokens[to]!, tokens[to + 1]!))
      to++;
    // Particles only count inside or before a name, never dangling at its end.
    while (to > from && tokens[to]!.role === "particle") to--;
    while (from < to && tokens[from]!.role === "particle" && from === i) from++;
    const first = tokens[from]!;
    const last = tokens[to]!;
    const cue = tokens.slice(from, to + 1).find((x) => x.after)?.after;
    const anyCapitalised = tokens.slice(from, to + 1).some((x) => /^\p{Lu}/u.test(x.text) || !CASED.has(x.script));
    const kind: PersonKind = cue ?? (anyCapitalised || compromisePeople.has(t.lower) ? "STUDENT" : "PERSON");
    const value = text.slice(first.start, last.end).replace(/['’]s$/iu, "");
    // Caseless scripts attach particles to a name ("민준이", "وأحمد"): the listed name is the person.
    const written = first === last && !CASED.has(first.script) ? (listedName(value) ?? value) : value;
    // "Ahmed (أحمد)", "Zhang Wei (张伟)": the name in brackets in another script is the same person.
    const bracketed = tokens[to + 1];
    const person: Person = { kind, value: written };
    if (
      bracketed?.role === "name" &&
      bracketed.script !== last.script &&
      /^[ \t]*[(（][ \t]*$/.test(text.slice(last.end, bracketed.start)) &&
      /^[ \t]*[)）]/.test(text.slice(bracketed.end))
    ) {
      person.aliases = [!CASED.has(bracketed.script) ? (listedName(bracketed.text) ?? bracketed.text) : bracketed.text];
      to++;
    }
    people.push(person);
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
