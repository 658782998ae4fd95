// Cuts a string for display at a fixed length, marking the cut with "...": one helper for every place that
// echoes what a teacher typed or names a value in a line (the model layer's sentence-aware clip is in
// src/templates/text.ts and is for document text, not echoes).

/** `text` itself when it fits in `max` characters, else its first `max - 3` and "...". */
export function shorten(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

/**
 * `text` cut to a platform's hard limit of `max` characters, the cut marked with one "…" so the result never
 * exceeds the limit (Slack and Discord field lengths).
 */
export function fitTo(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
