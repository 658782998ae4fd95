// The bot as a service: real child processes with no terminal on stdin, talking to the fakes, a closed port
// and a black hole on 127.0.0.1 only. Headless serving, the port opening before platforms connect, /readyz
// naming what is still connecting, bounded retries, the network told from a rejected token, SIGTERM < 10 s.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeDiscord, startFakeDiscord } from "../fakes/discord/index.ts";
import { type BlackHole, closedPort, startBlackHole } from "../fakes/network.ts";
import type { FakeSlack } from "../fakes/slack/server.ts";
import { startFake } from "../slack/helpers.ts";
import { type Spawned, spawnCli } from "./helpers.ts";

const LISTENING = /"port":(\d+)[^\n]*"msg":"HTTP server listening"/;
const KEY = "test-api-key-0123456789abcdef";

async function portOf(bot: Spawned): Promise<number> {
  await bot.stderrIncludes(LISTENING);
  return Number(LISTENING.exec(bot.output().stderr)![1]);
}

describe("staffroom as a headless service", () => {
  let dir: string;
  let slack: FakeSlack;
  let discord: FakeDiscord;
  let hole: BlackHole;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "staffroom-headless-"));
    [slack, discord, hole] = await Promise.all([startFake(), startFakeDiscord(), startBlackHole()]);
  });
  afterAll(async () => {
    await Promise.all([slack.stop(), discord.close(), hole.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  const store = (name: string) => ({ STAFFROOM_STORE_URL: `sqlite://${join(dir, `${name}.sqlite`)}`, PORT: "0", LOG_LEVEL: "info" });

  it("`start` with only the API configured and no terminal keeps serving after stdin ends, until SIGTERM", async () => {
    // stdin is a pipe that is closed at once, as under systemd or `npm start </dev/null`.
    const bot = spawnCli(["start"], { cwd: dir, env: { ...store("api"), STAFFROOM_API_KEYS: KEY } });
    const port = await portOf(bot);
    await bot.stderrIncludes('"msg":"staffroom started"');
    const base = `http://127.0.0.1:${port}`;
    const [health, ready, templates, metrics] = await Promise.all([
      fetch(`${base}/healthz`),
      fetch(`${base}/readyz`),
      fetch(`${base}/api/workflows/templates`, { headers: { authorization: `Bearer ${KEY}` } }),
      fetch(`${base}/metrics`).then((r) => r.text()),
    ]);
    expect(health.status).toBe(200);
    expect(ready.status).toBe(200);
    // The engine demo is a CLI example: teachers and API clients listing templates never see it.
    const ids = ((await templates.json()) as { templates: { id: string }[] }).templates.map((t) => t.id);
    expect(ids).toEqual(expect.arrayContaining(["lesson-plan", "assessment"]));
    expect(ids).not.toContain("demo-lesson");
    expect(metrics).toContain("staffroom_process_cpu_seconds_total");
    expect(metrics).toContain("staffroom_nodejs_heap_size_total_bytes");
    expect(metrics).not.toContain("staffroom_process_process_");
    // Still serving well after stdin ended (it used to exit 0 here at once).
    await new Promise((r) => setTimeout(r, 500));
    expect(bot.child.exitCode).toBeNull();
    expect(bot.output().stdout).toBe("");
    bot.child.kill("SIGTERM");
    expect((await bot.done).code).toBe(0);
  });

  it("`serve` opens the port first and /readyz names the platform still connecting; SIGTERM ends it within 10 s", async () => {
    // Slack's API is a black hole (connects, never answers); Discord is the working fake.
    const bot = spawnCli(["serve"], {
      cwd: dir,
      keepStdinOpen: true,
      env: {
        ...store("blackhole"),
        STAFFROOM_CONSOLE: "on",
        SLACK_BOT_TOKEN: "xoxb-test-bot-token",
        SLACK_APP_TOKEN: "xapp-test-app-token",
        SLACK_API_URL: `${hole.url}/api/`,
        DISCORD_TOKEN: discord.token,
        DISCORD_APPLICATION_ID: discord.applicationId,
        DISCORD_GUILD_IDS: discord.guild.id,
        DISCORD_API_URL: discord.apiUrl,
      },
    });
    const port = await portOf(bot);
    // Discord connects; Slack keeps trying (each attempt hangs until its deadline).
    const readyz = async () => {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`);
      return { status: res.status, body: (await res.json()) as { details?: Record<string, { state: string }> } };
    };
    await expect.poll(async () => (await readyz()).body.details?.discord?.state, { timeout: 30_000 }).toBe("ready");
    const { status, body } = await readyz();
    expect(status).toBe(503);
    expect(body).toMatchObject({
      status: "not_ready",
      checks: { store: true, slack: false, discord: true },
      connecting: ["slack"],
      details: { slack: { state: expect.stringMatching(/^(connecting|retrying)$/), ready: false }, discord: { state: "ready" } },
    });
    expect(hole.connections).toBeGreaterThan(0);
    const stopped = performance.now();
    bot.child.kill("SIGTERM");
    const result = await bot.done;
    expect(performance.now() - stopped).toBeLessThan(10_000);
    expect(result.code).toBe(0);
    // `serve` never opens the console, even with STAFFROOM_CONSOLE=on.
    expect(result.stdout).toBe("");
    expect(result.stderr).not.toMatch(/rejected/i);
  });

  it("gives up after the configured attempts on a refused connection, and at once on a rejected token, saying which", async () => {
    const closed = await closedPort();
    const [refused, rejected] = await Promise.all([
      spawnCli(["serve"], {
        cwd: dir,
        env: {
          ...store("refused"),
          STAFFROOM_CONNECT_ATTEMPTS: "2",
          SLACK_BOT_TOKEN: "xoxb-1",
          SLACK_APP_TOKEN: "xapp-1",
          SLACK_API_URL: `http://127.0.0.1:${closed}/api/`,
        },
      }).done,
      spawnCli(["serve"], {
        cwd: dir,
        env: {
          ...store("rejected"),
          SLACK_BOT_TOKEN: "xoxb-not-the-token",
          SLACK_APP_TOKEN: "xapp-test-app-token",
          SLACK_API_URL: slack.apiUrl,
        },
      }).done,
    ]);
    expect(refused.code).toBe(1);
    const refusedLine = refused.stderr.split("\n").find((l) => l.startsWith("Slack could not be reached"));
    expect(refusedLine).toMatch(
      /^Slack could not be reached after 2 attempts over \d+ s\. Could not reach Slack at http:\/\/127\.0\.0\.1:\d+\/api\/: the connection was refused; check the network, firewall or proxy \(the token was not checked\)\.$/,
    );
    expect(refused.stderr).not.toMatch(/\n\s+at /);

    expect(rejected.code).toBe(1);
    expect(rejected.stderr).toContain("Slack rejected SLACK_BOT_TOKEN (invalid_auth); copy the Bot User OAuth Token");
    expect(rejected.stderr).not.toContain("could not be reached");
    expect(slack.calls.filter((c) => c.method === "auth.test" && c.error === "invalid_auth")).toHaveLength(1);
  });
});
