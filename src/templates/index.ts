// Public surface of the templates layer: the Template type, the loaders, field descriptions and the
// standards helpers other layers need.
import type { Logger } from "../log.ts";
import { silentLogger } from "../log.ts";
import { loadAdminTemplates } from "./admin.ts";
import { builtinTemplates } from "./builtin.ts";
import { EMPTY_STANDARDS, loadStandards, SAMPLE_STANDARDS_DIR, type StandardsSet } from "./standards/load.ts";
import type { LoadProblem, Template } from "./types.ts";

export { adminTemplateFromValue, loadAdminTemplates } from "./admin.ts";
export { builtinTemplates } from "./builtin.ts";
export { describeField, describeFields, type FieldDescription, fieldMeta, parseDuration, parseGrade } from "./fields.ts";
export { OFFLINE_BANNER } from "./markdown.ts";
export { EMPTY_STANDARDS, loadStandards, SAMPLE_STANDARDS_DIR, type StandardRow, type StandardsSet } from "./standards/load.ts";
export { PLACEHOLDER as STUDENT_PLACEHOLDER } from "./student-feedback/names.ts";
export type { Drafter, FieldMeta, LoadProblem, RenderedDocument, Template } from "./types.ts";

export type LoadTemplatesOptions = {
  /**
   * Folder of the standards set (CSV/JSON). Undefined: the shipped sample set (`standards/sample/`);
   * "none": no set, so plans name standards in words without codes.
   */
  standardsDir?: string;
  /** Folder of admin-added templates (JSON/YAML); undefined: none. */
  templatesDir?: string;
  logger?: Logger;
};

export type LoadedTemplates = {
  templates: Template[];
  problems: LoadProblem[];
  standards: StandardsSet;
};

/**
 * Loads the standards set, builds the built-in templates on it, then adds the admin templates. Problems
 * (bad standards rows, bad template files) are returned and logged as warnings; nothing here throws for them.
 */
export async function loadTemplates(options: LoadTemplatesOptions = {}): Promise<LoadedTemplates> {
  const logger = options.logger ?? silentLogger;
  const problems: LoadProblem[] = [];
  let standards: StandardsSet = EMPTY_STANDARDS;
  const dir = options.standardsDir ?? SAMPLE_STANDARDS_DIR;
  if (dir.trim().toLowerCase() !== "none") {
    const loaded = await loadStandards(dir);
    standards = loaded.set;
    problems.push(...loaded.problems);
    logger.info(
      { dir: loaded.set.dir, rows: loaded.set.rows.length, problems: loaded.problems.length, skipped: loaded.skipped.length },
      "standards set loaded",
    );
  }
  const templates = builtinTemplates(standards, logger);
  if (options.templatesDir) {
    const registered = templates.map((t) => t.workflow);
    const admin = await loadAdminTemplates(options.templatesDir, {
      takenIds: new Set(templates.map((t) => t.id)),
      takenCommands: new Set(templates.map((t) => t.command)),
      transforms: new Set(registered.flatMap((w) => Object.keys(w.transforms ?? {}))),
      schemas: new Set(registered.flatMap((w) => Object.keys(w.schemas ?? {}))),
    });
    templates.push(...admin.templates);
    problems.push(...admin.problems);
    logger.info(
      { dir: options.templatesDir, templates: admin.templates.length, problems: admin.problems.length },
      "admin templates loaded",
    );
  }
  for (const p of problems) logger.warn({ file: p.file, path: p.path }, `template/standards problem: ${p.message}`);
  return { templates, problems, standards };
}

/** Every template's offline drafters merged by output schema name, for `createOfflineProvider({ drafters })`. */
export function offlineDrafters(templates: readonly Template[]): Record<string, Template["drafters"][string]> {
  return Object.assign({}, ...templates.map((t) => t.drafters));
}
