// Configuration from environment variables (and an optional .env), validated once at start-up.
// Every problem is reported in one clear line; the README's configuration table mirrors this file.
import { existsSync } from "node:fs";
import { z } from "zod";
import { driverProblems } from "./drivers/select.ts";
import { ConfigError } from "./errors.ts";

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

const url = z
  .string()
  .trim()
  .optional()
  .transform((v) => (v === "" ? undefined : v))
  .pipe(z.url({ message: "must be a full URL such as https://example.org/api/" }).optional());

export const ConfigSchema = z.object({
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  STAFFROOM_STORE_URL: z.string().trim().min(1).default("sqlite://data/staffroom.sqlite"),
  STAFFROOM_QUEUE_URL: z.string().trim().min(1).default("local:"),
  STAFFROOM_RETENTION_DAYS: int(30, 1, 3650),
  STAFFROOM_MODEL_PROVIDER: z.enum(["openai", "offline"]).optional(),
  OPENAI_API_KEY: optionalString,
  OPENAI_BASE_URL: url,
  STAFFROOM_MODEL: z.string().trim().min(1).default("gpt-4o-mini"),
  STAFFROOM_MODEL_CONCURRENCY: int(4, 1, 256),
  STAFFROOM_MODEL_TIMEOUT_MS: int(120_000, 1_000, 3_600_000),
  STAFFROOM_STANDARDS_DIR: optionalString,
  STAFFROOM_TEMPLATES_DIR: optionalString,
  STAFFROOM_DOCUMENTS_DIR: z.string().trim().min(1).default("documents"),
  STAFFROOM_CONVERSATION_TTL_MINUTES: int(60, 1, 10_080),
  PORT: int(3000, 0, 65_535),
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
});

export type Config = z.infer<typeof ConfigSchema> & { modelProvider: "openai" | "offline" };

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
  need(Boolean(discordId && !/^\d{15,25}$/.test(discordId)), "DISCORD_APPLICATION_ID", "should be the application's numeric id");
  need(
    Boolean(v("STAFFROOM_MODEL_PROVIDER") === "openai" && !v("OPENAI_API_KEY") && !v("OPENAI_BASE_URL")),
    "OPENAI_API_KEY",
    "is required with STAFFROOM_MODEL_PROVIDER=openai (or set OPENAI_BASE_URL for a local server)",
  );
  problems.push(...driverProblems(v("STAFFROOM_STORE_URL"), v("STAFFROOM_QUEUE_URL")));
  const publicKey = v("DISCORD_PUBLIC_KEY");
  need(
    Boolean(publicKey && !/^[0-9a-f]{64}$/i.test(publicKey)),
    "DISCORD_PUBLIC_KEY",
    "should be the 64 hex characters of the application's public key (General Information in the Discord developer portal)",
  );
  return problems;
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
  return { ...c, modelProvider };
}
