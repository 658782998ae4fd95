// Applies a quality stage's repair to the rendered node's output, renders the document, removes any code the
// loaded standards set does not hold, and adds the "Quality checks" footer: standards cited, reading level, rigor.
import type { ExecutionView } from "../../engine/records.ts";
import { WorkflowDefinition } from "../../engine/schema.ts";
import {
  checkCodes,
  describeCodes,
  describeReading,
  describeRigor,
  RIGOR_FROM_GRADE,
  type Rigor,
  rateRigor,
  readingLevel,
  removeCodes,
  stringsIn,
} from "../../quality/index.ts";
import { outputOf } from "../markdown.ts";
import { findStandard, type StandardsSet } from "../standards/load.ts";
import type { RenderedDocument, Template } from "../types.ts";
import type { QualitySpec } from "./specs.ts";
import { type QualityCheck, qualityDrafters, qualityStage, type Rewrite, stageIds } from "./stage.ts";

export const QUALITY_HEADING = "Quality checks";

/** A copy of `value` with the string at each dotted path replaced (paths that do not hold a string are left alone). */
export function patchPaths<T>(value: T, texts: ReadonlyMap<string, string>): T {
  const copy = structuredClone(value);
  for (const [path, text] of texts) {
    const parts = path.split(".");
    let at: unknown = copy;
    for (const p of parts.slice(0, -1)) at = at && typeof at === "object" ? (at as Record<string, unknown>)[p] : undefined;
    const last = parts[parts.length - 1]!;
    if (at && typeof at === "object" && typeof (at as Record<string, unknown>)[last] === "string") {
      (at as Record<string, unknown>)[last] = text;
    }
  }
  return copy;
}

/** Repaired texts by id: only ids the check sent for repair (the boundary already put any names back). */
function rewrites(view: ExecutionView, spec: QualitySpec, check: QualityCheck | undefined): Map<string, string> {
  const ids = stageIds(spec);
  const rewrite = outputOf<Rewrite>(view, ids.repair) ?? outputOf<Rewrite>(view, ids.skip);
  const asked = new Set((check?.items ?? []).map((i) => i.id));
  const out = new Map<string, string>();
  for (const item of rewrite?.items ?? []) {
    if (asked.has(item.id) && item.text.trim()) out.set(item.id, item.text);
  }
  return out;
}

export type Applied = { spec: QualitySpec; check: QualityCheck; repaired: Map<string, string>; output: unknown; offline: boolean };

/** The view with each checked node's output repaired, and what was checked. */
export function applyQuality(view: ExecutionView, specs: readonly QualitySpec[]): { view: ExecutionView; applied: Applied[] } {
  const applied: Applied[] = [];
  let nodes = view.nodes;
  for (const spec of specs) {
    const check = outputOf<QualityCheck>(view, stageIds(spec).check);
    const output = outputOf<unknown>(view, spec.source);
    if (!check || output === undefined) continue;
    const repaired = rewrites(view, spec, check);
    const patched = repaired.size > 0 ? patchPaths(output, repaired) : output;
    nodes = nodes.map((n) => (n.nodeId === spec.source ? { ...n, output: patched } : n));
    applied.push({ spec, check, repaired, output: patched, offline: view.provider === "offline" });
  }
  return { view: { ...view, nodes }, applied };
}

function gradeName(grade: number): string {
  return grade === 0 ? "kindergarten" : `grade ${grade}`;
}

/** Reading level and rigor of a checked output as the document shows it (after any repair). */
export function measureApplied(a: Applied) {
  const { spec, check } = a;
  const texts = spec.read(a.output).map((i) => i.text);
  const reading = texts.length > 0 ? readingLevel(texts, check.target ?? 12) : undefined;
  let rigor: Rigor | undefined;
  if (spec.tasks && check.rigor) {
    // Rewritten tasks are rated afresh from their verbs; the model's labels stand for the rest.
    const labels: Record<string, unknown> = {};
    for (const [id, level] of Object.entries(check.rigor.levels)) if (!a.repaired.has(id)) labels[id] = level;
    rigor = rateRigor(spec.tasks(a.output), check.target ?? 0, labels);
  }
  return { target: check.target, reading: reading && { ...reading, tooHard: check.target !== undefined && reading.tooHard }, rigor };
}

/** Footer lines for one checked output, measured again after any repair. */
export function qualityLines(a: Applied): string[] {
  const { spec, check } = a;
  const lines: string[] = [];
  const after = measureApplied(a);
  const target = check.target;
  if (after.reading) {
    let line =
      target === undefined
        ? `Reading level of ${spec.covers}: Flesch-Kincaid grade ${Math.max(0, after.reading.grade ?? 0).toFixed(1)} (no target grade given)`
        : `Reading level of ${spec.covers}: ${describeReading({ grade: after.reading.grade, target })}`;
    const relevelled = check.items.some((i) => i.relevel && a.repaired.has(i.id));
    if (check.reading.tooHard) {
      line += relevelled
        ? `; re-levelled once from grade ${check.reading.grade?.toFixed(1)}`
        : `; it read at grade ${check.reading.grade?.toFixed(1)} and could not be re-levelled`;
      if (after.reading.tooHard) line += ". Still above the target: simplify it before use";
    }
    lines.push(`${line}.`);
  }
  if (after.rigor && check.rigor) {
    const how =
      check.rigor.byModel > 0 && !a.offline
        ? "Bloom levels from the model's labels, checked with verb lists"
        : "Bloom levels from verb lists";
    let line = `Rigor: ${describeRigor(after.rigor).replace(/ \(Bloom\)$/, "")} (${how})`;
    if (check.rigor.tooLow) {
      const raised = check.items.some((i) => i.raise && a.repaired.has(i.id));
      line += raised ? `; raised once from ${check.rigor.higher} of ${check.rigor.total}` : "; below a third, and the repair did not run";
    } else if (target !== undefined && target < RIGOR_FROM_GRADE) {
      line += `; not required in ${gradeName(target)}`;
    }
    lines.push(`${line}.`);
  }
  return lines;
}

/**
 * The template with its quality stages: nodes after each checked node, their transforms, schemas and offline
 * drafters, and a renderer that applies the repairs, checks every code and adds the footer.
 */
export function withQuality(template: Template, specs: readonly QualitySpec[], standards: StandardsSet): Template {
  const def = template.workflow.definition;
  const stage = qualityStage(template.id, specs, def.inputs);
  const firstOf = (spec: QualitySpec) => (spec.tasks ? stageIds(spec).measure : stageIds(spec).check);
  const nodes = def.nodes.map((n) => {
    const spec = specs.find((s) => (s.after ?? s.source) === n.id);
    return spec ? { ...n, next: [...n.next, firstOf(spec)] } : n;
  });
  const definition = WorkflowDefinition.parse({ ...def, nodes: [...nodes, ...stage.nodes] });
  const groundsStandards = def.nodes.some((n) => n.id === "standards");
  const render = (view: ExecutionView): RenderedDocument => {
    const { view: repaired, applied } = applyQuality(view, specs);
    const doc = template.render(repaired);
    const lookup = (code: string) => findStandard(standards, code)?.framework;
    const check = checkCodes([doc.markdown], lookup);
    // Codes any step wrote that the set does not hold (most were already dropped by the steps themselves).
    const written = checkCodes(
      view.nodes.filter((n) => n.status === "completed" && n.nodeId !== "candidates").flatMap((n) => stringsIn(n.output)),
      lookup,
    ).unknown;
    const unknown = new Set(check.unknown);
    const markdown =
      unknown.size > 0
        ? doc.markdown
            .split("\n")
            .map((l) => removeCodes(l, unknown))
            .join("\n")
        : doc.markdown;
    const lines = [
      ...(groundsStandards || check.cited.length > 0 || written.length > 0 ? [describeCodes(check, written)] : []),
      ...applied.flatMap(qualityLines),
    ];
    if (lines.length === 0) return { ...doc, markdown };
    const footer = [`## ${QUALITY_HEADING}`, ...lines.map((l) => `- ${l}`), ""].join("\n");
    return { ...doc, markdown: `${markdown.replace(/\n*$/, "\n\n")}${footer}` };
  };
  const renderStep = (nodeId: string, output: unknown): string | undefined => {
    const spec = specs.find((s) => stageIds(s).check === nodeId);
    if (spec) {
      const c = output as QualityCheck;
      const parts = [
        c.reading.grade !== undefined && c.target !== undefined
          ? `reading level grade ${Math.max(0, c.reading.grade).toFixed(1)} (target ${gradeName(c.target)})`
          : undefined,
        c.rigor ? `${c.rigor.higher} of ${c.rigor.total} tasks at analyse/evaluate/create` : undefined,
      ].filter(Boolean);
      const verdict = c.needsRepair ? "one repair to make" : "no repair needed";
      return parts.length > 0 ? `Quality: ${parts.join(", ")}; ${verdict}.` : undefined;
    }
    if (specs.some((s) => stageIds(s).repair === nodeId)) return "Repair made; the document shows the rewritten text.";
    return template.renderStep?.(nodeId, output);
  };
  return {
    ...template,
    workflow: {
      ...template.workflow,
      definition,
      transforms: { ...template.workflow.transforms, ...stage.transforms },
      schemas: { ...template.workflow.schemas, ...stage.schemas },
    },
    drafters: { ...template.drafters, ...qualityDrafters },
    render,
    renderStep,
  };
}
