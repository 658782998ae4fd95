// Connecting at start-up on a bad network: the real preflight checks (Slack WebClient, discord.js REST)
// against a closed port, a black hole and the fakes on 127.0.0.1, through the bounded retry loop.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkDiscordToken } from "../../src/adapters/discord/preflight.ts";
import { checkSlackBotToken } from "../../src/adapters/slack/preflight.ts";
import { type ConnectPolicy, connectWithRetry, exponentialBackoff } from "../../src/app/connect.ts";
import { PlatformRejectedError, PlatformUnreachableError } from "../../src/errors.ts";
import { silentLogger } from "../../src/log.ts";
import { Readiness } from "../../src/readiness.ts";
import { type FakeDiscord, startFakeDiscord } from "../fakes/discord/index.ts";
import { type BlackHole, closedPort, startBlackHole } from "../fakes/network.ts";
import type { FakeSlack } from "../fakes/slack/server.ts";
import { startFake } from "../slack/helpers.ts";

const fast = (attempts: number, attemptTimeoutMs = 2_000): ConnectPolicy => ({ attempts, attemptTimeoutMs, backoffMs: () => 20 });

describe("connecting a platform at start-up", () => {
  let slack: FakeSlack;
  let discord: FakeDiscord;
  let hole: BlackHole;
  let closed: number;

  beforeAll(async () => {
    [slack, discord, hole, closed] = await Promise.all([startFake(), startFakeDiscord(), startBlackHole(), closedPort()]);
  });
  afterAll(async () => {
    await Promise.all([slack.stop(), discord.close(), hole.close()]);
  });

  it("backs off exponentially, capped", () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => exponentialBackoff(n))).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
  });

  it("tells a refused connection from a rejected token, for Slack and Discord", async () => {
    const refused = checkSlackBotToken({ token: "xoxb-1", apiUrl: `http://127.0.0.1:${closed}/api/`, timeoutMs: 2_000 });
    await expect(refused).rejects.toBeInstanceOf(PlatformUnreachableError);
    await expect(refused).rejects.toThrow(
      /^Could not reach Slack at http:\/\/127\.0\.0\.1:\d+\/api\/: the connection was refused; .*token was not checked/,
    );

    const rejected = checkSlackBotToken({ token: "xoxb-wrong", apiUrl: slack.apiUrl, timeoutMs: 2_000 });
    await expect(rejected).rejects.toBeInstanceOf(PlatformRejectedError);
    await expect(rejected).rejects.toThrow("Slack rejected SLACK_BOT_TOKEN (invalid_auth); copy the Bot User OAuth Token");

    const ok = await checkSlackBotToken({ token: slack.options.botToken, apiUrl: slack.apiUrl, timeoutMs: 2_000 });
    expect(ok).toMatchObject({ botName: "staffroom", teamId: "T0FAKE0001", botId: "B0FAKEBOT" });
    expect(ok.scopes).toEqual(expect.arrayContaining(["commands", "chat:write"]));

    const discordRefused = checkDiscordToken({ token: discord.token, apiUrl: `http://127.0.0.1:${closed}/api`, timeoutMs: 2_000 });
    await expect(discordRefused).rejects.toBeInstanceOf(PlatformUnreachableError);
    await expect(discordRefused).rejects.toThrow(/^Could not reach Discord at .*: the connection was refused/);
    const discordRejected = checkDiscordToken({ token: `${discord.token}x`, apiUrl: discord.apiUrl, timeoutMs: 2_000 });
    await expect(discordRejected).rejects.toBeInstanceOf(PlatformRejectedError);
    await expect(discordRejected).rejects.toThrow(/^Discord rejected DISCORD_TOKEN \(401 Unauthorized\)/);
    await expect(checkDiscordToken({ token: discord.token, apiUrl: discord.apiUrl, timeoutMs: 2_000 })).resolves.toMatchObject({
      botId: discord.applicationId,
    });
    expect(discord.violations).toEqual([]);
  });

  it("retries a network failure a bounded number of times, keeping readiness current, then says so", async () => {
    const readiness = new Readiness();
    const seen: string[] = [];
    let calls = 0;
    const error = await connectWithRetry(
      { part: "slack", label: "Slack", policy: fast(3), readiness, logger: silentLogger, signal: new AbortController().signal },
      async () => {
        calls++;
        seen.push(`${readiness.get("slack")?.state}:${readiness.get("slack")?.attempts}`);
        return checkSlackBotToken({ token: "xoxb-1", apiUrl: `http://127.0.0.1:${closed}/api/`, timeoutMs: 2_000 });
      },
    ).catch((e: unknown) => e as Error);
    expect(calls).toBe(3);
    expect(seen).toEqual(["connecting:1", "retrying:2", "retrying:3"]);
    expect((error as Error).message).toMatch(
      /^Slack could not be reached after 3 attempts over \d+ s\. Could not reach Slack at .*: the connection was refused/,
    );
    expect(readiness.get("slack")).toMatchObject({ state: "failed", ready: false, attempts: 3 });
  });

  it("does not retry a rejected token", async () => {
    const readiness = new Readiness();
    let calls = 0;
    const attempt = () => {
      calls++;
      return checkSlackBotToken({ token: "xoxb-wrong", apiUrl: slack.apiUrl, timeoutMs: 2_000 });
    };
    await expect(
      connectWithRetry(
        { part: "slack", label: "Slack", policy: fast(5), readiness, logger: silentLogger, signal: new AbortController().signal },
        attempt,
      ),
    ).rejects.toThrow(/^Slack rejected SLACK_BOT_TOKEN \(invalid_auth\)/);
    expect(calls).toBe(1);
    expect(readiness.get("slack")).toMatchObject({ state: "failed", detail: expect.stringMatching(/^Slack rejected/) });
  });

  it("gives up an attempt that hangs at its deadline, aborting it, and stops at once when shut down", async () => {
    const readiness = new Readiness();
    const aborted: unknown[] = [];
    const hang = (signal: AbortSignal) =>
      new Promise<never>((_, reject) => {
        void fetch(`${hole.url}/api/auth.test`, { signal }).catch(reject);
        signal.addEventListener("abort", () => aborted.push(signal.reason));
      });
    const timedOut = connectWithRetry(
      { part: "discord", label: "Discord", policy: fast(2, 300), readiness, logger: silentLogger, signal: new AbortController().signal },
      hang,
    );
    await expect(timedOut).rejects.toThrow(/^Discord could not be reached after 2 attempts .*did not finish connecting within 300 ms/);
    expect(aborted).toHaveLength(2);
    expect(hole.connections).toBeGreaterThanOrEqual(2);

    // Shutdown while an attempt hangs: the loop ends now, not at the deadline.
    const shutdown = new AbortController();
    const started = performance.now();
    const running = connectWithRetry(
      { part: "slack", label: "Slack", policy: fast(5, 60_000), readiness, logger: silentLogger, signal: shutdown.signal },
      hang,
    );
    await expect.poll(() => readiness.get("slack")?.state).toBe("connecting");
    shutdown.abort(new Error("shutting down"));
    await expect(running).rejects.toThrow("shutting down");
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
