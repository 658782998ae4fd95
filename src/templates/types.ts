// The Template type: a teacher workflow as data (zod input schema with question metadata, a workflow
// definition, offline drafters and a renderer). The conversation layer reads the schema alone.
import type { z } from "zod";
import type { RegisteredWorkflow } from "../engine/api.ts";
import type { ExecutionView } from "../engine/records.ts";
import type { Drafter } from "../model/types.ts";

/**
 * Offline draft for one output schema: given the agent node's mapped inputs (`vars`) and the request,
 * returns the structured answer (an object fitting the schema) or text. Deterministic.
 */
/** One Drafter type, the model layer's. */
export type { Drafter };

/**
 * Metadata every input field carries via `.meta(...)` (zod 4); read it with `fieldMeta(schema, name)`.
 * `internal` fields are never asked by the conversation (e.g. revision inputs).
 */
export type FieldMeta = {
  question: string;
  help: string;
  example: string;
  label: string;
  /** Never asked by the conversation (e.g. revision inputs set by the chat core). */
  internal?: boolean;
  /** Display order and labels of an enum's values (the values themselves come from the z.enum). */
  choices?: { value: string; label: string }[];
  /**
   * Other keys a teacher may type for this field (`student:` for studentName, `about:` for purpose). The
   * request parser, the CLI's key=value reading and the usage hints all read them from here.
   */
  aliases?: string[];
  /** Several lines expected (student work, a class profile): forms show a multiline input. */
  multiline?: boolean;
  /** How the draft's root message names the field when it was not given ("no class profile"). */
  absent?: string;
  /**
   * Remembered for the teacher's next request of the same template: per template, or per template and
   * subject (a framework or grade that fits science need not fit math). Not remembered when absent.
   */
  remember?: "template" | "subject";
  /**
   * A choice fits only some values of another field (a standards framework and the subject): forms offer the
   * choices that fit when that field is known, and the request check refuses a pair that does not fit.
   */
  fitsWith?: ChoiceFit;
};

export type ChoiceFit = { field: string; fits: (choice: string, other: string) => boolean };

/** A rendered final document with stable headings. */
export type RenderedDocument = {
  title: string;
  markdown: string;
  filename: string;
  /** Further documents made from the same run and exported beside it (an assessment's student copy and answer key). */
  companions?: RenderedDocument[];
};

export type Template = {
  /** Workflow id: "lesson-plan" | "assessment" | "student-feedback" | "parent-message" | admin ids. */
  id: string;
  /** Slash command without the slash: "lesson-plan", "assessment", "feedback", "parent-message". */
  command: string;
  title: string;
  description: string;
  /** Every field has `.meta(FieldMeta)`; enums via z.enum; optional fields `.optional()`; numbers bounded. */
  inputSchema: z.ZodObject<z.ZodRawShape>;
  /** What the engine registers: definition (inputs = Object.keys(shape)), inputSchema, transforms, schemas. */
  workflow: RegisteredWorkflow;
  /** Offline drafts keyed by output schema name. */
  drafters: Record<string, Drafter>;
  /** Final document from a completed execution; marked as an offline draft when `view.provider === "offline"`. */
  render(view: ExecutionView): RenderedDocument;
  /** Short Markdown for one node's result as it lands in the thread (undefined: nothing to show). */
  renderStep?(nodeId: string, output: unknown): string | undefined;
  /** Handles student data (keep to staff spaces). */
  studentData: boolean;
  /**
   * Drafts can be revised: start again with the original inputs plus internal `previousDraft` and
   * `revisionInstruction`, e.g. `engine.start(id, { inputs: { ...original, previousDraft, revisionInstruction } })`.
   */
  revisable?: boolean;
  /**
   * "sections": revised by withRevision (only the sections an instruction touches are rewritten); its first
   * version is the document itself, unlabelled. Unset: the template revises its own drafts (feedback).
   */
  revision?: "sections";
  /** "builtin" or the admin file it came from. */
  source?: string;
};

/** A problem found while loading standards or admin templates. */
export type LoadProblem = { file: string; path: string; message: string };
