// Whether `staffroom start` runs the console chat (STAFFROOM_CONSOLE): pure, so the rule is tested alone.
import type { Config } from "../config.ts";

export type ConsoleFacts = {
  /** STAFFROOM_CONSOLE. */
  setting: Config["STAFFROOM_CONSOLE"];
  /** A terminal is attached to stdin (process.stdin.isTTY). */
  stdinIsTTY: boolean;
  /** Slack or Discord is configured. */
  platforms: boolean;
  /** The HTTP API is on (STAFFROOM_API_KEYS). */
  api: boolean;
  /** `staffroom serve`: never the console, whatever the setting. */
  headless: boolean;
};

/**
 * `auto` runs the console with a terminal on stdin, or when nothing else would serve anyone (no platform, no
 * API), so a fresh machine still gets a chat. Without a terminal and with something else configured, the
 * process serves until a signal (systemd, containers, nohup).
 */
export function runsConsole(facts: ConsoleFacts): boolean {
  if (facts.headless || facts.setting === "off") return false;
  if (facts.setting === "on") return true;
  return facts.stdinIsTTY || (!facts.platforms && !facts.api);
}

export function platformsConfigured(config: Config): boolean {
  return Boolean(config.SLACK_BOT_TOKEN || config.DISCORD_TOKEN);
}

/** Whether the console chat runs for this configuration and this process's stdin. */
export function consoleDecision(config: Config, opts: { headless: boolean; stdinIsTTY?: boolean }): boolean {
  return runsConsole({
    setting: config.STAFFROOM_CONSOLE,
    stdinIsTTY: opts.stdinIsTTY ?? Boolean(process.stdin.isTTY),
    platforms: platformsConfigured(config),
    api: config.STAFFROOM_API_KEYS.length > 0,
    headless: opts.headless,
  });
}
