// The `staffroom` command line (bin/staffroom.js): loads .env and configuration, runs one command, and turns
// every failure into friendly sentences with an exit code (0 done, 1 failed, 2 bad input), never a stack trace.
import { createRuntime, loadTemplateList, loadTemplateSet, type Runtime } from "../app/runtime.ts";
import { type Config, loadConfig, loadDotEnv } from "../config.ts";
import { ConfigError, describeError, InvalidInputError, NotFoundError, StaffroomError, WorkflowInvalidError } from "../errors.ts";
import { createLogger, type Logger } from "../log.ts";
import { type ParsedArgs, parseArgs } from "./args.ts";
import {
  type CliIO,
  cancelCommand,
  discordCommand,
  executionsCommand,
  HELP,
  prepareRun,
  resumeCommand,
  runCommand,
  showCommand,
  statsCommand,
  templatesCommand,
  validateCommand,
} from "./commands.ts";
import { STANDARDS_HELP, standardsCommand } from "./standards.ts";

const io: CliIO = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin };
const say = (text: string) => process.stderr.write(`${text}\n`);

/** Runs one CLI invocation and returns its exit code. */
export async function main(argv: string[]): Promise<number> {
  let args: ParsedArgs;
  try {
    args = parseArgs(argv);
  } catch (error) {
    return report(error);
  }
  if (args.command === "help" || args.flags.help) {
    process.stdout.write(`${HELP.replace("\n  help ", `\n${STANDARDS_HELP}\n  help `)}\n`);
    return 0;
  }
  const commands = ["start", "discord", "templates", "run", "validate", "executions", "show", "stats", "cancel", "resume", "standards"];
  if (!commands.includes(args.command)) {
    say(`Unknown command "${args.command}". Run "staffroom help" for the list of commands.`);
    return 2;
  }

  let runtime: Runtime | undefined;
  try {
    loadDotEnv();
    const config = loadConfig();
    const logger = cliLogger(config, args.command);
    if (args.command === "start") {
      // The bot owns its own lifetime (signals, shutdown); start.ts is imported lazily to keep other commands light.
      const { startBot } = await import("../app/start.ts");
      return await startBot(config, { logger });
    }
    if (args.command === "templates") {
      const { templates, problems } = await loadTemplateSet(config, logger);
      // An admin's broken template file is worth a line here: this is where they look for it.
      for (const p of problems) say(`Note: ${p.file}${p.path ? ` (${p.path})` : ""}: ${p.message}`);
      return templatesCommand(templates, args, io);
    }
    if (args.command === "standards") return await standardsCommand(args, io, config.STAFFROOM_STANDARDS_DIR);
    if (args.command === "discord") return await discordCommand(config, logger, args, io);
    if (args.command === "validate") return await validateCommand(await loadTemplateList(config, logger), args, io);

    const templates = await loadTemplateList(config, logger);
    const prepared = args.command === "run" ? prepareRun(templates, args) : undefined;
    // Only commands that may call the model mention the offline fallback.
    const notice = args.command === "run" || args.command === "resume" ? (line: string) => say(`Note: ${line}`) : () => {};
    runtime = await createRuntime(config, { logger, notice, templates });
    const rt = runtime;
    switch (args.command) {
      case "run":
        return await withInterrupt(rt, (onStarted) => runCommand(rt, prepared!, args, io, onStarted));
      case "executions":
        return await executionsCommand(rt, args, io);
      case "show":
        return await showCommand(rt, args, io);
      case "stats":
        return await statsCommand(rt, args, io);
      case "cancel":
        return await cancelCommand(rt, args, io);
      default:
        return await resumeCommand(rt, args, io);
    }
  } catch (error) {
    return report(error);
  } finally {
    await runtime?.close().catch((error: unknown) => say(`Could not close the store cleanly: ${describeError(error)}`));
  }
}

/**
 * Human-facing commands report through progress lines and exit codes, so pino stays quiet unless LOG_LEVEL
 * asks for more; the bot logs at the configured level.
 */
function cliLogger(config: Config, command: string): Logger {
  const explicit = process.env.LOG_LEVEL !== undefined && process.env.LOG_LEVEL !== "";
  if (explicit) return createLogger({ level: config.LOG_LEVEL });
  // The console chat shares the terminal with the logs: only warnings and errors there.
  if (command === "start") return createLogger({ level: config.SLACK_BOT_TOKEN || config.DISCORD_TOKEN ? config.LOG_LEVEL : "warn" });
  return createLogger({ level: command === "discord" ? "info" : "fatal" });
}

/** Ctrl-C during `run` cancels the execution (so nothing is left running) before exiting. */
async function withInterrupt(rt: Runtime, fn: (onStarted: (id: string) => void) => Promise<number>): Promise<number> {
  let executionId: string | undefined;
  let interrupted = false;
  const onSigint = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    say("Stopping...");
    if (!executionId) process.exit(130);
    void rt.engine.cancel(executionId).catch(() => process.exit(130));
  };
  process.on("SIGINT", onSigint);
  try {
    const code = await fn((id) => {
      executionId = id;
    });
    return interrupted ? 130 : code;
  } finally {
    process.off("SIGINT", onSigint);
  }
}

function report(error: unknown): number {
  if (error instanceof ConfigError) {
    say(error.problems.length === 1 ? `Configuration problem: ${error.problems[0]}` : "Configuration problems:");
    if (error.problems.length > 1) for (const p of error.problems) say(`  - ${p}`);
    return 2;
  }
  if (error instanceof InvalidInputError) {
    // Every issue is already a sentence naming its field.
    if (error.issues.length === 0) say(error.message);
    for (const issue of error.issues) say(issue.message);
    return 2;
  }
  if (error instanceof WorkflowInvalidError) {
    say(error.message);
    for (const p of error.problems) say(`  ${p.path}: ${p.message}`);
    return 1;
  }
  if (error instanceof NotFoundError) {
    say(error.message);
    return 2;
  }
  if (error instanceof StaffroomError) {
    say(error.message);
    return 1;
  }
  say(describeError(error));
  if (process.env.LOG_LEVEL === "debug" || process.env.LOG_LEVEL === "trace") say(String((error as Error)?.stack ?? ""));
  return 1;
}

const code = await main(process.argv.slice(2));
// Flush stdout before exiting: piped output (`| jq`) must not be cut short.
process.stdout.write("", () => process.exit(code));
