// Lesson structures that fit a subject and topic (5E for science investigations, a workshop for writing,
// worked examples for math...), pure: the outline prompt offers them and the offline draft picks one.
import type { SectionKey } from "./schemas.ts";

export type LessonStructure = {
  name: string;
  fits: string;
  /** The phase each section is in this structure. */
  phases: Record<SectionKey, string>;
};

export const STRUCTURES = {
  "5e": {
    name: "5E inquiry",
    fits: "a science investigation or phenomenon",
    phases: {
      "warm-up": "Engage",
      "direct-instruction": "Explore",
      "guided-practice": "Explain",
      "independent-practice": "Elaborate",
      "exit-ticket": "Evaluate",
    },
  },
  workshop: {
    name: "Workshop",
    fits: "writing or reading (mini-lesson with a mentor text, work time with conferring, share)",
    phases: {
      "warm-up": "Connection",
      "direct-instruction": "Mini-lesson",
      "guided-practice": "Active engagement",
      "independent-practice": "Work time and conferring",
      "exit-ticket": "Share",
    },
  },
  "worked-examples": {
    name: "Worked examples",
    fits: "a math procedure or concept (worked example, faded examples, practice)",
    phases: {
      "warm-up": "Number talk or retrieval",
      "direct-instruction": "Worked example",
      "guided-practice": "Faded examples",
      "independent-practice": "Practice",
      "exit-ticket": "Exit ticket",
    },
  },
  inquiry: {
    name: "Source inquiry",
    fits: "history or social studies (a question answered from sources)",
    phases: {
      "warm-up": "Compelling question",
      "direct-instruction": "Background",
      "guided-practice": "Source analysis",
      "independent-practice": "Claim with evidence",
      "exit-ticket": "Reflection",
    },
  },
  "gradual-release": {
    name: "Gradual release (I do, we do, you do)",
    fits: "any other skill",
    phases: {
      "warm-up": "Activate",
      "direct-instruction": "I do",
      "guided-practice": "We do",
      "independent-practice": "You do",
      "exit-ticket": "Check",
    },
  },
} satisfies Record<string, LessonStructure>;
export type StructureId = keyof typeof STRUCTURES;

/** The structure that fits a subject and topic best, by the words a teacher would use. */
export function structureFor(subject: string, topic: string): StructureId {
  const s = subject.toLowerCase();
  const t = topic.toLowerCase();
  if (/scien|biolog|chemis|physic|earth|stem/.test(s)) return "5e";
  if (/\bmath|algebra|geometr|calculus|statistic|arithmetic/.test(s)) return "worked-examples";
  if (/\bela\b|english|writing|literac|reading|language arts/.test(s)) return "workshop";
  if (/histor|social|civic|geograph|government|econom/.test(s)) return "inquiry";
  if (/\bwrit|essay|paragraph|narrative|poem|story/.test(t)) return "workshop";
  if (/fraction|equation|multipl|divi|decimal|percent|graph|ratio/.test(t)) return "worked-examples";
  if (/experiment|investigat|why do|how do|observe|lab\b/.test(t)) return "5e";
  return "gradual-release";
}

/** The prompt line that offers every structure with the phases its sections take. */
export function structureChoices(): string {
  return Object.values(STRUCTURES)
    .map((st) => `${st.name} for ${st.fits}: ${Object.values(st.phases).join(", ")}`)
    .join("; ");
}
