// Every message the chat core sends, as pure functions into platform-neutral OutMessages: conversation
// prompts, the one root status line, failures, human questions, drafts, status/history/stats listings.

import type { Prompt } from "../conversation/machine.ts";
import { documentFiles, nameFreeFilename } from "../documents/files.ts";
import type { WorkflowStats } from "../engine/api.ts";
import type { ExecutionRecord, ExecutionView } from "../engine/records.ts";
import type { RenderedDocument } from "../templates/types.ts";
import { formatDuration } from "../util/duration.ts";
import { shorten } from "../util/shorten.ts";
import { actionId } from "./actions.ts";
import { type Checklist, renderChecklist } from "./checklist.ts";
import type { ChatUser, ChoiceAction, CommandSpec, OutDocument, OutMessage } from "./contract.ts";
import { type HistoryEntry, historyLine, historyPage } from "./history.ts";

/** A conversation prompt as a message, its options as buttons. */
export function promptMessage(prompt: Prompt): OutMessage {
  const message: OutMessage = {
    text: prompt.text,
    role: prompt.kind === "error" ? "error" : prompt.kind === "notice" ? "notice" : "question",
  };
  if (prompt.options?.length) {
    message.actions = prompt.options.map((o, i) => {
      const action: ChoiceAction = {
        id: actionId({ kind: "conv", key: o.key, ...(o.field ? { field: o.field } : {}) }, i),
        label: o.label,
        value: o.value,
      };
      if (o.style) action.style = o.style;
      return action;
    });
  }
  return message;
}

export function who(user: ChatUser): string {
  return user.name ?? user.id;
}

/** The root message of a request: what was asked and by whom (request text only when it holds no student data). */
export function rootMessage(title: string, user: ChatUser, requestText: string | undefined, studentData: boolean): OutMessage {
  const text = requestText?.trim();
  const shown = text && !studentData ? `: ${shorten(text, 200)}` : "";
  return { text: `**${title}** requested by ${who(user)}${shown}`, role: "root" };
}

/** The Change button of a request that ran: pick a field, rerun, nothing else asked. */
export function changeAction(): ChoiceAction {
  return { id: actionId({ kind: "conv", key: "change" }), label: "Change", value: "change" };
}

/** The root while the draft is being written: what was assumed, with Change and Cancel. */
export function rootRunning(title: string, userName: string, assumed: string, executionId: string): OutMessage {
  return {
    ...rootStatus(title, userName, `⏳ drafting now${assumed ? `\nAssumed: ${assumed}.` : ""}`),
    actions: [changeAction(), { id: actionId({ kind: "cancel-run", executionId }), label: "Cancel", value: "cancel", style: "danger" }],
  };
}

export function rootFinal(
  title: string,
  userName: string,
  status: ExecutionRecord["status"],
  totalMs: number | undefined,
  offline: boolean,
  assumed?: string,
): OutMessage {
  const label =
    status === "completed"
      ? `✅ done in ${formatDuration(totalMs)}`
      : status === "failed"
        ? "❌ could not be finished"
        : status === "cancelled"
          ? "⛔ cancelled"
          : status;
  const line = rootStatus(title, userName, `${label}${offline && status === "completed" ? " (offline draft)" : ""}`);
  if (assumed === undefined || status === "failed") return line;
  return { ...line, text: `${line.text}${assumed ? `\nAssumed: ${assumed}.` : ""}`, actions: [changeAction()] };
}

/** The root message once something happened to the request: the one status line every outcome uses. */
export function rootStatus(title: string, userName: string, status: string): OutMessage {
  return { text: `**${title}** requested by ${userName}: ${status}`, role: "root" };
}

export function progressMessage(list: Checklist, cancellable: boolean, executionId: string): OutMessage {
  const message: OutMessage = { text: renderChecklist(list), role: "progress" };
  if (cancellable)
    message.actions = [{ id: actionId({ kind: "cancel-run", executionId }), label: "Cancel", value: "cancel", style: "danger" }];
  return message;
}

/** One friendly sentence for a failed run, with its id for support; never a stack trace. */
export function failureMessage(executionId: string, error: { code?: string; message?: string } | undefined, command: string): OutMessage {
  const reason = error?.message ? oneLine(error.message) : "something went wrong";
  return {
    text: `Sorry, I couldn't finish this request: ${reason} (request id ${executionId}). You can try again with /${command}.`,
    role: "error",
  };
}

export function cancelledMessage(executionId: string): OutMessage {
  return { text: `This request was cancelled (request id ${executionId}).`, role: "notice" };
}

/** A human step's question; its choices become buttons. */
export function humanQuestion(
  executionId: string,
  nodeId: string,
  data: { prompt?: unknown; choices?: unknown; reminder?: unknown },
): OutMessage {
  const prompt = typeof data.prompt === "string" ? data.prompt : "Your answer is needed to continue.";
  const choices = Array.isArray(data.choices) ? (data.choices as { value: string; label: string }[]) : [];
  const reminder = typeof data.reminder === "number" ? "⏰ Reminder: " : "";
  const hint = choices.length > 0 ? "" : "\nReply in this thread with your answer.";
  const message: OutMessage = { text: `${reminder}**${prompt}**${hint}`, role: "question" };
  if (choices.length > 0) {
    message.actions = choices.map((c, i) => ({ id: actionId({ kind: "human", executionId, nodeId }, i), label: c.label, value: c.value }));
  }
  return message;
}

export function answeredMessage(prompt: string, answer: string, by: string): OutMessage {
  const source = by === "deadline" ? "no answer before the deadline" : `answered by ${by}`;
  return { text: `**${prompt}**\n✅ ${answer} (${source})`, role: "question" };
}

/**
 * A finished document as the surfaces get it: its Markdown for the message text, its files built once
 * here (Word: the document, and an assessment's student copy and answer key) with no name from `names` in
 * a file name, and the link to its printable page when links are on.
 */
export async function documentOf(
  doc: RenderedDocument,
  label?: string,
  options: { names?: readonly string[]; link?: string } = {},
): Promise<OutDocument> {
  const files = await documentFiles(doc, { format: "docx", names: options.names ?? [] });
  return {
    title: label ? `${label}: ${doc.title}` : doc.title,
    markdown: doc.markdown,
    filename: nameFreeFilename(doc.filename, options.names ?? []),
    ...(doc.companions?.length ? { companions: doc.companions } : {}),
    files: files.map((f) => ({ title: f.title, filename: f.filename, contentType: f.contentType, bytes: f.bytes })),
    ...(options.link ? { link: { label: "Open / print", url: options.link } } : {}),
  };
}

/** The small message under a version carrying its Approve / Undo / Revise / Regenerate buttons (Undo from v2 on). */
export function draftActions(version: number, state: "open" | "approved" | "superseded" | "undone", approvedBy?: string): OutMessage {
  if (state === "approved") return { text: `✅ Draft v${version} approved${approvedBy ? ` by ${approvedBy}` : ""}.`, role: "draft" };
  if (state === "superseded") return { text: `Draft v${version} (replaced by a newer version).`, role: "draft" };
  if (state === "undone") return { text: `Draft v${version} (undone; the previous version is current again).`, role: "draft" };
  return {
    text: `**Draft v${version}.** Approve it, or reply in this thread with what to change (for example: "make the warm-up shorter" or "regenerate the exit ticket").`,
    role: "draft",
    actions: [
      { id: actionId({ kind: "draft", verb: "approve", version }), label: "Approve", value: "approve", style: "primary" },
      ...(version > 1 ? [{ id: actionId({ kind: "draft", verb: "undo", version }), label: "Undo", value: "undo" }] : []),
      { id: actionId({ kind: "draft", verb: "revise", version }), label: "Revise", value: "revise" },
      { id: actionId({ kind: "draft", verb: "regenerate", version }), label: "Regenerate", value: "regenerate" },
    ],
  };
}

export function statusMessage(view: ExecutionView, list: Checklist | undefined): OutMessage {
  const lines = [
    `**${view.title}** (request id ${view.id})`,
    `Status: ${view.status}${view.durationMs !== undefined ? `, ${formatDuration(view.durationMs)}` : ""}`,
    `Started: ${new Date(view.createdAt).toISOString().replace("T", " ").slice(0, 16)} UTC`,
  ];
  if (view.error) lines.push(`Problem: ${oneLine(view.error.message)}`);
  if (list) lines.push("", renderChecklist(list));
  return { text: lines.join("\n"), role: "notice" };
}

/** A page of the teacher's requests, newest first, with a More button when older ones follow. */
export function historyMessage(entries: readonly HistoryEntry[], page = 0): OutMessage {
  if (entries.length === 0) return { text: "You have no requests yet. Try /lesson-plan.", role: "notice" };
  const { items, more } = historyPage(entries, page);
  if (items.length === 0) return { text: "No older requests.", role: "notice" };
  const head = page === 0 ? "**Your requests** (newest first)" : `**Your requests**, page ${page + 1}`;
  const tip = "Open one with /staffroom open <number> (add v2 for a version); /staffroom status <number> shows its progress.";
  return {
    text: [head, ...items.map((e) => `- ${historyLine(e)}`), tip].join("\n"),
    role: "notice",
    ...(more ? { actions: [{ id: actionId({ kind: "history", page: page + 1 }), label: "More", value: String(page + 1) }] } : {}),
  };
}

export function statsMessage(stats: WorkflowStats[]): OutMessage {
  if (stats.length === 0) return { text: "No runs yet.", role: "notice" };
  const lines = stats.map(
    (s) =>
      `- **${s.templateId}**: ${s.runs} runs, ${Math.round(s.successRate * 100)}% completed, median ${formatDuration(s.p50Ms ?? undefined)}, p95 ${formatDuration(s.p95Ms ?? undefined)}`,
  );
  return { text: `**Workflow stats**\n${lines.join("\n")}`, role: "notice" };
}

/**
 * The general help. `descriptions` are the templates' full descriptions by command: command lists clip
 * theirs to Discord's 100 characters, a help message need not.
 */
export function helpMessage(commands: CommandSpec[], descriptions: Record<string, string> = {}): OutMessage {
  const lines = commands
    .filter((c) => c.name !== "staffroom")
    .map((c) => `- **/${c.name}**: ${descriptions[c.name] ?? c.description}\n  ${c.usage}`);
  const staff = commands.find((c) => c.name === "staffroom");
  const subs = (staff?.subcommands ?? []).map((s) => `- **/staffroom ${s.name}${s.arg ? ` <${s.arg.name}>` : ""}**: ${s.description}`);
  return {
    text: [
      "**Staffroom**: I turn a short request into a finished document, asking for anything missing.",
      ...lines,
      ...subs,
      "Say what you know with the command; I ask only for what is missing and start at once. The first message says what I assumed: Change fixes any of it, Cancel stops.",
      'While I ask questions: a message is one answer (paste as many lines as you like); "back" goes to the previous question, "skip" leaves out an optional one, "help" explains, "cancel" stops. "/lesson-plan help" shows what a command takes.',
    ].join("\n"),
    role: "notice",
  };
}

function oneLine(text: string): string {
  const line = text.split("\n")[0] ?? "";
  return shorten(line, 300);
}
