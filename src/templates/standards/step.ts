// The "research standards" stage shared by lesson plans and assessments: a transform picks candidate rows,
// the agent may only choose among candidate codes, and a transform after it keeps only candidates.
import { z } from "zod";
import type { TransformFn } from "../../engine/api.ts";
import type { WorkflowNodeInput } from "../../engine/schema.ts";
import type { Logger } from "../../log.ts";
import { silentLogger } from "../../log.ts";
import { topicPhrase } from "../text.ts";
import type { Drafter } from "../types.ts";
import type { StandardsSet } from "./load.ts";
import { type CandidateSet, groundChoice, pickCandidates, type StandardsChoice } from "./match.ts";

export const STANDARDS_CHOICE = "standards.choice";

/** Above this many codes an enum makes the JSON schema too large for some endpoints; the ground transform still filters. */
const MAX_ENUM_CODES = 250;

/** The agent's answer: codes constrained to the loaded set's codes (the ground transform narrows to candidates). */
export function standardsChoiceSchema(set: StandardsSet) {
  const codes = set.rows.map((r) => r.code);
  const code =
    codes.length > 0 && codes.length <= MAX_ENUM_CODES
      ? z.enum(codes as [string, ...string[]], { error: "must be one of the candidate codes, written exactly" })
      : z.string().max(60);
  return z.object({
    standards: z.array(z.object({ code, reason: z.string().max(400) })).max(6),
    toConfirm: z.array(z.string().max(300)).max(5),
  });
}

/** Deterministic choice: the best keyword matches, or standards to confirm in words. */
export function draftStandardsChoice(candidateSet: CandidateSet | undefined, vars: Record<string, unknown>): StandardsChoice {
  const grade = String(vars.grade ?? "");
  const subject = String(vars.subject ?? "the subject");
  const topic = topicPhrase(String(vars.topic ?? "the topic"));
  const gradeLabel = grade === "K" ? "kindergarten" : `grade ${grade}`;
  if (!candidateSet || candidateSet.mode === "none") return { standards: [], toConfirm: [] };
  // Only strong matches: a single shared word ("sun") is not enough when a row shares several.
  const top = candidateSet.candidates[0]?.score ?? 0;
  const best = candidateSet.candidates.filter((c) => c.score > 0 && c.score >= Math.max(2, top * 0.75)).slice(0, 3);
  if (best.length > 0) {
    return {
      standards: best.map((c) => ({ code: c.code, reason: `Matches the topic "${topic}" for ${gradeLabel} ${subject}.` })),
      toConfirm: [],
    };
  }
  return {
    standards: [],
    toConfirm: [
      `Your framework's ${gradeLabel} ${subject} standard that covers ${topic}.`,
      `Any ${subject} practice standard (such as reasoning, modelling or explaining thinking) this lesson builds.`,
    ],
  };
}

export type StandardsStepOptions = { logger?: Logger };

/**
 * Transforms, schema and drafter of the stage, bound to one standards set. Register them with each template
 * that uses the stage (the names are shared, the functions identical).
 */
export function standardsStage(set: StandardsSet, options: StandardsStepOptions = {}) {
  const logger = options.logger ?? silentLogger;
  const transforms: Record<string, TransformFn> = {
    "standards.candidates": (input) =>
      pickCandidates(set, {
        grade: String(input.grade ?? ""),
        subject: String(input.subject ?? ""),
        topic: String(input.topic ?? ""),
        framework: typeof input.framework === "string" ? input.framework : undefined,
        objectives: typeof input.objectives === "string" ? input.objectives : undefined,
      }),
    "standards.ground": (input) => {
      const grounded = groundChoice(input.candidates as CandidateSet, input.choice as StandardsChoice | undefined);
      if (grounded.dropped.length > 0) {
        // Codes only, never teacher text: a model citing codes outside the candidates is worth knowing about.
        logger.debug(
          { dropped: grounded.dropped, kept: grounded.standards.map((s) => s.code) },
          "dropped standard codes outside the candidate set",
        );
      }
      return grounded;
    },
    // Stands in for the research agent when it fails for good (e.g. it kept answering with codes outside the set).
    "standards.fallback": (input) => draftStandardsChoice(input.candidates as CandidateSet, input),
  };
  const schemas = { [STANDARDS_CHOICE]: standardsChoiceSchema(set) };
  const drafters: Record<string, Drafter> = {
    [STANDARDS_CHOICE]: (vars) => draftStandardsChoice(vars.candidates as CandidateSet | undefined, vars),
  };
  return { transforms, schemas, drafters };
}

/**
 * The stage's nodes: candidates -> research (agent, with a deterministic fallback) -> standards, then `next`.
 * The workflow must declare grade, subject and topic inputs; `framework`/`objectives` are optional input names.
 */
export function standardsNodes(opts: { next: string; framework?: string; objectives?: string; purpose: string }): WorkflowNodeInput[] {
  const optional: Record<string, string> = {};
  if (opts.framework) optional.framework = `inputs.${opts.framework}`;
  if (opts.objectives) optional.objectives = `inputs.${opts.objectives}`;
  const about = { grade: "inputs.grade", subject: "inputs.subject", topic: "inputs.topic" };
  return [
    {
      id: "candidates",
      kind: "transform",
      title: "Find matching standards",
      fn: "standards.candidates",
      in: { ...about, ...optional },
      next: ["research"],
    },
    {
      id: "research",
      kind: "agent",
      title: "Research standards",
      in: { ...about, ...(opts.objectives ? { objectives: `inputs.${opts.objectives}` } : {}), candidates: "nodes.candidates" },
      system:
        "You are an experienced curriculum coordinator. You never invent standard codes: you only use codes from the candidate list you are given, copied exactly.",
      prompt: [
        `Choose the standards for ${opts.purpose} on "{{topic}}" for grade {{grade}} {{subject}}.`,
        opts.objectives ? "Teacher's objectives (may be empty): {{objectives}}" : "",
        "Rules: {{candidates.instructions}}",
        "Candidate standards (code, framework, text, keyword score):",
        "{{candidates.candidates}}",
        "Answer with JSON: standards (each with code and a one-sentence reason) and toConfirm (plain-language notes, no codes).",
      ]
        .filter(Boolean)
        .join("\n"),
      outputSchema: STANDARDS_CHOICE,
      temperature: 0.2,
      onError: "research-fallback",
      next: ["standards"],
    },
    {
      id: "standards",
      kind: "transform",
      title: "Check standards against the loaded set",
      fn: "standards.ground",
      in: { candidates: "nodes.candidates", choice: "nodes.research" },
      next: [opts.next],
    },
    { id: "research-fallback", kind: "transform", fn: "standards.fallback", in: { ...about, candidates: "nodes.candidates" } },
  ];
}
