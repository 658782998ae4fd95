// The console chat: the surface used when no Slack or Discord credentials are set. A readline loop
// over stdin (a terminal or piped input); commands and replies go through the same ChatCore as Slack.
import { createInterface } from "node:readline";
import type { ChatUser, Inbound, OutDocument, StaffroomChatCore, ThreadRef } from "../../chat/contract.ts";
import { describeError } from "../../errors.ts";
import { type Logger, silentLogger } from "../../log.ts";
import { parseLine } from "./inbound.ts";
import { pickAction } from "./render.ts";
import { ConsoleSurface } from "./surface.ts";

export type ConsoleOptions = {
  core: StaffroomChatCore;
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
  user?: ChatUser;
  logger?: Logger;
  /** Channel id of this console (executions remember it, so a restart continues the same threads). */
  channelId?: string;
  /**
   * Wait for started work to finish (or ask a question) before reading the next line. Defaults to
   * true when input is piped, so scripts read like a conversation; a terminal stays responsive.
   */
  settle?: boolean;
  /** Saves each finished document to files and returns their paths (printed under it); none when absent. */
  saveDocument?: (document: OutDocument, user: ChatUser) => Promise<string[]>;
  /**
   * Lines arriving within this many milliseconds of each other are one message (a paste of student work
   * is one answer, never several). 0 reads every line as its own message. The app passes
   * STAFFROOM_CONSOLE_PASTE_MS from the validated configuration; 25 when not given.
   */
  pasteMs?: number;
};

/** Default paste window: a terminal delivers a paste within a few ms; a person never types two lines that fast. */
const PASTE_MS = 25;

function pasteWindow(option: number | undefined): number {
  return option === undefined ? PASTE_MS : Math.max(0, option);
}

export type ConsoleHandle = {
  /** Resolves after input ends (or `stop`) and in-flight work has settled. */
  done: Promise<void>;
  stop(): void;
  surface: ConsoleSurface;
  /** How many input lines have been fully handled (scripts and tests pace themselves on it). */
  readonly linesHandled: number;
};

export function startConsole(options: ConsoleOptions): ConsoleHandle {
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stdout;
  const logger = options.logger ?? silentLogger;
  const core = options.core;
  const username = process.env.USER ?? process.env.USERNAME ?? "teacher";
  const user: ChatUser = options.user ?? { id: `console-${username}`, name: username };
  const tty = Boolean((output as { isTTY?: boolean }).isTTY) && Boolean((input as { isTTY?: boolean }).isTTY);
  const settle = options.settle ?? !(input as { isTTY?: boolean }).isTTY;
  const save = options.saveDocument;
  const surface = new ConsoleSurface((text) => output.write(text), tty, save ? (doc) => save(doc, user) : undefined);
  const place = { channelId: options.channelId ?? "console", isDirect: true };
  const inbound = (): Inbound => ({ surface, user, place });

  const rl = createInterface({ input, terminal: false, crlfDelay: Number.POSITIVE_INFINITY });
  let chain: Promise<void> = start().catch((error) => {
    logger.warn({ err: error instanceof Error ? error.name : "unknown" }, "console start-up failed");
    surface.info(`Sorry, I couldn't resume earlier requests: ${describeError(error)}`);
  });
  let stopped = false;
  let handled = 0;

  async function start(): Promise<void> {
    await core.attach(surface);
    const active = await core.activeThread("console", place.channelId, user.id);
    if (active) {
      surface.current = active;
      await core.reprompt(inbound(), active);
    } else if (tty) {
      surface.info("Type /help to see what I can do, or start with /lesson-plan.");
    }
  }

  async function handle(raw: string): Promise<void> {
    const line = parseLine(raw);
    switch (line.kind) {
      case "empty":
        return;
      case "quit":
        rl.close();
        return;
      case "thread": {
        const thread = surface.threadByLabel(line.n);
        if (thread) surface.current = thread;
        else surface.info(`There is no thread #${line.n}.`);
        return;
      }
      case "command":
        await core.command(inbound(), line.name, { text: line.text });
        break;
      case "reply": {
        const confirm = pickAction(surface.noticeActions, line.text);
        if (confirm) {
          surface.noticeActions = undefined;
          const here: ThreadRef = surface.current ?? { surface: "console", channelId: place.channelId, threadId: "" };
          await core.action(inbound(), here, confirm.id, confirm.value);
          break;
        }
        surface.noticeActions = undefined;
        const thread: ThreadRef | undefined = surface.current;
        if (!thread) {
          surface.info("Start a request first, for example /lesson-plan grade 5 science the water cycle. Type /help for more.");
          return;
        }
        const picked = pickAction(surface.actions(thread), line.text);
        if (picked) await core.action(inbound(), thread, picked.id, picked.value);
        else await core.message(inbound(), thread, line.text);
        break;
      }
    }
    if (settle) await core.idle();
  }

  /** One message (possibly several lines) queued behind the ones before it. */
  const enqueue = (raw: string, lines: number) => {
    chain = chain.then(() =>
      handle(raw)
        .catch((error) => {
          logger.warn({ err: error instanceof Error ? error.name : "unknown" }, "console line failed");
          surface.info(`Sorry, something went wrong: ${describeError(error)}`);
        })
        .finally(() => {
          handled += lines;
        }),
    );
  };

  // A burst of lines (a paste) becomes one message; a command line always stands alone.
  const pasteMs = pasteWindow(options.pasteMs);
  let burst: string[] = [];
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (burst.length === 0) return;
    const lines = burst;
    burst = [];
    enqueue(lines.join("\n"), lines.length);
  };

  rl.on("line", (raw) => {
    if (stopped) return;
    if (pasteMs === 0) return enqueue(raw, 1);
    if (raw.trim().startsWith("/")) {
      flush();
      return enqueue(raw, 1);
    }
    burst.push(raw);
    if (timer) clearTimeout(timer);
    timer = setTimeout(flush, pasteMs);
  });

  const done = new Promise<void>((resolve) => {
    rl.on("close", () => {
      flush();
      stopped = true;
      // In-flight work settles first, so a script's last request still prints its document.
      chain
        .then(() => core.idle())
        .catch(() => undefined)
        .then(resolve);
    });
  });

  return {
    done,
    surface,
    stop: () => rl.close(),
    get linesHandled() {
      return handled;
    },
  };
}

export { ConsoleSurface } from "./surface.ts";
