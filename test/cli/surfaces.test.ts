import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeDiscord, startFakeDiscord } from "../fakes/discord/index.ts";
import { runCli, spawnCli } from "./helpers.ts";

describe("staffroom with Discord credentials", () => {
  let dir: string;
  let fake: FakeDiscord;
  let env: Record<string, string>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "staffroom-discord-"));
    fake = await startFakeDiscord();
    env = {
      STAFFROOM_STORE_URL: `sqlite://${join(dir, "x.sqlite")}`,
      PORT: "0",
      DISCORD_TOKEN: fake.token,
      DISCORD_APPLICATION_ID: fake.applicationId,
      DISCORD_GUILD_IDS: fake.guild.id,
      DISCORD_API_URL: fake.apiUrl,
    };
  });
  afterAll(async () => {
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("`discord register` registers the teacher commands in the guild, without the engine demo", async () => {
    const res = await runCli(["discord", "register"], { cwd: dir, env });
    expect(res.code).toBe(0);
    const names = (fake.commands.get(fake.guild.id) ?? []).map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining(["lesson-plan", "assessment", "feedback", "parent-message", "staffroom"]));
    expect(names).not.toContain("demo-lesson");
    expect(res.stdout).toContain(`Registered ${names.length} commands`);
    expect(fake.violations).toEqual([]);
  });

  it("`start` connects to Discord (no console), reports ready on the HTTP port, and stops cleanly on SIGTERM", async () => {
    const bot = spawnCli(["start"], { cwd: dir, env: { ...env, LOG_LEVEL: "info" }, keepStdinOpen: true });
    await bot.stderrIncludes(/"port":\d+[^\n]*"msg":"HTTP server listening"/);
    await bot.stderrIncludes('"msg":"staffroom started"');
    const port = Number(/"port":(\d+)[^\n]*"msg":"HTTP server listening"/.exec(bot.output().stderr)![1]);
    expect(bot.output().stderr).toContain('"surfaces":["discord"]');
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ checks: { store: true, discord: true } });
    bot.child.kill("SIGTERM");
    const result = await bot.done;
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("");
  });
});
