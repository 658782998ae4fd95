// `staffroom start` (and `npm start`): resumes what a crash left running, then serves Slack and/or Discord,
// or the console chat when neither has credentials, plus the one HTTP port (API, health, metrics).
// Runs until SIGINT/SIGTERM (or the console's input ends) and shuts down in order so nothing saved is lost.

import { type ConsoleHandle, startConsole } from "../adapters/console/index.ts";
import { type DiscordHandle, startDiscord } from "../adapters/discord/index.ts";
import { type SlackHandle, startSlack } from "../adapters/slack/index.ts";
import { createChatCore, type StaffroomChatCore } from "../chat/index.ts";
import type { Config } from "../config.ts";
import { createModelExtractor } from "../conversation/index.ts";
import { saveDocumentFiles } from "../documents/index.ts";
import { describeError, StaffroomError } from "../errors.ts";
import { createHttpServer, type HttpServer } from "../http/index.ts";
import type { Logger } from "../log.ts";
import { createRuntime, type Runtime, teacherTemplates } from "./runtime.ts";

export type BotOptions = {
  logger: Logger;
  /** The console chat's streams (default: the process's stdin/stdout). */
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
  /** Plain notices for the person at the terminal (default: stderr). */
  notice?: (line: string) => void;
};

/** Whether the bot runs the console chat (no Slack or Discord credentials). */
export function usesConsole(config: Config): boolean {
  return !config.SLACK_BOT_TOKEN && !config.DISCORD_TOKEN;
}

/** Starts everything, waits for a stop signal (or the console's end), shuts down; returns the exit code. */
export async function startBot(config: Config, options: BotOptions): Promise<number> {
  const { logger } = options;
  const notice = options.notice ?? ((line: string) => process.stderr.write(`${line}\n`));
  const consoleMode = usesConsole(config);
  const runtime = await createRuntime(config, { logger, ...(consoleMode ? { notice: (l) => notice(`Note: ${l}`) } : {}) });
  const parts: Started = { runtime };
  const stop = stopSignal();
  // A library promise that rejects with nobody listening (e.g. discord.js on a malformed payload) must
  // not end the process and every teacher's run with it: log it and keep serving.
  const onUnhandled = (reason: unknown) =>
    logger.error({ err: reason instanceof Error ? { message: reason.message, name: reason.name } : String(reason) }, "unhandled rejection");
  process.on("unhandledRejection", onUnhandled);
  try {
    const resumed = await runtime.engine.recover();
    if (resumed.length > 0) logger.info({ count: resumed.length }, "resumed executions a restart interrupted");

    // With a real model, free-text requests the deterministic rules cannot place are read by the model too.
    const extract = createModelExtractor(runtime.model);
    parts.core = createChatCore({
      engine: runtime.engine,
      templates: teacherTemplates(runtime.templates),
      keyv: runtime.store.namespace("chat"),
      logger,
      conversationTtlMinutes: config.STAFFROOM_CONVERSATION_TTL_MINUTES,
      ...(extract ? { extract } : {}),
    });
    const core = parts.core;

    parts.http = createHttpServer({
      port: config.PORT,
      logger,
      api: {
        engine: runtime.engine,
        templates: runtime.templates,
        apiKeys: config.STAFFROOM_API_KEYS,
        rateLimitPerMinute: config.STAFFROOM_API_RATE_LIMIT,
      },
      readiness: async () => ({
        store: !stop.stopping && (await runtime.store.ping()),
        ...(config.SLACK_BOT_TOKEN ? { slack: parts.slack !== undefined } : {}),
        ...(config.DISCORD_TOKEN ? { discord: parts.discord !== undefined } : {}),
      }),
    });

    if (config.SLACK_BOT_TOKEN)
      parts.slack = await surfaceStart("Slack", () => startSlack({ config, core, logger, httpServer: parts.http! }));
    if (config.DISCORD_TOKEN)
      parts.discord = await surfaceStart("Discord", () =>
        startDiscord({ config, core, logger, ...(parts.http ? { httpServer: parts.http } : {}) }),
      );

    try {
      const { port } = await parts.http.listen();
      logger.info({ port }, "staffroom: HTTP port open (health, metrics, API)");
    } catch (error) {
      const sentence = listenProblem(error, config.PORT);
      // The console chat works without the port; Slack HTTP mode, health checks and the API do not.
      if (!consoleMode) throw new StaffroomError("port_unavailable", sentence, { cause: error });
      notice(`Note: ${sentence} The console chat works without it.`);
      parts.http = undefined;
    }

    if (consoleMode) {
      const documentsDir = config.STAFFROOM_DOCUMENTS_DIR;
      parts.console = startConsole({
        core,
        logger,
        saveDocument: (doc) => saveDocumentFiles(documentsDir, doc),
        ...(options.input ? { input: options.input } : {}),
        ...(options.output ? { output: options.output } : {}),
      });
      void parts.console.done.then(() => stop.trigger("console input ended"));
    }
    logger.info(
      {
        surfaces: [parts.slack && "slack", parts.discord && "discord", parts.console && "console"].filter(Boolean),
        provider: runtime.model.name,
      },
      "staffroom started",
    );

    const reason = await stop.reason;
    logger.info({ reason }, "staffroom stopping");
    return 0;
  } finally {
    process.off("unhandledRejection", onUnhandled);
    stop.dispose();
    await shutdown(parts, logger);
  }
}

type Started = {
  runtime: Runtime;
  core?: StaffroomChatCore;
  http?: HttpServer | undefined;
  slack?: SlackHandle;
  discord?: DiscordHandle;
  console?: ConsoleHandle;
};

/** Surfaces first (finish what they are posting), then the core, the port, the engine and the store. */
async function shutdown(parts: Started, logger: Logger): Promise<void> {
  const step = async (name: string, fn: () => Promise<unknown> | unknown) => {
    try {
      await fn();
    } catch (error) {
      logger.warn({ step: name, err: describeError(error) }, "shutdown step failed");
    }
  };
  if (parts.console) {
    const handle = parts.console;
    await step("console", async () => {
      handle.stop();
      await handle.done;
    });
  }
  if (parts.slack) await step("slack", () => parts.slack!.stop());
  if (parts.discord) await step("discord", () => parts.discord!.stop());
  if (parts.core) await step("chat core", () => parts.core!.close());
  if (parts.http) await step("http", () => parts.http!.close());
  await step("engine and store", () => parts.runtime.close());
}

async function surfaceStart<T>(name: string, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (error) {
    if (error instanceof StaffroomError) throw error;
    // Adapters phrase their start-up failures for people (a rejected token, a missing id).
    throw new StaffroomError(
      "surface_start_failed",
      `${name} could not start: ${describeError(error).replace(/^Unexpected error: /, "")}`,
      {
        cause: error,
      },
    );
  }
}

function listenProblem(error: unknown, port: number): string {
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code === "EADDRINUSE") return `Port ${port} is already in use; set PORT to a free port.`;
  if (code === "EACCES") return `Port ${port} needs more privileges; set PORT to a number above 1024.`;
  return `Could not open port ${port}: ${describeError(error)}`;
}

/** Resolves once SIGINT/SIGTERM arrives or `trigger` is called; a second signal exits at once. */
function stopSignal() {
  let resolve!: (reason: string) => void;
  const reason = new Promise<string>((r) => {
    resolve = r;
  });
  const state = { stopping: false };
  const onSignal = (signal: NodeJS.Signals) => {
    if (state.stopping) process.exit(130);
    state.stopping = true;
    resolve(signal);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return {
    reason,
    get stopping() {
      return state.stopping;
    },
    trigger(why: string) {
      state.stopping = true;
      resolve(why);
    },
    dispose() {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    },
  };
}
