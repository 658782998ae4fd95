// Starts and stops the Slack adapter: a Bolt app in Socket Mode (SLACK_APP_TOKEN) or HTTP mode (signed
// requests at /slack/events, answered before Bolt runs), wired to the chat core; SLACK_API_URL redirects
// every Web API call.
import type { IncomingMessage, ServerResponse } from "node:http";
import { App, type Logger as BoltLogger, LogLevel, SocketModeReceiver, webApi } from "@slack/bolt";
import type { ChatCore, Surface } from "../../chat/contract.ts";
import type { Config } from "../../config.ts";
import type { HttpMount } from "../../http/server.ts";
import type { Logger } from "../../log.ts";
import { platformRateLimitedTotal } from "../../metrics.ts";
import { commandGate, formAnswer, isCommandBody, registerInbound } from "./inbound.ts";
import { isFormSubmission } from "./modal.ts";
import type { Pacing } from "./outbox.ts";
import { checkSlackBotToken, slackFailure } from "./preflight.ts";
import { SlackHttpReceiver } from "./receiver.ts";
import { SlackSurface } from "./surface.ts";

export { REFUSAL_TEXT } from "./inbound.ts";
export { SlackCannotPostError, SlackSurface } from "./surface.ts";

export type SlackOptions = {
  config: Config;
  core: ChatCore;
  logger: Logger;
  /**
   * HTTP mode only: the process's shared HTTP server (src/http). When given, Slack opens no port of its
   * own and mounts its handler at /slack/events there.
   */
  httpServer?: { mount(mount: HttpMount): void };
  /** Overrides for tests and benchmarks: posting pace per channel, and WebClient retry timing. */
  pacing?: Pacing;
  retryConfig?: { retries: number; factor?: number; minTimeout?: number; maxTimeout?: number; randomize?: boolean };
  /** Aborts a start in progress (shutdown, or the caller's attempt timeout): whatever was opened is closed. */
  signal?: AbortSignal;
  /** How long the token check may take before Slack counts as unreachable (default 15 s). */
  checkTimeoutMs?: number;
};

export type SlackHandle = {
  mode: "socket" | "http";
  surface: Surface;
  /** HTTP mode: handles POST /slack/events (signature checked) for a shared server. */
  handler?: (req: IncomingMessage, res: ServerResponse) => void;
  /** HTTP mode with its own server: the port it listens on. */
  port?: number;
  stop(): Promise<void>;
};

export const SLACK_EVENTS_PATH = "/slack/events";

/** Adapts pino to the logger interface Bolt, WebClient and the Socket Mode client expect. */
function boltLogger(log: Logger): BoltLogger {
  let level: LogLevel = LogLevel.INFO;
  const fmt = (parts: unknown[]) =>
    parts.map((p) => (typeof p === "string" ? p : p instanceof Error ? p.message : JSON.stringify(p))).join(" ");
  const child = log.child({ component: "slack-sdk" });
  return {
    // The SDKs log request bodies at debug; keep those at debug/trace only. Bolt logs several lines per
    // request, so nothing is formatted unless the level is on.
    debug: (...m: unknown[]) => {
      if (child.isLevelEnabled("trace")) child.trace(fmt(m));
    },
    info: (...m: unknown[]) => {
      if (child.isLevelEnabled("debug")) child.debug(fmt(m));
    },
    warn: (...m: unknown[]) => child.warn(fmt(m)),
    error: (...m: unknown[]) => child.error(fmt(m)),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => {},
  };
}

/** Default retry policy: wait out Retry-After (the WebClient pauses its queue) and keep trying for minutes. */
const DEFAULT_RETRY = { retries: 15, factor: 1.6, minTimeout: 250, maxTimeout: 15_000, randomize: true };

/** Starts the Slack adapter (Socket Mode when SLACK_APP_TOKEN is set, else HTTP mode) and re-attaches running work. */
export async function startSlack(options: SlackOptions): Promise<SlackHandle> {
  const { config, core } = options;
  const log = options.logger.child({ surface: "slack" });
  const token = config.SLACK_BOT_TOKEN;
  if (!token) throw new Error("startSlack needs SLACK_BOT_TOKEN");
  const sdkLogger = boltLogger(log);
  const clientOptions = {
    ...(config.SLACK_API_URL ? { slackApiUrl: config.SLACK_API_URL } : {}),
    retryConfig: options.retryConfig ?? DEFAULT_RETRY,
    rejectRateLimitedCalls: false,
  };
  const socketMode = Boolean(config.SLACK_APP_TOKEN);

  // One quick check first, without the SDK's minutes of retries: the caller decides whether to try again,
  // and the error says whether Slack was unreachable or refused the token.
  const identity = await checkSlackBotToken({ token, apiUrl: config.SLACK_API_URL, timeoutMs: options.checkTimeoutMs ?? 15_000 });
  options.signal?.throwIfAborted();

  const gate = commandGate({ core, logger: log, allowedTeamIds: config.SLACK_ALLOWED_TEAM_IDS });
  let receiver: SlackHttpReceiver | InstanceType<typeof SocketModeReceiver>;
  if (config.SLACK_APP_TOKEN) {
    receiver = new SocketModeReceiver({
      appToken: config.SLACK_APP_TOKEN,
      logger: sdkLogger,
      // apps.connections.open must follow SLACK_API_URL too (GovSlack, proxies, the test fake).
      installerOptions: { clientOptions: { ...clientOptions } },
    });
  } else {
    if (!config.SLACK_SIGNING_SECRET) throw new Error("HTTP mode needs SLACK_SIGNING_SECRET");
    // Bolt's HTTPReceiver answers only when a listener acks, after Bolt's middleware has run; this one
    // answers first (refused commands get their text up front) and holds Bolt's work until a burst of
    // requests has been accepted (see background.ts).
    receiver = new SlackHttpReceiver({
      signingSecret: config.SLACK_SIGNING_SECRET,
      path: SLACK_EVENTS_PATH,
      logger: log,
      answer: (body) => (isCommandBody(body) ? gate(body) : isFormSubmission(body) ? formAnswer(core, body) : undefined),
    });
  }

  // The bot's ids from the check above: Bolt then makes no auth.test call of its own.
  const app = new App({
    token,
    botId: identity.botId,
    botUserId: identity.botUserId,
    receiver,
    logger: sdkLogger,
    clientOptions,
  });
  app.client.on(webApi.WebClientEvent.RATE_LIMITED, (retryAfterSec: number, info: { url?: string }) => {
    platformRateLimitedTotal.inc({ platform: "slack" });
    log.warn({ retryAfterSec, method: info?.url?.split("/").pop() }, "slack: rate limited, waiting it out");
  });
  app.error(async (error) => {
    log.error({ code: (error as { code?: string }).code, err: error.message }, "slack: unhandled error in a listener");
  });
  const botName = identity.botName;

  const surface = new SlackSurface({ client: app.client, logger: log, botName, ...(options.pacing ? { pacing: options.pacing } : {}) });
  const work = registerInbound({ app, core, surface, logger: log, allowedTeamIds: config.SLACK_ALLOWED_TEAM_IDS });

  let port: number | undefined;
  let handler: SlackHandle["handler"];
  if (receiver instanceof SlackHttpReceiver) {
    handler = receiver.requestListener;
    if (options.httpServer) options.httpServer.mount({ path: SLACK_EVENTS_PATH, handler });
    else port = (await receiver.start(config.PORT)).port;
  } else {
    // A socket that cannot connect is closed when the caller gives up on this attempt.
    const socket = receiver;
    const abandon = () => void socket.stop().catch(() => undefined);
    options.signal?.addEventListener("abort", abandon, { once: true });
    try {
      await socket.start();
    } catch (error) {
      throw slackFailure(error, "SLACK_APP_TOKEN", config.SLACK_API_URL);
    } finally {
      options.signal?.removeEventListener("abort", abandon);
    }
    options.signal?.throwIfAborted();
  }
  log.info({ mode: socketMode ? "socket" : "http", ...(port !== undefined ? { port } : {}) }, "slack: adapter started");

  // Running and waiting executions resume posting into their original threads.
  await core.attach(surface);

  let stopped = false;
  return {
    mode: socketMode ? "socket" : "http",
    surface,
    ...(handler ? { handler } : {}),
    ...(port !== undefined ? { port } : {}),
    async stop() {
      if (stopped) return;
      stopped = true;
      // The HTTP receiver closes only a server of its own (the shared one is not ours) and waits for Bolt.
      await receiver.stop().catch((error: unknown) => log.warn({ err: (error as Error).message }, "slack: receiver stop failed"));
      // Bounded so the whole process stops within its 10 s budget (start.ts).
      await work.settle(3_000);
      await Promise.race([surface.drain(), new Promise((r) => setTimeout(r, 2_000).unref())]);
      log.info("slack: adapter stopped");
    },
  };
}
