// The CLI's data commands for a family's request: `staffroom forget --user <id>` (everything of one teacher,
// whatever surface it came from) and `staffroom admin forget-student "<name>" [--dry-run]`. Both go through
// the runtime's one forget; the output lists counts and execution ids, never content.
import type { Runtime } from "../app/runtime.ts";
import { InvalidInputError } from "../errors.ts";
import type { ForgetCounts, StudentMatch } from "../privacy/index.ts";
import { adminActor, auditCommand, exportCommand } from "./admin.ts";
import type { ParsedArgs } from "./args.ts";
import type { CliIO } from "./commands.ts";

const say = (stream: NodeJS.WritableStream, text: string) => stream.write(text.endsWith("\n") ? text : `${text}\n`);

/** "3 executions, 1 profile" (pure). */
export function countsLine(counts: ForgetCounts): string {
  const parts = Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([name, n]) => `${n} ${name}`);
  return parts.length > 0 ? parts.join(", ") : "nothing";
}

/** `staffroom forget --user <id> [--json]`: every owner of the teacher's data, then their data key. */
export async function forgetCommand(rt: Runtime, args: ParsedArgs, io: CliIO): Promise<number> {
  const userId = typeof args.flags.user === "string" ? args.flags.user.trim() : "";
  if (!userId)
    throw new InvalidInputError(
      'Say whose data to delete with --user, e.g. staffroom forget --user U024BE7LH (the ids are in "staffroom executions").',
    );
  const counts = await rt.forget(userId, { action: "delete", actor: adminActor() });
  if (args.flags.json) say(io.stdout, JSON.stringify({ user_id: userId, deleted: counts }, null, 2));
  else say(io.stdout, `Deleted everything kept about ${userId}: ${countsLine(counts)}.`);
  return 0;
}

function matchLine(m: StudentMatch): string {
  return `  ${m.executionId}  ${m.userId}  ${m.templateId}  ${new Date(m.createdAt).toISOString().slice(0, 10)}  (matched "${m.found}")`;
}

/** `staffroom admin forget-student "<name>" [--dry-run] [--json]`. */
async function forgetStudentCommand(rt: Runtime, args: ParsedArgs, io: CliIO): Promise<number> {
  const name = args.positionals.slice(1).join(" ").trim();
  if (!name) throw new InvalidInputError('Give the student\'s name, e.g. staffroom admin forget-student "Maria Lopez" --dry-run.');
  const dryRun = args.flags["dry-run"] === true;
  const { matches, counts } = await rt.forgetStudent(name, { actor: adminActor(), dryRun });
  if (args.flags.json) {
    say(
      io.stdout,
      JSON.stringify(
        {
          student: name,
          dry_run: dryRun,
          executions: matches.map((m) => ({ id: m.executionId, user_id: m.userId, template_id: m.templateId, matched: m.found })),
          ...(dryRun ? {} : { deleted: counts }),
        },
        null,
        2,
      ),
    );
    return 0;
  }
  if (matches.length === 0) {
    say(io.stdout, `No execution names ${name}; nothing ${dryRun ? "would be" : "was"} deleted.`);
    return 0;
  }
  const head = dryRun
    ? `Would delete ${matches.length} execution${matches.length === 1 ? "" : "s"} naming ${name} (with their chat threads, placeholder maps and saved documents naming them):`
    : `Deleted ${matches.length} execution${matches.length === 1 ? "" : "s"} naming ${name}: ${countsLine(counts)}.`;
  say(io.stdout, [head, ...matches.map(matchLine), ...(dryRun ? ["Run it again without --dry-run to delete them."] : [])].join("\n"));
  return 0;
}

/** Admin subcommands by name; the audit and export commands join this table. */
const ADMIN: Record<string, (rt: Runtime, args: ParsedArgs, io: CliIO) => Promise<number>> = {
  "forget-student": forgetStudentCommand,
  export: exportCommand,
  audit: auditCommand,
};

/** `staffroom admin <subcommand> ...`. */
export async function adminCommand(rt: Runtime, args: ParsedArgs, io: CliIO): Promise<number> {
  const sub = args.positionals[0];
  const run = sub ? ADMIN[sub] : undefined;
  if (!run) throw new InvalidInputError(`Unknown admin command${sub ? ` "${sub}"` : ""}; use one of: ${Object.keys(ADMIN).join(", ")}.`);
  return run(rt, args, io);
}
