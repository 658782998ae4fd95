// Store URLs that cannot hold a database fail at once with one sentence naming the path and the fix,
// in-process and through the CLI (nonzero exit, no stack trace).
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openStore } from "../../src/drivers/local/database.ts";
import { runCli } from "../cli/helpers.ts";
import { tempDir } from "./helpers.ts";

const { dir, cleanup } = tempDir("staffroom-paths-");
afterAll(cleanup);

const oneSentence = (message: string) => {
  expect(message).not.toMatch(/\n|\bat .*\.ts:\d+/);
  expect(message.trim()).toMatch(/\.$/);
};

async function failure(url: string): Promise<string> {
  const error = (await openStore(url).then(
    (store) => store.close().then(() => undefined),
    (e: unknown) => e,
  )) as Error | undefined;
  expect(error, `${url} should not open`).toBeInstanceOf(Error);
  return (error as Error).message;
}

describe("store paths that cannot hold a database", () => {
  it("a path under /proc fails at once (a recursive mkdir there never returns)", async () => {
    const message = await failure("sqlite:///proc/x/y.sqlite");
    expect(message).toContain("/proc/x/y.sqlite");
    expect(message).toMatch(/system folder/);
    oneSentence(message);
  });

  it("a parent path that is a file says so", async () => {
    const file = join(dir, "not-a-folder");
    writeFileSync(file, "hello");
    const message = await failure(`sqlite://${join(file, "sub", "db.sqlite")}`);
    expect(message).toContain(`${file} is a file, not a folder`);
    oneSentence(message);
  });

  it("a path that is a folder asks for a file name", async () => {
    const folder = join(dir, "a-folder");
    mkdirSync(folder);
    const message = await failure(`sqlite://${folder}`);
    expect(message).toMatch(/is a folder; name a file inside it/);
  });

  it("a corrupted database names the file and says to restore a backup or move it aside", async () => {
    const file = join(dir, "corrupt.sqlite");
    writeFileSync(file, Buffer.alloc(8192, 0x5a));
    const message = await failure(`sqlite://${file}`);
    expect(message).toContain(file);
    expect(message).toMatch(/restore it from a backup, or move the file aside/);
    oneSentence(message);
  });

  it("creates missing folders level by level for a good path", async () => {
    const store = await openStore(`sqlite://${join(dir, "new", "deeper", "ok.sqlite")}`);
    expect(await store.ping()).toBe(true);
    await store.close();
  });

  it("the CLI prints the one sentence and exits nonzero for /proc", async () => {
    const res = await runCli(["executions"], { cwd: dir, env: { STAFFROOM_STORE_URL: "sqlite:///proc/x/y.sqlite" } });
    expect(res.code).not.toBe(0);
    expect(res.stderr.trim().split("\n")).toHaveLength(1);
    expect(res.stderr).toContain("/proc/x/y.sqlite");
  }, 60_000);
});
