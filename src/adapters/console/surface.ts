// The console as a chat Surface: threads are numbered sections of one output stream; edits re-print
// (redrawn in place on a terminal, only the changed lines when piped so logs stay readable).
import { randomUUID } from "node:crypto";
import { basename, extname } from "node:path";
import type { ChatUser, ChoiceAction, MessageRef, OutDocument, OutMessage, Place, Surface, ThreadRef } from "../../chat/contract.ts";
import { changedLines, documentLines, messageLines, prefix } from "./render.ts";

type Printed = { thread: ThreadRef; lines: string[]; actions?: ChoiceAction[] };

export class ConsoleSurface implements Surface {
  readonly name = "console" as const;
  private readonly labels = new Map<string, number>();
  private readonly messages = new Map<string, Printed>();
  /** Buttons currently offered per thread (the latest message that had any). */
  private readonly offered = new Map<string, { messageId: string; actions: ChoiceAction[] }>();
  private nextLabel = 1;
  private nextMessage = 1;
  /** The last block printed, so a terminal can redraw it in place. */
  private last: { messageId: string; lineCount: number } | undefined;
  current: ThreadRef | undefined;

  /**
   * `saveDocument` writes a finished document to files (the app wires the documents folder) and returns
   * their paths, which are printed under the document.
   */
  constructor(
    private readonly write: (text: string) => void,
    private readonly tty: boolean,
    private readonly saveDocument?: (document: OutDocument) => Promise<string[]>,
  ) {}

  async openThread(place: Place, _user: ChatUser, message: OutMessage): Promise<ThreadRef> {
    const thread: ThreadRef = { surface: "console", channelId: place.channelId, threadId: randomUUID().slice(0, 8) };
    this.current = thread;
    this.print(undefined, messageLines(this.label(thread), message));
    return thread;
  }

  async post(thread: ThreadRef, message: OutMessage): Promise<MessageRef> {
    const messageId = String(this.nextMessage++);
    const lines = messageLines(this.label(thread), message);
    this.messages.set(messageId, { thread, lines, ...(message.actions ? { actions: message.actions } : {}) });
    if (message.actions?.length) this.offered.set(key(thread), { messageId, actions: message.actions });
    this.print(messageId, lines);
    return { thread, messageId };
  }

  async edit(ref: MessageRef, message: OutMessage): Promise<void> {
    const printed = this.messages.get(ref.messageId);
    const lines = messageLines(this.label(ref.thread), message);
    const offered = this.offered.get(key(ref.thread));
    if (message.actions?.length) this.offered.set(key(ref.thread), { messageId: ref.messageId, actions: message.actions });
    else if (offered?.messageId === ref.messageId) this.offered.delete(key(ref.thread));
    this.messages.set(ref.messageId, { thread: ref.thread, lines });
    if (!printed) {
      this.print(ref.messageId, lines);
      return;
    }
    if (this.tty && this.last?.messageId === ref.messageId) {
      // Cursor up over the old block, clear to the end of the screen, print the new one.
      this.write(`\x1b[${this.last.lineCount}F\x1b[J`);
      this.print(ref.messageId, lines);
      return;
    }
    const changed = this.tty ? lines : changedLines(printed.lines, lines);
    if (changed.length > 0) this.print(ref.messageId, changed);
  }

  async editRoot(thread: ThreadRef, message: OutMessage): Promise<void> {
    // The root's buttons (Change, Cancel) become the thread's current ones, typed by number or label.
    const messageId = String(this.nextMessage++);
    const lines = messageLines(this.label(thread), { ...message, text: `» ${message.text}` });
    if (message.actions?.length) {
      this.offered.set(key(thread), { messageId, actions: message.actions });
      this.messages.set(messageId, { thread, lines, actions: message.actions });
    }
    this.print(undefined, lines);
  }

  async postDocument(thread: ThreadRef, document: OutDocument): Promise<MessageRef> {
    const messageId = String(this.nextMessage++);
    // Saved first, so the document's end marker names the file actually written.
    let saved: string | undefined;
    let savedAs: string | undefined;
    if (this.saveDocument) {
      saved = await this.saveDocument(document).then(
        (paths) => {
          const ext = extname(document.filename);
          savedAs = basename(paths.find((p) => extname(p) === ext) ?? paths[0] ?? document.filename);
          return `Saved: ${paths.join(", ")}`;
        },
        (error: unknown) => `Could not save the document (${(error as NodeJS.ErrnoException)?.code ?? "write failed"}); it is shown above.`,
      );
    }
    const lines = documentLines(this.label(thread), document, savedAs);
    this.messages.set(messageId, { thread, lines });
    this.print(messageId, lines);
    if (saved) this.print(undefined, prefix(this.label(thread), [saved]));
    return { thread, messageId };
  }

  async notify(_place: Place, _user: ChatUser, message: OutMessage): Promise<void> {
    if (message.actions?.length) this.noticeActions = message.actions;
    this.print(undefined, messageLines("staffroom", message));
  }

  /** Buttons of the latest private notice (a confirmation), picked before any thread's. */
  noticeActions: ChoiceAction[] | undefined;

  /** Buttons the current thread offers right now. */
  actions(thread: ThreadRef): ChoiceAction[] | undefined {
    return this.offered.get(key(thread))?.actions;
  }

  /** The thread shown as #n, if any. */
  threadByLabel(n: number): ThreadRef | undefined {
    for (const printed of this.messages.values()) if (this.labels.get(key(printed.thread)) === n) return printed.thread;
    return undefined;
  }

  info(text: string): void {
    this.print(undefined, prefix("staffroom", text.split("\n")));
  }

  private label(thread: ThreadRef): string {
    const k = key(thread);
    let n = this.labels.get(k);
    if (n === undefined) {
      n = this.nextLabel++;
      this.labels.set(k, n);
    }
    return `#${n}`;
  }

  private print(messageId: string | undefined, lines: string[]): void {
    if (lines.length === 0) return;
    this.write(`${lines.join("\n")}\n`);
    this.last = messageId ? { messageId, lineCount: lines.length } : undefined;
  }
}

function key(thread: ThreadRef): string {
  return `${thread.channelId}/${thread.threadId}`;
}
