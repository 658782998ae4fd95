// The `staffroom` command line (bin/staffroom.js): loads .env and configuration, runs one command, and turns
// every failure into friendly sentences with an exit code (0 done, 1 failed, 2 bad input), never a stack trace.

import { consoleDecision } from "../app/console-mode.ts";
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
} from "./commands.ts";
import { adminCommand, forgetCommand } from "./data.ts";
import { STANDARDS_HELP, standardsCommand } from "./standards.ts";
import { validateCommand } from "./validate.ts";

const io: CliIO = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin };
const say = (text: string) => process.stderr.write(`${text}\n`);

type CommandContext = { args: ParsedArgs; config: Config; logger: Logger };
type Command = (ctx: CommandContext) => Promise<number>;
type RuntimeCommand = (rt: Runtime, args: ParsedArgs, io: CliIO) => Promise<number>;

/** Runs a command against the store and engine, closing them afterwards. */
function withRuntime(run: RuntimeCommand, opts: { notices?: boolean } = {}): Command {
  return async ({ args, config, logger }) => {
    const templates = await loadTemplateList(config, logger);
    // Only commands that may call the model mention the offline fallback.
    const notice = opts.notices ? (line: string) => say(`Note: ${line}`) : () => {};
    const rt = await createRuntime(config, { logger, notice, templates });
    try {
      return await run(rt, args, io);
    } finally {
      await rt.close().catch((error: unknown) => say(`Could not close the store cleanly: ${describeError(error)}`));
    }
  };
}

/** The bot owns its own lifetime (signals, shutdown); start.ts is imported lazily to keep other commands light. */
function bot(headless: boolean): Command {
  return async ({ config, logger }) => {
    const { startBot } = await import("../app/start.ts");
    return await startBot(config, { logger, console: consoleRuns(config, headless) });
  };
}

/**
 * Every command by name. A new command is one entry here (and a line in HELP); `doctor` reads the
 * configuration itself, since reporting its problems is part of its job.
 */
const COMMANDS: Record<string, Command> = {
  start: bot(false),
  serve: bot(true),
  templates: async ({ config, logger, args }) => {
    const { templates, problems } = await loadTemplateSet(config, logger);
    // An admin's broken template file is worth a line here: this is where they look for it.
    for (const p of problems) say(`Note: ${p.file}${p.path ? ` (${p.path})` : ""}: ${p.message}`);
    return templatesCommand(templates, args, io);
  },
  discord: ({ config, logger, args }) => discordCommand(config, logger, args, io),
  standards: ({ args, config }) => standardsCommand(args, io, config.STAFFROOM_STANDARDS_DIR),
  validate: async ({ config, logger, args }) => validateCommand(await loadTemplateList(config, logger), args, io),
  run: async (ctx) => {
    // The template name and inputs are checked before anything is opened, so bad input fails fast and alone.
    const prepared = prepareRun(await loadTemplateList(ctx.config, ctx.logger), ctx.args);
    return withRuntime((rt, args) => withInterrupt(rt, (onStarted) => runCommand(rt, prepared, args, io, onStarted)), { notices: true })(
      ctx,
    );
  },
  executions: withRuntime(executionsCommand),
  show: withRuntime(showCommand),
  stats: withRuntime(statsCommand),
  cancel: withRuntime(cancelCommand),
  resume: withRuntime(resumeCommand, { notices: true }),
  forget: withRuntime(forgetCommand),
  admin: withRuntime(adminCommand),
};

/** Commands that read the environment themselves instead of failing on a bad configuration. */
const OWN_CONFIG: Record<string, (args: ParsedArgs) => Promise<number>> = {
  doctor: async (args) => {
    const { doctorCommand } = await import("./doctor.ts");
    return doctorCommand(process.env, args, io);
  },
};

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
  const command = COMMANDS[args.command];
  const own = OWN_CONFIG[args.command];
  if (!command && !own) {
    say(`Unknown command "${args.command}". Run "staffroom help" for the list of commands.`);
    return 2;
  }
  try {
    loadDotEnv();
    if (own) return await own(args);
    const config = loadConfig();
    return await command!({ args, config, logger: cliLogger(config, args.command) });
  } catch (error) {
    return report(error);
  }
}

function consoleRuns(config: Config, headless: boolean): boolean {
  return consoleDecision(config, { headless });
}

/**
 * Human-facing commands report through progress lines and exit codes, so pino stays quiet unless LOG_LEVEL
 * asks for more; the bot logs at the configured level.
 */
function cliLogger(config: Config, command: string): Logger {
  const explicit = process.env.LOG_LEVEL !== undefined && process.env.LOG_LEVEL !== "";
  if (explicit) return createLogger({ level: config.LOG_LEVEL });
  if (command === "serve") return createLogger({ level: config.LOG_LEVEL });
  // The console chat shares the terminal with the logs: only warnings and errors there.
  if (command === "start") return createLogger({ level: consoleRuns(config, false) ? "warn" : config.LOG_LEVEL });
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
