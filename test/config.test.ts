import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { discordTokenBotId, loadConfig } from "../src/config.ts";
import { chooseQueue, chooseStore } from "../src/drivers/urls.ts";
import { ConfigError } from "../src/errors.ts";

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

/** Shaped like a real token of the fake Discord's application (its id in base64url, then two parts). */
const LINKS = { STAFFROOM_LINK_SECRET: "0123456789abcdef0123456789abcdef", STAFFROOM_PUBLIC_URL: "https://staffroom.example.org" };
const APP_ID = "1457469483726668048";
const TOKEN = `${Buffer.from(APP_ID).toString("base64url")}.GaBcDe.${"x".repeat(38)}`;
const dir = mkdtempSync(join(tmpdir(), "staffroom-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("configuration from the environment", () => {
  it("has working defaults: console-only, offline model, local SQLite store", () => {
    const c = loadConfig({});
    expect(c.STAFFROOM_STORE_URL).toBe("sqlite://data/staffroom.sqlite");
    expect(c.STAFFROOM_RETENTION_DAYS).toBe(30);
    expect(c.PORT).toBe(3000);
    expect(c.modelProvider).toBe("offline");
    expect(c.SLACK_ALLOWED_TEAM_IDS).toEqual([]);
  });

  it("picks the openai provider when a key or base URL is set, and splits lists", () => {
    expect(loadConfig({ OPENAI_API_KEY: "sk-test" }).modelProvider).toBe("openai");
    expect(loadConfig({ OPENAI_BASE_URL: "http://127.0.0.1:11434/v1" }).modelProvider).toBe("openai");
    expect(loadConfig({ OPENAI_API_KEY: "sk-test", STAFFROOM_MODEL_PROVIDER: "offline" }).modelProvider).toBe("offline");
    expect(loadConfig({ DISCORD_GUILD_IDS: " 123456789012345678, 223456789012345678 ,," }).DISCORD_GUILD_IDS).toEqual([
      "123456789012345678",
      "223456789012345678",
    ]);
  });

  it("reports every problem at once, one plain line each, naming the variable and the fix", () => {
    const problems = problemsOf({
      STAFFROOM_RETENTION_DAYS: "zero",
      PORT: "99999",
      SLACK_BOT_TOKEN: "abc",
      DISCORD_TOKEN: "x",
      OPENAI_BASE_URL: "not a url",
      STAFFROOM_STORE_URL: "mysql://db",
    });
    expect(problems).toEqual([
      "STAFFROOM_RETENTION_DAYS: must be a whole number from 1 to 3650 (default 30)",
      "OPENAI_BASE_URL: must be a full URL such as https://example.org/api/",
      "PORT: must be a whole number from 0 to 65535 (default 3000)",
      expect.stringMatching(/^SLACK_SIGNING_SECRET: is required in HTTP mode/),
      "SLACK_BOT_TOKEN: should be a bot token starting with xoxb-",
      expect.stringMatching(/^DISCORD_APPLICATION_ID: is required when DISCORD_TOKEN is set/),
      expect.stringMatching(/^DISCORD_TOKEN: does not look like a bot token \(three parts joined by dots\); copy it again/),
      expect.stringMatching(/^STAFFROOM_STORE_URL: should look like sqlite:\/\//),
    ]);
  });

  it("accepts a complete Socket Mode and Discord set-up", () => {
    const c = loadConfig({
      SLACK_BOT_TOKEN: "xoxb-1",
      SLACK_APP_TOKEN: "xapp-1",
      DISCORD_TOKEN: TOKEN,
      DISCORD_APPLICATION_ID: APP_ID,
      ...LINKS,
    });
    expect(c.SLACK_APP_TOKEN).toBe("xapp-1");
    expect(c.warnings).toEqual([]);
    expect(c.STAFFROOM_CONSOLE).toBe("auto");
  });

  it("checks Discord token and id formats, with the fix in each line", () => {
    expect(problemsOf({ DISCORD_TOKEN: `Bot ${TOKEN}`, DISCORD_APPLICATION_ID: APP_ID })).toEqual([
      'DISCORD_TOKEN: remove the leading "Bot "; give the token alone',
    ]);
    expect(
      problemsOf({
        DISCORD_TOKEN: TOKEN,
        DISCORD_APPLICATION_ID: "my-app",
        DISCORD_GUILD_IDS: "1457468924290662599,staff",
        DISCORD_STAFF_ROLE_ID: "12",
      }),
    ).toEqual([
      "DISCORD_APPLICATION_ID: should be the application's numeric id (17-20 digits, General Information → Application ID)",
      "DISCORD_GUILD_IDS: staff is not a Discord id (numbers of 17-20 digits; turn on Developer Mode and use Copy ID)",
      "DISCORD_STAFF_ROLE_ID: 12 is not a Discord id (numbers of 17-20 digits; turn on Developer Mode and use Copy ID)",
    ]);
    // The token's first part is the bot's id: a token of another application is worth a warning.
    expect(discordTokenBotId(TOKEN)).toBe(APP_ID);
    const other = loadConfig({ DISCORD_TOKEN: TOKEN, DISCORD_APPLICATION_ID: "1033044521375764530", ...LINKS });
    expect(other.warnings).toEqual([
      expect.stringMatching(/^DISCORD_TOKEN belongs to bot 1457469483726668048 but DISCORD_APPLICATION_ID is 1033044521375764530/),
    ]);
  });

  it("warns about platform settings that do nothing without their token", () => {
    const c = loadConfig({ SLACK_SIGNING_SECRET: "s3cret", DISCORD_APPLICATION_ID: APP_ID, DISCORD_GUILD_IDS: APP_ID });
    expect(c.warnings).toEqual([
      "SLACK_SIGNING_SECRET is set but SLACK_BOT_TOKEN is not, so Slack stays off; set SLACK_BOT_TOKEN to turn it on, or remove it",
      "DISCORD_APPLICATION_ID, DISCORD_GUILD_IDS are set but DISCORD_TOKEN is not, so Discord stays off; set DISCORD_TOKEN to turn it on, or remove them",
    ]);
    expect(loadConfig({ SLACK_BOT_TOKEN: "xoxb-1", SLACK_SIGNING_SECRET: "s3cret", ...LINKS }).warnings).toEqual([]);
  });

  it("signs print links only with a long secret and a public URL: a missing one is one warning, a short secret a problem", () => {
    const c = loadConfig({ SLACK_BOT_TOKEN: "xoxb-1", SLACK_SIGNING_SECRET: "s3cret", ...LINKS });
    expect(c).toMatchObject({ STAFFROOM_LINK_DAYS: 7, STAFFROOM_PUBLIC_URL: LINKS.STAFFROOM_PUBLIC_URL });
    expect(loadConfig({ SLACK_BOT_TOKEN: "xoxb-1", SLACK_SIGNING_SECRET: "s3cret" }).warnings).toEqual([
      expect.stringMatching(/^STAFFROOM_LINK_SECRET is not set, so documents in Slack and Discord carry no Open \/ print link/),
    ]);
    expect(
      loadConfig({ SLACK_BOT_TOKEN: "xoxb-1", SLACK_SIGNING_SECRET: "s3cret", STAFFROOM_LINK_SECRET: LINKS.STAFFROOM_LINK_SECRET })
        .warnings,
    ).toEqual([expect.stringMatching(/^STAFFROOM_LINK_SECRET is set but STAFFROOM_PUBLIC_URL is not/)]);
    // Console only: nothing is linked, nothing to warn about.
    expect(loadConfig({}).warnings).toEqual([]);
    expect(problemsOf({ STAFFROOM_LINK_SECRET: "short", STAFFROOM_LINK_DAYS: "0" })).toEqual([
      "STAFFROOM_LINK_SECRET: must be at least 32 characters; make one with openssl rand -hex 32",
      "STAFFROOM_LINK_DAYS: must be a whole number from 1 to 365 (default 7)",
    ]);
    // The console's paste window is validated like every other setting.
    expect(loadConfig({}).STAFFROOM_CONSOLE_PASTE_MS).toBe(25);
    expect(problemsOf({ STAFFROOM_CONSOLE_PASTE_MS: "-5" })).toEqual([
      "STAFFROOM_CONSOLE_PASTE_MS: must be a whole number from 0 to 1000 (default 25)",
    ]);
  });

  it("refuses standards and template folders that do not exist or are files", () => {
    const file = join(dir, "not-a-folder.csv");
    writeFileSync(file, "x");
    expect(problemsOf({ STAFFROOM_STANDARDS_DIR: join(dir, "missing"), STAFFROOM_TEMPLATES_DIR: file })).toEqual([
      expect.stringMatching(/^STAFFROOM_STANDARDS_DIR: the folder .*missing does not exist; create it or correct the path/),
      expect.stringMatching(/^STAFFROOM_TEMPLATES_DIR: .*not-a-folder\.csv is a file, not a folder/),
    ]);
    expect(problemsOf({ STAFFROOM_STANDARDS_DIR: "none", STAFFROOM_TEMPLATES_DIR: dir })).toEqual([]);
  });

  it("takes STAFFROOM_CONSOLE as auto, on or off", () => {
    expect(loadConfig({ STAFFROOM_CONSOLE: "off" }).STAFFROOM_CONSOLE).toBe("off");
    expect(problemsOf({ STAFFROOM_CONSOLE: "yes" })).toEqual(["STAFFROOM_CONSOLE: must be auto, on or off (default auto)"]);
  });

  it("chooses the drivers by URL: local by default, PostgreSQL and Redis for several replicas", () => {
    const local = loadConfig({});
    expect(local.STAFFROOM_QUEUE_URL).toBe("local:");
    const cluster = loadConfig({
      STAFFROOM_STORE_URL: "postgres://app@db:5432/staffroom?schema=district",
      STAFFROOM_QUEUE_URL: "redis://cache:6379",
      STAFFROOM_DATA_KEY: "ab".repeat(32),
    });
    expect(chooseStore("sqlite://data/x.sqlite")).toEqual({ kind: "sqlite", url: "sqlite://data/x.sqlite", file: "data/x.sqlite" });
    expect(chooseStore(cluster.STAFFROOM_STORE_URL)).toEqual({
      kind: "postgres",
      url: "postgres://app@db:5432/staffroom?schema=district",
      connectionString: "postgres://app@db:5432/staffroom",
      schema: "district",
    });
    expect(chooseQueue(cluster.STAFFROOM_QUEUE_URL)).toEqual({
      kind: "redis",
      url: "redis://cache:6379",
      connectionUrl: "redis://cache:6379",
      prefix: "staffroom",
    });
    expect(chooseQueue("redis://cache:6379/2?prefix=district-7")).toMatchObject({
      connectionUrl: "redis://cache:6379/2",
      prefix: "district-7",
    });
    // PostgreSQL with the in-process queue is a valid single-process set-up.
    expect(problemsOf({ STAFFROOM_STORE_URL: "postgresql://db/x", STAFFROOM_DATA_KEY: "ab".repeat(32) })).toEqual([]);
  });

  it("needs STAFFROOM_DATA_KEY with a shared store and checks its format; the local store makes its own", () => {
    expect(problemsOf({ STAFFROOM_STORE_URL: "postgresql://db/x" })).toEqual([
      "STAFFROOM_DATA_KEY: is required with a PostgreSQL store (every replica must share it); make one with openssl rand -hex 32 and keep it out of the database's backups",
    ]);
    expect(problemsOf({ STAFFROOM_DATA_KEY: "secret" })).toEqual([
      "STAFFROOM_DATA_KEY: should be 64 hex characters (make one with openssl rand -hex 32)",
    ]);
    expect(problemsOf({ STAFFROOM_DATA_KEY: Buffer.alloc(32, 7).toString("base64") })).toEqual([]);
    expect(problemsOf({})).toEqual([]);
  });

  it("refuses a Redis queue over a SQLite or memory store in one sentence, and names bad URLs", () => {
    expect(problemsOf({ STAFFROOM_QUEUE_URL: "redis://127.0.0.1:6379" })).toEqual([
      "STAFFROOM_QUEUE_URL: a Redis queue shares work between replicas, so it needs a shared store; set STAFFROOM_STORE_URL to postgres://… (a SQLite file cannot be shared).",
    ]);
    expect(problemsOf({ STAFFROOM_QUEUE_URL: "redis://127.0.0.1:6379", STAFFROOM_STORE_URL: "memory:" })[0]).toMatch(
      /memory store cannot be shared/,
    );
    expect(problemsOf({ STAFFROOM_QUEUE_URL: "amqp://mq" })).toEqual([
      "STAFFROOM_QUEUE_URL: should be local: (the default, one process) or redis://host:6379 for several replicas",
    ]);
    expect(problemsOf({ STAFFROOM_STORE_URL: "postgres://db/x?schema=Robert'); DROP" })[0]).toMatch(
      /^STAFFROOM_STORE_URL: should look like/,
    );
    expect(problemsOf({ DISCORD_PUBLIC_KEY: "abc" })[0]).toMatch(/^DISCORD_PUBLIC_KEY: should be the 64 hex characters/);
  });
});
