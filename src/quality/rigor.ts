// Rigor: the Bloom level of each task or question from verb lists and question stems, optionally overridden
// by the model's own label, and the share at analyse/evaluate/create. Pure.

export const BLOOM_LEVELS = ["remember", "understand", "apply", "analyse", "evaluate", "create"] as const;
export type BloomLevel = (typeof BLOOM_LEVELS)[number];
export const HIGHER_ORDER: ReadonlySet<BloomLevel> = new Set(["analyse", "evaluate", "create"]);
/** Below this share of higher-order tasks (grade 3 and up), rigor is raised once. */
export const MIN_HIGHER_SHARE = 1 / 3;
/** Rigor is checked from this grade up. */
export const RIGOR_FROM_GRADE = 3;

const VERBS: Record<BloomLevel, string> = {
  remember:
    "define list name identify recall recognize recognise state label match memorize memorise repeat locate find count tell copy record cite choose select spell",
  understand:
    "explain describe summarize summarise paraphrase discuss interpret restate retell illustrate report review classify outline predict share talk notice observe read listen discuss",
  apply:
    "apply solve use calculate compute demonstrate complete show model measure practice practise perform graph plot sketch implement add subtract multiply divide simplify convert estimate fill draw act build",
  analyse:
    "analyze analyse compare contrast distinguish differentiate examine categorize categorise organize organise investigate infer deduce connect relate sort test determine diagram sequence trace",
  evaluate:
    "evaluate justify argue critique judge assess defend decide prioritize prioritise rank recommend verify debate appraise convince weigh",
  create:
    "create design compose construct develop invent plan produce formulate propose generate devise write imagine hypothesize hypothesise revise",
};

const VERB_LEVEL = new Map<string, BloomLevel>();
for (const level of BLOOM_LEVELS) for (const v of VERBS[level].split(" ")) VERB_LEVEL.set(v, level);

/** Question stems that set a level without an imperative verb. */
const STEMS: [RegExp, BloomLevel][] = [
  [/^(do you agree|which\b.*\b(best|better|most|least|strongest|weakest)\b|should\b|is it (fair|better|right)|what evidence)/, "evaluate"],
  [/^(what would happen if|what if|how (could|might) you (design|make|build|change))/, "create"],
  [/^(why|what (is|are) the (difference|similarit|relationship|pattern)|how (are|is) .* (alike|different|related))/, "analyse"],
  [/^(how (does|do|did|can)|what does .* mean|in your own words)/, "understand"],
  [/^(what|who|when|where|which|how many|how much)\b/, "remember"],
];

/** Words at the start of a task that say who does it, not what ("Students will", "In pairs,"). */
const LEAD_INS =
  /^(?:(?:then|next|first|finally|now|together|independently)\s*,?\s+|(?:in|with) (?:pairs|groups|small groups|a partner|partners|teams)\s*,?\s+|(?:ask|have|invite|get) (?:students|them|the class|pairs|groups)(?: to)?\s+|students?(?: will| can| should| must)?\s+|(?:be able to|you will|you)\s+)+/;

function verbLevel(word: string): BloomLevel | undefined {
  const w = word.toLowerCase();
  const direct = VERB_LEVEL.get(w);
  if (direct) return direct;
  // "compares", "explained", "justifying": third person and past/-ing forms.
  for (const base of [
    w.replace(/ies$/, "y"),
    w.replace(/es$/, ""),
    w.replace(/s$/, ""),
    w.replace(/ed$/, ""),
    w.replace(/d$/, ""),
    w.replace(/ing$/, ""),
    w.replace(/ing$/, "e"),
  ]) {
    const found = VERB_LEVEL.get(base);
    if (found) return found;
  }
  return undefined;
}

/**
 * The highest level among the clauses of a task: each clause's leading verb (after lead-ins such as
 * "Students will"), or its question stem. Undefined when no clause starts with a known verb or stem.
 */
export function bloomByVerbs(text: string): BloomLevel | undefined {
  let best: number | undefined;
  const clauses = text
    .toLowerCase()
    .replace(/[“”"]/g, "")
    .split(/[.;:!?()]+|,\s*(?:then|and|or)\b|\s(?:then|and then)\s|\band\s(?=\w+\s)/);
  for (const raw of clauses) {
    // A run of separators gives one empty clause per character: skip them before any pattern runs.
    if (raw === "") continue;
    const clause = raw
      .trim()
      .replace(/^[-*\d.)\s]+/, "")
      .replace(LEAD_INS, "");
    if (!clause) continue;
    let level: BloomLevel | undefined;
    for (const [re, l] of STEMS)
      if (re.test(clause)) {
        level = l;
        break;
      }
    if (!level) {
      const words = clause.match(/[a-z]+/g) ?? [];
      for (const w of words.slice(0, 3)) {
        level = verbLevel(w);
        if (level) break;
      }
    }
    if (level) {
      const rank = BLOOM_LEVELS.indexOf(level);
      best = best === undefined ? rank : Math.max(best, rank);
    }
  }
  return best === undefined ? undefined : BLOOM_LEVELS[best];
}

export type RigorItem = { id: string; text: string };
export type RatedItem = RigorItem & { level: BloomLevel | undefined; by: "model" | "verbs" | "none" };

export type Rigor = {
  items: RatedItem[];
  higher: number;
  total: number;
  /** Share of tasks at analyse, evaluate or create (0 when there are none). */
  share: number;
  /** Grade 3 and up with fewer than a third of tasks higher-order. */
  tooLow: boolean;
};

/** Each item's level: the model's label when it gave a valid one, else the verb lists. */
export function rateRigor(items: readonly RigorItem[], grade: number, modelLabels: Record<string, unknown> = {}): Rigor {
  const rated: RatedItem[] = items.map((item) => {
    const label = normaliseLevel(modelLabels[item.id]);
    if (label) return { ...item, level: label, by: "model" };
    const level = bloomByVerbs(item.text);
    return { ...item, level, by: level ? "verbs" : "none" };
  });
  const higher = rated.filter((r) => r.level && HIGHER_ORDER.has(r.level)).length;
  const total = rated.length;
  const share = total === 0 ? 0 : higher / total;
  return { items: rated, higher, total, share, tooLow: grade >= RIGOR_FROM_GRADE && total > 0 && share < MIN_HIGHER_SHARE };
}

/** "analyze" and "Analysis" both mean analyse; anything else is no label. */
export function normaliseLevel(value: unknown): BloomLevel | undefined {
  if (typeof value !== "string") return undefined;
  const v = value.trim().toLowerCase();
  if (/^remem/.test(v) || v === "knowledge") return "remember";
  if (/^(underst|compreh)/.test(v)) return "understand";
  if (/^appl/.test(v)) return "apply";
  if (/^analy/.test(v)) return "analyse";
  if (/^evalu/.test(v)) return "evaluate";
  if (/^(creat|synth)/.test(v)) return "create";
  return undefined;
}

/** How many more higher-order tasks bring the share to a third. */
export function higherOrderNeeded(rigor: Pick<Rigor, "higher" | "total">): number {
  return Math.max(0, Math.ceil(rigor.total * MIN_HIGHER_SHARE - 1e-9) - rigor.higher);
}

/** "3 of 8 tasks (38%) at analyse, evaluate or create". */
export function describeRigor(rigor: Pick<Rigor, "higher" | "total" | "share">): string {
  if (rigor.total === 0) return "no tasks to rate";
  return `${rigor.higher} of ${rigor.total} tasks and questions (${Math.round(rigor.share * 100)}%) at analyse, evaluate or create (Bloom)`;
}

/** The offline raise: a lower-order task gets a follow-up that asks students to justify or compare. */
export function raiseTask(text: string): string {
  // From the start of a run only: a run of dots not at the end is then scanned once, not from each dot.
  const base = text.trim().replace(/(?<![.?!])[.?!]+$/, "");
  return `${base}, then compare it with a partner's and decide which is best.`;
}
