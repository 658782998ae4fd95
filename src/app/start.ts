// `staffroom start` / `staffroom serve`: resumes what a crash left running, opens the one HTTP port first
// (API, health, readiness, metrics), then connects Slack and/or Discord in the background with bounded
// retries while /readyz says which is still connecting, and runs the console chat when STAFFROOM_CONSOLE
// says so. Runs until SIGINT/SIGTERM (or, console only, the end of its input) and stops within 10 s.

import { type ConsoleHandle, startConsole } from "../adapters/console/index.ts";
import { type DiscordHandle, INTERACTIONS_PATH, startDiscord } from "../adapters/discord/index.ts";
import { SLACK_EVENTS_PATH, type SlackHandle, startSlack } from "../adapters/slack/index.ts";
import { createChatCore, type StaffroomChatCore } from "../chat/index.ts";
import type { Config } from "../config.ts";
import { createModelExtractor } from "../conversation/index.ts";
import { createLinkSigner, knownNames } from "../documents/index.ts";
import { describeError, StaffroomError } from "../errors.ts";
import { type AdminCatalog, createHttpServer, type HttpMount, type HttpServer, printMount } from "../http/index.ts";
import type { Logger } from "../log.ts";
import { Readiness } from "../readiness.ts";
import { type ConnectPolicy, connectWithRetry, DEFAULT_CONNECT_POLICY } from "./connect.ts";
import { consoleDecision, platformsConfigured } from "./console-mode.ts";
import { createRuntime, type Runtime, teacherTemplates } from "./runtime.ts";

/** Everything stops within this after a signal: graceful first, then the process exits regardless. */
export const SHUTDOWN_BUDGET_MS = 9_000;

export type BotOptions = {
  logger: Logger;
  /** The console chat's streams (default: the process's stdin/stdout). */
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
  /** Plain notices for the person at the terminal (default: stderr). */
  notice?: (line: string) => void;
  /** Whether the console chat runs; default from consoleDecision(). */
  console?: boolean;
  /** Connection retries (tests); attempts come from STAFFROOM_CONNECT_ATTEMPTS. */
  connectPolicy?: Partial<Omit<ConnectPolicy, "attempts">>;
};

/** Starts everything, waits for a stop signal (or the console's end), shuts down; returns the exit code. */
export async function startBot(config: Config, options: BotOptions): Promise<number> {
  const { logger } = options;
  const notice = options.notice ?? ((line: string) => process.stderr.write(`${line}\n`));
  const consoleMode = options.console ?? consoleDecision(config, { headless: false });
  // With nothing else to serve, the end of the console's input ends the process; otherwise it keeps serving.
  const consoleOnly = consoleMode && !platformsConfigured(config) && config.STAFFROOM_API_KEYS.length === 0;
  for (const warning of config.warnings) {
    logger.warn({ setting: warning.split(" ")[0] }, warning);
    if (consoleMode) notice(`Note: ${warning}`);
  }
  const runtime = await createRuntime(config, { logger, ...(consoleMode ? { notice: (l) => notice(`Note: ${l}`) } : {}) });
  const parts: Started = { runtime };
  const readiness = new Readiness();
  const stop = stopSignal();
  const connecting = new AbortController();
  let failure: StaffroomError | undefined;
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
    const teacherSet = teacherTemplates(runtime.templates);
    // "Open / print" links need both the secret they are signed with and the address people reach us at
    // (config.warnings said so at start when one is missing).
    const links =
      config.STAFFROOM_LINK_SECRET && config.STAFFROOM_PUBLIC_URL
        ? createLinkSigner({
            secret: config.STAFFROOM_LINK_SECRET,
            publicUrl: config.STAFFROOM_PUBLIC_URL,
            days: config.STAFFROOM_LINK_DAYS,
          })
        : undefined;
    const names = knownNames(runtime.privacy);
    parts.core = createChatCore({
      engine: runtime.engine,
      templates: teacherSet,
      keyv: runtime.store.namespace("chat"),
      claims: runtime.store.claims,
      logger,
      conversationTtlMinutes: config.STAFFROOM_CONVERSATION_TTL_MINUTES,
      ...(extract ? { extract } : {}),
      ...(links ? { links } : {}),
      knownNames: names,
      forgetTeacher: (userId, chat) => runtime.forget(userId, { action: "forget", actor: userId, chat }),
    });
    const core = parts.core;

    // Slack's HTTP mode is mounted now and answers 503 until the adapter is connected, so Slack retries.
    const slackMount = deferredMount(SLACK_EVENTS_PATH);
    // Discord's HTTP interactions endpoint likewise (with DISCORD_PUBLIC_KEY); each connection attempt re-attaches it.
    const discordMount = deferredMount(INTERACTIONS_PATH);
    parts.http = createHttpServer({
      port: config.PORT,
      logger,
      mounts: [
        ...(config.SLACK_BOT_TOKEN && !config.SLACK_APP_TOKEN ? [slackMount.mount] : []),
        ...(config.DISCORD_TOKEN && config.DISCORD_PUBLIC_KEY ? [discordMount.mount] : []),
        ...(links ? [printMount({ engine: runtime.engine, templates: teacherSet, links, logger, knownNames: names })] : []),
      ],
      api: {
        engine: runtime.engine,
        // Teachers (and API clients listing templates) never see the engine demo.
        templates: teacherSet,
        apiKeys: config.STAFFROOM_API_KEYS,
        rateLimitPerMinute: config.STAFFROOM_API_RATE_LIMIT,
        catalog: () => adminCatalog(runtime),
        knownNames: names,
        forgetTeacher: (userId, actor) => runtime.forget(userId, { action: "delete", actor }),
        lastSweep: () => runtime.store.lastSweep(),
        audit: runtime.audit,
      },
      readiness: async () => ({
        store: !stop.stopping && (await runtime.store.ping()),
        ...readiness.statuses(),
      }),
    });

    // The port opens before any platform is contacted: health checks and the API answer while they connect.
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

    const policy: ConnectPolicy = { ...DEFAULT_CONNECT_POLICY, ...options.connectPolicy, attempts: config.STAFFROOM_CONNECT_ATTEMPTS };
    const connect = <T extends { stop(): Promise<void> }>(
      part: "slack" | "discord",
      label: string,
      start: (signal: AbortSignal) => Promise<T>,
    ) =>
      connectWithRetry({ part, label, policy, readiness, logger, signal: connecting.signal }, async (signal) => {
        const handle = await start(signal);
        // Connected just as the attempt was given up: close it rather than leave it running unseen.
        if (signal.aborted) {
          await handle.stop().catch(() => undefined);
          throw signal.reason;
        }
        return handle;
      }).catch((error: unknown) => {
        if (stop.stopping) return undefined;
        failure =
          error instanceof StaffroomError
            ? error
            : new StaffroomError("surface_start_failed", `${label} could not start: ${describeError(error)}`);
        logger.error({ surface: part, err: failure.message }, `${part}: could not connect`);
        stop.trigger(`${part} could not connect`);
        return undefined;
      });
    const surfaces: Promise<unknown>[] = [];
    if (config.SLACK_BOT_TOKEN) {
      surfaces.push(
        connect("slack", "Slack", (signal) =>
          startSlack({ config, core, logger, httpServer: { mount: slackMount.attach }, signal, checkTimeoutMs: policy.attemptTimeoutMs }),
        ).then((handle) => {
          if (handle) parts.slack = handle;
          return handle;
        }),
      );
    }
    if (config.DISCORD_TOKEN) {
      surfaces.push(
        connect("discord", "Discord", (signal) =>
          startDiscord({
            config,
            core,
            logger,
            httpServer: { mount: discordMount.attach },
            signal,
            checkTimeoutMs: policy.attemptTimeoutMs,
          }),
        ).then((handle) => {
          if (handle) parts.discord = handle;
          return handle;
        }),
      );
    }

    if (consoleMode) {
      parts.console = startConsole({
        core,
        logger,
        // Listed under the teacher, so forget deletes the files too.
        saveDocument: (doc, user) => runtime.documents.save(user.id, doc),
        pasteMs: config.STAFFROOM_CONSOLE_PASTE_MS,
        ...(options.input ? { input: options.input } : {}),
        ...(options.output ? { output: options.output } : {}),
      });
      void parts.console.done.then(() => {
        if (consoleOnly) stop.trigger("console input ended");
        else if (!stop.stopping) logger.info("console input ended; still serving the other surfaces until a signal");
      });
    }
    void Promise.all(surfaces).then(() => {
      if (stop.stopping) return;
      logger.info(
        {
          surfaces: [parts.slack && "slack", parts.discord && "discord", parts.console && "console"].filter(Boolean),
          api: config.STAFFROOM_API_KEYS.length > 0,
          provider: runtime.model.name,
        },
        "staffroom started",
      );
    });

    const reason = await stop.reason;
    logger.info({ reason }, "staffroom stopping");
    if (failure) throw failure;
    return 0;
  } finally {
    // Past the budget the process exits anyway: every step is saved before it is announced, so this is a
    // restart like any other for the engine.
    const hardStop = setTimeout(() => {
      logger.error({ budgetMs: SHUTDOWN_BUDGET_MS }, "shutdown took too long; exiting now");
      process.exit(failure ? 1 : 0);
    }, SHUTDOWN_BUDGET_MS + 500);
    hardStop.unref();
    connecting.abort(new StaffroomError("shutting_down", "The service is shutting down."));
    process.off("unhandledRejection", onUnhandled);
    stop.dispose();
    await shutdown(parts, logger, Date.now() + SHUTDOWN_BUDGET_MS);
    clearTimeout(hardStop);
  }
}

/** A mount whose handler arrives later; until then it answers 503 so the platform (Slack, Discord) retries. */
function deferredMount(path: string): { mount: HttpMount; attach: (m: HttpMount) => void } {
  let handler: HttpMount["handler"] | undefined;
  return {
    mount: {
      path,
      handler: (req, res) => {
        if (handler) return handler(req, res);
        req.resume();
        res.writeHead(503, { "content-type": "application/json", "retry-after": "5", connection: "close" });
        res.end(JSON.stringify({ error: "starting", message: "This chat platform is still connecting; try again shortly." }));
      },
    },
    attach: (m) => {
      handler = m.handler;
    },
  };
}

type Started = {
  runtime: Runtime;
  core?: StaffroomChatCore;
  http?: HttpServer | undefined;
  slack?: SlackHandle;
  discord?: DiscordHandle;
  console?: ConsoleHandle;
};

/**
 * Surfaces first (finish what they are posting), then the core, the port, the engine and the store. Each step
 * gets what is left of the budget, keeping a second for the engine and the store, which must close.
 */
async function shutdown(parts: Started, logger: Logger, deadline: number): Promise<void> {
  const step = async (name: string, fn: () => Promise<unknown> | unknown, reserveMs = 1_000) => {
    const allowed = Math.max(100, deadline - reserveMs - Date.now());
    let timer: NodeJS.Timeout | undefined;
    try {
      const late = new Promise<"late">((resolve) => {
        timer = setTimeout(() => resolve("late"), allowed);
      });
      if ((await Promise.race([Promise.resolve().then(fn), late])) === "late")
        logger.warn({ step: name, allowedMs: allowed }, "shutdown step ran out of time; moving on");
    } catch (error) {
      logger.warn({ step: name, err: describeError(error) }, "shutdown step failed");
    } finally {
      clearTimeout(timer);
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
  await step("engine and store", () => parts.runtime.close(), 0);
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

/** What the admin dashboard lists under "Templates and standards": the loaded set and every load problem. */
function adminCatalog(runtime: Runtime): AdminCatalog {
  const { standards, problems } = runtime.loaded;
  const distinct = (values: string[]) => [...new Set(values)].sort();
  return {
    standards:
      standards?.dir !== undefined
        ? [
            {
              dir: standards.dir,
              rows: standards.rows.length,
              frameworks: distinct(standards.rows.map((r) => r.framework)),
              subjects: distinct(standards.rows.map((r) => r.subject)),
            },
          ]
        : [],
    problems,
  };
}
