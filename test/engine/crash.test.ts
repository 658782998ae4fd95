// Crash and resume: child processes running workflows on a sqlite store are killed with SIGKILL (between
// steps, while a model call is in flight, while waiting for a human); a new process on the same store
// completes every execution, and no node that had completed before the kill runs again.
import type { ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openStore } from "../../src/drivers/local/database.ts";
import { type Marker, spawnMarked } from "./child-markers.ts";
import { tempDir } from "./helpers.ts";

const repoRoot = resolve(import.meta.dirname, "../..");
const child = join(repoRoot, "test/engine/fixtures/crash-child.ts");
const { dir, cleanup } = tempDir("staffroom-crash-");
afterAll(cleanup);
const storeFile = join(dir, "crash.sqlite");
const logFile = join(dir, "side.log");

/** Spawns the child; `exited` resolves with its exit code. */
function run(mode: string): { proc: ChildProcess; markers: Marker[]; exited: Promise<number | null>; stderr: () => string } {
  const c = spawnMarked(child, [storeFile, logFile, mode]);
  return { ...c, exited: c.exited.then((e) => e.code) };
}

async function waitFor(markers: Marker[], check: (m: Marker[]) => boolean, what: string, stderr: () => string): Promise<void> {
  const stop = Date.now() + 20_000;
  while (!check(markers)) {
    if (Date.now() > stop) throw new Error(`child never reached: ${what}\n${stderr()}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function kill(c: ReturnType<typeof run>): Promise<void> {
  c.proc.kill("SIGKILL");
  await c.exited;
}

/** "<tag> <node>" -> how many times that step has run so far, across every process. */
function runCounts(): Map<string, number> {
  const counts = new Map<string, number>();
  if (!existsSync(logFile)) return counts;
  for (const line of readFileSync(logFile, "utf8").split("\n").filter(Boolean)) counts.set(line, (counts.get(line) ?? 0) + 1);
  return counts;
}

/** Node ids the store says were completed, per execution id, read after the kill. */
async function completedInStore(ids: string[]): Promise<Map<string, string[]>> {
  const store = await openStore(`sqlite://${storeFile}`);
  try {
    const out = new Map<string, string[]>();
    for (const id of ids) {
      const rec = await store.executions.getExecution(id);
      if (!rec) throw new Error(`execution ${id} was not persisted`);
      const nodes = await store.executions.getNodes(id);
      out.set(
        id,
        [...nodes.values()].filter((n) => n.status === "completed").map((n) => n.nodeId),
      );
    }
    return out;
  } finally {
    await store.close();
  }
}

const started = (markers: Marker[]) =>
  markers.filter((m) => typeof m.started === "string").map((m) => ({ id: m.started as string, tag: m.tag as string }));

describe("crash and resume", () => {
  it("completes every execution after SIGKILLs, and never re-runs a completed node", async () => {
    // Kill 1: a slow chain, killed once three of its eight steps have completed.
    const a = run("chain");
    await waitFor(a.markers, (m) => m.filter((x) => x.event === "node.completed").length >= 3, "three completed steps", a.stderr);
    await kill(a);

    // Kill 2: a chain whose agent step is in flight, and an execution waiting for a human answer.
    const b = run("stuck");
    await waitFor(
      b.markers,
      (m) =>
        m.some((x) => x.event === "node.started" && x.node === "s3") &&
        m.some((x) => x.event === "execution.waiting") &&
        m.some((x) => x.event === "node.started" && x.node === "i2") &&
        // node.started is stored with the dispatch; the model calls themselves must be in flight too.
        runCounts().get("stuck s3") === 1 &&
        runCounts().get("nested i2") === 1,
      "in-flight agent steps (top level and in a sub-workflow) and a human wait",
      b.stderr,
    );
    await kill(b);

    const top = [...started(a.markers), ...started(b.markers)];
    expect(top.map((e) => e.tag)).toEqual(["chain", "stuck", "human", "nested"]);
    // The sub-workflow's own execution, started by the "nested" parent before the kill.
    const childId = b.markers.find((m) => m.event === "node.started" && m.node === "i2")?.id as string;
    expect(childId).toBeTypeOf("string");
    const execs = [...top, { id: childId, tag: "nested" }];
    const tagOf = new Map(execs.map((e) => [e.id, e.tag]));
    const completedBefore = await completedInStore(execs.map((e) => e.id));
    const countsBefore = runCounts();
    const chainDone = completedBefore.get(execs[0]!.id)!;
    expect(chainDone.length).toBeGreaterThanOrEqual(3);
    expect(chainDone.length).toBeLessThan(8);
    expect(completedBefore.get(execs[1]!.id)).toEqual(["s1", "s2"]);
    expect(completedBefore.get(execs[2]!.id)).toEqual(["before"]);
    expect(completedBefore.get(execs[3]!.id)).toEqual(["pre"]);
    expect(completedBefore.get(childId)).toEqual(["i1"]);
    expect(countsBefore.get("stuck s3")).toBe(1);
    expect(countsBefore.get("nested i2")).toBe(1);

    // A new process on the same store recovers and finishes everything.
    const c = run("recover");
    const code = await c.exited;
    expect(code, c.stderr()).toBe(0);
    const recovered = c.markers.find((m) => Array.isArray(m.recovered))?.recovered as string[];
    // Every top-level execution is recovered (the child may be resumed by its parent instead).
    expect(recovered).toEqual(expect.arrayContaining(top.map((e) => e.id)));
    const finals = c.markers.find((m) => Array.isArray(m.finals))?.finals as {
      id: string;
      status: string;
      nodes: Record<string, string>;
    }[];
    expect(finals.map((f) => f.id).sort()).toEqual(execs.map((e) => e.id).sort());
    for (const f of finals) {
      expect(f.status, `${tagOf.get(f.id)} ${JSON.stringify(f.nodes)}`).toBe("completed");
      expect(Object.values(f.nodes).every((s) => s === "completed")).toBe(true);
    }
    expect(c.markers.filter((m) => m.resume === execs[2]!.id && m.result === true)).toHaveLength(1);

    const countsAfter = runCounts();
    for (const [id, nodes] of completedBefore) {
      for (const node of nodes) {
        const key = `${tagOf.get(id)} ${node}`;
        // Completed before the kill: ran exactly once, and not again after recovery.
        expect(countsBefore.get(key), key).toBe(1);
        expect(countsAfter.get(key), key).toBe(1);
      }
    }
    // Every step of every execution ran (the human and sub-workflow nodes log nothing themselves); the
    // ones in flight at the kill ran again (at-least-once), no more.
    for (const f of finals)
      for (const node of Object.keys(f.nodes).filter((n) => n !== "ask" && n !== "inner"))
        expect(countsAfter.get(`${tagOf.get(f.id)} ${node}`) ?? 0).toBeGreaterThanOrEqual(1);
    expect(countsAfter.get("stuck s3")).toBe(2);
    expect(countsAfter.get("nested i2")).toBe(2);
    expect(countsAfter.get("nested post")).toBe(1);
    for (const [key, n] of countsAfter) expect(n, key).toBeLessThanOrEqual(2);
  }, 90_000);
});
