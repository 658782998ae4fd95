// Standards grounding, pure: pick candidate rows from the loaded set (grade, subject, topic words), keep only
// chosen codes that are candidates, and strip code-like tokens that are not in the set from generated text.
import { CODE_LIKE, looksLikeCode } from "../../quality/codes.ts";
import type { StandardRow, StandardsSet } from "./load.ts";
import { subjectKey } from "./load.ts";

export type Candidate = {
  code: string;
  framework: string;
  grade: string;
  subject: string;
  description: string;
  score: number;
  caseId?: string;
};

/**
 * grounded: a set is loaded and rows were considered; unloaded: no set, name standards in words only;
 * none: the teacher asked for no standards.
 */
export type CandidateMode = "grounded" | "unloaded" | "none";

export type CandidateSet = {
  mode: CandidateMode;
  candidates: Candidate[];
  /** Sentence for the model on what it may do, so one prompt serves every mode. */
  instructions: string;
};

export type GroundedStandard = { code: string; framework: string; description: string; reason: string; caseId?: string };

export type GroundedStandards = {
  mode: CandidateMode;
  /** Only codes from the loaded set, with the set's own text. */
  standards: GroundedStandard[];
  /** Standards to confirm, in words and without codes. */
  toConfirm: string[];
  /** Codes the model gave that were not candidates (dropped). */
  dropped: string[];
};

export type StandardsChoice = { standards: { code: string; reason: string }[]; toConfirm: string[] };

export type CandidateQuery = { grade: string; subject: string; topic: string; framework?: string; objectives?: string };

const STOPWORDS = new Set(
  "a an and are as at be by for from how in into is it its of on or our that the their them this to using use with what when why will students student learn learning lesson unit about understand".split(
    " ",
  ),
);

/** Lower-case word stems (plural and -ing/-ed endings trimmed) without stop words. */
export function stems(text: string): Set<string> {
  const out = new Set<string>();
  for (const raw of text.toLowerCase().match(/[a-z]+/g) ?? []) {
    if (raw.length < 3 || STOPWORDS.has(raw)) continue;
    out.add(stem(raw));
  }
  return out;
}

function stem(word: string): string {
  let w = word;
  if (w.endsWith("ies") && w.length > 4) w = `${w.slice(0, -3)}y`;
  else if (/(ches|shes|sses|xes)$/.test(w)) w = w.slice(0, -2);
  else if (w.endsWith("s") && !w.endsWith("ss") && w.length > 3) w = w.slice(0, -1);
  if (w.endsWith("ing") && w.length > 5) w = w.slice(0, -3);
  else if (w.endsWith("ed") && w.length > 4) w = w.slice(0, -2);
  else if (w.endsWith("al") && w.length > 5) w = w.slice(0, -2);
  return w;
}

/**
 * Topic words teachers use that standards texts phrase differently ("solar system" vs "sun", "stars").
 * Related words count half as much as the topic's own words, so direct matches still rank first.
 */
const RELATED_WORDS: Record<string, string> = {
  solar: "sun star planet orbit moon earth gravity",
  planet: "sun star orbit moon earth gravity",
  space: "sun star planet moon earth gravity",
  moon: "earth sun orbit shadow",
  star: "sun brightness distance",
  season: "sun earth shadow daylight",
  weather: "climate precipitation temperature",
  ecosystem: "organism environment food energy",
  food: "organism energy plant animal",
  plant: "photosynthesis energy organism",
  photosynthesis: "plant energy light",
  force: "motion push pull gravity",
  energy: "motion heat light electric",
  fraction: "numerator denominator equivalent",
  decimal: "fraction place value",
  ratio: "rate proportional",
  story: "text literary character theme",
  poem: "poetry text literary",
  essay: "argument opinion writing claim",
  argument: "claim evidence reasoning opinion",
};

const RELATED = new Map(Object.entries(RELATED_WORDS).map(([k, v]) => [stem(k), [...stems(v)]]));

function relatedStems(topic: Set<string>): Set<string> {
  const out = new Set<string>();
  for (const w of topic) for (const r of RELATED.get(w) ?? []) if (!topic.has(r)) out.add(r);
  return out;
}

function frameworkMatches(row: StandardRow, framework: string | undefined): boolean {
  if (!framework) return true;
  const f = row.framework.toUpperCase();
  const wanted = framework.toUpperCase();
  if (wanted === "STATE") return !f.startsWith("CCSS") && !f.startsWith("NGSS");
  return f.startsWith(wanted) || wanted.startsWith(f);
}

/** Rows of the set that fit grade, subject and framework, ranked by topic (x2) and objective word overlap. */
export function pickCandidates(set: StandardsSet, query: CandidateQuery, limit = 8): CandidateSet {
  if (query.framework?.toLowerCase() === "none") {
    return {
      mode: "none",
      candidates: [],
      instructions: "The teacher asked for no standards: return an empty standards list and an empty toConfirm list.",
    };
  }
  if (set.rows.length === 0) {
    return {
      mode: "unloaded",
      candidates: [],
      instructions:
        "No standards set is loaded. Never write a standard code. Return an empty standards list, and in toConfirm name in plain words (no codes) the one to three standards the teacher should confirm in their own framework.",
    };
  }
  const subject = subjectKey(query.subject);
  const topic = stems(query.topic);
  const related = relatedStems(topic);
  const objectives = stems(query.objectives ?? "");
  const scored: Candidate[] = [];
  set.rows.forEach((row) => {
    if (!row.grades.includes(query.grade as StandardRow["grades"][number])) return;
    if (row.subjectKey !== subject) return;
    if (!frameworkMatches(row, query.framework)) return;
    const words = stems(row.description);
    let score = 0;
    for (const w of topic) if (words.has(w)) score += 2;
    for (const w of related) if (words.has(w)) score += 1;
    for (const w of objectives) if (words.has(w) && !topic.has(w)) score += 1;
    scored.push({
      code: row.code,
      framework: row.framework,
      grade: row.grade,
      subject: row.subject,
      description: row.description,
      score,
      ...(row.caseId ? { caseId: row.caseId } : {}),
    });
  });
  // Stable: ties keep file order.
  const ranked = scored.map((c, i) => ({ c, i })).sort((a, b) => b.c.score - a.c.score || a.i - b.i);
  const candidates = ranked.slice(0, limit).map(({ c }) => c);
  const instructions =
    candidates.length === 0
      ? "The loaded standards set has no entry for this grade and subject. Never write a standard code. Return an empty standards list, and in toConfirm name in plain words (no codes) the standards the teacher should confirm."
      : "Choose the one to three candidate standards this work addresses best, using only codes from the candidate list exactly as written. Never write any other code. If none fits, return an empty standards list and describe in toConfirm, in words without codes, what to confirm.";
  return { mode: "grounded", candidates, instructions };
}

/**
 * Keeps only chosen codes that are candidates, with the set's own text. When the model chose codes but none
 * survived, the best keyword matches stand in so the plan is still grounded (never invented).
 */
export function groundChoice(candidateSet: CandidateSet, choice: StandardsChoice | undefined): GroundedStandards {
  const byCode = new Map(candidateSet.candidates.map((c) => [c.code.toUpperCase(), c]));
  const dropped: string[] = [];
  const standards: GroundedStandard[] = [];
  const seen = new Set<string>();
  for (const pick of choice?.standards ?? []) {
    const found = byCode.get(String(pick.code).trim().toUpperCase());
    if (!found || candidateSet.mode !== "grounded") {
      dropped.push(String(pick.code));
      continue;
    }
    if (seen.has(found.code)) continue;
    seen.add(found.code);
    standards.push({
      code: found.code,
      framework: found.framework,
      description: found.description,
      reason: stripCodes(pick.reason ?? "", new Set()),
      ...(found.caseId ? { caseId: found.caseId } : {}),
    });
  }
  if (standards.length === 0 && dropped.length > 0 && candidateSet.mode === "grounded") {
    for (const c of candidateSet.candidates.filter((x) => x.score > 0).slice(0, 2)) {
      standards.push({
        code: c.code,
        framework: c.framework,
        description: c.description,
        reason: "Best match for the topic in the loaded standards set.",
        ...(c.caseId ? { caseId: c.caseId } : {}),
      });
    }
  }
  const toConfirm = (choice?.toConfirm ?? []).map((t) => stripCodes(String(t), new Set())).filter((t) => t.length > 3);
  return {
    mode: candidateSet.mode,
    standards: candidateSet.mode === "none" ? [] : standards,
    toConfirm: candidateSet.mode === "none" ? [] : toConfirm,
    dropped,
  };
}

/** Removes code-like tokens not in `allowed` (upper-case codes), tidying the brackets and spaces they leave. */
export function stripCodes(text: string, allowed: Set<string>): string {
  let changed = false;
  const out = text.replace(CODE_LIKE, (token) => {
    if (!looksLikeCode(token)) return token;
    const upper = token.toUpperCase();
    if (allowed.has(upper)) return token;
    // "CCSS.MATH.CONTENT.5.NF.A.1" cites an allowed short code: keep the short form.
    for (const code of allowed) if (upper.endsWith(`.${code}`)) return code;
    changed = true;
    return "";
  });
  if (!changed) return text;
  return out
    .replace(/\(\s*[,;]?\s*\)|\[\s*\]/g, "")
    .replace(/\s+([,.;:)])/g, "$1")
    .replace(/([(])\s+/g, "$1")
    .replace(/[ \t]{2,}/g, " ")
    .replace(/^\s*[,;:-]\s*/, "")
    .trim();
}

/** Deep copy of a value with every string passed through stripCodes. */
export function stripCodesDeep<T>(value: T, allowed: Set<string>): T {
  if (typeof value === "string") return stripCodes(value, allowed) as T;
  if (Array.isArray(value)) return value.map((v) => stripCodesDeep(v, allowed)) as T;
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, stripCodesDeep(v, allowed)])) as T;
  }
  return value;
}
