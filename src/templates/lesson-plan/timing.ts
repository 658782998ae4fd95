// Lesson timing, pure: every section once in teaching order, minutes scaled so they add up exactly to the duration.
import { type Outline, SECTION_KEYS, SECTION_WEIGHTS, type SectionKey } from "./schemas.ts";

/**
 * Splits `total` whole minutes in proportion to `weights` (largest remainder), each part at least `min`
 * when the total allows it. The parts always sum to `total`.
 */
export function allocateMinutes(total: number, weights: readonly number[], min = 1): number[] {
  const n = weights.length;
  if (n === 0) return [];
  const floor = total >= n * min ? min : 0;
  const spare = total - floor * n;
  const sum = weights.reduce((a, w) => a + Math.max(0, w), 0);
  const shares = weights.map((w) => (sum > 0 ? (Math.max(0, w) / sum) * spare : spare / n));
  const parts = shares.map((s) => Math.floor(s));
  let left = spare - parts.reduce((a, p) => a + p, 0);
  // Hand the leftover minutes to the largest fractional parts; ties go to the earlier section.
  const order = shares.map((s, i) => ({ i, frac: s - Math.floor(s) })).sort((a, b) => b.frac - a.frac || a.i - b.i);
  for (let k = 0; left > 0; k = (k + 1) % n, left--) parts[order[k]!.i]! += 1;
  return parts.map((p) => p + floor);
}

const DEFAULT_FOCUS: Record<SectionKey, string> = {
  "warm-up": "Activate prior knowledge with a quick question.",
  "direct-instruction": "Model the key idea with a worked example.",
  "guided-practice": "Practise together with feedback.",
  "independent-practice": "Practise alone or in pairs.",
  "exit-ticket": "Check understanding with a short exit ticket.",
};

/** The outline with one section per key in teaching order and minutes adding up exactly to `duration`. */
export function fitTiming(outline: Outline, duration: number): Outline {
  const merged = new Map<SectionKey, { minutes: number; focus: string[]; phase: string }>();
  for (const s of outline.sections) {
    const entry = merged.get(s.key) ?? { minutes: 0, focus: [], phase: s.phase ?? "" };
    entry.minutes += Math.max(0, s.minutes);
    if (s.focus.trim()) entry.focus.push(s.focus.trim());
    merged.set(s.key, entry);
  }
  const given = [...merged.values()].reduce((a, e) => a + e.minutes, 0);
  // Missing sections get their default share of the lesson, at the scale the model used for the others.
  const scale = given > 0 ? given : duration;
  const weights = SECTION_KEYS.map((k) => merged.get(k)?.minutes ?? SECTION_WEIGHTS[k] * scale);
  const minutes = allocateMinutes(duration, weights);
  return {
    ...outline,
    sections: SECTION_KEYS.map((key, i) => ({
      key,
      minutes: minutes[i]!,
      phase: merged.get(key)?.phase ?? "",
      focus: merged.get(key)?.focus.join(" ") || DEFAULT_FOCUS[key],
    })),
  };
}
