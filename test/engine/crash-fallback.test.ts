// A crash while an onError fallback runs: the fallback's origin is stored on its node, so the recovering
// process runs the fallback again (it was in flight), never the failed step, and completes the execution
// with the fallback's output standing in for the failed step.
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openStore } from "../../src/drivers/local/database.ts";
import { spawnMarked } from "./child-markers.ts";
import { tempDir } from "./helpers.ts";

const child = join(resolve(import.meta.dirname), "fixtures/crash-child.ts");
const { dir, cleanup } = tempDir("staffroom-crash-fallback-");
afterAll(cleanup);
const storeFile = join(dir, "fallback.sqlite");
const logFile = join(dir, "side.log");

const runs = (line: string) =>
  existsSync(logFile)
    ? readFileSync(logFile, "utf8")
        .split("\n")
        .filter((l) => l === line).length
    : 0;

describe("crash during a fallback", () => {
  it("resumes the fallback, never re-runs the failed step, and completes", async () => {
    const a = spawnMarked(child, [storeFile, logFile, "fallback"]);
    const stop = Date.now() + 20_000;
    while (!a.markers.some((m) => m.event === "node.started" && m.node === "backup")) {
      if (Date.now() > stop) throw new Error(`the fallback never started\n${a.stderr()}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    // Wait until the fallback's model call is really in flight, then kill.
    while (runs("fallback backup") < 1) await new Promise((r) => setTimeout(r, 5));
    a.proc.kill("SIGKILL");
    await a.exited;
    const id = a.markers.find((m) => m.started)?.started as string;
    expect(runs("fallback prime")).toBe(1);

    const b = spawnMarked(child, [storeFile, logFile, "recover"]);
    const { code } = await b.exited;
    expect(code, b.stderr()).toBe(0);
    expect(b.markers.find((m) => Array.isArray(m.recovered))?.recovered).toEqual([id]);
    const finals = b.markers.find((m) => Array.isArray(m.finals))?.finals as { id: string; status: string }[];
    expect(finals).toEqual([expect.objectContaining({ id, status: "completed" })]);
    expect(runs("fallback prime")).toBe(1);
    expect(runs("fallback backup")).toBe(2);
    expect(runs("fallback post")).toBe(1);

    const store = await openStore(`sqlite://${storeFile}`);
    try {
      const nodes = await store.executions.getNodes(id);
      expect(nodes.get("prime")).toMatchObject({ status: "completed", fallbackFrom: "backup", output: "text of backup" });
      expect(nodes.get("post")?.status).toBe("completed");
    } finally {
      await store.close();
    }
  }, 60_000);
});
