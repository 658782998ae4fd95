// Small pure text helpers for drafting: topics inside sentences, teachers' lists, and model text clipped to fit.
import { z } from "zod";

/**
 * A topic as it reads inside a sentence: "Shadows and the sun" becomes "shadows and the sun", while titles and
 * proper nouns ("Romeo and Juliet", "DNA") keep their capitals.
 */
export function topicPhrase(topic: string): string {
  const words = topic.trim().split(/\s+/);
  const first = words[0] ?? "";
  const otherCapitals = words.slice(1).some((w) => /^[A-Z]/.test(w));
  if (otherCapitals || first.length < 2 || first === first.toUpperCase()) return topic.trim();
  return first.charAt(0).toLowerCase() + topic.trim().slice(1);
}

/** Splits a teacher's list ("a; b", one per line, "a, b") into items. */
export function splitList(text: string, commas = false): string[] {
  const re = commas ? /\n|;|,(?![^(]*\))/ : /\n|;/;
  return text
    .split(re)
    .map((s) => s.replace(/^\s*[-*•\d.)]+\s*/, "").trim())
    .filter((s) => s.length > 1);
}

/** Cuts text to `max` characters at the last sentence or word end that fits, marking the cut with an ellipsis. */
export function clip(text: string, max: number): string {
  const t = text.trim();
  if (t.length <= max) return t;
  const room = t.slice(0, Math.max(0, max - 1));
  const sentence = room.match(/^[\s\S]*[.!?](?=\s)/)?.[0];
  if (sentence && sentence.length >= max * 0.6) return sentence;
  const word = room.replace(/\s+\S*$/, "");
  return `${(word.length >= max * 0.6 ? word : room).trimEnd()}…`;
}

/**
 * A model-written string with a length limit that trims instead of failing: an over-long answer is clipped
 * at a sentence or word end, so one wordy field never fails a whole document. The JSON schema still states
 * the limit, so the model is asked to keep within it.
 */
export function clipped(max: number, min = 1) {
  return z.preprocess((v) => (typeof v === "string" ? clip(v, max) : v), z.string().min(min).max(max));
}
