import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.ts";
import { chooseQueue, chooseStore } from "../src/drivers/select.ts";
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
    expect(loadConfig({ DISCORD_GUILD_IDS: " 123, 456 ,," }).DISCORD_GUILD_IDS).toEqual(["123", "456"]);
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
      expect.stringMatching(/^STAFFROOM_STORE_URL: should look like sqlite:\/\//),
    ]);
  });

  it("accepts a complete Socket Mode and Discord set-up", () => {
    const c = loadConfig({
      SLACK_BOT_TOKEN: "xoxb-1",
      SLACK_APP_TOKEN: "xapp-1",
      DISCORD_TOKEN: "t",
      DISCORD_APPLICATION_ID: "123456789012345678",
    });
    expect(c.SLACK_APP_TOKEN).toBe("xapp-1");
  });

  it("chooses the drivers by URL: local by default, PostgreSQL and Redis for several replicas", () => {
    const local = loadConfig({});
    expect(local.STAFFROOM_QUEUE_URL).toBe("local:");
    const cluster = loadConfig({
      STAFFROOM_STORE_URL: "postgres://app@db:5432/staffroom?schema=district",
      STAFFROOM_QUEUE_URL: "redis://cache:6379",
    });
    expect(chooseStore(cluster.STAFFROOM_STORE_URL)).toEqual({
      kind: "postgres",
      url: "postgres://app@db:5432/staffroom?schema=district",
      connectionString: "postgres://app@db:5432/staffroom",
      schema: "district",
    });
    expect(chooseQueue(cluster.STAFFROOM_QUEUE_URL)).toEqual({ kind: "redis", url: "redis://cache:6379" });
    // PostgreSQL with the in-process queue is a valid single-process set-up.
    expect(problemsOf({ STAFFROOM_STORE_URL: "postgresql://db/x" })).toEqual([]);
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
