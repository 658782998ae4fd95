// `staffroom standards list|validate [DIR]`: loads a standards folder (CSV/JSON rows, CASE CFPackage JSON,
// Learning Commons JSONL) without starting the bot, and prints what loaded, what was skipped and every problem.
import { InvalidInputError } from "../errors.ts";
import { loadStandards, SAMPLE_STANDARDS_DIR, type StandardsSet } from "../templates/index.ts";
import type { LoadProblem } from "../templates/types.ts";
import type { ParsedArgs } from "./args.ts";
import type { CliIO } from "./commands.ts";

export const STANDARDS_HELP = `  standards list|validate [DIR] [--json]
                                      Load a standards folder (default STAFFROOM_STANDARDS_DIR) and list its
                                      codes or check it; validate exits 1 when any row has a problem`;

/** Exit 0 when the folder loads without problems (skipped code-less items are not problems), 1 otherwise, 2 on bad usage. */
export async function standardsCommand(args: ParsedArgs, io: Pick<CliIO, "stdout">, configuredDir?: string): Promise<number> {
  const [action, dirArg] = args.positionals;
  if (action !== "list" && action !== "validate") {
    throw new InvalidInputError(
      'Say what to do with the standards folder: "staffroom standards list DIR" or "staffroom standards validate DIR".',
    );
  }
  const dir = dirArg ?? configuredDir ?? SAMPLE_STANDARDS_DIR;
  if (dir.trim().toLowerCase() === "none") throw new InvalidInputError("STAFFROOM_STANDARDS_DIR is none: name a folder to check.");
  const { set, problems, skipped } = await loadStandards(dir);
  const out = (line = "") => io.stdout.write(`${line}\n`);
  if (args.flags.json) {
    const rows = set.rows.map(({ subjectKey: _k, ...row }) => row);
    out(
      JSON.stringify(
        { dir: set.dir, rows: action === "list" ? rows : rows.length, skipped, problems, attributions: set.attributions ?? [] },
        null,
        2,
      ),
    );
    return problems.length === 0 ? 0 : 1;
  }
  if (action === "list") for (const line of listLines(set)) out(line);
  for (const line of summaryLines(set, problems, skipped)) out(line);
  return problems.length === 0 ? 0 : 1;
}

/** One line per code, grouped by framework. */
export function listLines(set: StandardsSet): string[] {
  const lines: string[] = [];
  let framework: string | undefined;
  for (const row of set.rows) {
    if (row.framework !== framework) {
      if (framework !== undefined) lines.push("");
      framework = row.framework;
      lines.push(`${framework}:`);
    }
    const text = row.description.length > 90 ? `${row.description.slice(0, 87).trimEnd()}...` : row.description;
    lines.push(`  ${row.code.padEnd(14)} grade ${row.grade.padEnd(5)} ${row.subject}: ${text}${row.caseId ? ` [CASE ${row.caseId}]` : ""}`);
  }
  if (lines.length > 0) lines.push("");
  return lines;
}

export function summaryLines(set: StandardsSet, problems: readonly LoadProblem[], skipped: readonly LoadProblem[]): string[] {
  const frameworks = new Map<string, number>();
  for (const row of set.rows) frameworks.set(row.framework, (frameworks.get(row.framework) ?? 0) + 1);
  const files = new Set(set.rows.map((r) => r.source.file));
  const lines = [
    `${set.dir ?? "(no folder)"}: ${set.rows.length} standard${set.rows.length === 1 ? "" : "s"} from ${files.size} file${files.size === 1 ? "" : "s"}${
      frameworks.size > 0 ? ` (${[...frameworks].map(([f, n]) => `${f}: ${n}`).join("; ")})` : ""
    }.`,
  ];
  for (const a of set.attributions ?? []) lines.push(`Attribution (${a.file}): ${a.text}`);
  if (skipped.length > 0) {
    lines.push(`Skipped ${skipped.length} item${skipped.length === 1 ? "" : "s"} without a code:`);
    for (const s of skipped.slice(0, 20)) lines.push(`  ${s.file} ${s.path}: ${s.message}`);
    if (skipped.length > 20) lines.push(`  ... and ${skipped.length - 20} more`);
  }
  if (problems.length === 0) lines.push("No problems found.");
  else {
    lines.push(`${problems.length} problem${problems.length === 1 ? "" : "s"}:`);
    for (const p of problems) lines.push(`  ${p.file}${p.path ? ` ${p.path}` : ""}: ${p.message}`);
  }
  return lines;
}
