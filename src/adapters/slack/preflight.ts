// One quick, non-retrying check of Slack credentials (auth.test, apps.connections.open), used before the
// adapter starts and by `staffroom doctor`. Failures say whether Slack was unreachable or refused the token.
import { LogLevel, webApi } from "@slack/bolt";
import { networkReason, PlatformRejectedError, PlatformUnreachableError } from "../../errors.ts";

export type SlackIdentity = {
  team: string;
  teamId: string;
  botName: string;
  botUserId: string;
  botId: string;
  /** The token's scopes as Slack reports them (x-oauth-scopes); undefined when the answer did not say. */
  scopes: string[] | undefined;
  latencyMs: number;
};

export type SlackCheckOptions = { token: string; apiUrl?: string | undefined; timeoutMs: number };

const DEFAULT_API_URL = "https://slack.com/api/";

/** Errors that mean "this token or app is not accepted"; anything else Slack answers is treated as passing. */
const REJECTIONS = new Set([
  "invalid_auth",
  "not_authed",
  "account_inactive",
  "token_revoked",
  "token_expired",
  "no_permission",
  "not_allowed_token_type",
  "missing_scope",
  "team_access_not_granted",
  "ekm_access_denied",
  "invalid_token",
]);
const TRANSIENT = new Set(["internal_error", "fatal_error", "service_unavailable", "request_timeout", "ratelimited"]);

const quiet = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  setLevel() {},
  getLevel: () => LogLevel.ERROR,
  setName() {},
};

function client(opts: SlackCheckOptions): InstanceType<typeof webApi.WebClient> {
  return new webApi.WebClient(opts.token, {
    ...(opts.apiUrl ? { slackApiUrl: opts.apiUrl } : {}),
    retryConfig: { retries: 0 },
    timeout: opts.timeoutMs,
    rejectRateLimitedCalls: true,
    logger: quiet,
  });
}

/** Turns a WebClient failure into PlatformUnreachableError (network, 5xx, 429) or PlatformRejectedError. */
export function slackFailure(error: unknown, variable: "SLACK_BOT_TOKEN" | "SLACK_APP_TOKEN", apiUrl = DEFAULT_API_URL): Error {
  const e = error as { code?: string; data?: { error?: string }; statusCode?: number; original?: unknown };
  const where = `Slack at ${apiUrl}`;
  if (e.code === "slack_webapi_platform_error") {
    const code = e.data?.error ?? "unknown_error";
    if (TRANSIENT.has(code)) return new PlatformUnreachableError("slack", `${where} is having trouble (${code}); trying again may help.`);
    const fix =
      variable === "SLACK_BOT_TOKEN"
        ? "copy the Bot User OAuth Token (xoxb-…) from your app's OAuth & Permissions page (reinstall the app if it was removed)"
        : "generate an App-Level Token with the connections:write scope under Basic Information, and turn Socket Mode on";
    if (REJECTIONS.has(code)) return new PlatformRejectedError("slack", `Slack rejected ${variable} (${code}); ${fix}.`, { cause: error });
    return new PlatformRejectedError("slack", `Slack refused the check of ${variable} (${code}); ${fix}.`, { cause: error });
  }
  if (e.code === "slack_webapi_rate_limited_error") return new PlatformUnreachableError("slack", `${where} asked us to slow down (429).`);
  if (e.code === "slack_webapi_http_error") {
    const status = e.statusCode ?? 0;
    if (status >= 500 || status === 408 || status === 429)
      return new PlatformUnreachableError("slack", `${where} answered HTTP ${status}; trying again may help.`, { cause: error });
    return new PlatformRejectedError(
      "slack",
      `${where} answered HTTP ${status}, so it is not Slack's Web API; check SLACK_API_URL (or leave it empty for slack.com).`,
      { cause: error },
    );
  }
  const reason = networkReason(error);
  if (reason || e.code === "slack_webapi_request_error") {
    return new PlatformUnreachableError(
      "slack",
      `Could not reach ${where}: ${reason ?? "the request failed"}; check the network, firewall or proxy (the token was not checked).`,
      { cause: error },
    );
  }
  return new PlatformRejectedError("slack", `The check of ${variable} failed: ${(error as Error)?.message ?? String(error)}.`, {
    cause: error,
  });
}

async function timed<T>(call: Promise<T>, timeoutMs: number, apiUrl: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new PlatformUnreachableError(
            "slack",
            `No answer from Slack at ${apiUrl} within ${Math.round(timeoutMs / 1000)} s; check the network, firewall or proxy (the token was not checked).`,
          ),
        ),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([call, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** auth.test with the bot token: who the bot is, and its scopes. */
export async function checkSlackBotToken(opts: SlackCheckOptions): Promise<SlackIdentity> {
  const apiUrl = opts.apiUrl ?? DEFAULT_API_URL;
  const started = performance.now();
  try {
    const result = await timed(client(opts).auth.test(), opts.timeoutMs, apiUrl);
    const scopes = result.response_metadata?.scopes;
    return {
      team: String(result.team ?? ""),
      teamId: String(result.team_id ?? ""),
      botName: typeof result.user === "string" && result.user ? result.user : "Staffroom",
      botUserId: String(result.user_id ?? ""),
      botId: String(result.bot_id ?? ""),
      scopes: Array.isArray(scopes) && scopes.length > 0 ? scopes : undefined,
      latencyMs: Math.round(performance.now() - started),
    };
  } catch (error) {
    if (error instanceof PlatformUnreachableError) throw error;
    throw slackFailure(error, "SLACK_BOT_TOKEN", apiUrl);
  }
}

/** apps.connections.open with the app-level token: Socket Mode is on and the token may open connections. */
export async function checkSlackAppToken(opts: SlackCheckOptions): Promise<{ latencyMs: number }> {
  const apiUrl = opts.apiUrl ?? DEFAULT_API_URL;
  const started = performance.now();
  try {
    await timed(client(opts).apps.connections.open({}), opts.timeoutMs, apiUrl);
    return { latencyMs: Math.round(performance.now() - started) };
  } catch (error) {
    if (error instanceof PlatformUnreachableError) throw error;
    throw slackFailure(error, "SLACK_APP_TOKEN", apiUrl);
  }
}
