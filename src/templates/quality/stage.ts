// The quality stage appended to a template: measure the reading level (and rigor, with the model's Bloom
// labels) of the rendered node's output, and when it is off make one repair call through the engine. The
// repair's rewrites are applied when the document is rendered (render.ts), so no step ever needs to read a
// step that may have been skipped. Model calls go through the engine's provider, so the privacy boundary
// redacts them like any other step's.
import { z } from "zod";
import type { TransformFn } from "../../engine/api.ts";
import type { WorkflowNodeInput } from "../../engine/schema.ts";
import { STEP_INSTRUCTION_VAR } from "../../privacy/fence.ts";
import {
  BLOOM_LEVELS,
  gradeNumber,
  HIGHER_ORDER,
  higherOrderNeeded,
  type RatedItem,
  raiseTask,
  rateRigor,
  readingLevel,
  simplify,
} from "../../quality/index.ts";
import { parseGrade } from "../fields.ts";
import type { Drafter } from "../types.ts";
import type { QualitySpec, TextItem } from "./specs.ts";

export const BLOOM_SCHEMA = "quality.bloom";
export const REWRITE_SCHEMA = "quality.rewrite";

export const BloomLabels = z.object({
  labels: z.array(z.object({ id: z.string().max(80), level: z.enum(BLOOM_LEVELS) })).max(80),
});
export type BloomLabels = z.infer<typeof BloomLabels>;

export const Rewrite = z.object({ items: z.array(z.object({ id: z.string().max(80), text: z.string().min(1).max(1500) })).max(80) });
export type Rewrite = z.infer<typeof Rewrite>;

/** An item sent for repair, with what to do to it. */
export type RepairItem = TextItem & { relevel: boolean; raise: boolean };

/** What the check step decides; persisted as its output and read by the renderer. */
export type QualityCheck = {
  target: number | undefined;
  reading: { grade: number | undefined; words: number; tooHard: boolean };
  rigor?: { higher: number; total: number; share: number; tooLow: boolean; byModel: number; levels: Record<string, string | undefined> };
  needsRepair: boolean;
  items: RepairItem[];
  instructions: string;
};

/** Node ids of one spec's stage. */
export function stageIds(spec: QualitySpec) {
  const s = spec.source;
  return {
    measure: `${s}-tasks`,
    bloom: `${s}-bloom`,
    check: `${s}-check`,
    route: `${s}-route`,
    repair: `${s}-repair`,
    skip: `${s}-repair-skip`,
  };
}

/** The target grade: the grade input, else a grade named in the teacher's text ("grade 5", "7th grade"), else none. */
export function targetGrade(spec: QualitySpec, inputs: Record<string, unknown>): number | undefined {
  if ("fixed" in spec.grade) return spec.grade.fixed;
  const given = gradeNumber(inputs[spec.grade.input]);
  if (given !== undefined) return given;
  const text = (spec.gradeHints ?? [])
    .map((f) => inputs[`hint_${f}`] ?? inputs[f])
    .filter((v) => typeof v === "string")
    .join(" ");
  const named = /\b(?:grade\s+(\d{1,2}|k)|(\d{1,2})(?:st|nd|rd|th)[- ]grade|year\s+(\d{1,2}))\b/i.exec(text);
  if (!named) return undefined;
  return gradeNumber(parseGrade(named[0]));
}

/** The check: reading level and rigor against the target grade, and the items a repair should rewrite. */
export function checkQuality(spec: QualitySpec, output: unknown, inputs: Record<string, unknown>, labels?: BloomLabels): QualityCheck {
  const target = targetGrade(spec, inputs);
  const read = spec.read(output);
  const level = readingLevel(
    read.map((i) => i.text),
    target ?? 12,
  );
  const reading = { grade: level.grade, words: level.words, tooHard: target !== undefined && level.tooHard };
  let rigorOut: QualityCheck["rigor"];
  let raiseIds = new Set<string>();
  if (spec.tasks) {
    const tasks = spec.tasks(output);
    const modelLabels = Object.fromEntries((labels?.labels ?? []).map((l) => [l.id, l.level]));
    const rigor = rateRigor(tasks, target ?? 0, modelLabels);
    rigorOut = {
      higher: rigor.higher,
      total: rigor.total,
      share: rigor.share,
      tooLow: rigor.tooLow,
      byModel: rigor.items.filter((i) => i.by === "model").length,
      levels: Object.fromEntries(rigor.items.map((i) => [i.id, i.level])),
    };
    if (rigor.tooLow) raiseIds = new Set(lowest(rigor.items, higherOrderNeeded(rigor)).map((i) => i.id));
  }
  const relevel = reading.tooHard;
  const byId = new Map<string, TextItem>();
  for (const i of relevel ? read : []) byId.set(i.id, i);
  for (const i of spec.tasks?.(output) ?? []) if (raiseIds.has(i.id)) byId.set(i.id, i);
  const items: RepairItem[] = [...byId.values()].map((i) => ({
    ...i,
    relevel: relevel && read.some((r) => r.id === i.id),
    raise: raiseIds.has(i.id),
  }));
  const instructions = [
    relevel && target !== undefined
      ? `The text reads at about grade ${level.grade}, but it is for ${spec.audience === "families" ? "families" : `grade ${target === 0 ? "K" : target} students`}: for items marked relevel, use shorter sentences and everyday words (aim for grade ${target === 0 ? "K" : target}), keeping every fact, number, date and name.`
      : "",
    raiseIds.size > 0
      ? "For items marked raise, rewrite the task or question so students analyse, evaluate or create (compare, explain why, justify with evidence, design), on the same content and at the same grade; for a question, keep the same correct answer."
      : "",
  ]
    .filter(Boolean)
    .join(" ");
  return { target, reading, ...(rigorOut ? { rigor: rigorOut } : {}), needsRepair: items.length > 0, items, instructions };
}

/** The lowest-rated tasks first (unrated count as lowest), `n` of them. */
function lowest(items: readonly RatedItem[], n: number): RatedItem[] {
  const rank = (i: RatedItem) => (i.level ? BLOOM_LEVELS.indexOf(i.level) : -1);
  return items
    .filter((i) => !(i.level && HIGHER_ORDER.has(i.level)))
    .map((i, index) => ({ i, index }))
    .sort((a, b) => rank(a.i) - rank(b.i) || a.index - b.index)
    .slice(0, n)
    .map(({ i }) => i);
}

/** Transforms, schemas, drafters and nodes of the stages for one template's specs. */
export function qualityStage(templateId: string, specs: readonly QualitySpec[], declared: readonly string[]) {
  const transforms: Record<string, TransformFn> = {};
  const nodes: WorkflowNodeInput[] = [];
  for (const spec of specs) {
    const ids = stageIds(spec);
    const fn = (step: string) => `quality.${templateId}.${spec.source}.${step}`;
    const has = (field: string | undefined): field is string => field !== undefined && declared.includes(field);
    const gradeField = "input" in spec.grade ? spec.grade.input : undefined;
    const gradeIn: Record<string, string> = has(gradeField) ? { grade: `inputs.${gradeField}` } : {};
    // Without a grade input the target grade may be named in the teacher's text ("for my 7th grade class").
    const hintIn: Record<string, string> = Object.fromEntries((spec.gradeHints ?? []).filter(has).map((f) => [`hint_${f}`, `inputs.${f}`]));
    transforms[fn("tasks")] = (input) => ({ tasks: spec.tasks?.(input.output) ?? [] });
    transforms[fn("check")] = (input) => {
      const inputs: Record<string, unknown> = { ...input };
      if (gradeField) inputs[gradeField] = input.grade;
      return checkQuality(spec, input.output, inputs, input.labels as BloomLabels | undefined);
    };
    transforms[fn("skip")] = () => ({ items: [] });
    const checkIn = { output: `nodes.${spec.source}`, ...gradeIn, ...hintIn };
    if (spec.tasks) {
      nodes.push(
        {
          id: ids.measure,
          kind: "transform",
          title: "List tasks and questions",
          fn: fn("tasks"),
          in: { output: `nodes.${spec.source}` },
          next: [ids.bloom],
        },
        {
          id: ids.bloom,
          kind: "agent",
          title: "Label thinking levels (Bloom)",
          in: { tasks: `nodes.${ids.measure}.tasks`, ...gradeIn },
          system: "You are an instructional coach who rates classroom tasks by Bloom's revised taxonomy.",
          prompt: [
            "Label each task or question with the Bloom level it asks of students: remember, understand, apply, analyse, evaluate or create.",
            "Rate what students must actually do, not the verb alone.",
            "Tasks (id and text): {{tasks}}",
            "Answer with JSON: labels, one per task, each with its id copied exactly and its level.",
          ].join("\n"),
          outputSchema: BLOOM_SCHEMA,
          temperature: 0,
          onError: `${ids.bloom}-skip`,
          next: [ids.check],
        },
        { id: `${ids.bloom}-skip`, kind: "transform", fn: fn("skip"), in: {} },
      );
    }
    nodes.push(
      {
        id: ids.check,
        kind: "transform",
        title: spec.tasks ? "Check reading level and rigor" : "Check reading level",
        fn: fn("check"),
        in: spec.tasks ? { ...checkIn, labels: `nodes.${ids.bloom}` } : checkIn,
        next: [ids.route],
      },
      {
        id: ids.route,
        kind: "condition",
        title: "Repair needed?",
        branches: [{ when: [{ path: `nodes.${ids.check}.needsRepair`, op: "truthy" }], to: ids.repair }],
      },
      {
        id: ids.repair,
        kind: "agent",
        title: spec.tasks ? "Re-level and raise rigor" : "Re-level the text",
        // The check's instructions are the template's own words: an instruction to the model, not fenced data.
        in: { items: `nodes.${ids.check}.items`, [STEP_INSTRUCTION_VAR]: `nodes.${ids.check}.instructions` },
        system:
          "You are an experienced teacher editing classroom text. You change only what you are asked to, keep every fact, number, date, name and placeholder in square brackets, and never add a standard code.",
        prompt: [
          `Rewrite these items. {{${STEP_INSTRUCTION_VAR}}}`,
          "Items (id, text, and what to do: relevel and/or raise): {{items}}",
          "Answer with JSON: items, each with its id copied exactly and the rewritten text.",
        ].join("\n"),
        outputSchema: REWRITE_SCHEMA,
        temperature: 0.3,
        onError: ids.skip,
      },
      { id: ids.skip, kind: "transform", fn: fn("skip"), in: {} },
    );
  }
  const schemas = { [BLOOM_SCHEMA]: BloomLabels, [REWRITE_SCHEMA]: Rewrite };
  return { transforms, nodes, schemas };
}

/** Offline model: Bloom labels from the verb lists, and a deterministic re-level/raise. */
export const qualityDrafters: Record<string, Drafter> = {
  [BLOOM_SCHEMA]: (vars): BloomLabels => {
    const tasks = (vars.tasks ?? []) as TextItem[];
    const rated = rateRigor(tasks, 0).items;
    return { labels: rated.flatMap((r) => (r.level ? [{ id: r.id, level: r.level }] : [])) };
  },
  [REWRITE_SCHEMA]: (vars): Rewrite => {
    const items = (vars.items ?? []) as RepairItem[];
    return {
      items: items.map((i) => {
        let text = i.relevel ? simplify(i.text) : i.text;
        if (i.raise) text = raiseTask(text);
        return { id: i.id, text: text.slice(0, 1500) };
      }),
    };
  },
};
