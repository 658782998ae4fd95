// The CLI's commands: each takes the runtime (or what it needs) and the process streams, returns an exit code.
// Exit codes: 0 success, 1 a run or check failed, 2 bad input (unknown names, invalid inputs).
import { mkdir, writeFile } from "node:fs/promises";
import { userInfo } from "node:os";
import { dirname, join, parse as parsePath } from "node:path";
import { createInterface, type Interface } from "node:readline";
import { createRuntime, type Runtime, teacherTemplates } from "../app/runtime.ts";
import { executionOf, historyOf, isShortRef, numbersOf, resolveRef as resolveHistoryRef } from "../chat/history.ts";
import type { Config } from "../config.ts";
import { EXPORT_FORMATS, type ExportFormat, exportDocument, formatOfPath } from "../documents/index.ts";
import type { EngineEvent, ExecutionView } from "../engine/records.ts";
import { InvalidInputError, NotFoundError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { acceptedKeys, describeFields, fieldForKey, keyOf } from "../templates/fields.ts";
import type { Template } from "../templates/types.ts";
import { formatDuration } from "../util/duration.ts";
import { flagNumber, type ParsedArgs, parseInputs } from "./args.ts";
import { executionJson, executionsTable, executionText, progressLine, statsText } from "./format.ts";

export type CliIO = {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
};

const say = (stream: NodeJS.WritableStream, text: string) => stream.write(text.endsWith("\n") ? text : `${text}\n`);
const json = (io: CliIO, value: unknown) => say(io.stdout, JSON.stringify(value, null, 2));

export function cliUserId(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return "cli:local";
  }
}

export function templatesCommand(templates: Template[], args: ParsedArgs, io: CliIO): number {
  const list = templates.map((t) => ({
    id: t.id,
    version: t.workflow.definition.version,
    title: t.title,
    description: t.description,
    command: t.command,
    inputs: describeFields(t.inputSchema)
      .filter((f) => !f.internal)
      .map((f) => ({
        name: f.name,
        key: keyOf(f),
        aliases: f.aliases,
        label: f.label,
        type: f.type,
        required: f.required,
        help: f.help,
        example: f.example,
        ...(f.choices ? { choices: f.choices.map((c) => c.value) } : {}),
        ...(f.default === undefined ? {} : { default: f.default }),
      })),
  }));
  if (args.flags.json) {
    json(io, list);
    return 0;
  }
  if (list.length === 0) {
    say(io.stdout, "No templates are registered.");
    return 0;
  }
  const blocks = list.map((t) => {
    const inputs = t.inputs.map((f) => {
      const notes = [
        f.required ? "required" : "optional",
        f.choices ? `one of ${f.choices.join(", ")}` : "",
        f.default === undefined ? "" : `default ${String(f.default)}`,
      ]
        .filter(Boolean)
        .join("; ");
      // The keys come from the field table: the one shown, then the others accepted.
      const others = [f.name, ...f.aliases].filter((k) => k !== f.key && !k.includes(" "));
      return `    ${f.key}${others.length ? ` (also ${others.join(", ")})` : ""} (${notes})${f.help ? `: ${f.help}` : ""}`;
    });
    const example = t.inputs
      .filter((f) => f.required)
      .map((f) => `${f.key}=${quote(f.example || "...")}`)
      .join(" ");
    return [
      `${t.id} v${t.version}: ${t.title}`,
      `  ${t.description}`,
      "  inputs:",
      ...inputs,
      `  e.g. staffroom run ${t.id} ${example}`.trimEnd(),
    ].join("\n");
  });
  say(io.stdout, blocks.join("\n\n"));
  return 0;
}

function quote(value: string): string {
  return /^[\w.,:/-]+$/.test(value) ? value : `"${value.replace(/"/g, '\\"')}"`;
}

/**
 * `key=value` keys read through the template's field table (names, labels and aliases: student=Sam is
 * studentName), then inputs it does not know and required ones that are missing, in friendly sentences.
 */
export function checkInputs(template: Template, inputs: Record<string, string>): { path: string; message: string }[] {
  return readInputs(template, inputs).issues;
}

export function readInputs(
  template: Template,
  raw: Record<string, string>,
): { inputs: Record<string, string>; issues: { path: string; message: string }[] } {
  const fields = describeFields(template.inputSchema);
  const inputs: Record<string, string> = {};
  const issues: { path: string; message: string }[] = [];
  const unknown: string[] = [];
  for (const [key, value] of Object.entries(raw)) {
    const field = fields.find((f) => f.name === key) ?? fieldForKey(fields, key);
    if (!field) unknown.push(key);
    else if (field.name in inputs) issues.push({ path: key, message: `${field.label} is given twice; give each input once.` });
    else inputs[field.name] = value;
  }
  if (unknown.length > 0) {
    const named = unknown.map((k) => `"${k}"`).join(unknown.length === 2 ? " and " : ", ");
    const message = `${named} ${unknown.length === 1 ? "is not an input" : "are not inputs"} of ${template.id}; its inputs are ${acceptedKeys(fields).join(", ")}.`;
    issues.push({ path: unknown[0]!, message });
  }
  for (const f of fields) {
    if (f.required && !f.internal && (inputs[f.name] === undefined || inputs[f.name]!.trim() === "")) {
      issues.push({ path: f.name, message: `${f.label} is missing: ${f.question} Add it as ${keyOf(f)}=${quote(f.example || "...")}.` });
    }
  }
  return { inputs, issues };
}

/** Schema issues name fields by key; teachers know them by label ("Minutes: ..."). */
function labelIssues(template: Template, error: InvalidInputError): InvalidInputError {
  const labels = new Map(describeFields(template.inputSchema).map((f) => [f.name, f.label]));
  const issues = error.issues.map((i) => {
    const field = i.path.split(/[.[]/)[0] ?? "";
    const label = labels.get(field) ?? i.path;
    return { path: i.path, message: label ? `${label}: ${i.message}` : i.message };
  });
  return new InvalidInputError(issues.map((i) => i.message).join(" "), issues);
}

function findTemplate(rt: Pick<Runtime, "templates" | "template">, id: string | undefined): Template {
  const available = rt.templates.map((t) => t.id).join(", ");
  if (!id)
    throw new InvalidInputError(
      `Name a template to run, e.g. staffroom run ${rt.templates[0]?.id ?? "<template>"} key=value. Templates: ${available}.`,
    );
  const template = rt.template(id) ?? rt.templates.find((t) => t.command === id);
  if (!template) throw new InvalidInputError(`There is no template "${id}". Templates: ${available}.`);
  return template;
}

export type PreparedRun = { template: Template; inputs: Record<string, string>; output?: { path: string; format: ExportFormat } };

/** `--output plan.docx`: the extension picks the format; anything else is bad input before the run starts. */
function outputOption(args: ParsedArgs): PreparedRun["output"] {
  const value = args.flags.output;
  if (value === undefined) return undefined;
  const path = typeof value === "string" ? value.trim() : "";
  const format = path ? formatOfPath(path) : undefined;
  if (!format) {
    const message = `--output needs a file name ending in ${EXPORT_FORMATS.map((f) => `.${f}`).join(", ")}, e.g. --output plan.docx.`;
    throw new InvalidInputError(message, [{ path: "output", message }]);
  }
  return { path, format };
}

/** Checks the template name and inputs before anything is opened, so bad input fails fast and alone. */
export function prepareRun(templates: Template[], args: ParsedArgs): PreparedRun {
  const [templateId, ...words] = args.positionals;
  const template = findTemplate({ templates, template: (id) => templates.find((t) => t.id === id) }, templateId);
  const { inputs, issues } = readInputs(template, parseInputs(words));
  if (issues.length > 0) throw new InvalidInputError(issues.map((i) => i.message).join(" "), issues);
  const output = outputOption(args);
  return { template, inputs, ...(output ? { output } : {}) };
}

export async function runCommand(
  rt: Runtime,
  { template, inputs, output }: PreparedRun,
  args: ParsedArgs,
  io: CliIO,
  onStarted?: (executionId: string) => void,
): Promise<number> {
  const started = await rt.engine
    .start(template.id, { inputs, userId: cliUserId(), origin: { surface: "cli" } })
    .catch((error: unknown) => {
      throw error instanceof InvalidInputError ? labelIssues(template, error) : error;
    });
  onStarted?.(started.id);
  say(io.stderr, `${template.title}: started ${started.id}`);
  const labels = Object.fromEntries(template.workflow.definition.nodes.map((n) => [n.id, n.title ?? n.id]));
  const answers = new AnswerReader(io);
  let noAnswer = false;
  const stopWaiting = new AbortController();
  const unsubscribe = rt.engine.subscribe(started.id, 1, (event) => {
    const line = progressLine(event, labels);
    if (line) say(io.stderr, line);
    if (event.type === "execution.waiting" && !event.data?.reminder) {
      void askHuman(rt, event, started.id, answers, io).then((answered) => {
        if (!answered) {
          noAnswer = true;
          stopWaiting.abort();
        }
      });
    }
  });
  let view: ExecutionView;
  try {
    view = await Promise.race([
      rt.engine.wait(started.id),
      new Promise<never>((_, reject) => stopWaiting.signal.addEventListener("abort", () => reject(new Error("no answer")))),
    ]);
  } catch (error) {
    if (!noAnswer) throw error;
    say(
      io.stderr,
      `No answer was given, so ${started.id} is still waiting. Answer it in chat, or stop it with: staffroom cancel ${started.id}`,
    );
    return 1;
  } finally {
    unsubscribe();
    answers.close();
  }
  if (output && view.status === "completed") await writeOutput(template, view, output, io);
  return finish(template, view, args, io, !!output);
}

/**
 * Writes the document at the named path in its format; companions (an assessment's student copy and
 * answer key) go beside it as `<name>-student-copy.<ext>` and `<name>-answer-key.<ext>`.
 */
async function writeOutput(template: Template, view: ExecutionView, output: NonNullable<PreparedRun["output"]>, io: CliIO) {
  const doc = template.render(view);
  const { dir, name, ext } = parsePath(output.path);
  const targets = [{ doc, path: output.path }];
  for (const companion of doc.companions ?? []) {
    const kind = companion.filename.includes("answer-key") ? "answer-key" : "student-copy";
    targets.push({ doc: companion, path: join(dir, `${name}-${kind}${ext}`) });
  }
  await mkdir(dirname(output.path), { recursive: true });
  for (const t of targets) {
    const file = await exportDocument(t.doc, output.format);
    await writeFile(t.path, file.bytes);
    say(io.stderr, `Saved ${t.doc.title} to ${t.path}`);
  }
}

function finish(template: Template | undefined, view: ExecutionView, args: ParsedArgs, io: CliIO, saved = false): number {
  if (args.flags.json) json(io, executionJson(view));
  if (view.status === "completed") {
    if (!args.flags.json && !saved) {
      const doc = template?.render(view);
      say(io.stdout, doc ? doc.markdown : JSON.stringify(executionJson(view).outputs, null, 2));
    }
    say(io.stderr, `Completed in ${formatDuration(view.totalMs ?? view.durationMs)} (${view.id}).`);
    return 0;
  }
  if (view.status === "failed") say(io.stderr, `Failed: ${view.error?.message ?? "the run did not finish"} (${view.id})`);
  else if (view.status === "cancelled") say(io.stderr, `Cancelled (${view.id}).`);
  else say(io.stderr, `${view.id} is ${view.status}.`);
  return 1;
}

/** Reads answers to human steps from stdin, one line each; undefined once stdin has ended. */
class AnswerReader {
  private rl: Interface | undefined;
  private lines: string[] = [];
  private waiters: ((line: string | undefined) => void)[] = [];
  private ended = false;

  constructor(private readonly io: CliIO) {}

  next(): Promise<string | undefined> {
    if (!this.rl) {
      this.rl = createInterface({ input: this.io.stdin, terminal: false });
      this.rl.on("line", (line) => {
        const waiter = this.waiters.shift();
        if (waiter) waiter(line);
        else this.lines.push(line);
      });
      this.rl.on("close", () => {
        this.ended = true;
        for (const w of this.waiters.splice(0)) w(undefined);
      });
    }
    const line = this.lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (this.ended) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  close(): void {
    this.rl?.close();
  }
}

async function askHuman(rt: Runtime, event: EngineEvent, rootId: string, answers: AnswerReader, io: CliIO): Promise<boolean> {
  const data = (event.data ?? {}) as { prompt?: string; choices?: { value: string; label: string }[] };
  const executionId = event.sub?.executionId ?? rootId;
  const nodeId = event.nodeId!;
  const choices = data.choices ?? [];
  for (;;) {
    say(io.stderr, `? ${data.prompt ?? "Your answer:"}`);
    for (const [i, c] of choices.entries()) say(io.stderr, `  ${i + 1}. ${c.label}`);
    say(io.stderr, choices.length > 0 ? "Type a number or a choice, then Enter:" : "Type your answer, then Enter:");
    const line = await answers.next();
    if (line === undefined) return false;
    const answer = interpretAnswer(line, choices);
    const result = await rt.engine.resume(executionId, nodeId, answer, { userId: cliUserId() });
    if (result.accepted) return true;
    if (result.reason === "already_answered" || result.reason === "not_waiting" || result.reason === "not_found") return true;
    say(io.stderr, result.message);
  }
}

export function interpretAnswer(line: string, choices: { value: string; label: string }[]): unknown {
  const text = line.trim();
  if (choices.length > 0) {
    const n = Number(text);
    if (Number.isInteger(n) && n >= 1 && n <= choices.length) return choices[n - 1]!.value;
    const lower = text.toLowerCase();
    return choices.find((c) => c.value.toLowerCase() === lower || c.label.toLowerCase() === lower)?.value ?? text;
  }
  if (/^[[{]/.test(text)) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

export async function executionsCommand(rt: Runtime, args: ParsedArgs, io: CliIO): Promise<number> {
  const status = typeof args.flags.status === "string" ? args.flags.status.split(",").map((s) => s.trim()) : undefined;
  const valid = ["pending", "running", "waiting", "completed", "failed", "cancelled"] as const;
  const bad = status?.filter((s) => !(valid as readonly string[]).includes(s)) ?? [];
  if (bad.length > 0) throw new InvalidInputError(`Unknown status ${bad.join(", ")}; use one of ${valid.join(", ")}.`);
  const user = typeof args.flags.user === "string" ? { userId: args.flags.user } : {};
  const records = await rt.engine.list({
    limit: flagNumber(args.flags, "limit", 50),
    ...user,
    ...(status ? { status: status as (typeof valid)[number][] } : {}),
    ...(typeof args.flags.template === "string" ? { templateId: args.flags.template } : {}),
  });
  // Short numbers are per teacher over all their runs, whatever this page shows.
  const numbers = numbersOf(await rt.engine.list({ limit: 100_000, ...user }));
  const rows = records.map((r) => ({ ...r, ...numbers.get(r.id) }));
  if (args.flags.json) json(io, rows);
  else say(io.stdout, executionsTable(rows));
  return 0;
}

/** An execution id, or a teacher's short number ("7", "#7 v2") with --user (the CLI's own user by default). */
async function resolveRef(rt: Runtime, args: ParsedArgs, ref: string | undefined): Promise<string | undefined> {
  if (!ref || !isShortRef(ref)) return ref;
  const userId = typeof args.flags.user === "string" ? args.flags.user : cliUserId();
  const found = resolveHistoryRef(historyOf(await rt.engine.list({ userId, limit: 100_000 })), ref);
  if (!found)
    throw new InvalidInputError(`${userId} has no request numbered ${ref.trim()}; list them with: staffroom executions --user ${userId}`);
  return executionOf(found);
}

async function getView(rt: Runtime, id: string | undefined, usage: string): Promise<ExecutionView> {
  if (!id) throw new InvalidInputError(`Give an execution id, e.g. ${usage}. List them with: staffroom executions`);
  const view = await rt.engine.get(id);
  if (!view) throw new NotFoundError("execution", id);
  return view;
}

export async function showCommand(rt: Runtime, args: ParsedArgs, io: CliIO): Promise<number> {
  const view = await getView(rt, await resolveRef(rt, args, args.positionals.join(" ") || undefined), "staffroom show <id>");
  if (args.flags.json) json(io, executionJson(view));
  else say(io.stdout, executionText(view));
  return 0;
}

export async function statsCommand(rt: Runtime, args: ParsedArgs, io: CliIO): Promise<number> {
  const templateId = args.positionals[0];
  if (templateId && !rt.template(templateId)) {
    throw new InvalidInputError(`There is no template "${templateId}". Templates: ${rt.templates.map((t) => t.id).join(", ")}.`);
  }
  const stats = await rt.engine.stats(templateId);
  if (args.flags.json) json(io, stats);
  else say(io.stdout, statsText(stats));
  return 0;
}

export async function cancelCommand(rt: Runtime, args: ParsedArgs, io: CliIO): Promise<number> {
  const view = await getView(rt, await resolveRef(rt, args, args.positionals.join(" ") || undefined), "staffroom cancel <id>");
  if (await rt.engine.cancel(view.id)) {
    say(io.stdout, `Cancelled ${view.id}.`);
    return 0;
  }
  say(io.stderr, `${view.id} has already finished (${view.status}); nothing to cancel.`);
  return 1;
}

/** Resumes what a crash left running, waits for each (until finished or waiting for a person), prints them. */
export async function resumeCommand(rt: Runtime, args: ParsedArgs, io: CliIO): Promise<number> {
  const ids = await rt.engine.recover();
  if (ids.length === 0) {
    if (args.flags.json) json(io, []);
    else say(io.stdout, "Nothing to resume: no execution was left running.");
    return 0;
  }
  say(io.stderr, `Resuming ${ids.length} execution${ids.length === 1 ? "" : "s"}: ${ids.join(", ")}`);
  const views = await Promise.all(ids.map((id) => rt.engine.wait(id, { untilWaiting: true })));
  if (args.flags.json) json(io, views.map(executionJson));
  else say(io.stdout, views.map((v) => executionText(v)).join("\n\n"));
  return views.some((v) => v.status === "failed" || v.status === "cancelled") ? 1 : 0;
}

/** `staffroom discord register`: (re)registers the slash commands, guild-scoped when DISCORD_GUILD_IDS is set. */
export async function discordCommand(config: Config, logger: Logger, args: ParsedArgs, io: CliIO): Promise<number> {
  if (args.positionals[0] !== "register") throw new InvalidInputError("The discord command has one action: staffroom discord register.");
  if (!config.DISCORD_TOKEN) throw new InvalidInputError("Set DISCORD_TOKEN and DISCORD_APPLICATION_ID to register the Discord commands.");
  const { registerCommands } = await import("../adapters/discord/index.ts");
  const { createChatCore } = await import("../chat/index.ts");
  const rt = await createRuntime(config, { logger, notice: () => {} });
  try {
    const core = createChatCore({
      engine: rt.engine,
      templates: teacherTemplates(rt.templates),
      keyv: rt.store.namespace("chat"),
      claims: rt.store.claims,
      logger,
    });
    try {
      const result = await registerCommands({ config, core, logger });
      say(
        io.stdout,
        `Registered ${result.commands.length} command${result.commands.length === 1 ? "" : "s"} (${result.commands.join(", ")}) ${
          result.scope === "guild"
            ? `in guild${result.guildIds.length === 1 ? "" : "s"} ${result.guildIds.join(", ")}`
            : "globally (may take up to an hour to appear)"
        }.`,
      );
      return 0;
    } finally {
      await core.close();
    }
  } finally {
    await rt.close();
  }
}

export const HELP = `staffroom: multi-step AI workflows for teachers

Usage: staffroom <command> [options]

  start                               Start the bot after resuming interrupted runs: Slack, Discord, the HTTP port, and
                                      the console chat when STAFFROOM_CONSOLE allows it (auto: with a terminal, or alone)
  serve                               Start headless (no console chat) and serve until SIGTERM/SIGINT (systemd, containers)
  doctor [--json]                     Check the configuration, store, model endpoint, Slack, Discord and folders
  templates [--json]                  List templates with their inputs
  run <template> key=value ... [--json] [--output plan.docx]
                                      Run a template to completion; progress on stderr, the result on stdout,
                                      or saved as .docx, .html or .md with --output (the extension picks)
  validate <file|folder>... [--json]  Check workflow files and admin template files (JSON or YAML), or every such file
                                      of a folder, listing every problem in one pass
  executions [--json] [--status=running,failed] [--template=id] [--limit=50] [--user=id]
                                      List executions, newest first, with each teacher's short number (#7 v2),
                                      title and topic
  show <id|number> [--user=id] [--json]
                                      One execution with its nodes; a short number ("7", "7 v2") is the
                                      teacher's given by --user (default: you)
  stats [template] [--json]           Success rate and timings per template and node
  cancel <id|number> [--user=id]      Cancel a running or waiting execution
  resume [--json]                     Resume executions a crash left running and wait for them
  forget --user <id> [--json]         Delete everything kept about one teacher (every surface, CLI and API included):
                                      executions, chat records, conversations, profile, placeholder maps, saved
                                      documents, then their data key
  admin forget-student "<name>" [--dry-run] [--json]
                                      Delete every execution whose inputs or outputs name the student (any case,
                                      with or without accents, the whole name or a part), with its chat threads,
                                      placeholder maps and saved documents naming them; --dry-run only lists them
  admin export --user <id> | --student "<name>" [--out file.zip] [--json]
                                      A zip of everything kept about a teacher (executions with inputs, outputs and
                                      events, conversations, profile, chat records, placeholder maps, saved documents),
                                      or of everything naming a student; audited
  admin audit [--user <id>] [--since 7d|2026-12-01] [--action forget] [--limit 100] [--json]
                                      The audit log: forgets (dry runs flagged), exports, dashboard sign-ins and
                                      API-key use, newest first; ids and counts, never content
  discord register                    Register the Discord slash commands (guild-scoped with DISCORD_GUILD_IDS)
  help                                This text

Exit codes: 0 done, 1 a run or check failed, 2 bad input.
Configuration comes from the environment or a .env file (see README).`;
