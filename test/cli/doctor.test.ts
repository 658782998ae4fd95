// `staffroom doctor` against the local fakes: the real openai SDK on the OpenAI-compatible fake, the Slack
// WebClient on the Slack fake (auth.test, scopes from x-oauth-scopes, apps.connections.open), discord.js REST
// on the Discord fake, a real SQLite file, and the shipped standards and example templates.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { manifestScopes, runDoctor } from "../../src/app/doctor.ts";
import { doctorText } from "../../src/cli/doctor.ts";
import { type FakeDiscord, startFakeDiscord } from "../fakes/discord/index.ts";
import { closedPort } from "../fakes/network.ts";
import { type FakeOpenAI, startFakeOpenAI } from "../fakes/openai-server.ts";
import { FakeSlack } from "../fakes/slack/server.ts";
import { APP_TOKEN, BOT_TOKEN, specPath } from "../slack/helpers.ts";
import { repoRoot, runCli } from "./helpers.ts";

describe("staffroom doctor", () => {
  let dir: string;
  let openai: FakeOpenAI;
  let slack: FakeSlack;
  let narrowSlack: FakeSlack;
  let discord: FakeDiscord;
  let otherDiscord: FakeDiscord;
  let healthy: Record<string, string>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "staffroom-doctor-"));
    [openai, slack, narrowSlack, discord, otherDiscord] = await Promise.all([
      startFakeOpenAI(),
      new FakeSlack({ specPath, botToken: BOT_TOKEN, appToken: APP_TOKEN }).start(),
      // A token installed before files:write and im:write were added to the manifest.
      new FakeSlack({
        specPath,
        botToken: BOT_TOKEN,
        appToken: APP_TOKEN,
        scopes: manifestScopes().filter((s) => s !== "files:write" && s !== "im:write"),
      }).start(),
      startFakeDiscord(),
      // Message Content intent off.
      startFakeDiscord({ applicationFlags: 0 }),
    ]);
    healthy = {
      STAFFROOM_STORE_URL: `sqlite://${join(dir, "data", "doctor.sqlite")}`,
      OPENAI_BASE_URL: openai.url,
      OPENAI_API_KEY: "sk-test",
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_APP_TOKEN: APP_TOKEN,
      SLACK_API_URL: slack.apiUrl,
      DISCORD_TOKEN: discord.token,
      DISCORD_APPLICATION_ID: discord.applicationId,
      DISCORD_API_URL: discord.apiUrl,
      STAFFROOM_TEMPLATES_DIR: resolve(repoRoot, "examples/templates"),
    };
  });
  afterAll(async () => {
    await Promise.all([openai.close(), slack.stop(), narrowSlack.stop(), discord.close(), otherDiscord.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it("passes every check of a healthy set-up, one ✓ line each, through the real CLI with exit code 0", async () => {
    const calls = openai.requests.length;
    const res = await runCli(["doctor"], { cwd: dir, env: healthy });
    expect(res.stderr).toBe("");
    expect(res.code).toBe(0);
    const lines = res.stdout.trim().split("\n");
    expect(lines.slice(0, -1).every((l) => l.startsWith("✓ "))).toBe(true);
    expect(lines.at(-1)).toBe("Everything checked is fine.");
    expect(res.stdout).toContain("✓ configuration: every setting is valid");
    expect(res.stdout).toMatch(/✓ store: .*doctor\.sqlite is writable, WAL mode, \d+ KB/);
    expect(res.stdout).toMatch(/✓ data key: generated and kept in .*doctor\.sqlite\.key/);
    expect(res.stdout).toMatch(new RegExp(`✓ model: gpt-4o-mini at ${openai.url.replace(/[.:/]/g, "\\$&")} answered in \\d+ ms`));
    expect(res.stdout).toMatch(/✓ Slack token: bot "staffroom" in Fake School \(T0FAKE0001\), auth\.test in \d+ ms/);
    expect(res.stdout).toContain(`✓ Slack scopes: all ${manifestScopes().length} scopes of manifest.json are granted`);
    expect(res.stdout).toMatch(/✓ Slack app token: Socket Mode connections are allowed/);
    expect(res.stdout).toMatch(new RegExp(`✓ Discord token: bot "Staffroom" \\(${discord.applicationId}\\)`));
    expect(res.stdout).toContain(`✓ Discord application: ${discord.applicationId} (Staffroom) matches DISCORD_APPLICATION_ID`);
    expect(res.stdout).toContain("✓ Discord intents: the Message Content intent is on");
    expect(res.stdout).toMatch(/✓ standards: \d+ standards from the shipped sample set/);
    expect(res.stdout).toContain("✓ templates: 1 admin template from");
    expect(res.stdout).toContain("exit-ticket");
    // One tiny call to the model endpoint, through the real openai SDK.
    expect(openai.requests.length).toBe(calls + 1);
    expect(openai.requests.at(-1)).toMatchObject({ model: "gpt-4o-mini", max_tokens: 5 });
    expect(slack.violations).toEqual([]);
    expect(discord.violations).toEqual([]);
  });

  it("names each problem with its fix: model key, missing scopes, wrong application, intent off, bad folders", async () => {
    const standards = join(dir, "standards");
    mkdirSync(standards, { recursive: true });
    writeFileSync(join(standards, "state.csv"), "framework,code,grade,subject,description\nNGSS,,5,Science,\n");
    openai.enqueue({ status: 401 });
    const lines = await runDoctor({
      ...healthy,
      SLACK_API_URL: narrowSlack.apiUrl,
      DISCORD_API_URL: otherDiscord.apiUrl,
      DISCORD_TOKEN: otherDiscord.token,
      DISCORD_APPLICATION_ID: "1033044521375764530",
      STAFFROOM_STANDARDS_DIR: standards,
    });
    const failed = lines.filter((l) => !l.ok).map((l) => `${l.check}: ${l.text}`);
    expect(failed).toEqual([
      `model: The model endpoint rejected the API key. Check OPENAI_API_KEY. (model gpt-4o-mini at ${openai.url})`,
      "Slack scopes: the token lacks files:write, im:write; add them under OAuth & Permissions → Bot Token Scopes (or update the app from manifest.json) and reinstall the app",
      `Discord application: the token belongs to application ${otherDiscord.applicationId}, but DISCORD_APPLICATION_ID is 1033044521375764530; copy the Application ID of the same app from General Information`,
      "Discord intents: the Message Content intent is off, so answers typed in threads arrive empty; turn it on under Bot → Privileged Gateway Intents",
      "standards: state.csv (line 2.code): code is empty",
      "standards: state.csv (line 2.description): description is missing or too short",
    ]);
    // The id mismatch is visible in the configuration too, as a note rather than a failure.
    expect(lines.find((l) => l.check === "configuration" && l.text.startsWith("note: DISCORD_TOKEN belongs to bot"))?.ok).toBe(true);
    expect(doctorText(lines).split("\n")).toHaveLength(lines.length);
  });

  it("tells an unreachable platform from a rejected token, and stops at a broken configuration", async () => {
    const closed = await closedPort();
    const lines = await runDoctor({
      ...healthy,
      SLACK_BOT_TOKEN: "xoxb-not-the-token",
      SLACK_APP_TOKEN: "",
      SLACK_SIGNING_SECRET: "secret",
      DISCORD_API_URL: `http://127.0.0.1:${closed}/api`,
      OPENAI_BASE_URL: `http://127.0.0.1:${closed}/v1`,
    });
    const text = doctorText(lines);
    expect(text).toContain("✗ Slack token: Slack rejected SLACK_BOT_TOKEN (invalid_auth)");
    expect(text).toMatch(/✗ Discord token: Could not reach Discord at http:\/\/127\.0\.0\.1:\d+\/api: the connection was refused/);
    expect(text).toMatch(/✗ model: Could not reach the model endpoint at 127\.0\.0\.1:\d+/);

    const broken = await runDoctor({ PORT: "http", STAFFROOM_TEMPLATES_DIR: join(dir, "nope") });
    expect(doctorText(broken).split("\n")).toEqual([
      "✗ configuration: PORT: must be a whole number from 0 to 65535 (default 3000)",
      expect.stringMatching(/^✗ configuration: STAFFROOM_TEMPLATES_DIR: the folder .*nope does not exist/),
      "✗ configuration: the other checks need a valid configuration: fix the lines above, then run staffroom doctor again",
    ]);
  });
});
