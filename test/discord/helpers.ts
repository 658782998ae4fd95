// Shared set-up for the Discord tests: the fake Discord, a config pointing at it, users, and the real
// stack (store, engine with the offline model, built-in templates, chat core, Discord adapter).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, expect } from "vitest";
import { type DiscordHandle, startDiscord } from "../../src/adapters/discord/index.ts";
import type { ChatCoreOptions, StaffroomChatCore } from "../../src/chat/index.ts";
import { type Config, loadConfig } from "../../src/config.ts";
import type { Store } from "../../src/drivers/local/database.ts";
import type { EngineApi } from "../../src/engine/api.ts";
import { silentLogger } from "../../src/log.ts";
import type { Drafter, ModelProvider } from "../../src/model/index.ts";
import type { Template } from "../../src/templates/types.ts";
import { readDocx } from "../documents/docx-reader.ts";
import { startBackend } from "../fakes/backend.ts";
import { type FakeDiscord, type FakeMessage, type FakeUser, startFakeDiscord } from "../fakes/discord/index.ts";

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const fixturesDir = resolve(repoRoot, "../shared/fixtures/platform-payloads");

export function fixture<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(resolve(fixturesDir, name), "utf8")) as T;
}

export const STAFF_ROLE = "1457473602180878604";
export const teacher: FakeUser = { id: "1033044521375764530", username: "testuser2384", global_name: "Test User" };
export const colleague: FakeUser = { id: "1033044521375764531", username: "colleague", global_name: "Colleague" };
/** A teacher with no history or profile yet, so every question is asked. */
export const newcomer: FakeUser = { id: "1033044521375764533", username: "newcomer", global_name: "New Teacher" };
export const visitor: FakeUser = { id: "1033044521375764532", username: "visitor", global_name: "Visitor" };

export async function startFake(): Promise<FakeDiscord> {
  const fake = await startFakeDiscord();
  fake.addMember(teacher, [STAFF_ROLE]);
  fake.addMember(colleague, [STAFF_ROLE]);
  fake.addMember(newcomer, [STAFF_ROLE]);
  fake.addMember(visitor, []);
  return fake;
}

/** Where the adapter finds Discord: the fake itself, or the same facts from a fake in a worker thread. */
export type FakeAddress = Pick<FakeDiscord, "token" | "applicationId" | "apiUrl"> & { guild: { id: string } };

export function discordConfig(fake: FakeAddress, env: Record<string, string> = {}): Config {
  return loadConfig({
    STAFFROOM_STORE_URL: "memory:",
    PORT: "0",
    DISCORD_TOKEN: fake.token,
    DISCORD_APPLICATION_ID: fake.applicationId,
    DISCORD_GUILD_IDS: fake.guild.id,
    DISCORD_API_URL: fake.apiUrl,
    LOG_LEVEL: "silent",
    ...env,
  });
}

export type Stack = {
  config: Config;
  store: Store;
  engine: EngineApi;
  core: StaffroomChatCore;
  discord: DiscordHandle;
  /** Orderly shutdown: adapter, core, engine, store. */
  stop(): Promise<void>;
  /** Abrupt stop as in a crash: nothing is flushed or finished. */
  crash(): Promise<void>;
};

export type StackOptions = {
  env?: Record<string, string>;
  storeUrl?: string;
  model?: (drafters: Record<string, Drafter>) => ModelProvider;
  /** Templates beside the built-in ones. */
  extraTemplates?: Template[];
  /** Chat core options beside the stack's own (e.g. print links). */
  core?: Omit<ChatCoreOptions, "engine" | "templates" | "keyv" | "claims">;
};

/**
 * A fake Discord and the real stack against it for one describe block: started before its tests (handed to
 * `set`), stopped after them, and after each test no request may have broken the spec (unless `violations`
 * is false, for blocks that provoke refusals on purpose).
 */
export function useStack(set: (fake: FakeDiscord, stack: Stack) => void, opts: StackOptions & { violations?: boolean } = {}): void {
  let fake: FakeDiscord | undefined;
  let stack: Stack | undefined;
  beforeAll(async () => {
    fake = await startFake();
    stack = await startStack(fake, opts);
    set(fake, stack);
  });
  afterAll(async () => {
    await stack?.stop();
    await fake?.close();
  });
  if (opts.violations !== false)
    afterEach(() => {
      expect(fake?.violations).toEqual([]);
    });
}

export async function startStack(fake: FakeAddress, opts: StackOptions = {}): Promise<Stack> {
  const config = discordConfig(fake, opts.env);
  const backend = await startBackend({
    ...(opts.storeUrl ? { storeUrl: opts.storeUrl } : {}),
    ...(opts.model ? { model: opts.model } : {}),
    ...(opts.extraTemplates ? { extraTemplates: opts.extraTemplates } : {}),
    recover: true,
    core: { progressIntervalMs: 10, ...opts.core },
  });
  const { store, engine, core } = backend;
  const discord = await startDiscord({ config, core, logger: silentLogger });
  return {
    config,
    store,
    engine,
    core,
    discord,
    async stop() {
      await discord.stop();
      await backend.close();
    },
    async crash() {
      await discord.client.destroy();
      await backend.close();
    },
  };
}

/** Bot messages of a channel, oldest first. */
export const botMessages = (fake: FakeDiscord, channelId: string): FakeMessage[] =>
  fake.channelMessages(channelId).filter((m) => m.author.id === fake.bot.id);

/** Text of a message: content and embed titles/descriptions. */
export const textOf = (m: FakeMessage): string =>
  [m.content, ...m.embeds.map((e) => `${String(e.title ?? "")}\n${String(e.description ?? "")}`)].join("\n");

/** Every component of a message (buttons and selects), flattened. */
export const componentsOf = (m: FakeMessage): Record<string, unknown>[] =>
  m.components.flatMap((row) => (row.components as Record<string, unknown>[] | undefined) ?? []);

/** The latest bot message in a channel that matches. */
export function lastBot(fake: FakeDiscord, channelId: string, match: (m: FakeMessage) => boolean = () => true): FakeMessage | undefined {
  return botMessages(fake, channelId).filter(match).at(-1);
}

/** The custom_id of a button whose label matches. */
export function buttonId(m: FakeMessage, label: RegExp): string | undefined {
  const b = componentsOf(m).find((c) => c.type === 2 && label.test(String(c.label)));
  return b ? String(b.custom_id) : undefined;
}

/**
 * For crash-and-restart flows: a SQLite store in a temp folder that several stacks share in turn. Stacks
 * pushed to `stacks` and the fake set on `fake` are closed, and the folder removed, after the file's tests.
 */
export function restartSession(name: string): { storeUrl: string; stacks: Stack[]; fake: { current?: FakeDiscord } } {
  const dir = mkdtempSync(join(tmpdir(), "staffroom-discord-"));
  const session: { storeUrl: string; stacks: Stack[]; fake: { current?: FakeDiscord } } = {
    storeUrl: `sqlite://${join(dir, `${name}.sqlite`)}`,
    stacks: [],
    fake: {},
  };
  afterAll(async () => {
    for (const s of session.stacks) await s.stop().catch(() => undefined);
    await session.fake.current?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return session;
}

/** An attachment's text as a teacher would read it: a Word file opened with a real zip and XML parser, else its bytes. */
export async function attachmentText(a: { filename: string; bytes: Buffer; data: string } | undefined): Promise<string> {
  if (!a) return "";
  if (!a.filename.endsWith(".docx")) return a.data;
  const docx = await readDocx(a.bytes);
  return docx.body.map((b) => ("rows" in b ? b.rows.map((r) => r.join(" | ")).join("\n") : b.text)).join("\n");
}
