// The small contract between chat surfaces (console, Slack, Discord) and the shared chat core.
// A surface turns platform events into ChatCore calls and implements Surface to post; it knows no node kinds.

export type SurfaceName = "console" | "slack" | "discord";

/** A thread the bot posts into: Slack channel + root ts, a Discord thread channel, a console session. */
export type ThreadRef = {
  surface: SurfaceName;
  channelId: string;
  /** Platform id of the thread: Slack root message ts, Discord thread channel id (or DM channel id). */
  threadId: string;
};

/** A posted message that can be edited later. */
export type MessageRef = { thread: ThreadRef; messageId: string };

/** A button or select option the core wants shown; clicks come back through ChatCore.action with these ids. */
export type ChoiceAction = { id: string; label: string; value: string; style?: "primary" | "danger" };

/**
 * A platform-neutral message. `text` is Markdown (headings, bold, lists, links); each surface's
 * render.ts turns it into blocks/embeds within that platform's limits.
 */
export type OutMessage = {
  text: string;
  /** Buttons (a surface may show many as a select menu instead). */
  actions?: ChoiceAction[];
  /** What the message is for, so a surface can style it (e.g. a checklist in a context block). */
  role?: "root" | "question" | "progress" | "result" | "document" | "draft" | "notice" | "error";
};

/** A file the chat core built for a document; surfaces only upload or attach it. */
export type OutFile = {
  /** What the file is, as a person reads it ("Student copy: Fractions"). */
  title: string;
  /** Named from the title and topic, never from a student's name. */
  filename: string;
  contentType: string;
  bytes: Uint8Array;
};

/** A finished document: posted split at headings (its Markdown as the message text), with its files. */
export type OutDocument = {
  title: string;
  markdown: string;
  filename: string;
  actions?: ChoiceAction[];
  /** Documents made with it (an assessment's student copy and answer key), shown as text where a surface has no files. */
  companions?: { title: string; markdown: string; filename: string }[];
  /**
   * The document's files, built once by the chat core (the .docx, and an assessment's student copy and
   * answer key), main document first: Slack uploads them into the thread, Discord attaches them.
   */
  files?: OutFile[];
  /** A link shown with the document (its signed printable page: "Open / print"). */
  link?: { label: string; url: string };
};

/** Where a command was typed; `reply` is an opaque handle the same surface gets back (response_url, interaction). */
export type Place = {
  channelId: string;
  /** A direct message with the bot (no channel threads on some platforms). */
  isDirect: boolean;
  reply?: unknown;
};

/**
 * How the chat core's outbox (src/chat/outbox.ts) sends one message exactly once across crashes. A message
 * may go out in several parts (a long document, its file); each part `i` carries the platform-visible key
 * `${key}.${i}` (Discord `nonce` with `enforce_nonce`, Slack message `metadata`), and its id is recorded
 * through `part` before the next part is sent.
 */
export type Delivery = {
  /** Deterministic key of the message (execution, event sequence, part). */
  key: string;
  /** Platform ids of the parts already recorded as sent, by part index: these are not sent again. */
  sent: readonly string[];
  /**
   * An earlier process may have sent the next part and died before recording it: the surface looks for it
   * (Slack: the thread read with its metadata) or sends it so the platform dedupes it (Discord: the nonce).
   */
  resuming: boolean;
  /** Records part `index`'s platform message id. */
  part(index: number, messageId: string): Promise<void>;
};

/**
 * Sends a message's `count` parts in order under a delivery (the one loop every surface shares): recorded
 * parts are skipped, the first unrecorded one after a crash is looked for with `find` (when the platform
 * cannot dedupe by key), every other part is sent with its key and recorded before the next. Returns the
 * platform ids of all parts.
 */
export async function sendParts(
  delivery: Delivery | undefined,
  count: number,
  send: (index: number, key: string | undefined) => Promise<string>,
  find?: (index: number, key: string) => Promise<string | undefined>,
): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const key = delivery ? `${delivery.key}.${i}` : undefined;
    const recorded = delivery?.sent[i];
    if (recorded !== undefined) {
      ids.push(recorded);
      continue;
    }
    let id = delivery?.resuming && key && find && i === delivery.sent.length ? await find(i, key) : undefined;
    id ??= await send(i, key);
    await delivery?.part(i, id);
    ids.push(id);
  }
  return ids;
}

/** How a form field is entered: one line, several lines, a number, or one choice from a list. */
export type FormInput = "text" | "paragraph" | "number" | "select";

/** One field of a form, read from the template's field table (src/chat/forms.ts builds it). */
export type FormField = {
  /** The template's field name: block_id / custom_id on the platforms, the key of submitted values. */
  name: string;
  label: string;
  input: FormInput;
  required: boolean;
  /** One line of help under the field. */
  hint?: string;
  /** An example shown in an empty field. */
  placeholder?: string;
  /** For "select": the choices in order. */
  options?: { value: string; label: string }[];
  /** For "number". */
  min?: number;
  max?: number;
  integer?: boolean;
  /** For "text" and "paragraph": the field's own limit (a surface clips it to what the platform allows). */
  maxLength?: number;
  /** Prefilled: the teacher's profile for this template, the conversation so far, or what was typed before. */
  initial?: string;
};

/** A platform-neutral form for one template command; surfaces render it as a modal. */
export type FormSpec = {
  command: string;
  title: string;
  fields: FormField[];
  /** Labels of the template's optional fields that did not fit the surface's form (asked later, or defaulted). */
  omitted: string[];
  /** The thread whose conversation the form fills (a "Fill in a form" button), if any. */
  thread?: ThreadRef;
};

/** What a surface's forms can hold. */
export type FormLimits = { maxFields?: number };

/** Submitted values as typed, by field name; blank or missing means "not given". */
export type FormValues = Record<string, string | undefined>;

export type FormProblem = { field: string; label: string; message: string };

/** The check of a submitted form: every problem, each on its field, so the surface shows them in place. */
export type FormCheck = { ok: true } | { ok: false; problems: FormProblem[] };

/** Action id of a button that opens a form (its value is the command); surfaces answer its click with a modal. */
export const FORM_OPEN_ACTION = "form:open";

/** What every surface implements; every method may throw, and the core reports failures to the teacher. */
export interface Surface {
  /** Which platform this is. */
  readonly name: SurfaceName;
  /** Post the root message of a request where the command was typed; returns the thread it opens. */
  openThread(place: Place, user: ChatUser, message: OutMessage): Promise<ThreadRef>;
  /** Post a message in a thread; returns its reference (its last part) for later edits. */
  post(thread: ThreadRef, message: OutMessage, delivery?: Delivery): Promise<MessageRef>;
  /** Replace the content of a message posted earlier. */
  edit(ref: MessageRef, message: OutMessage): Promise<void>;
  /** Update the root message of a thread (final status, total time). */
  editRoot(thread: ThreadRef, message: OutMessage): Promise<void>;
  /** Post a finished document: split within the platform's limits, its files (OutDocument.files) uploaded or attached. */
  postDocument(thread: ThreadRef, document: OutDocument, delivery?: Delivery): Promise<MessageRef>;
  /** Tell one user something only they see (refusals, errors before a thread exists). */
  notify(place: Place, user: ChatUser, message: OutMessage): Promise<void>;
  /** Forms (modals) this surface can open; absent when it has none (the console). */
  readonly forms?: FormLimits;
}

export type ChatUser = { id: string; name?: string; teamId?: string };

/** Context of one inbound event, built by a surface's inbound.ts. */
export type Inbound = {
  surface: Surface;
  user: ChatUser;
  place: Place;
  /** Platform delivery id (Slack event_id/trigger_id, Discord interaction id); repeats are ignored. */
  dedupeKey?: string;
};

/** A command's arguments: free text as typed, and/or typed fields (Discord options). */
export type CommandArgs = { text?: string; fields?: Record<string, string | number | boolean> };

/** Field of a command's options as surfaces need it to register typed commands. */
export type CommandField = {
  name: string;
  description: string;
  type: "string" | "integer" | "number" | "boolean";
  required: boolean;
  choices?: { value: string; label: string }[];
  min?: number;
  max?: number;
  maxLength?: number;
  /** Offer completions from the teacher's history. */
  autocomplete?: boolean;
};

export type CommandSpec = {
  /** Without the slash: "lesson-plan", "staffroom". */
  name: string;
  description: string;
  usage: string;
  fields: CommandField[];
  /** For "staffroom": its subcommands. */
  subcommands?: { name: string; description: string; arg?: { name: string; description: string; required: boolean } }[];
  /** Handles student data: keep to staff spaces (Discord: guild-only). */
  studentData: boolean;
};

/** What a shortened button id stands for. */
export type ActionTarget = { id: string; value?: string };

/**
 * Persisted memory of shortened button ids (Discord hashes custom ids longer than 100 characters), so a
 * click on such a button works after a restart. The chat core implements it.
 */
export interface ActionMemory {
  remember(surface: SurfaceName, entries: [string, ActionTarget][]): Promise<void>;
  recall(surface: SurfaceName, key: string): Promise<ActionTarget | undefined>;
}

/** What surfaces call; implemented once in src/chat (dispatcher.ts routes each call to its handler). */
export interface ChatCore {
  /** Persisted memory of shortened button ids (surfaces that shorten ids use it). */
  readonly actions?: ActionMemory;
  /** The commands to register or list in a manifest. */
  commands(): CommandSpec[];
  /** A slash command (the surface has already acknowledged it). */
  command(inbound: Inbound, name: string, args: CommandArgs): Promise<void>;
  /** A message typed in a thread the bot opened (answers, revision instructions). */
  message(inbound: Inbound, thread: ThreadRef, text: string): Promise<void>;
  /** A button click or select choice on a message the bot posted. */
  action(inbound: Inbound, thread: ThreadRef, actionId: string, value: string): Promise<void>;
  /** Completions for a field being typed (Discord autocomplete). */
  complete(user: ChatUser, command: string, field: string, partial: string): Promise<{ value: string; label: string }[]>;
  /** Re-attach a surface after start-up: running and waiting executions resume posting into their threads. */
  attach(surface: Surface): Promise<void>;
  /** Whether a thread is one the bot is running something in (so surfaces can ignore other chatter cheaply). */
  owns(thread: ThreadRef): Promise<boolean>;
  /**
   * The form a command answers with, or undefined when it goes to the conversation (text or options were
   * typed, a direct message, /staffroom, an unknown command, or required fields that do not fit `limits`).
   * Fast (one profile read), so a surface can decide before its first response. `refused` reopens the form
   * with what the teacher typed into it when it was refused (see keepRefusedForm); `thread` prefills from
   * that thread's conversation, and the submission then runs there.
   */
  formFor?(
    user: ChatUser,
    command: string,
    args: CommandArgs,
    options?: { limits?: FormLimits; refused?: boolean; thread?: ThreadRef; direct?: boolean },
  ): Promise<FormSpec | undefined>;
  /**
   * Keeps what a teacher typed into a refused form, for surfaces that close a form on submission (Discord),
   * so `formFor(..., { refused: true })` reopens it as typed. Kept for the conversation time-out, one per
   * teacher, and deleted by /staffroom forget: it may hold student work.
   */
  keepRefusedForm?(user: ChatUser, command: string, values: FormValues): Promise<void>;
  /** Pure and synchronous: a submitted form checked field by field and with the template's schema. */
  checkForm?(command: string, values: FormValues): FormCheck;
  /**
   * A submitted form (already checked by the surface with checkForm): deduplicated like every event, then
   * the root message where the command was typed (or the form's thread) and one execution.
   */
  submitForm?(inbound: Inbound, command: string, values: FormValues, thread?: ThreadRef): Promise<void>;
}

/** The chat core as the app and the console drive it: ChatCore plus lifecycle and console helpers. */
export type StaffroomChatCore = ChatCore & {
  /** Stops timers and followers (pending progress edits are flushed). */
  close(): Promise<void>;
  /** Resolves once every execution being followed is finished or waiting and everything it emitted is shown. */
  idle(): Promise<void>;
  /** Posts expiry notices for idle conversations; returns how many expired. */
  sweep(): Promise<number>;
  /** The thread a user was last active in on this surface and channel, while a conversation or run is open there. */
  activeThread(surface: SurfaceName, channelId: string, userId: string): Promise<ThreadRef | undefined>;
  /** Asks the current question of the thread's conversation again (after a restart). */
  reprompt(inbound: Inbound, thread: ThreadRef): Promise<void>;
};
