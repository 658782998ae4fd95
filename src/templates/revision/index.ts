// Revise any document by instruction: withRevision adds a revision path to a template's workflow. A run
// started with the internal `previousDraft` (the current version's Markdown) and `revisionInstruction`
// skips the template's own steps: the version is split into its `## ` sections, the model (or the
// instruction itself, "regenerate the exit ticket") decides which sections change, only those are
// rewritten, and the merge copies every other section verbatim. The teacher's instruction reaches the
// model as an instruction (INSTRUCTION_VAR), the document as fenced data.

import { z } from "zod";
import { buildGraph } from "../../engine/graph.ts";
import type { ExecutionView } from "../../engine/records.ts";
import { WorkflowDefinition } from "../../engine/schema.ts";
import { INSTRUCTION_VAR } from "../../privacy/fence.ts";
import { optionalTextField } from "../fields.ts";
import { outputOf, plural } from "../markdown.ts";
import { QUALITY_HEADING } from "../quality/render.ts";
import type { Drafter, RenderedDocument, Template } from "../types.ts";
import {
  REVISION_CHOICE,
  REVISION_SECTIONS,
  type RevisedDocument,
  RevisionChoice,
  type RevisionPlan,
  RevisionSections,
  type RevisionTargets,
} from "./schemas.ts";
import {
  joinSections,
  mentionedSections,
  mergeSections,
  namedSections,
  type SplitDocument,
  splitSections,
  withCoupled,
} from "./sections.ts";

export const REVISION_FIELDS = ["previousDraft", "revisionInstruction"] as const;
/** The section no revision rewrites: the quality report of how the document was made. */
const FIXED_HEADING = QUALITY_HEADING;
/** The node whose output is a revised version; its presence marks a run as a revision. */
export const REVISION_MERGE = "revise-merge";

export type RevisionOptions = {
  /** Sections that change together: revising one rewrites all (an assessment's questions and answer key). */
  coupled?: string[][];
  /** The documents that go with a revised version (an assessment's student copy and answer key), from its Markdown. */
  companions?: (markdown: string, view: ExecutionView, base: RenderedDocument | undefined) => RenderedDocument[];
};

export const revisionFields = {
  previousDraft: optionalTextField(
    {
      label: "Previous version",
      question: "Which version is being revised?",
      help: "Set by the chat core when revising: the current version's text.",
      example: "# Lesson plan: ...",
      internal: true,
    },
    { max: 60_000 },
  ),
  revisionInstruction: optionalTextField(
    {
      label: "Revision instruction",
      question: "What should change?",
      help: "Set by the chat core when the teacher replies in a document's thread asking for a change.",
      example: "Make the warm-up shorter",
      internal: true,
    },
    { max: 1000 },
  ),
};

const SYSTEM =
  "You are an experienced teacher and instructional coach revising a colleague's document exactly as they ask. Change only what the instruction asks for; everything else stays word for word.";

/** The transforms' pure work, exported for tests. */
export function planRevision(document: string, instruction: string, fixed: readonly string[] = [FIXED_HEADING]): RevisionPlan {
  const split = splitSections(document);
  const headings = split.sections.map((s) => s.heading).filter((h) => !fixed.includes(h));
  return { head: split.head, sections: split.sections, headings: headings.join("\n"), named: namedSections(instruction, headings) };
}

export function pickTargets(
  plan: RevisionPlan,
  choice: RevisionChoice | undefined,
  instruction: string,
  coupled: string[][],
): RevisionTargets {
  // Only the headings the plan offered (the quality report describes the first version and is never rewritten).
  const headings = plan.headings.split("\n").filter(Boolean);
  const chosen = (choice?.change ?? []).filter((h) => headings.includes(h.trim())).map((h) => h.trim());
  // Named sections decide alone; else the model's choice; else what the instruction mentions; else everything.
  const base =
    plan.named.length > 0
      ? plan.named
      : chosen.length > 0
        ? chosen
        : mentionedSections(instruction, headings).length > 0
          ? mentionedSections(instruction, headings)
          : (choice?.add.length ?? 0) > 0
            ? []
            : headings;
  const targets = withCoupled(base, coupled, headings);
  const add = plan.named.length > 0 ? [] : (choice?.add ?? []).map((h) => h.trim()).filter((h) => h !== "" && !headings.includes(h));
  const current = plan.sections
    .filter((s) => targets.includes(s.heading))
    .map((s) => `## ${s.heading}\n${s.body}`)
    .join("\n\n");
  return { targets, add, current, list: [...targets, ...add.map((a) => `${a} (new)`)].join("\n") };
}

export function mergeRevision(
  plan: RevisionPlan,
  pick: RevisionTargets,
  rewrite: { sections: { heading: string; markdown: string }[] },
): RevisedDocument {
  const current: SplitDocument = { head: plan.head, sections: plan.sections };
  const merged = mergeSections(
    current,
    pick.targets,
    rewrite.sections.map((s) => ({
      heading: s.heading.replace(/^#+\s*/, "").replace(/\s*\(new\)$/i, ""),
      body: stripHeading(s.markdown, s.heading),
    })),
    pick.add,
  );
  const before = new Map(plan.sections.map((s) => [s.heading, s.body]));
  return {
    markdown: joinSections(merged),
    changed: merged.sections.filter((s) => before.has(s.heading) && before.get(s.heading) !== s.body).map((s) => s.heading),
    added: merged.sections.filter((s) => !before.has(s.heading)).map((s) => s.heading),
  };
}

/** A model may repeat the section's heading line at the top of its body. */
function stripHeading(markdown: string, heading: string): string {
  const lines = markdown.replace(/^\s*\n/, "").split("\n");
  const first = lines[0]
    ?.replace(/^#+\s*/, "")
    .trim()
    .toLowerCase();
  return /^#{1,3}\s/.test(lines[0] ?? "") && first === heading.trim().toLowerCase() ? lines.slice(1).join("\n").trim() : markdown.trim();
}

const text = (v: unknown) => (typeof v === "string" ? v : "");

/** Offline: the choice from the instruction's own words; the rewrite marks each targeted section for the teacher. */
export const revisionDrafters: Record<string, Drafter> = {
  [REVISION_CHOICE]: (vars) => {
    const headings = text(vars.headings).split("\n").filter(Boolean);
    const instruction = text(vars[INSTRUCTION_VAR]);
    const named = namedSections(instruction, headings);
    const add = /\badd (?:an? |some |one )?([\p{L} -]{2,40}?)(?:\s+(?:section|to|at|for|after|before)\b|[.!,]|$)/iu
      .exec(instruction)?.[1]
      ?.trim();
    const mentioned = mentionedSections(instruction, headings);
    const change = named.length > 0 ? named : mentioned;
    return { change, add: add && change.length === 0 ? [add.replace(/^./, (c) => c.toUpperCase())] : [] };
  },
  [REVISION_SECTIONS]: (vars) => {
    const instruction = text(vars[INSTRUCTION_VAR]);
    const current = splitSections(text(vars.current)).sections;
    const listed = text(vars.list).split("\n").filter(Boolean);
    const note = `> Offline draft: change this section by hand to "${instruction}" (no AI model is configured).`;
    return {
      sections: listed.map((entry) => {
        const heading = entry.replace(/\s*\(new\)$/, "");
        const body = current.find((s) => s.heading === heading)?.body;
        return { heading, markdown: body === undefined ? `${note}` : `${note}\n\n${body}` };
      }),
    };
  },
};

/** The template with its revision path; a template that already revises its own drafts is returned as is. */
export function withRevision(template: Template, options: RevisionOptions = {}): Template {
  if (template.revisable) return template;
  const def = template.workflow.definition;
  const start = buildGraph(def).starts[0];
  if (!start) return template;
  const id = template.id;
  const coupled = options.coupled ?? [];
  const fn = (name: string) => `${id}.revision.${name}`;
  const definition = WorkflowDefinition.parse({
    ...def,
    inputs: [...def.inputs, ...REVISION_FIELDS.filter((f) => !def.inputs.includes(f))],
    nodes: [
      {
        id: "revision",
        kind: "condition",
        title: "New document or revision",
        branches: [{ when: [{ path: "inputs.revisionInstruction", op: "exists" }], to: "revise-split" }],
        otherwise: start,
      },
      ...def.nodes,
      {
        id: "revise-split",
        kind: "transform",
        title: "Read the current version",
        fn: fn("split"),
        in: { document: "inputs.previousDraft", instruction: "inputs.revisionInstruction" },
        next: ["revise-choose"],
      },
      {
        id: "revise-choose",
        kind: "agent",
        title: "Decide what changes",
        in: { [INSTRUCTION_VAR]: "inputs.revisionInstruction", headings: "nodes.revise-split.headings", document: "inputs.previousDraft" },
        system: SYSTEM,
        prompt: [
          "A teacher asks for a change to the document below.",
          `Teacher's instruction: {{${INSTRUCTION_VAR}}}`,
          "The document's sections, one heading per line:",
          "{{headings}}",
          "The document:",
          "{{document}}",
          "In `change`, list the headings (exactly as listed) of the sections that must change to follow the instruction, and no others.",
          "In `add`, list headings for any new section the instruction asks to add (usually none). Sections you do not list are kept word for word.",
        ].join("\n"),
        outputSchema: REVISION_CHOICE,
        temperature: 0,
        next: ["revise-pick"],
      },
      {
        id: "revise-pick",
        kind: "transform",
        title: "Decide what changes",
        fn: fn("pick"),
        in: { plan: "nodes.revise-split", choice: "nodes.revise-choose", instruction: "inputs.revisionInstruction" },
        next: ["revise-rewrite"],
      },
      {
        id: "revise-rewrite",
        kind: "agent",
        title: "Rewrite those sections",
        in: {
          [INSTRUCTION_VAR]: "inputs.revisionInstruction",
          list: "nodes.revise-pick.list",
          current: "nodes.revise-pick.current",
          document: "inputs.previousDraft",
        },
        system: SYSTEM,
        prompt: [
          "Revise part of a teacher's document as the teacher asks.",
          `Teacher's instruction: {{${INSTRUCTION_VAR}}}`,
          "Rewrite only these sections (one heading per line; (new) marks a section to add):",
          "{{list}}",
          "Their current text:",
          "{{current}}",
          "The whole document, for context only (do not return the other sections):",
          "{{document}}",
          "Return each listed section with its heading exactly as listed (without (new)) and its new Markdown body, without the ## heading line.",
          "Change only what the instruction asks; keep the document's language unless asked to translate; keep numbering, points, standards codes and placeholders such as [STUDENT_1] unless the instruction changes them.",
        ].join("\n"),
        outputSchema: REVISION_SECTIONS,
        temperature: 0.4,
        next: [REVISION_MERGE],
      },
      {
        id: REVISION_MERGE,
        kind: "transform",
        title: "Assemble the new version",
        fn: fn("merge"),
        in: { plan: "nodes.revise-split", pick: "nodes.revise-pick", rewrite: "nodes.revise-rewrite" },
      },
    ],
  });
  const transforms = {
    [fn("split")]: (input: Record<string, unknown>) => planRevision(text(input.document), text(input.instruction)),
    [fn("pick")]: (input: Record<string, unknown>) =>
      pickTargets(input.plan as RevisionPlan, input.choice as RevisionChoice | undefined, text(input.instruction), coupled),
    [fn("merge")]: (input: Record<string, unknown>) =>
      mergeRevision(
        input.plan as RevisionPlan,
        input.pick as RevisionTargets,
        input.rewrite as { sections: { heading: string; markdown: string }[] },
      ),
  };
  const inputSchema = template.inputSchema.extend(revisionFields);
  const render = (view: ExecutionView): RenderedDocument => {
    const revised = outputOf<RevisedDocument>(view, REVISION_MERGE);
    if (!revised) return template.render(view);
    return revisedDocument(template, view, revised.markdown, options);
  };
  const renderStep = (nodeId: string, output: unknown): string | undefined => {
    if (nodeId === "revise-pick") {
      const p = output as RevisionTargets;
      const parts = [...p.targets, ...p.add.map((a) => `${a} (new)`)];
      return parts.length > 0 ? `Changing: ${parts.join(", ")}.` : undefined;
    }
    if (nodeId === REVISION_MERGE) {
      const r = output as RevisedDocument;
      const kept = splitSections(r.markdown).sections.length - r.changed.length - r.added.length;
      return `${plural(r.changed.length + r.added.length, "section")} rewritten; ${plural(Math.max(0, kept), "section")} kept word for word.`;
    }
    return template.renderStep?.(nodeId, output);
  };
  return {
    ...template,
    inputSchema,
    workflow: {
      ...template.workflow,
      definition,
      inputSchema,
      transforms: { ...template.workflow.transforms, ...transforms },
      schemas: { ...template.workflow.schemas, [REVISION_CHOICE]: RevisionChoice, [REVISION_SECTIONS]: RevisionSections },
    },
    drafters: { ...template.drafters, ...revisionDrafters },
    render,
    renderStep,
    revisable: true,
    revision: "sections",
  };
}

/** A revised version as a document: the title and file name the template gives the request, its companions from the Markdown. */
function revisedDocument(template: Template, view: ExecutionView, markdown: string, options: RevisionOptions): RenderedDocument {
  let base: RenderedDocument | undefined;
  try {
    base = template.render(view);
  } catch {
    base = undefined;
  }
  const title = base?.title ?? /^# (.+)$/m.exec(markdown)?.[1]?.trim() ?? template.title;
  const filename = base?.filename ?? `${template.id}.md`;
  const companions = options.companions?.(markdown, view, base) ?? [];
  return { title, markdown, filename, ...(companions.length > 0 ? { companions } : {}) };
}

/** For callers checking an input object: the revision fields' schema alone. */
export const RevisionInputs = z.object(revisionFields);
