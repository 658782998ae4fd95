// SIGKILL at every node boundary of a workflow with every node kind, then a new process on the same
// file finishes it without re-running a completed node.
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { spawnMarked } from "./child-markers.ts";
import { tempDir } from "./helpers.ts";

const repoRoot = resolve(import.meta.dirname, "../..");
const child = join(repoRoot, "test/engine/fixtures/boundary-child.ts");
const { dir, cleanup } = tempDir("staffroom-boundaries-");
afterAll(cleanup);

function run(store: string, log: string, ...args: string[]) {
  return spawnMarked(child, [store, log, ...args]);
}

function counts(log: string): Map<string, number> {
  const out = new Map<string, number>();
  if (!existsSync(log)) return out;
  for (const line of readFileSync(log, "utf8").split("\n").filter(Boolean)) out.set(line, (out.get(line) ?? 0) + 1);
  return out;
}

/** Steps that log a run: transforms and agent calls, top level and in the sub-workflow. */
const LOGGED = ["t1", "a1", "s1", "s2", "t3"];
const BOUNDARIES = 7; // t1, a1, c1, x1 (skipped), h1, w1, t3

describe("SIGKILL at every node boundary, every node kind", () => {
  it("finishes after a kill at each boundary, and never re-runs a step completed before the kill", async () => {
    const cases = Array.from({ length: BOUNDARIES + 1 }, (_, n) => ({ n, store: join(dir, `b${n}.sqlite`), log: join(dir, `b${n}.log`) }));
    // Each boundary on its own file, the kills side by side.
    const kills = await Promise.all(
      cases.map(async (c) => {
        const k = run(c.store, c.log, "kill", String(c.n));
        const exit = await k.exited;
        expect(exit.signal, `${c.n}: ${k.stderr()}`).toBe("SIGKILL");
        const boundaries = k.markers.filter((m) => typeof m.boundary === "number");
        return { ...c, before: counts(c.log), reached: boundaries.length, completedNodes: boundaries.map((m) => m.node as string) };
      }),
    );
    const recoveries = await Promise.all(
      kills.map(async (c) => {
        const r = run(c.store, c.log, "recover");
        const exit = await r.exited;
        expect(exit.code, `${c.n}: ${r.stderr()}`).toBe(0);
        return { ...c, markers: r.markers, after: counts(c.log) };
      }),
    );
    for (const c of recoveries) {
      expect(c.reached, `kill ${c.n}`).toBe(c.n);
      const finals = c.markers.find((m) => Array.isArray(m.finals))?.finals as { status: string; nodes: Record<string, string> }[];
      const top = finals.find((f) => "t1" in f.nodes);
      expect(top?.status, `kill ${c.n}`).toBe("completed");
      expect(top?.nodes).toMatchObject({
        t1: "completed",
        a1: "completed",
        c1: "completed",
        x1: "skipped",
        h1: "completed",
        w1: "completed",
        t3: "completed",
      });
      expect(
        finals.every((f) => f.status === "completed"),
        `kill ${c.n}: ${JSON.stringify(finals)}`,
      ).toBe(true);
      const completedBefore = new Set(c.completedNodes);
      for (const step of LOGGED) {
        // Completed before the kill: never runs again. In flight at the kill: runs once more at most.
        if (completedBefore.has(step)) expect(c.after.get(step), `kill ${c.n}, ${step}`).toBe(1);
        else expect(c.after.get(step) ?? 0, `kill ${c.n}, ${step}`).toBeLessThanOrEqual((c.before.get(step) ?? 0) + 1);
        expect(c.after.get(step) ?? 0, `kill ${c.n}, ${step}`).toBeGreaterThanOrEqual(1);
      }
    }
  }, 180_000);
});
