import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeOpenAI, startFakeOpenAI } from "../fakes/openai-server.ts";
import { runCli, spawnCli } from "./helpers.ts";

describe("staffroom start", () => {
  let dir: string;
  let fake: FakeOpenAI;
  let env: Record<string, string>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "staffroom-start-"));
    fake = await startFakeOpenAI();
    env = { STAFFROOM_STORE_URL: `sqlite://${join(dir, "x.sqlite")}`, OPENAI_BASE_URL: fake.url, PORT: "0" };
  });
  afterAll(async () => {
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("resumes a run a crash interrupted, then serves the console chat until its input ends", async () => {
    // 1. A run hangs on its two model calls and the process is killed.
    fake.enqueue({ delayMs: 60_000 }, { delayMs: 60_000 });
    const crashed = spawnCli(["run", "demo-lesson", "topic=comets"], { cwd: dir, env });
    await crashed.stderrIncludes("… Draft activities");
    await expect.poll(() => fake.requests.length, { timeout: 20_000 }).toBe(2);
    crashed.child.kill("SIGKILL");
    const killed = await crashed.done;
    const executionId = /started (\S+)/.exec(killed.stderr)![1]!;

    // 2. The bot starts: it resumes that run at once, then answers a teacher in the console chat.
    const bot = spawnCli(["start"], { cwd: dir, env: { ...env, LOG_LEVEL: "info" }, keepStdinOpen: true });
    await bot.stderrIncludes(new RegExp(`"executionId":"${executionId}"[^\\n]*"msg":"execution finished"`));
    bot.child.stdin!.write('/lesson-plan grade 5 science "Solar System" 45 min\n');
    // Draft first: everything required is given, so it starts at once and says what it assumed.
    await bot.stdoutIncludes("Assumed: any standards in the loaded set");
    await bot.stdoutIncludes("===== end of lesson-plan");
    bot.child.stdin!.end();
    const result = await bot.done;
    expect(result.code).toBe(0);
    expect(result.stderr).not.toMatch(/"level":(50|60)/);
    // The lesson plan went through the real openai SDK (structured outputs) to the fake endpoint.
    expect(fake.requests.length).toBeGreaterThan(4);
    expect(result.stdout).not.toContain("offline draft");

    // 3. The resumed run finished without redoing its completed step.
    const show = await runCli(["show", executionId, "--json"], { cwd: dir, env });
    const view = JSON.parse(show.stdout);
    expect(view.status).toBe("completed");
    expect(view.nodes.find((n: { id: string }) => n.id === "brief").attempts).toBe(1);
    expect(view.outputs.plan.markdown).toContain("comets");
  });
});
