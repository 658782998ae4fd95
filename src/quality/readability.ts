// Reading level of student- and family-facing text: Flesch-Kincaid grade (flesch-kincaid + syllable packages)
// against a target grade. Pure; each list item counts as its own sentence, placeholders and markup are ignored.
import { fleschKincaid } from "flesch-kincaid";
import { syllable } from "syllable";

/** How far above the target grade text may read before it is re-levelled. */
export const READING_TOLERANCE = 2;
/** Below this many words the measure is too noisy to act on. */
export const MIN_WORDS = 20;

export type ReadingCounts = { sentence: number; word: number; syllable: number };

export type ReadingLevel = {
  /** Flesch-Kincaid grade, one decimal; undefined when there is no text. */
  grade: number | undefined;
  target: number;
  words: number;
  /** More than READING_TOLERANCE grades above the target, with enough words to be sure. */
  tooHard: boolean;
};

/** Words, sentences and syllables of texts; each text is at least one sentence. */
export function readingCounts(texts: readonly string[]): ReadingCounts {
  const counts: ReadingCounts = { sentence: 0, word: 0, syllable: 0 };
  for (const raw of texts) {
    const text = raw
      // Patterns here run on whole model answers: none may retry a long run from each of its characters.
      // An inner "[" ends the bracket so a run of "[" is scanned once, not once per "[".
      .replace(/\[[^\][]*\]/g, " ")
      .replace(/https?:\/\/\S+/g, " ")
      .replace(/[*_`#>|]/g, " ");
    for (const sentence of text.split(/(?<![.!?])[.!?]+(?=\s|$)|\n+/)) {
      const words = sentence.match(/[A-Za-z][A-Za-z'’-]*/g) ?? [];
      if (words.length === 0) continue;
      counts.sentence++;
      counts.word += words.length;
      for (const w of words) counts.syllable += Math.max(1, syllablesOf(w));
    }
  }
  return counts;
}

/** No English word is longer; past it the `syllable` package's patterns backtrack quadratically, so estimate. */
const LONGEST_WORD = 45;

function syllablesOf(word: string): number {
  return word.length > LONGEST_WORD ? Math.ceil(word.length / 3) : syllable(word);
}

/** Flesch-Kincaid grade of the texts together (one decimal), or undefined when there are no words. */
export function readingGrade(texts: readonly string[]): number | undefined {
  const counts = readingCounts(texts);
  if (counts.word === 0) return undefined;
  return Math.round(fleschKincaid(counts) * 10) / 10;
}

/** Grade as a number: K is 0. */
export function gradeNumber(grade: unknown): number | undefined {
  const text = String(grade ?? "")
    .trim()
    .toUpperCase();
  if (text === "K") return 0;
  if (!/^\d{1,2}$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isInteger(n) && n >= 0 && n <= 12 ? n : undefined;
}

export function readingLevel(texts: readonly string[], target: number): ReadingLevel {
  const counts = readingCounts(texts);
  const grade = counts.word === 0 ? undefined : Math.round(fleschKincaid(counts) * 10) / 10;
  return {
    grade,
    target,
    words: counts.word,
    tooHard: grade !== undefined && counts.word >= MIN_WORDS && grade > target + READING_TOLERANCE,
  };
}

/** "grade 6.2 (target grade 5)"; K reads as kindergarten. */
export function describeReading(level: Pick<ReadingLevel, "grade" | "target">): string {
  const target = level.target === 0 ? "kindergarten" : `grade ${level.target}`;
  if (level.grade === undefined) return `not measured (no text; target ${target})`;
  return `Flesch-Kincaid grade ${Math.max(0, level.grade).toFixed(1)} (target ${target})`;
}

/** Plain-word swaps and sentence splits a deterministic re-levelling can make (the offline model's repair). */
const SIMPLER: [RegExp, string][] = [
  [/\butili[sz]e\b/gi, "use"],
  [/\bdemonstrate\b/gi, "show"],
  [/\bapproximately\b/gi, "about"],
  [/\badditionally\b/gi, "also"],
  [/\bsubsequently\b/gi, "then"],
  [/\bnevertheless\b/gi, "still"],
  [/\bconsequently\b/gi, "so"],
  [/\bnumerous\b/gi, "many"],
  [/\bsufficient\b/gi, "enough"],
  [/\bassistance\b/gi, "help"],
  [/\bparticipate\b/gi, "take part"],
  [/\bcommence\b/gi, "start"],
  [/\bpurchase\b/gi, "buy"],
  [/\brequire\b/gi, "need"],
  [/\bindividual\b/gi, "each"],
  [/\bregarding\b/gi, "about"],
  [/\bin order to\b/gi, "to"],
];

/** Shorter sentences and plainer words, meaning kept: splits at ";" and ", and"/", but"/", so" joins. */
export function simplify(text: string): string {
  let out = text;
  for (const [re, word] of SIMPLER)
    out = out.replace(re, (m) => (m[0] === m[0]!.toUpperCase() ? word[0]!.toUpperCase() + word.slice(1) : word));
  return out
    .replace(/(?<!\s)\s*;\s+(\w)/g, (_m, c: string) => `. ${c.toUpperCase()}`)
    .replace(/,\s+(and|but|so|which)\s+(\w)/g, (_m, _j: string, c: string) => `. ${c.toUpperCase()}`);
}
