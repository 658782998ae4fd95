// One quick, non-retrying check of the Discord token and application (GET /users/@me, /applications/@me),
// used before the adapter logs in and by `staffroom doctor`. Failures tell an unreachable Discord from a
// rejected token.
import { DiscordAPIError, HTTPError, REST, Routes } from "discord.js";
import { networkReason, PlatformRejectedError, PlatformUnreachableError } from "../../errors.ts";

export type DiscordCheckOptions = { token: string; apiUrl?: string | undefined; timeoutMs: number };

/** Application flags for the Message Content intent (either one turns it on). */
const MESSAGE_CONTENT_FLAGS = (1 << 18) | (1 << 19);

const DEFAULT_API_URL = "https://discord.com/api";

/** REST base without the version (discord.js appends /v10); a trailing /v10 in the setting is tolerated. */
export function apiBase(url: string | undefined): string | undefined {
  return url?.replace(/\/+$/, "").replace(/\/v\d+$/, "");
}

function rest(opts: DiscordCheckOptions): REST {
  const api = apiBase(opts.apiUrl);
  return new REST({ ...(api ? { api } : {}), retries: 0, timeout: opts.timeoutMs }).setToken(opts.token);
}

/** Turns a REST failure into PlatformUnreachableError (network, timeout, 5xx) or PlatformRejectedError. */
export function discordFailure(error: unknown, apiUrl: string | undefined): Error {
  const where = `Discord at ${apiBase(apiUrl) ?? DEFAULT_API_URL}`;
  if (error instanceof DiscordAPIError) {
    if (error.status === 401)
      return new PlatformRejectedError(
        "discord",
        "Discord rejected DISCORD_TOKEN (401 Unauthorized); reset the token under Bot in the Discord developer portal and copy it again.",
        { cause: error },
      );
    if (error.status === 429 || error.status >= 500)
      return new PlatformUnreachableError("discord", `${where} answered HTTP ${error.status}; trying again may help.`, { cause: error });
    return new PlatformRejectedError("discord", `${where} refused the check (HTTP ${error.status}: ${error.message}).`, { cause: error });
  }
  if (error instanceof HTTPError) {
    if (error.status >= 500 || error.status === 429)
      return new PlatformUnreachableError("discord", `${where} answered HTTP ${error.status}; trying again may help.`, { cause: error });
    return new PlatformRejectedError(
      "discord",
      `${where} answered HTTP ${error.status}, so it is not Discord's API; check DISCORD_API_URL (or leave it empty).`,
      { cause: error },
    );
  }
  const reason = networkReason(error);
  if (reason)
    return new PlatformUnreachableError(
      "discord",
      `Could not reach ${where}: ${reason}; check the network, firewall or proxy (the token was not checked).`,
      { cause: error },
    );
  return new PlatformUnreachableError("discord", `Could not reach ${where}: ${(error as Error)?.message ?? String(error)}.`, {
    cause: error,
  });
}

async function get<T>(opts: DiscordCheckOptions, route: `/${string}`): Promise<T> {
  try {
    return (await rest(opts).get(route)) as T;
  } catch (error) {
    throw discordFailure(error, opts.apiUrl);
  }
}

/** GET /users/@me: the token is accepted; who the bot is. */
export async function checkDiscordToken(opts: DiscordCheckOptions): Promise<{ botId: string; botName: string; latencyMs: number }> {
  const started = performance.now();
  const me = await get<{ id: string; username: string }>(opts, Routes.user("@me"));
  return { botId: me.id, botName: me.username, latencyMs: Math.round(performance.now() - started) };
}

/** GET /applications/@me: the application the token belongs to, and whether Message Content is on. */
export async function checkDiscordApplication(opts: DiscordCheckOptions): Promise<{ id: string; name: string; messageContent: boolean }> {
  const app = await get<{ id: string; name?: string; flags?: number }>(opts, "/applications/@me");
  return { id: app.id, name: app.name ?? "", messageContent: ((app.flags ?? 0) & MESSAGE_CONTENT_FLAGS) !== 0 };
}
