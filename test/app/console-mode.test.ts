// STAFFROOM_CONSOLE: when `staffroom start` runs the console chat, and that `serve` never does.
import { describe, expect, it } from "vitest";
import { consoleDecision, runsConsole } from "../../src/app/console-mode.ts";
import { loadConfig } from "../../src/config.ts";

const facts = { setting: "auto" as const, stdinIsTTY: false, platforms: false, api: false, headless: false };

describe("whether the console chat runs", () => {
  it("auto: with a terminal on stdin, or when nothing else would serve anyone", () => {
    expect(runsConsole({ ...facts, stdinIsTTY: true, platforms: true, api: true })).toBe(true);
    expect(runsConsole(facts)).toBe(true);
    // systemd, nohup, containers: no terminal, and the API or a platform to serve.
    expect(runsConsole({ ...facts, api: true })).toBe(false);
    expect(runsConsole({ ...facts, platforms: true })).toBe(false);
  });

  it("on and off override auto; serve (headless) never runs it", () => {
    expect(runsConsole({ ...facts, setting: "on", platforms: true })).toBe(true);
    expect(runsConsole({ ...facts, setting: "off", stdinIsTTY: true })).toBe(false);
    expect(runsConsole({ ...facts, setting: "on", stdinIsTTY: true, headless: true })).toBe(false);
  });

  it("reads the configuration: API keys and platform tokens count as something else to serve", () => {
    expect(consoleDecision(loadConfig({ STAFFROOM_API_KEYS: "k".repeat(24) }), { headless: false, stdinIsTTY: false })).toBe(false);
    expect(
      consoleDecision(loadConfig({ SLACK_BOT_TOKEN: "xoxb-1", SLACK_APP_TOKEN: "xapp-1" }), { headless: false, stdinIsTTY: true }),
    ).toBe(true);
    expect(consoleDecision(loadConfig({}), { headless: false, stdinIsTTY: false })).toBe(true);
    expect(consoleDecision(loadConfig({ STAFFROOM_CONSOLE: "on" }), { headless: true, stdinIsTTY: true })).toBe(false);
  });
});
