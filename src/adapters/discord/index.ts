// Starts and stops the Discord adapter: a discord.js 14 client (Gateway + REST, DISCORD_API_URL
// redirects both), commands registered by bulk overwrite, inbound wired to the chat core.
import { Client, Events, GatewayIntentBits, Partials, REST, Routes } from "discord.js";
import type { ChatCore } from "../../chat/contract.ts";
import type { Config } from "../../config.ts";
import { ConfigError } from "../../errors.ts";
import type { HttpMount } from "../../http/server.ts";
import type { Logger } from "../../log.ts";
import { platformApiErrorsTotal, platformRateLimitedTotal } from "../../metrics.ts";
import { registerInbound } from "./inbound.ts";
import { INTERACTIONS_PATH, interactionsEndpoint } from "./interactions-http.ts";
import { apiBase, checkDiscordToken, discordFailure } from "./preflight.ts";
import { commandJson } from "./render.ts";
import { DiscordSurface } from "./surface.ts";

export { GUILD_REFUSAL_TEXT, REFUSAL_TEXT } from "./inbound.ts";
export { INTERACTIONS_PATH, verifyDiscordSignature } from "./interactions-http.ts";
export { apiBase } from "./preflight.ts";
export { commandJson, renderDocument, renderMessage } from "./render.ts";
export { DiscordPermissionError, DiscordSurface } from "./surface.ts";

export type DiscordOptions = {
  config: Config;
  core: ChatCore;
  logger: Logger;
  /** The shared HTTP server: with DISCORD_PUBLIC_KEY set, the interactions endpoint is mounted on it. */
  httpServer?: { mount(mount: HttpMount): void };
  /** Aborts a start in progress (shutdown, or the caller's attempt timeout): the client is destroyed. */
  signal?: AbortSignal;
  /** How long the token check may take before Discord counts as unreachable (default 15 s). */
  checkTimeoutMs?: number;
};

export type DiscordHandle = {
  surface: DiscordSurface;
  client: Client;
  /** Waits for handlers in flight, then closes the Gateway connection. */
  stop(): Promise<void>;
};

/** What the bot needs from the Gateway: guild channels and threads, their messages (with text), DMs. */
export const INTENTS = [
  GatewayIntentBits.Guilds,
  GatewayIntentBits.GuildMessages,
  GatewayIntentBits.MessageContent,
  GatewayIntentBits.DirectMessages,
] as const;

function requireCredentials(config: Config): { token: string; applicationId: string } {
  if (!config.DISCORD_TOKEN || !config.DISCORD_APPLICATION_ID) {
    throw new ConfigError(["DISCORD_TOKEN and DISCORD_APPLICATION_ID: both are needed to run the Discord adapter"]);
  }
  return { token: config.DISCORD_TOKEN, applicationId: config.DISCORD_APPLICATION_ID };
}

/** Counts 429s and API errors for /metrics; the REST client itself waits 429s out and retries. */
function instrument(rest: REST, logger: Logger): void {
  rest.on("response", (request, response) => {
    if (response.status === 429) {
      platformRateLimitedTotal.inc({ platform: "discord" });
      logger.warn({ route: request.route, method: request.method }, "discord: rate limited, waiting it out");
    } else if (response.status >= 400) {
      platformApiErrorsTotal.inc({ platform: "discord", code: String(response.status) });
    }
  });
}

function newRest(config: Config, token: string): REST {
  const api = apiBase(config.DISCORD_API_URL);
  return new REST(api ? { api } : {}).setToken(token);
}

export type Registration = { scope: "guild" | "global"; guildIds: string[]; commands: string[] };

/**
 * Registers every command by bulk overwrite (idempotent): per guild in DISCORD_GUILD_IDS, which applies at
 * once, or globally. Used at start-up and by `staffroom discord register`.
 */
export async function registerCommands(opts: DiscordOptions & { rest?: REST }): Promise<Registration> {
  const { token, applicationId } = requireCredentials(opts.config);
  const rest = opts.rest ?? newRest(opts.config, token);
  const body = opts.core.commands().map(commandJson);
  const guildIds = opts.config.DISCORD_GUILD_IDS;
  if (guildIds.length > 0) {
    for (const guildId of guildIds) await rest.put(Routes.applicationGuildCommands(applicationId, guildId), { body });
  } else {
    await rest.put(Routes.applicationCommands(applicationId), { body });
  }
  const result: Registration = { scope: guildIds.length > 0 ? "guild" : "global", guildIds, commands: body.map((c) => c.name) };
  opts.logger.info(result, "discord: commands registered");
  return result;
}

export async function startDiscord(opts: DiscordOptions): Promise<DiscordHandle> {
  const { config, core, logger, signal } = opts;
  const { token } = requireCredentials(config);
  // One quick check first (no retries): the caller decides whether to try again, and the error says
  // whether Discord was unreachable or refused the token.
  await checkDiscordToken({ token, apiUrl: config.DISCORD_API_URL, timeoutMs: opts.checkTimeoutMs ?? 15_000 });
  signal?.throwIfAborted();
  const api = apiBase(config.DISCORD_API_URL);
  const client = new Client({
    intents: [...INTENTS],
    // DM channels are not cached before their first message; without this, DM messages are dropped.
    partials: [Partials.Channel],
    rest: api ? { api } : {},
  });
  client.rest.setToken(token);
  instrument(client.rest, logger);
  const surface = new DiscordSurface(client.rest, logger.child({ component: "discord" }), Date.now, core.actions);

  try {
    await registerCommands({ ...opts, rest: client.rest });
  } catch (error) {
    // Commands registered earlier keep working; say clearly what failed and carry on.
    logger.error({ err: error }, "discord: could not register commands; run `staffroom discord register` once fixed");
  }

  const work = registerInbound({
    client,
    core,
    surface,
    logger,
    access: {
      allowedGuildIds: config.DISCORD_ALLOWED_GUILD_IDS,
      ...(config.DISCORD_STAFF_ROLE_ID ? { staffRoleId: config.DISCORD_STAFF_ROLE_ID } : {}),
      staffGuildIds: config.DISCORD_ALLOWED_GUILD_IDS.length > 0 ? config.DISCORD_ALLOWED_GUILD_IDS : config.DISCORD_GUILD_IDS,
    },
  });
  if (config.DISCORD_PUBLIC_KEY && opts.httpServer) {
    opts.httpServer.mount({
      path: INTERACTIONS_PATH,
      handler: interactionsEndpoint({ publicKey: config.DISCORD_PUBLIC_KEY, logger, receive: (raw) => work.receiveHttp(raw) }),
    });
  }
  client.on(Events.Error, (error) => logger.error({ err: error }, "discord: client error"));
  client.on(Events.ShardDisconnect, (_e, shard) => logger.warn({ shard }, "discord: gateway disconnected"));

  const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
  // A Gateway that never answers is given up when the caller aborts this attempt.
  const abandon = () => {
    work.close();
    void client.destroy();
  };
  signal?.addEventListener("abort", abandon, { once: true });
  try {
    await client.login(token);
    await ready;
  } catch (error) {
    abandon();
    throw discordFailure(error, config.DISCORD_API_URL);
  } finally {
    signal?.removeEventListener("abort", abandon);
  }
  signal?.throwIfAborted();
  logger.info({ user: client.user?.id, guilds: client.guilds.cache.size }, "discord: connected");
  // Running and waiting executions resume posting into their threads.
  await core.attach(surface);

  return {
    surface,
    client,
    async stop() {
      // Bounded so the whole process stops within its 10 s budget (start.ts).
      await Promise.race([work.idle(), new Promise((r) => setTimeout(r, 3_000).unref())]);
      work.close();
      await client.destroy();
    },
  };
}
