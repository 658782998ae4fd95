// Two engine processes on one SQLite file, each with its in-process queue: when one stops, the other's
// reconciler finishes its work without a restart; and a process in another PID namespace (two containers
// sharing a host name and a volume) never takes a live process's work, because liveness is the owner
// lease, with the PID shortcut only inside one PID namespace.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openStore } from "../../src/drivers/local/database.ts";
import { callsPerStep, inFlight, type Replica, sideLog, spawnReplica, startMany, until } from "../distributed/fixtures/replicas.ts";
import { tempDir } from "./helpers.ts";

const { dir, cleanup } = tempDir("staffroom-sqlite-replicas-");
const running: Replica[] = [];
afterAll(async () => {
  for (const r of running) await r.stop("SIGKILL");
  cleanup();
});

/** Statuses read through one store handle per file (opening one runs a sweep and a WAL checkpoint). */
const readers = new Map<string, Awaited<ReturnType<typeof openStore>>>();
afterAll(async () => {
  for (const r of readers.values()) await r.close();
});
async function statuses(file: string, ids: string[]): Promise<string[]> {
  let store = readers.get(file);
  if (!store) {
    store = await openStore(`sqlite://${file}`);
    readers.set(file, store);
  }
  const s = store;
  return Promise.all(ids.map(async (id) => (await s.executions.getExecution(id))?.status ?? "missing"));
}

const canUnshare = (() => {
  try {
    execFileSync("unshare", ["--pid", "--fork", "true"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

describe("two processes on one SQLite file", () => {
  it("a peer that stops leaves its executions to the other, which finishes them within one lease period, no restart", async () => {
    const file = join(dir, "stop.sqlite");
    const log = join(dir, "stop.log");
    const base = { store: `sqlite://${file}`, log, delayMs: 300, leaseMs: 1_500 };
    const a = await spawnReplica({ ...base, name: "A" });
    const b = await spawnReplica({ ...base, name: "B" });
    running.push(a, b);
    const ids = await startMany(a, "chain3", ["s-0", "s-1", "s-2", "s-3"]);
    await until(() => sideLog(log).filter((l) => l.what === "call").length >= 4 && true, "A running steps");
    const inflightA = inFlight(sideLog(log), "A");
    await a.stop("SIGTERM");
    const stoppedAt = Date.now();
    await until(async () => (await statuses(file, ids)).every((st) => st === "completed") && true, "B finishes A's executions", 30_000);
    expect(Date.now() - stoppedAt).toBeLessThan(15_000);
    const calls = callsPerStep(sideLog(log), ids);
    expect(calls.size).toBe(12);
    expect([...calls.values()].reduce((sum, n) => sum + n - 1, 0)).toBeLessThanOrEqual(inflightA);
    expect(sideLog(log).some((l) => l.what === "call" && l.replica === "B")).toBe(true);
    await b.stop();
  }, 60_000);

  it.skipIf(!canUnshare)(
    "a process in its own PID namespace never takes a live process's executions (it cannot see its PID)",
    async () => {
      const file = join(dir, "pidns.sqlite");
      const log = join(dir, "pidns.log");
      const base = { store: `sqlite://${file}`, log, delayMs: 700, leaseMs: 1_500 };
      const a = await spawnReplica({ ...base, name: "A" });
      running.push(a);
      // B: same file, same host name, another PID namespace; its reconciler runs every 500 ms while A works.
      const b = await spawnReplica({ ...base, name: "B" }, ["unshare", "--pid", "--fork", "--kill-child"]);
      running.push(b);
      const ids = await startMany(
        a,
        "chain3",
        Array.from({ length: 6 }, (_, i) => `ns-${i}`),
      );
      await until(async () => (await statuses(file, ids)).every((st) => st === "completed") && true, "A completes its executions", 30_000);
      const calls = callsPerStep(sideLog(log), ids);
      expect(calls.size).toBe(18);
      expect([...calls.values()].every((n) => n === 1)).toBe(true);
      expect(sideLog(log).filter((l) => l.replica === "B")).toEqual([]);
      await a.stop();
      await b.stop("SIGKILL");
    },
    60_000,
  );
});
