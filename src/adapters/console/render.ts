// Pure rendering for the console chat: messages, buttons and documents as plain text lines, each
// prefixed with its thread's label so interleaved requests stay readable in logs and terminals.
import type { ChoiceAction, OutDocument, OutMessage } from "../../chat/contract.ts";

const WIDTH = 100;

/** Markdown emphasis markers read as noise in a terminal; headings and lists read fine as they are. */
export function plain(text: string): string {
  return text.replace(/\*\*(.+?)\*\*/g, "$1").replace(/(^|\s)_(.+?)_(?=\s|$|[.,;:!?)])/g, "$1$2");
}

export function prefix(label: string, lines: string[]): string[] {
  return lines.map((line) => (line === "" ? `[${label}]` : `[${label}] ${line}`));
}

/** A message's lines: its text, then its buttons as numbered choices. */
export function messageLines(label: string, message: OutMessage): string[] {
  const lines = plain(message.text).split("\n");
  if (message.actions?.length) lines.push(...actionLines(message.actions));
  return prefix(label, lines);
}

/**
 * Whether a menu is shown (and read) by number. A menu whose choices hold digits (grades, "DOK 2") is
 * not: there "5" means grade 5 and "13" is refused, never item 13.
 */
export function numbered(actions: ChoiceAction[]): boolean {
  return !actions.some((a) => /\d/.test(a.value) || /\d/.test(a.label));
}

/** Buttons as "1) Yes   2) No" (or "[Grade 5]" when not numbered), wrapped; typing the number or the label picks one. */
export function actionLines(actions: ChoiceAction[]): string[] {
  const byNumber = numbered(actions);
  const items = actions.map((a, i) => (byNumber ? `${i + 1}) ${a.label}` : `[${a.label}]`));
  const lines: string[] = [];
  let line = "  ";
  for (const item of items) {
    if (line.length + item.length + 3 > WIDTH && line.trim() !== "") {
      lines.push(line.trimEnd());
      line = "  ";
    }
    line += `${item}   `;
  }
  if (line.trim() !== "") lines.push(line.trimEnd());
  return lines;
}

/** A document between markers; `savedAs` is the file name actually written (a second plan on a topic gets "-2"). */
export function documentLines(label: string, doc: OutDocument, savedAs?: string): string[] {
  const body = doc.markdown.split("\n");
  const lines = [`===== ${doc.title} =====`, ...body, `===== end of ${savedAs ?? doc.filename} =====`];
  if (doc.actions?.length) lines.push(...actionLines(doc.actions));
  return prefix(label, lines);
}

/** Lines of `next` that differ from `prev` at the same position (what a piped log needs after an edit). */
export function changedLines(prev: string[], next: string[]): string[] {
  return next.filter((line, i) => prev[i] !== line);
}

/** Control words the core understands when typed, so bare numbers are never read as these buttons. */
const CONTROL_VALUES = new Set(["cancel", "skip"]);

/**
 * Which button a typed line picks: an exact label or value (case-insensitive), or a number when the
 * buttons offer real choices (a bare "3" answering "How many questions?" must stay an answer).
 */
export function pickAction(actions: ChoiceAction[] | undefined, typed: string): ChoiceAction | undefined {
  if (!actions || actions.length === 0) return undefined;
  const text = typed.trim().toLowerCase();
  if (text === "") return undefined;
  const exact = actions.find((a) => a.label.toLowerCase() === text) ?? actions.find((a) => a.value.toLowerCase() === text);
  if (exact) return exact;
  if (/^\d{1,3}$/.test(text) && numbered(actions) && actions.some((a) => !CONTROL_VALUES.has(a.value.toLowerCase()))) {
    return actions[Number(text) - 1];
  }
  return undefined;
}
