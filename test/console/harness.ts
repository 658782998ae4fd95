// End-to-end harness: the real engine and store, the built-in templates with the offline model, the
// real chat core, and consoles driven through piped streams (PassThrough), as a script would drive them.
import { PassThrough } from "node:stream";
import { type ConsoleHandle, type ConsoleOptions, startConsole } from "../../src/adapters/console/index.ts";
import type { ChatUser } from "../../src/chat/contract.ts";
import { createChatCore, type StaffroomChatCore } from "../../src/chat/index.ts";
import { openStore, type Store } from "../../src/drivers/local/database.ts";
import { createEngine, type Engine } from "../../src/engine/index.ts";
import { createOfflineProvider } from "../../src/model/offline.ts";
import type { ModelProvider } from "../../src/model/types.ts";
import { loadTemplates, offlineDrafters } from "../../src/templates/index.ts";
import type { Template } from "../../src/templates/types.ts";

export type World = {
  engine: Engine;
  store: Store;
  core: StaffroomChatCore;
  templates: Template[];
  close(): Promise<void>;
};

let builtins: Template[] | undefined;
export async function builtinList(): Promise<Template[]> {
  builtins ??= (await loadTemplates()).templates;
  return builtins;
}

export async function openWorld(
  url = "memory:",
  options: { extra?: Template[]; model?: ModelProvider; clock?: { now(): number }; ttlMinutes?: number } = {},
): Promise<World> {
  const templates = [...(await builtinList()), ...(options.extra ?? [])];
  const model = options.model ?? createOfflineProvider({ drafters: offlineDrafters(templates) });
  const store = await openStore(url);
  const engine = createEngine({ store, model });
  for (const t of templates) engine.register(t.workflow);
  const core = createChatCore({
    engine,
    templates,
    keyv: store.namespace("chat"),
    claims: store.claims,
    progressIntervalMs: 0,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.ttlMinutes ? { conversationTtlMinutes: options.ttlMinutes } : {}),
  });
  let closed = false;
  return {
    engine,
    store,
    core,
    templates,
    async close() {
      if (closed) return;
      closed = true;
      await core.close();
      await engine.close();
      await store.close();
    },
  };
}

/** A console fed line by line; `say` resolves once the line has been handled (and work settled). */
export class Driver {
  readonly input = new PassThrough();
  readonly output = new PassThrough();
  readonly handle: ConsoleHandle;
  private text = "";
  private sent = 0;

  constructor(
    core: StaffroomChatCore,
    readonly user: ChatUser,
    options: { settle?: boolean; channelId?: string; saveDocument?: ConsoleOptions["saveDocument"]; pasteMs?: number } = {},
  ) {
    this.output.on("data", (chunk: Buffer) => {
      this.text += chunk.toString("utf8");
    });
    this.handle = startConsole({
      core,
      input: this.input,
      output: this.output,
      user,
      channelId: options.channelId ?? `console-${user.id}`,
      settle: options.settle ?? true,
      // Line by line: these scripts send every answer at once (pastes are tested in a child process).
      pasteMs: options.pasteMs ?? 0,
      ...(options.saveDocument ? { saveDocument: options.saveDocument } : {}),
    });
  }

  get transcript(): string {
    return this.text;
  }

  /** Output printed since `mark` (a length of the transcript taken earlier). */
  since(mark: number): string {
    return this.text.slice(mark);
  }

  async say(...lines: string[]): Promise<string> {
    const mark = this.text.length;
    for (const line of lines) {
      this.input.write(`${line}\n`);
      this.sent++;
    }
    const limit = Date.now() + 20_000;
    while (this.handle.linesHandled < this.sent) {
      if (Date.now() > limit) throw new Error(`console did not handle "${lines.join(" / ")}" in time:\n${this.since(mark)}`);
      await new Promise((r) => setTimeout(r, 2));
    }
    return this.since(mark);
  }

  async end(): Promise<string> {
    this.input.end();
    await this.handle.done;
    return this.text;
  }
}

/** Runs a whole script through one console (all input piped at once) and returns what it printed. */
export async function runScript(core: StaffroomChatCore, user: ChatUser, lines: string[]): Promise<string> {
  const driver = new Driver(core, user);
  driver.input.end(`${lines.join("\n")}\n`);
  await driver.handle.done;
  return driver.transcript;
}

export function count(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1;
}
