// `staffroom validate`: workflow files and admin template files (JSON or YAML), or every such file of a
// folder, each checked in one pass (schema, graph and references together) with every problem listed.
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { readWorkflowFile } from "../engine/load.ts";
import { type Problem, validateWorkflow } from "../engine/validate.ts";
import { InvalidInputError } from "../errors.ts";
import { adminTemplateFromValue } from "../templates/index.ts";
import type { Template } from "../templates/types.ts";
import type { ParsedArgs } from "./args.ts";
import type { CliIO } from "./commands.ts";

export type FileKind = "workflow" | "admin template" | "unreadable";
export type FileReport = { file: string; kind: FileKind; valid: boolean; problems: Problem[]; id?: string };

const DEFINITION_FILE = /\.(json|ya?ml)$/i;

/**
 * Admin template files declare their inputs as objects (name, type, question, …) and may carry a
 * document or command; workflow files list input names as strings.
 */
export function fileKind(value: unknown): "workflow" | "admin template" {
  if (typeof value !== "object" || value === null) return "workflow";
  const v = value as Record<string, unknown>;
  if (Array.isArray(v.inputs) && v.inputs.some((i) => typeof i === "object" && i !== null)) return "admin template";
  return "document" in v || "command" in v || "studentData" in v ? "admin template" : "workflow";
}

/** The files named, with folders replaced by their .json/.yaml/.yml files in name order (not recursive). */
async function expand(paths: string[]): Promise<{ files: string[]; empty: string[] }> {
  const files: string[] = [];
  const empty: string[] = [];
  for (const path of paths) {
    const info = await stat(path).catch(() => undefined);
    if (!info?.isDirectory()) {
      files.push(path);
      continue;
    }
    const names = (await readdir(path)).filter((n) => DEFINITION_FILE.test(n)).sort();
    if (names.length === 0) empty.push(path);
    files.push(...names.map((n) => join(path, n)));
  }
  return { files, empty };
}

/** Checks every file against the built-in templates' transforms, schemas, ids and commands. */
export async function validatePaths(paths: string[], templates: readonly Template[]): Promise<FileReport[]> {
  const builtin = templates.filter((t) => t.source === "builtin");
  const transforms = new Set(builtin.flatMap((t) => Object.keys(t.workflow.transforms ?? {})));
  const schemas = new Set(builtin.flatMap((t) => Object.keys(t.workflow.schemas ?? {})));
  // A later file cannot take an id or command an earlier one (or a built-in) has, as at start-up.
  const takenIds = new Set(builtin.map((t) => t.id));
  const takenCommands = new Set(builtin.map((t) => t.command));
  const { files, empty } = await expand(paths);
  const reports: FileReport[] = empty.map((dir) => ({
    file: dir,
    kind: "unreadable",
    valid: false,
    problems: [{ path: dir, message: "holds no .json, .yaml or .yml files" }],
  }));
  for (const file of files) {
    const { value, problems: syntax } = await readWorkflowFile(file);
    if (syntax.length > 0) {
      reports.push({ file, kind: "unreadable", valid: false, problems: syntax });
      continue;
    }
    if (fileKind(value) === "admin template") {
      const result = adminTemplateFromValue(value, file, { takenIds, takenCommands, transforms, schemas });
      const problems = result.problems.map((p) => ({ path: p.path, message: p.message }));
      if (result.template) {
        takenIds.add(result.template.id);
        takenCommands.add(result.template.command);
      }
      reports.push({
        file,
        kind: "admin template",
        valid: problems.length === 0,
        problems,
        ...(result.template ? { id: result.template.id } : {}),
      });
      continue;
    }
    const problems = validateWorkflow(value, {
      transforms,
      schemas,
      workflowExists: (id, version) => templates.some((t) => t.workflow.definition.id === id && t.workflow.definition.version === version),
    });
    const id = (value as { id?: unknown } | null)?.id;
    reports.push({ file, kind: "workflow", valid: problems.length === 0, problems, ...(typeof id === "string" ? { id } : {}) });
  }
  return reports;
}

export function reportText(r: FileReport): string {
  if (r.valid) return r.kind === "admin template" ? `${r.file} is a valid admin template (${r.id}).` : `${r.file} is a valid workflow.`;
  const what = r.kind === "unreadable" ? "" : ` (${r.kind})`;
  return [
    `${r.file}${what} has ${r.problems.length} problem${r.problems.length === 1 ? "" : "s"}:`,
    ...r.problems.map((p) => `  ${p.path}: ${p.message}`),
  ].join("\n");
}

export async function validateCommand(templates: Template[], args: ParsedArgs, io: CliIO): Promise<number> {
  const paths = args.positionals;
  if (paths.length === 0)
    throw new InvalidInputError(
      "Name the workflow or template files (or a folder) to check, e.g. staffroom validate examples/templates/exit-ticket.yaml.",
    );
  const reports = await validatePaths(paths, templates);
  const single = paths.length === 1 && reports.length === 1 && reports[0]!.file === paths[0];
  if (args.flags.json) io.stdout.write(`${JSON.stringify(single ? reports[0] : reports, null, 2)}\n`);
  else {
    io.stdout.write(`${reports.map(reportText).join("\n")}\n`);
    if (!single) {
      const bad = reports.filter((r) => !r.valid).length;
      io.stdout.write(`${reports.length} checked: ${reports.length - bad} valid, ${bad} with problems.\n`);
    }
  }
  return reports.every((r) => r.valid) ? 0 : 1;
}
