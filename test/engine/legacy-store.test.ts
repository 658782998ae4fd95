// A store written by an earlier release (main at 067ee6e, fixtures/legacy) opened by this one: its
// executions are converted to commit rows on open and read back exactly as the old engine read
// them; a question left waiting can still be answered; a SIGKILL during the conversion loses nothing.
import { copyFileSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openStore } from "../../src/drivers/local/database.ts";
import { createEngine } from "../../src/engine/index.ts";
import type { EngineEvent, ExecutionRecord } from "../../src/engine/records.ts";
import type { WorkflowDefinition } from "../../src/engine/schema.ts";
import type { ExecutionStore } from "../../src/engine/store/types.ts";
import { spawnMarked } from "./child-markers.ts";
import { FakeClock, ScriptedModel, tempDir, until } from "./helpers.ts";

const here = resolve(import.meta.dirname, "fixtures/legacy");
type Read = {
  id: string;
  header: ExecutionRecord;
  nodes: Record<string, unknown>;
  events: EngineEvent[];
  version: number;
  seq: number;
  attempts: unknown[];
};
type Fixture = {
  done: Read;
  waiting: Read;
  cancelled: Read;
  stats: unknown[];
  definitions: { quick: WorkflowDefinition; lesson: WorkflowDefinition };
};
const fixture = (commit: string) => JSON.parse(readFileSync(join(here, commit, "legacy.json"), "utf8")) as Fixture;
const executionsOf = (f: Fixture) => ({ done: f.done, waiting: f.waiting, cancelled: f.cancelled });

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

function copyFixture(commit: string): string {
  const tmp = tempDir("staffroom-legacy-");
  cleanups.push(tmp.cleanup);
  const file = join(tmp.dir, "store.sqlite");
  copyFileSync(join(here, commit, "store.db"), file);
  return file;
}

async function open(file: string) {
  const store = await openStore(`sqlite://${file}`, { retentionDays: 36_500 });
  cleanups.push(() => store.close());
  return store;
}

/** Keys of the earlier layout still in the file. */
async function legacyKeys(store: Awaited<ReturnType<typeof openStore>>): Promise<number> {
  const rows = (await store.query(
    "SELECT count(*) AS n FROM keyv WHERE key >= 'engine:v:' AND key < 'engine:v;' OR key >= 'engine:n:' AND key < 'engine:n;'",
  )) as { n: number }[];
  return rows[0]?.n ?? -1;
}

/** Everything the old engine read of one execution, read through `store` (`id` in place of the fixture's). */
async function readBack(store: ExecutionStore, id: string) {
  const loaded = await store.loadExecution(id);
  return {
    header: await store.getExecution(id),
    nodes: Object.fromEntries(await store.getNodes(id)),
    events: await store.getEvents(id),
    version: loaded?.version,
    seq: loaded?.seq,
    loadedNodes: loaded ? Object.fromEntries(loaded.nodes) : undefined,
    attempts: await store.getAttempts(id, "outline"),
    lastSeq: await store.lastSeq(id),
  };
}

/** What the old engine read, as `readBack` gives it, for the execution renamed to `id`. */
function expected(read: Read, id = read.id) {
  const rename = <T>(value: T): T => JSON.parse(JSON.stringify(value).replaceAll(read.id, id)) as T;
  return rename({
    header: read.header,
    nodes: read.nodes,
    events: read.events,
    version: read.version,
    seq: read.seq,
    loadedNodes: read.nodes,
    attempts: read.attempts,
    lastSeq: read.seq,
  });
}

describe.each([
  ["the previous release (067ee6e: version, node and event rows, converted on open)", "067ee6e"],
  ["main at f246a2b (commit rows in Keyv's wrapper, the first node packing)", "f246a2b"],
])("a store written by %s", (_, commit) => {
  const legacy = fixture(commit);
  const executions = executionsOf(legacy);

  it("reads back what the old engine read: headers, node states, outputs, events, stats", async () => {
    const file = copyFixture(commit);
    const store = await open(file);
    expect(await legacyKeys(store)).toBe(0);
    for (const read of Object.values(executions)) expect(await readBack(store.executions, read.id)).toEqual(expected(read));
    expect(legacy.done.nodes.draft).toMatchObject({ status: "completed", output: "answer for draft" });
    expect(await store.executions.getStats()).toEqual(legacy.stats);
    expect((await store.executions.listExecutions()).map((e) => e.id).sort()).toEqual(
      Object.values(executions)
        .map((r) => r.id)
        .sort(),
    );
    expect((await store.executions.unfinished()).map((u) => u.executionId)).toEqual([legacy.waiting.id]);
    await store.close();

    // Opening again converts nothing twice and reads the same.
    const again = await open(file);
    for (const read of Object.values(executions)) expect(await readBack(again.executions, read.id)).toEqual(expected(read));
  });

  it("answers the waiting question and completes the execution", async () => {
    const store = await open(copyFixture(commit));
    const model = new ScriptedModel();
    // The engine's clock at the moment the fixture was written, so the question's deadline is ahead.
    const engine = createEngine({ store, model, clock: new FakeClock(legacy.waiting.events.at(-1)!.at + 1_000) });
    cleanups.push(() => engine.close());
    engine.register({ definition: legacy.definitions.quick });
    engine.register({ definition: legacy.definitions.lesson });
    await engine.recover();
    const id = legacy.waiting.id;
    const before = await engine.get(id);
    expect(before?.status).toBe("waiting");
    expect(before?.nodes.find((n) => n.nodeId === "review")).toMatchObject({ status: "waiting" });

    const answer = await engine.resume(id, "review", "yes", { userId: "teacher-1" });
    expect(answer).toMatchObject({ accepted: true });
    const done = await engine.wait(id);
    expect(done.status).toBe("completed");
    const byId = Object.fromEntries(done.nodes.map((n) => [n.nodeId, n]));
    expect(byId.review).toMatchObject({ status: "completed", output: "yes", answeredBy: "teacher-1" });
    expect(byId.final).toMatchObject({ status: "completed", output: "answer for final" });
    expect(byId.draft?.output).toBe("answer for draft");
    // The prompt of the new step reads the converted answer; the log continues the old one without a gap.
    expect(model.callsFor("final")).toHaveLength(1);
    const events = await store.executions.getEvents(id);
    expect(events.slice(0, legacy.waiting.events.length)).toEqual(legacy.waiting.events);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.at(-1)?.type).toBe("execution.completed");
    // The finished and cancelled ones stay as they were.
    expect((await engine.get(legacy.done.id))?.status).toBe("completed");
    expect((await engine.get(legacy.cancelled.id))?.status).toBe("cancelled");
  });
});

describe("converting a store of the previous release", () => {
  const legacy = fixture("067ee6e");
  const executions = executionsOf(legacy);

  it("loses nothing when the converting process is SIGKILLed part-way", { timeout: 120_000 }, async () => {
    const file = copyFixture("067ee6e");
    // Many executions in the old layout: each fixture execution copied under new ids.
    const COPIES = 600;
    // Plain SQL on the file: opening it as a store would convert it.
    const sqlite3 = (await import("sqlite3")).default;
    const peek = new sqlite3.Database(file);
    cleanups.push(() => new Promise<void>((r) => peek.close(() => r())));
    const sql = (text: string, ...params: unknown[]) =>
      new Promise<{ n: number }[]>((resolve, reject) =>
        peek.all(text, params, (error: Error | null, rows: { n: number }[]) => (error ? reject(error) : resolve(rows))),
      );
    for (const read of Object.values(executions)) {
      await sql(
        `WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < ?)
         INSERT INTO keyv (key, value) SELECT replace(key, ?, ? || printf('%04d', n)), replace(value, ?, ? || printf('%04d', n))
         FROM keyv, k WHERE instr(key, ?) > 0`,
        COPIES,
        read.id,
        `${read.id}-`,
        read.id,
        `${read.id}-`,
        read.id,
      );
    }
    const total = 3 * (COPIES + 1);
    const versionRows = async () =>
      (await sql("SELECT count(*) AS n FROM keyv WHERE key >= 'engine:v:' AND key < 'engine:v;'"))[0]?.n ?? -1;
    expect(await versionRows()).toBe(total);

    const child = spawnMarked(join(here, "open-child.ts"), [file]);
    cleanups.push(() => void child.proc.kill("SIGKILL"));
    await until(
      async () => {
        const left = await versionRows();
        return left < total - 20 ? left : undefined;
      },
      "the child converting",
      60_000,
    );
    child.proc.kill("SIGKILL");
    const { signal } = await child.exited;
    expect(signal).toBe("SIGKILL");
    expect(child.markers).not.toContainEqual({ opened: true });
    const left = await versionRows();
    expect(left).toBeGreaterThan(0);

    const store = await open(file);
    expect(await legacyKeys(store)).toBe(0);
    for (const read of Object.values(executions)) {
      expect(await readBack(store.executions, read.id)).toEqual(expected(read));
      for (let n = 1; n <= COPIES; n++) {
        const id = `${read.id}-${String(n).padStart(4, "0")}`;
        expect(await readBack(store.executions, id)).toEqual(expected(read, id));
      }
    }
  });
});
