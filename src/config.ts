// Configuration from environment variables (and an optional .env), validated once at start-up.
// Every problem is reported in one clear line; the README's configuration table mirrors this file.
import { existsSync, statSync } from "node:fs";
import { z } from "zod";
import { DEFAULT_STORE_URL, dataKeyProblems, driverProblems } from "./drivers/urls.ts";
import { ConfigError } from "./errors.ts";
import { apiKeyProblems } from "./http/auth.ts";

const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === "" ? undefined : v))
  .optional();

const list = z
  .string()
  .optional()
  .transform((v) =>
    (v ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
  );

const int = (def: number, min: number, max: number) => {
  const error = `must be a whole number from ${min} to ${max} (default ${def})`;
  return z.coerce.number({ error }).int({ error }).min(min, { error }).max(max, { error }).default(def);
};

const optionalInt = (min: number, max: number, def: string) => {
  const error = `must be a whole number from ${min} to ${max} (default ${def})`;
  return z.preprocess(
    (v) => (typeof v === "string" && v.trim() === "" ? undefined : v),
    z.coerce.number({ error }).int({ error }).min(min, { error }).max(max, { error }).optional(),
  );
};

const url = z
  .string()
  .trim()
  .optional()
  .transform((v) => (v === "" ? undefined : v))
  .pipe(z.url({ message: "must be a full URL such as https://example.org/api/" }).optional());

export const ConfigSchema = z.object({
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  STAFFROOM_STORE_URL: z.string().trim().min(1).default(DEFAULT_STORE_URL),
  /** Wraps every teacher's data key (checked with the store URL in crossProblems); unset: a local key beside the SQLite file. */
  STAFFROOM_DATA_KEY: optionalString,
  STAFFROOM_QUEUE_URL: z.string().trim().min(1).default("local:"),
  STAFFROOM_RETENTION_DAYS: int(30, 1, 3650),
  /** How long audit entries are kept (0: until deleted); they hold ids and counts, never content. */
  STAFFROOM_AUDIT_RETENTION_DAYS: int(365, 0, 3650),
  STAFFROOM_MODEL_PROVIDER: z.enum(["openai", "offline"]).optional(),
  OPENAI_API_KEY: optionalString,
  OPENAI_BASE_URL: url,
  STAFFROOM_MODEL: z.string().trim().min(1).default("gpt-4o-mini"),
  /** Unset: chosen per provider (src/model/limits.ts). */
  STAFFROOM_MODEL_CONCURRENCY: optionalInt(1, 256, "16 for hosted OpenAI-compatible endpoints, 4 for self-hosted ones"),
  /** Unset: each workflow's own maxParallel (default 8). */
  STAFFROOM_EXECUTION_PARALLELISM: optionalInt(1, 64, "each workflow's own, 8 unless it says"),
  STAFFROOM_MODEL_TIMEOUT_MS: int(120_000, 1_000, 3_600_000),
  /** Largest model answer read (UTF-8 bytes of its text); reading stops past it. 256 KB is ~60,000 words. */
  STAFFROOM_MODEL_MAX_ANSWER_BYTES: int(262_144, 1_024, 67_108_864),
  STAFFROOM_STANDARDS_DIR: optionalString,
  STAFFROOM_TEMPLATES_DIR: optionalString,
  STAFFROOM_DOCUMENTS_DIR: z.string().trim().min(1).default("documents"),
  STAFFROOM_ROSTERS_DIR: optionalString,
  STAFFROOM_CONVERSATION_TTL_MINUTES: int(60, 1, 10_080),
  PORT: int(3000, 0, 65_535),
  /** Where people reach the bot's port (for links in threads), e.g. https://staffroom.example.org. */
  STAFFROOM_PUBLIC_URL: url,
  /** The secret print links are signed with (a key is derived from it); unset: no links. */
  STAFFROOM_LINK_SECRET: z
    .string()
    .trim()
    .optional()
    .transform((v) => (v === "" ? undefined : v))
    .pipe(z.string().min(32, { error: "must be at least 32 characters; make one with openssl rand -hex 32" }).optional()),
  STAFFROOM_LINK_DAYS: int(7, 1, 365),
  STAFFROOM_CONSOLE_PASTE_MS: int(25, 0, 1000),
  SLACK_BOT_TOKEN: optionalString,
  SLACK_APP_TOKEN: optionalString,
  SLACK_SIGNING_SECRET: optionalString,
  SLACK_API_URL: url,
  SLACK_ALLOWED_TEAM_IDS: list,
  DISCORD_TOKEN: optionalString,
  DISCORD_APPLICATION_ID: optionalString,
  DISCORD_GUILD_IDS: list,
  DISCORD_API_URL: url,
  DISCORD_ALLOWED_GUILD_IDS: list,
  DISCORD_STAFF_ROLE_ID: optionalString,
  DISCORD_PUBLIC_KEY: optionalString,
  STAFFROOM_API_KEYS: list,
  STAFFROOM_API_RATE_LIMIT: int(120, 1, 100_000),
  STAFFROOM_CONSOLE: z.enum(["auto", "on", "off"], { error: "must be auto, on or off (default auto)" }).default("auto"),
  STAFFROOM_CONNECT_ATTEMPTS: int(6, 1, 100),
});

export type Config = z.infer<typeof ConfigSchema> & {
  modelProvider: "openai" | "offline";
  /** Settings that do nothing as given (e.g. a Discord id without a token): worth a line, not a refusal. */
  warnings: string[];
};

/** A Discord bot token: three base64url parts joined by dots (the first is the bot's id in base64). */
const DISCORD_TOKEN_SHAPE = /^[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{16,}$/;
/** Discord ids (applications, guilds, roles) are snowflakes: 17 to 20 digits today. */
const SNOWFLAKE = /^\d{15,25}$/;

/** The bot's id encoded in a Discord token's first part, when it decodes to one. */
export function discordTokenBotId(token: string): string | undefined {
  const first = token.split(".")[0] ?? "";
  const decoded = Buffer.from(first, "base64url").toString("utf8");
  return SNOWFLAKE.test(decoded) ? decoded : undefined;
}

/** Rules between variables, checked on the raw values so they are reported even when another variable is invalid. */
function crossProblems(env: NodeJS.ProcessEnv): string[] {
  const v = (name: string) => {
    const value = env[name]?.trim();
    return value === "" ? undefined : value;
  };
  const problems: string[] = [];
  const need = (cond: boolean, name: string, message: string) => {
    if (cond) problems.push(`${name}: ${message}`);
  };
  const slackBot = v("SLACK_BOT_TOKEN");
  const slackApp = v("SLACK_APP_TOKEN");
  const discordId = v("DISCORD_APPLICATION_ID");
  need(
    Boolean(slackBot && !slackApp && !v("SLACK_SIGNING_SECRET")),
    "SLACK_SIGNING_SECRET",
    "is required in HTTP mode (SLACK_BOT_TOKEN set without SLACK_APP_TOKEN); copy it from your Slack app's Basic Information page",
  );
  need(Boolean(slackBot && !slackBot.startsWith("xoxb-")), "SLACK_BOT_TOKEN", "should be a bot token starting with xoxb-");
  need(
    Boolean(slackApp && !slackApp.startsWith("xapp-")),
    "SLACK_APP_TOKEN",
    "should be an app-level token starting with xapp- (with the connections:write scope)",
  );
  need(Boolean(slackApp && !slackBot), "SLACK_BOT_TOKEN", "is required when SLACK_APP_TOKEN is set");
  need(
    Boolean(v("DISCORD_TOKEN") && !discordId),
    "DISCORD_APPLICATION_ID",
    "is required when DISCORD_TOKEN is set; copy it from the Discord developer portal",
  );
  need(
    Boolean(discordId && !SNOWFLAKE.test(discordId)),
    "DISCORD_APPLICATION_ID",
    "should be the application's numeric id (17-20 digits, General Information → Application ID)",
  );
  const discordToken = v("DISCORD_TOKEN");
  if (discordToken && /^bot\s/i.test(discordToken)) {
    problems.push('DISCORD_TOKEN: remove the leading "Bot "; give the token alone');
  } else if (discordToken && !DISCORD_TOKEN_SHAPE.test(discordToken)) {
    problems.push(
      "DISCORD_TOKEN: does not look like a bot token (three parts joined by dots); copy it again from Bot → Reset Token in the Discord developer portal",
    );
  }
  for (const name of ["DISCORD_GUILD_IDS", "DISCORD_ALLOWED_GUILD_IDS", "DISCORD_STAFF_ROLE_ID"]) {
    const bad = (v(name) ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== "" && !SNOWFLAKE.test(s));
    need(
      bad.length > 0,
      name,
      `${bad.join(", ")} ${bad.length === 1 ? "is not a Discord id" : "are not Discord ids"} (numbers of 17-20 digits; turn on Developer Mode and use Copy ID)`,
    );
  }
  for (const name of ["STAFFROOM_STANDARDS_DIR", "STAFFROOM_TEMPLATES_DIR"]) {
    const dir = v(name);
    if (!dir || (name === "STAFFROOM_STANDARDS_DIR" && dir.toLowerCase() === "none")) continue;
    const problem = folderProblem(dir);
    if (problem) problems.push(`${name}: ${problem}`);
  }
  need(
    Boolean(v("STAFFROOM_MODEL_PROVIDER") === "openai" && !v("OPENAI_API_KEY") && !v("OPENAI_BASE_URL")),
    "OPENAI_API_KEY",
    "is required with STAFFROOM_MODEL_PROVIDER=openai (or set OPENAI_BASE_URL for a local server)",
  );
  problems.push(...driverProblems(v("STAFFROOM_STORE_URL"), v("STAFFROOM_QUEUE_URL")));
  problems.push(...dataKeyProblems(v("STAFFROOM_STORE_URL"), v("STAFFROOM_DATA_KEY")));
  for (const problem of apiKeyProblems(
    (v("STAFFROOM_API_KEYS") ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
  ))
    problems.push(`STAFFROOM_API_KEYS: ${problem}`);
  const publicKey = v("DISCORD_PUBLIC_KEY");
  need(
    Boolean(publicKey && !/^[0-9a-f]{64}$/i.test(publicKey)),
    "DISCORD_PUBLIC_KEY",
    "should be the 64 hex characters of the application's public key (General Information in the Discord developer portal)",
  );
  return problems;
}

function folderProblem(dir: string): string | undefined {
  try {
    if (!statSync(dir).isDirectory()) return `${dir} is a file, not a folder; point it at the folder that holds the files`;
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === "ENOENT"
      ? `the folder ${dir} does not exist; create it or correct the path (relative paths start at ${process.cwd()})`
      : `the folder ${dir} cannot be read (${code}); check its permissions`;
  }
}

/** Settings that have no effect without the rest of their platform's settings. */
function crossWarnings(env: NodeJS.ProcessEnv): string[] {
  const set = (name: string) => (env[name]?.trim() ?? "") !== "";
  const warnings: string[] = [];
  const orphans = (token: string, names: string[], platform: string) => {
    const given = names.filter(set);
    if (set(token) || given.length === 0) return;
    warnings.push(
      `${given.join(", ")} ${given.length === 1 ? "is" : "are"} set but ${token} is not, so ${platform} stays off; set ${token} to turn it on, or remove ${given.length === 1 ? "it" : "them"}`,
    );
  };
  orphans("SLACK_BOT_TOKEN", ["SLACK_SIGNING_SECRET", "SLACK_ALLOWED_TEAM_IDS", "SLACK_API_URL"], "Slack");
  orphans(
    "DISCORD_TOKEN",
    ["DISCORD_APPLICATION_ID", "DISCORD_GUILD_IDS", "DISCORD_ALLOWED_GUILD_IDS", "DISCORD_STAFF_ROLE_ID", "DISCORD_API_URL"],
    "Discord",
  );
  // Links matter where documents are posted to people: Slack and Discord.
  const chat = set("SLACK_BOT_TOKEN") || set("DISCORD_TOKEN");
  if (chat && !set("STAFFROOM_LINK_SECRET"))
    warnings.push(
      "STAFFROOM_LINK_SECRET is not set, so documents in Slack and Discord carry no Open / print link; set it (openssl rand -hex 32) and STAFFROOM_PUBLIC_URL to turn links on",
    );
  else if (chat && !set("STAFFROOM_PUBLIC_URL"))
    warnings.push(
      "STAFFROOM_LINK_SECRET is set but STAFFROOM_PUBLIC_URL is not, so documents carry no Open / print link; set STAFFROOM_PUBLIC_URL to the address people reach this server's port at",
    );
  const token = env.DISCORD_TOKEN?.trim();
  const appId = env.DISCORD_APPLICATION_ID?.trim();
  const botId = token ? discordTokenBotId(token) : undefined;
  if (botId && appId && SNOWFLAKE.test(appId) && botId !== appId) {
    warnings.push(
      `DISCORD_TOKEN belongs to bot ${botId} but DISCORD_APPLICATION_ID is ${appId}; check that both come from the same application (older applications may differ)`,
    );
  }
  return warnings;
}

/** Reads .env (when present) into the environment without overriding variables already set. */
export function loadDotEnv(path = ".env"): void {
  if (existsSync(path)) process.loadEnvFile(path);
}

/** Validates the environment; throws ConfigError with one line per problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = ConfigSchema.safeParse(env);
  const problems = [
    ...(parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join(".") || "environment"}: ${i.message}`)),
    ...crossProblems(env),
  ];
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const c = parsed.data;
  const modelProvider = c.STAFFROOM_MODEL_PROVIDER ?? (c.OPENAI_API_KEY || c.OPENAI_BASE_URL ? "openai" : "offline");
  return { ...c, modelProvider, warnings: crossWarnings(env) };
}
