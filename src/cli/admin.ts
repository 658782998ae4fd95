// The CLI's admin tools for a district: `staffroom admin export --user <id> | --student "<name>"` (a zip of
// JSON and documents, gathered through the same owners forget deletes from) and `staffroom admin audit`
// (the audit log as a table). Every export is audited with ids and counts, never content.
import { constants } from "node:fs";
import { access, readFile, rename, rm, writeFile } from "node:fs/promises";
import { userInfo } from "node:os";
import { basename } from "node:path";
import type { Runtime } from "../app/runtime.ts";
import { InvalidInputError } from "../errors.ts";
import {
  AUDIT_ACTIONS,
  type AuditAction,
  type AuditEntry,
  auditSummary,
  type ExportBundle,
  exportStudent,
  exportTeacher,
  findStudent,
  parseSince,
} from "../privacy/index.ts";
import { type ZipEntry, zip } from "../util/zip.ts";
import { flagNumber, type ParsedArgs } from "./args.ts";
import type { CliIO } from "./commands.ts";
import { table } from "./format.ts";

const say = (stream: NodeJS.WritableStream, text: string) => stream.write(text.endsWith("\n") ? text : `${text}\n`);

/** Who runs the admin command, for the audit log. */
export function adminActor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return "cli:local";
  }
}

/** A file-name-safe form of an id (pure). */
export function fileSafe(text: string): string {
  return (
    text
      .normalize("NFKD")
      .replace(/[^\w.-]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 60) || "teacher"
  );
}

const stamp = (now: Date) => now.toISOString().slice(0, 16).replace(/[-:]/g, "").replace("T", "-");

/**
 * The zip's entries (pure apart from the bytes given): manifest.json, one JSON file per owner under data/,
 * and the saved documents under documents/ (a student export puts each teacher's in their own folder).
 */
export function exportEntries(
  bundle: ExportBundle,
  about: { kind: "teacher"; userId: string } | { kind: "student"; name: string; teachers: string[] },
  files: { name: string; data: Uint8Array }[],
  now: Date,
): ZipEntry[] {
  const owners = Object.keys(bundle.records);
  const manifest = {
    format: "staffroom-export/1",
    created_at: now.toISOString(),
    ...(about.kind === "teacher" ? { user_id: about.userId } : { student: about.name, teachers: about.teachers }),
    counts: bundle.counts,
    data: owners.map((o) => `data/${fileSafe(o)}.json`),
    documents: files.map((f) => f.name),
  };
  const json = (value: unknown) => Buffer.from(`${JSON.stringify(value, null, 2)}\n`, "utf8");
  return [
    { name: "manifest.json", data: json(manifest) },
    ...owners.map((o) => ({ name: `data/${fileSafe(o)}.json`, data: json(bundle.records[o]) })),
    ...files,
  ];
}

/** Writes beside the target, then renames: no half-written zip under the final name. Refuses to overwrite. */
async function writeNew(path: string, bytes: Buffer): Promise<void> {
  const exists = await access(path, constants.F_OK).then(
    () => true,
    () => false,
  );
  if (exists) throw new InvalidInputError(`${path} already exists; choose another file with --out.`);
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, bytes, { mode: 0o600 });
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    if ((error as NodeJS.ErrnoException).code === "ENOENT")
      throw new InvalidInputError(`The folder of ${path} does not exist; create it or choose another file with --out.`);
    throw error;
  }
}

/** The saved documents' bytes, named for the zip (one folder per teacher for a student export; no clashes). */
async function documentFiles(bundle: ExportBundle, perTeacher: boolean): Promise<{ name: string; data: Uint8Array }[]> {
  const used = new Set<string>();
  const out: { name: string; data: Uint8Array }[] = [];
  for (const { path, teacher } of bundle.files) {
    const data = await readFile(path).catch(() => undefined);
    if (!data) continue;
    const folder = perTeacher ? `documents/${fileSafe(teacher)}/` : "documents/";
    let name = `${folder}${basename(path)}`;
    for (let n = 2; used.has(name); n++) name = `${folder}${n}-${basename(path)}`;
    used.add(name);
    out.push({ name, data });
  }
  return out;
}

const countOf = (bundle: ExportBundle) => Object.values(bundle.counts).reduce((a, b) => a + b, 0);

/** `staffroom admin export --user <id> | --student "<name>" [--out file.zip] [--json]`. */
export async function exportCommand(rt: Runtime, args: ParsedArgs, io: CliIO): Promise<number> {
  const user = typeof args.flags.user === "string" ? args.flags.user.trim() : "";
  const student = typeof args.flags.student === "string" ? args.flags.student.trim() : "";
  if (Boolean(user) === Boolean(student))
    throw new InvalidInputError(
      'Say whose data to export with either --user <id> or --student "<name>", e.g. staffroom admin export --user U024BE7LH.',
    );
  if (args.flags.out === true) throw new InvalidInputError("Give --out a file name, e.g. --out export.zip.");
  const now = new Date();
  let bundle: ExportBundle;
  let entries: ZipEntry[];
  let out: string;
  let targets: string[] = [];
  if (user) {
    bundle = await exportTeacher(user, rt.owners);
    if (countOf(bundle) === 0 && bundle.files.length === 0) {
      say(io.stdout, `Nothing is kept about ${user}; check the id with "staffroom executions --user=<id>". No file was written.`);
      return 2;
    }
    entries = exportEntries(bundle, { kind: "teacher", userId: user }, await documentFiles(bundle, false), now);
    out = typeof args.flags.out === "string" ? args.flags.out : `staffroom-export-${fileSafe(user)}-${stamp(now)}.zip`;
  } else {
    const matches = await findStudent(student, rt.engine);
    if (matches.length === 0) {
      say(io.stdout, `No execution names ${student}; there is nothing to export. No file was written.`);
      return 2;
    }
    bundle = await exportStudent(student, matches, rt.owners);
    targets = matches.map((m) => m.executionId);
    const teachers = [...new Set(matches.map((m) => m.userId))];
    entries = exportEntries(bundle, { kind: "student", name: student, teachers }, await documentFiles(bundle, true), now);
    // The student's name stays out of the file name, as it does for saved documents.
    out = typeof args.flags.out === "string" ? args.flags.out : `staffroom-export-student-${stamp(now)}.zip`;
  }
  await writeNew(out, zip(entries, now));
  const counts = bundle.counts;
  await rt.audit.record({
    action: "export",
    actor: adminActor(),
    // A student export lists the executions it read; the student's name is content and stays out.
    ...(user ? { teacher: user } : { targets }),
    counts,
  });
  if (args.flags.json) say(io.stdout, JSON.stringify({ file: out, counts }, null, 2));
  else
    say(
      io.stdout,
      `Wrote ${out}: ${Object.entries(counts)
        .filter(([, n]) => n > 0)
        .map(([k, n]) => `${n} ${k}`)
        .join(", ")}.`,
    );
  return 0;
}

/** One row of the audit table (pure). */
export function auditRow(e: AuditEntry): string[] {
  return [new Date(e.at).toISOString().replace("T", " ").slice(0, 19), e.action, e.actor, e.teacher ?? "-", auditSummary(e)];
}

/** `staffroom admin audit [--user <id>] [--since 7d|2026-12-01] [--action forget] [--limit 100] [--json]`. */
export async function auditCommand(rt: Runtime, args: ParsedArgs, io: CliIO): Promise<number> {
  const user = typeof args.flags.user === "string" ? args.flags.user.trim() : undefined;
  let since: number | undefined;
  if (args.flags.since !== undefined) {
    since = typeof args.flags.since === "string" ? parseSince(args.flags.since, Date.now()) : undefined;
    if (since === undefined) throw new InvalidInputError('Give --since as a time back ("30m", "24h", "7d") or a date ("2026-12-01").');
  }
  let action: AuditAction | undefined;
  if (args.flags.action !== undefined) {
    const a = args.flags.action;
    if (typeof a !== "string" || !(AUDIT_ACTIONS as readonly string[]).includes(a))
      throw new InvalidInputError(`Give --action as one of: ${AUDIT_ACTIONS.join(", ")}.`);
    action = a as AuditAction;
  }
  const limit = flagNumber(args.flags, "limit", 100);
  const entries = await rt.audit.list({
    ...(user ? { teacher: user } : {}),
    ...(since !== undefined ? { since } : {}),
    ...(action ? { action } : {}),
    limit,
  });
  if (args.flags.json) {
    say(io.stdout, JSON.stringify({ entries }, null, 2));
    return 0;
  }
  if (entries.length === 0) {
    say(io.stdout, "No audit entries match.");
    return 0;
  }
  say(io.stdout, table(["When (UTC)", "Action", "Who", "Teacher", "What"], entries.map(auditRow)));
  return 0;
}
