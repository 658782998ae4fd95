// Admin-added templates: JSON or YAML files in STAFFROOM_TEMPLATES_DIR become Templates like the built-in ones.
// Every problem of every file is reported with its file and path; bad files are skipped, good ones still load.
import { readdir } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { z } from "zod";
import { readWorkflowFile } from "../engine/load.ts";
import type { ExecutionView } from "../engine/records.ts";
import { NodeId, WorkflowDefinition } from "../engine/schema.ts";
import { validateWorkflow } from "../engine/validate.ts";
import { choiceField, countField, optional } from "./fields.ts";
import { bullets, filenameFor, offlineNote, oneLine } from "./markdown.ts";
import type { FieldMeta, LoadProblem, RenderedDocument, Template } from "./types.ts";

const Name = z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,39}$/, "names start with a letter and use letters, digits or _ (at most 40)");

const AdminInput = z
  .object({
    name: Name,
    type: z.enum(["string", "integer", "number", "enum"]),
    label: z.string().min(1).max(60).optional(),
    question: z.string().min(3, "every input needs a question to ask").max(300),
    help: z.string().min(1, "every input needs help text").max(500),
    example: z.union([z.string(), z.number()]).transform(String),
    choices: z
      .array(z.union([z.string().min(1), z.object({ value: z.string().min(1), label: z.string().min(1) })]))
      .min(2, "give at least two choices")
      .max(25, "at most 25 choices")
      .optional(),
    required: z.boolean().default(true),
    min: z.number().optional(),
    max: z.number().optional(),
    /** Other keys teachers may type for it (`about:` for a topic); the field table carries them everywhere. */
    aliases: z.array(z.string().trim().min(1).max(40)).max(10).optional(),
    /** Several lines expected: a multiline input in forms. */
    multiline: z.boolean().optional(),
    /** How the draft's first message names it when it was not given ("no rubric"). */
    absent: z.string().trim().min(1).max(80).optional(),
  })
  .strict()
  .superRefine((input, ctx) => {
    if (input.type === "enum" && !input.choices)
      ctx.addIssue({ code: "custom", path: ["choices"], message: 'an "enum" input needs choices' });
    if (input.type !== "enum" && input.choices)
      ctx.addIssue({ code: "custom", path: ["choices"], message: 'choices are only for "enum" inputs' });
    if (input.min !== undefined && input.max !== undefined && input.min > input.max)
      ctx.addIssue({ code: "custom", path: ["min"], message: "min is greater than max" });
  });
type AdminInput = z.infer<typeof AdminInput>;

const SectionPath = z
  .string()
  .regex(/^nodes\.[A-Za-z][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*$/, "from looks like nodes.write or nodes.write.questions");

export const AdminTemplateFile = z
  .object({
    id: WorkflowDefinition.shape.id,
    version: z.number().int().positive(),
    title: z.string().min(1).max(120),
    command: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,31}$/, "commands are lower-case words joined by - (at most 32 characters), without the slash")
      .optional(),
    description: z
      .string()
      .min(1, "describe what the template makes, in a sentence")
      .max(100, "keep the description under 100 characters (slash commands show it)"),
    studentData: z.boolean().default(false),
    inputs: z.array(AdminInput).min(1, "declare at least one input"),
    nodes: z.array(z.unknown()).min(1, "declare at least one node"),
    /** Structured output schemas (JSON Schema) agent nodes may name in outputSchema. */
    schemas: z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/), z.record(z.string(), z.unknown())).optional(),
    maxParallel: z.number().int().min(1).max(64).optional(),
    retry: z.unknown().optional(),
    onFailure: NodeId.optional(),
    document: z
      .object({ sections: z.array(z.object({ heading: z.string().min(1).max(120), from: SectionPath }).strict()).min(1) })
      .strict()
      .optional(),
  })
  .strict();
export type AdminTemplateFile = z.infer<typeof AdminTemplateFile>;

const toNumber = (v: unknown) => (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v)) ? Number(v) : v);

/** The zod field for one declared input, with its metadata, so every surface asks and checks it alike. */
function fieldFor(input: AdminInput) {
  const meta: FieldMeta = {
    label: input.label ?? input.name,
    question: input.question,
    help: input.help,
    example: input.example,
    ...(input.aliases ? { aliases: input.aliases } : {}),
    ...(input.multiline ? { multiline: true } : {}),
    ...(input.absent ? { absent: input.absent } : {}),
  };
  let field: z.ZodType;
  if (input.type === "enum") {
    const choices = (input.choices ?? []).map((c) => (typeof c === "string" ? { value: c, label: c } : c));
    const values = choices.map((c) => c.value) as [string, ...string[]];
    const labels = Object.fromEntries(choices.map((c) => [c.value, c.label]));
    field = choiceField(values, labels, meta);
  } else if (input.type === "integer" && input.min !== undefined && input.max !== undefined) {
    field = countField(meta, input.min, input.max);
  } else if (input.type === "integer" || input.type === "number") {
    let n = z.number({ error: `${meta.label} should be a number.` });
    if (input.type === "integer") n = n.int(`${meta.label} should be a whole number.`);
    if (input.min !== undefined) n = n.min(input.min, `${meta.label} should be at least ${input.min}.`);
    if (input.max !== undefined) n = n.max(input.max, `${meta.label} should be at most ${input.max}.`);
    field = z.preprocess(toNumber, n).meta(meta);
  } else {
    const max = input.max ?? 4000;
    const min = input.min ?? 1;
    field = z
      .preprocess(
        (v) => (typeof v === "string" ? (v.trim() === "" ? undefined : v.trim()) : v),
        z
          .string({ error: `${meta.label} is needed.` })
          .min(min, `${meta.label} should be at least ${min} characters.`)
          .max(max, `${meta.label} should be at most ${max} characters.`),
      )
      .meta(meta);
  }
  return input.required ? field : optional(field);
}

/** Markdown for any node output: text as is, lists as bullets, objects as labelled parts. */
export function valueMarkdown(value: unknown, depth = 0): string {
  if (value === undefined || value === null) return "_Not produced._";
  if (typeof value === "string") return value.trim();
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v !== "object" || v === null)) return bullets(value.map((v) => String(v)));
    return value.map((v, i) => `**${i + 1}.** ${valueMarkdown(v, depth + 1)}`).join("\n\n");
  }
  if (depth > 3) return `\`${JSON.stringify(value)}\``;
  return Object.entries(value as Record<string, unknown>)
    .map(([k, v]) => {
      const label = k.replace(/([a-z])([A-Z])/g, "$1 $2").replace(/^./, (c) => c.toUpperCase());
      const body = valueMarkdown(v, depth + 1);
      return body.includes("\n") ? `**${label}:**\n${body}` : `**${label}:** ${body}`;
    })
    .join("\n");
}

function readOutput(view: ExecutionView, path: string): unknown {
  const [, nodeId, ...rest] = path.split(".");
  const node = view.nodes.find((n) => n.nodeId === nodeId);
  if (node?.status !== "completed") return undefined;
  let value: unknown = node.output;
  for (const key of rest) value = value && typeof value === "object" ? (value as Record<string, unknown>)[key] : undefined;
  return value;
}

function toTemplate(file: AdminTemplateFile, definition: WorkflowDefinition, schemas: Record<string, z.ZodType>, source: string): Template {
  const inputSchema = z.object(Object.fromEntries(file.inputs.map((i) => [i.name, fieldFor(i)])));
  const firstText = file.inputs.find((i) => i.type === "string" && i.required)?.name;
  const sections =
    file.document?.sections ??
    definition.nodes.filter((n) => n.kind === "agent").map((n) => ({ heading: n.title ?? n.id, from: `nodes.${n.id}` }));
  const render = (view: ExecutionView): RenderedDocument => {
    const subject = firstText ? oneLine(String(view.inputs[firstText] ?? "")) : "";
    const heading = subject ? `${file.title}: ${subject}` : file.title;
    const body = sections.flatMap((s) => [`## ${s.heading}`, valueMarkdown(readOutput(view, s.from)), ""]);
    return {
      title: heading,
      markdown: [`# ${heading}`, "", ...offlineNote(view), ...body].join("\n"),
      filename: filenameFor(file.id, subject),
    };
  };
  return {
    id: file.id,
    command: file.command ?? file.id,
    title: file.title,
    description: file.description,
    inputSchema,
    workflow: { definition, inputSchema, schemas },
    drafters: {},
    render,
    studentData: file.studentData,
    source,
  };
}

export type AdminContext = {
  /** Ids and commands already taken (built-ins), so a file cannot shadow them. */
  takenIds: Set<string>;
  takenCommands: Set<string>;
  /** Transforms and schemas admin nodes may name (the built-ins' registries). */
  transforms: Set<string>;
  schemas: Set<string>;
};

/** Validates one parsed file value; returns the template or every problem with its path. */
export function adminTemplateFromValue(value: unknown, file: string, ctx: AdminContext): { template?: Template; problems: LoadProblem[] } {
  const name = basename(file);
  const problems: LoadProblem[] = [];
  const add = (path: string, message: string) => problems.push({ file: name, path, message });
  const parsed = AdminTemplateFile.safeParse(value);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) add(formatPath(issue.path), issue.message);
  }
  // Check the workflow part even when the outer file has problems, so one pass reports everything.
  const raw = (value ?? {}) as Record<string, unknown>;
  const inputNames = Array.isArray(raw.inputs)
    ? raw.inputs.map((i) => (i as { name?: unknown })?.name).filter((n): n is string => typeof n === "string")
    : [];
  const seen = new Set<string>();
  inputNames.forEach((n, i) => {
    if (seen.has(n)) add(`inputs[${i}].name`, `input "${n}" is declared twice`);
    seen.add(n);
  });
  const schemas: Record<string, z.ZodType> = {};
  const fileSchemas = raw.schemas && typeof raw.schemas === "object" ? (raw.schemas as Record<string, unknown>) : {};
  for (const [schemaName, json] of Object.entries(fileSchemas)) {
    if (ctx.schemas.has(schemaName)) {
      add(`schemas.${schemaName}`, `"${schemaName}" is a built-in schema name; choose another`);
      continue;
    }
    try {
      schemas[schemaName] = z.fromJSONSchema(json as Parameters<typeof z.fromJSONSchema>[0]);
    } catch (error) {
      add(`schemas.${schemaName}`, `is not a JSON Schema the loader understands: ${(error as Error).message}`);
    }
  }
  // Top-level fields the outer schema already judged get stand-ins, so the node checks still run in this pass.
  const shape = WorkflowDefinition.shape;
  const orElse = (schema: z.ZodType, v: unknown, standIn: unknown) => (schema.safeParse(v).success ? v : standIn);
  const definitionValue = {
    id: orElse(shape.id, raw.id, "invalid-id"),
    version: orElse(shape.version, raw.version, 1),
    title: orElse(shape.title, raw.title, "Untitled"),
    description: orElse(shape.description, raw.description, undefined),
    inputs: inputNames,
    nodes: raw.nodes,
    ...(raw.maxParallel === undefined ? {} : { maxParallel: raw.maxParallel }),
    ...(raw.retry === undefined ? {} : { retry: raw.retry }),
    ...(raw.onFailure === undefined ? {} : { onFailure: raw.onFailure }),
  };
  const known = new Set([...ctx.schemas, ...Object.keys(fileSchemas)]);
  const workflowProblems = validateWorkflow(definitionValue, { transforms: ctx.transforms, schemas: known });
  for (const p of workflowProblems) {
    // The outer schema already reported problems of the shared top-level fields.
    if (parsed.success || /^(nodes|onFailure|maxParallel|retry)/.test(p.path)) {
      if (!problems.some((q) => q.path === p.path && q.message === p.message)) add(p.path, p.message);
    }
  }
  if (parsed.success) {
    const f = parsed.data;
    if (ctx.takenIds.has(f.id)) add("id", `"${f.id}" is already used by another template`);
    const command = f.command ?? f.id;
    if (ctx.takenCommands.has(command)) add(f.command ? "command" : "id", `the command /${command} is already used by another template`);
    const nodeIds = new Set(Array.isArray(f.nodes) ? f.nodes.map((n) => (n as { id?: unknown })?.id) : []);
    f.document?.sections.forEach((s, i) => {
      const nodeId = s.from.split(".")[1];
      if (!nodeIds.has(nodeId)) add(`document.sections[${i}].from`, `reads node "${nodeId}", which is not a node of this template`);
    });
  }
  if (problems.length > 0 || !parsed.success) return { problems };
  const definition = WorkflowDefinition.parse(definitionValue);
  return { template: toTemplate(parsed.data, definition, schemas, name), problems };
}

function formatPath(path: PropertyKey[]): string {
  let out = "";
  for (const part of path) out += typeof part === "number" ? `[${part}]` : out === "" ? String(part) : `.${String(part)}`;
  return out || "(file)";
}

/**
 * Loads every .json, .yaml and .yml file of `dir` (not recursive), in name order. A later file cannot take
 * an id or command an earlier one (or a built-in) already has.
 */
export async function loadAdminTemplates(dir: string, ctx: AdminContext): Promise<{ templates: Template[]; problems: LoadProblem[] }> {
  const root = resolve(dir);
  let names: string[];
  try {
    names = (await readdir(root)).filter((n) => /\.(json|ya?ml)$/i.test(n)).sort();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return {
      templates: [],
      problems: [
        {
          file: root,
          path: "",
          message: code === "ENOENT" ? "folder not found; check STAFFROOM_TEMPLATES_DIR" : `cannot be read (${code})`,
        },
      ],
    };
  }
  const templates: Template[] = [];
  const problems: LoadProblem[] = [];
  const takenIds = new Set(ctx.takenIds);
  const takenCommands = new Set(ctx.takenCommands);
  for (const name of names) {
    const file = join(root, name);
    const { value, problems: syntax } = await readWorkflowFile(file);
    if (syntax.length > 0) {
      for (const p of syntax)
        problems.push({
          file: name,
          path: p.path.startsWith(file) ? p.path.slice(file.length).replace(/^:/, "line ") : p.path,
          message: p.message,
        });
      continue;
    }
    const result = adminTemplateFromValue(value, file, { ...ctx, takenIds, takenCommands });
    problems.push(...result.problems);
    if (result.template) {
      templates.push(result.template);
      takenIds.add(result.template.id);
      takenCommands.add(result.template.command);
    }
  }
  return { templates, problems };
}
