// Small pure text helpers for drafting: topics inside sentences and teachers' lists.

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
