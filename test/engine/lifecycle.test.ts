// The execution lifecycle around the run: record fields, idempotent starts, the gap-free event log and
// subscriptions, listing, stats that survive a reopen, forgetting a user, retention TTLs, the
// persistence format (no growing snapshots) and SQLite's WAL mode.
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import sqlite3 from "sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { WorkflowBuilder } from "../../src/engine/index.ts";
import { definitionHash } from "../../src/engine/load.ts";
import type { EngineEvent } from "../../src/engine/records.ts";
import { ModelRequestError } from "../../src/errors.ts";
import { FakeClock, gate, ScriptedModel, startEngine, tempDir, until } from "./helpers.ts";

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

async function setup(opts: { url?: string; clock?: FakeClock; model?: ScriptedModel; retentionDays?: number } = {}) {
  const rig = await startEngine({
    ...(opts.url ? { url: opts.url } : {}),
    ...(opts.model ? { model: opts.model } : {}),
    ...(opts.retentionDays === undefined ? {} : { retentionDays: opts.retentionDays }),
    engine: opts.clock ? { clock: opts.clock } : {},
  });
  cleanups.push(rig.close);
  return rig;
}

function sqliteUrl() {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  const file = join(dir, "store.sqlite");
  return { file, url: `sqlite://${file}` };
}

const twoSteps = () =>
  new WorkflowBuilder("two-steps", 3, "Two steps")
    .inputs("topic")
    .agent("draft", { in: { topic: "inputs.topic" }, prompt: "Draft {{topic}}" })
    .transform("tidy", { after: "draft", in: { text: "nodes.draft" }, fn: "tidy" })
    .build();
const tidy = { tidy: (i: Record<string, unknown>) => String(i.text).trim() };

describe("execution records", () => {
  it("carry template id, version, hash, timings, per-node attempts, durations and token usage", async () => {
    const clock = new FakeClock();
    const g = gate();
    const model = new ScriptedModel("scripted").script("draft", { gate: g, text: " text " });
    const { engine } = await setup({ clock, model });
    const def = twoSteps();
    engine.register({ definition: def, transforms: tidy });
    const t0 = clock.now();
    const exec = await engine.start("two-steps", {
      inputs: { topic: "moon" },
      userId: "U7",
      origin: { surface: "console", thread: "t-1" },
    });
    expect(exec).toMatchObject({
      templateId: "two-steps",
      version: 3,
      hash: definitionHash(def),
      title: "Two steps",
      status: "running",
      inputs: { topic: "moon" },
      userId: "U7",
      origin: { surface: "console", thread: "t-1" },
      createdAt: t0,
      nodeIds: ["draft", "tidy"],
    });
    expect(exec.hash).toMatch(/^[0-9a-f]{64}$/);
    await until(() => model.requests.length === 1, "the model call");
    await clock.advance(250);
    g.release();
    const view = await engine.wait(exec.id);
    expect(view).toMatchObject({ status: "completed", provider: "scripted", startedAt: t0, endedAt: t0 + 250, durationMs: 250 });
    const [draft, tidied] = view.nodes;
    expect(draft).toMatchObject({
      nodeId: "draft",
      kind: "agent",
      status: "completed",
      attempts: 1,
      durationMs: 250,
      usage: { inputTokens: 10, outputTokens: 5 },
      output: " text ",
    });
    expect(tidied).toMatchObject({ nodeId: "tidy", kind: "transform", status: "completed", attempts: 1, durationMs: 0, output: "text" });
    const done = (await engine.events(exec.id)).find((e) => e.type === "node.completed" && e.nodeId === "draft");
    expect(done?.data).toMatchObject({ attempt: 1, durationMs: 250, usage: { inputTokens: 10, outputTokens: 5 } });
  });

  it("an idempotency key returns the first execution instead of starting another", async () => {
    const { engine, model } = await setup();
    engine.register({ definition: twoSteps(), transforms: tidy });
    const a = await engine.start("two-steps", { inputs: { topic: "x" }, userId: "U", idempotencyKey: "slack:evt-1" });
    const b = await engine.start("two-steps", { inputs: { topic: "x" }, userId: "U", idempotencyKey: "slack:evt-1" });
    expect(b.id).toBe(a.id);
    await engine.wait(a.id);
    const c = await engine.start("two-steps", { inputs: { topic: "x" }, userId: "U", idempotencyKey: "slack:evt-1" });
    expect(c.id).toBe(a.id);
    const d = await engine.start("two-steps", { inputs: { topic: "x" }, userId: "U", idempotencyKey: "slack:evt-2" });
    expect(d.id).not.toBe(a.id);
    await engine.wait(d.id);
    expect(model.callsFor("draft")).toHaveLength(2);
    expect(await engine.list({ templateId: "two-steps" })).toHaveLength(2);
  });

  it("lists newest first with filters", async () => {
    const clock = new FakeClock();
    const model = new ScriptedModel().script("draft", "a", "b", { hang: true });
    const { engine } = await setup({ clock, model });
    engine.register({ definition: twoSteps(), transforms: tidy });
    const first = await engine.start("two-steps", { inputs: { topic: "1" }, userId: "U1" });
    await engine.wait(first.id);
    await clock.advance(10);
    const second = await engine.start("two-steps", { inputs: { topic: "2" }, userId: "U2" });
    await engine.wait(second.id);
    await clock.advance(10);
    const third = await engine.start("two-steps", { inputs: { topic: "3" }, userId: "U1" });
    await until(() => model.requests.length === 3, "the third call");
    expect((await engine.list()).map((r) => r.id)).toEqual([third.id, second.id, first.id]);
    expect((await engine.list({ userId: "U1" })).map((r) => r.id)).toEqual([third.id, first.id]);
    expect((await engine.list({ status: ["running"] })).map((r) => r.id)).toEqual([third.id]);
    expect((await engine.list({ limit: 1 })).map((r) => r.id)).toEqual([third.id]);
    expect(await engine.list({ templateId: "other" })).toEqual([]);
    await engine.cancel(third.id);
  });
});

describe("events", () => {
  it("are sequenced from 1 without gaps; subscribe replays from a sequence number, then delivers live events in order", async () => {
    const { engine, events } = await setup();
    const def = new WorkflowBuilder("evented", 1, "Evented")
      .transform("a", { fn: "id" })
      .human("ask", { after: "a", prompt: "Go on?", allowed: "anyone", deadline: { afterMs: 3_600_000, action: "skip" } })
      .transform("b", { after: "ask", fn: "id" })
      .transform("c", { after: "b", fn: "id" })
      .build();
    engine.register({ definition: def, transforms: { id: () => 1 } });
    const exec = await engine.start("evented", { inputs: {}, userId: "U" });
    await engine.wait(exec.id, { untilWaiting: true });
    const stored = await engine.events(exec.id);
    expect(stored.map((e) => e.seq)).toEqual(stored.map((_, i) => i + 1));
    expect(stored[0]?.type).toBe("execution.started");
    expect(stored.at(-1)).toMatchObject({ type: "execution.waiting", nodeId: "ask" });

    const got: EngineEvent[] = [];
    const off = engine.subscribe(exec.id, 3, (e) => got.push(e));
    await until(() => got.length >= stored.length - 2, "the replay");
    expect(got.map((e) => e.seq)).toEqual(stored.slice(2).map((e) => e.seq));
    expect(await engine.resume(exec.id, "ask", "yes", { userId: "anyone-at-all" })).toMatchObject({ accepted: true });
    await engine.wait(exec.id);
    const all = await engine.events(exec.id);
    await until(() => got.at(-1)?.type === "execution.completed", "the live tail");
    off();
    expect(got).toEqual(all.slice(2));
    expect(all.map((e) => e.seq)).toEqual(all.map((_, i) => i + 1));
    expect((await engine.events(exec.id, all.length - 1)).map((e) => e.seq)).toEqual([all.length - 1, all.length]);
    // onEvent saw the same log live.
    expect(events.filter((e) => e.executionId === exec.id)).toEqual(all);
    expect(all.map((e) => `${e.type}${e.nodeId ? `:${e.nodeId}` : ""}`)).toEqual([
      "execution.started",
      "node.started:a",
      "node.completed:a",
      "execution.waiting:ask",
      "execution.resumed:ask",
      "node.completed:ask",
      "node.started:b",
      "node.completed:b",
      "node.started:c",
      "node.completed:c",
      "execution.completed",
    ]);
  });

  it("subscribing after the end replays the whole log; unsubscribe stops delivery", async () => {
    const { engine } = await setup();
    engine.register({ definition: twoSteps(), transforms: tidy });
    const exec = await engine.start("two-steps", { inputs: { topic: "x" }, userId: "U" });
    await engine.wait(exec.id);
    const got: EngineEvent[] = [];
    engine.subscribe(exec.id, 1, (e) => got.push(e));
    const all = await engine.events(exec.id);
    await until(() => got.length === all.length, "the replay");
    expect(got).toEqual(all);
  });
});

describe("persistence", () => {
  it("stats survive closing and reopening the same sqlite file", async () => {
    const { url } = sqliteUrl();
    const model = new ScriptedModel().script("draft", "ok", { error: new ModelRequestError("no") }, "ok");
    const first = await setup({ url, model });
    first.engine.register({ definition: twoSteps(), transforms: tidy });
    for (let i = 0; i < 3; i++)
      await first.engine.wait((await first.engine.start("two-steps", { inputs: { topic: `${i}` }, userId: "U" })).id);
    const before = await first.engine.stats("two-steps");
    expect(before).toHaveLength(1);
    expect(before[0]).toMatchObject({ templateId: "two-steps", runs: 3, completed: 2, failed: 1, cancelled: 0 });
    expect(before[0]?.successRate).toBeCloseTo(2 / 3);
    const draftStats = before[0]?.nodes.find((n) => n.nodeId === "draft");
    expect(draftStats).toMatchObject({ runs: 3, failures: 1 });
    await first.close();

    const second = await setup({ url });
    second.engine.register({ definition: twoSteps(), transforms: tidy });
    expect(await second.engine.stats("two-steps")).toEqual(before);
    expect(await second.engine.stats()).toEqual(before);
    expect((await second.engine.list({ templateId: "two-steps" })).length).toBe(3);
  });

  it("forgetUser deletes a user's executions, nodes and events and nothing of anyone else's", async () => {
    const { url } = sqliteUrl();
    const { engine, store } = await setup({ url });
    engine.register({ definition: twoSteps(), transforms: tidy });
    const mine = [];
    for (let i = 0; i < 2; i++) mine.push(await engine.start("two-steps", { inputs: { topic: "secret" }, userId: "forget-me" }));
    const theirs = await engine.start("two-steps", { inputs: { topic: "kept" }, userId: "keep-me" });
    for (const e of [...mine, theirs]) await engine.wait(e.id);
    // One more still in flight: it is cancelled and deleted too.
    engine.register({
      definition: new WorkflowBuilder("asks", 1, "Asks")
        .human("q", { prompt: "?", deadline: { afterMs: 3_600_000, action: "skip" } })
        .build(),
    });
    const waiting = await engine.start("asks", { inputs: {}, userId: "forget-me" });
    await engine.wait(waiting.id, { untilWaiting: true });
    mine.push(waiting);

    expect(await engine.forgetUser("forget-me")).toBe(3);
    for (const e of mine) {
      expect(await engine.get(e.id)).toBeUndefined();
      expect(await engine.events(e.id)).toEqual([]);
      const rows = (await store.query("SELECT key FROM keyv WHERE key LIKE ?", `%${e.id}%`)) as { key: string }[];
      expect(rows).toEqual([]);
    }
    expect(await engine.list({ userId: "forget-me" })).toEqual([]);
    expect((await engine.get(theirs.id))?.status).toBe("completed");
    expect(await engine.events(theirs.id)).not.toEqual([]);
    expect(await engine.forgetUser("forget-me")).toBe(0);
  });

  it("forgetUser deletes every execution of a user however many (> 500), with their idempotency keys, and truncates the WAL", async () => {
    const { url, file } = sqliteUrl();
    const { engine, store } = await setup({ url });
    engine.register({
      definition: new WorkflowBuilder("one-step", 1, "One step").transform("only", { fn: "tidy" }).build(),
      transforms: tidy,
    });
    const ids: string[] = [];
    for (let i = 0; i < 530; i += 10) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(10, 530 - i) }, (_, j) =>
          engine.start("one-step", { inputs: { topic: "x" }, userId: "forget-many", idempotencyKey: `forget-many-key-${i + j}` }),
        ),
      );
      ids.push(...batch.map((e) => e.id));
    }
    await Promise.all(ids.map((id) => engine.wait(id)));
    const kept = await engine.start("one-step", { inputs: { topic: "x" }, userId: "keep-me" });
    await engine.wait(kept.id);

    expect(await engine.forgetUser("forget-many")).toBe(530);
    const left = (await store.query("SELECT key FROM keyv WHERE key LIKE '%forget-many%' OR value LIKE '%forget-many%'")) as unknown[];
    expect(left).toEqual([]);
    const oldest = ids[0] as string;
    expect(await engine.get(oldest)).toBeUndefined();
    expect(await store.executions.byIdempotencyKey("forget-many-key-0")).toBeUndefined();
    expect(await store.executions.executionIdsOfUser("forget-many")).toEqual([]);
    // The key starts a new execution now (nothing of the old one answers it).
    const again = await engine.start("one-step", { inputs: { topic: "x" }, userId: "forget-many", idempotencyKey: "forget-many-key-0" });
    expect(ids).not.toContain(again.id);
    expect((await engine.get(kept.id))?.status).toBe("completed");
    // Deleted pages are not left in the write-ahead log.
    expect(await store.query("PRAGMA secure_delete")).toEqual([{ secure_delete: 1 }]);
    expect(existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0).toBeLessThan(64 * 1024);
  }, 60_000);

  it("every record carries the retention TTL; commit rows go with their header", async () => {
    const { url } = sqliteUrl();
    const { engine, store } = await setup({ url, retentionDays: 7 });
    engine.register({ definition: twoSteps(), transforms: tidy });
    const before = Date.now();
    const exec = await engine.start("two-steps", { inputs: { topic: "x" }, userId: "U" });
    await engine.wait(exec.id);
    const after = Date.now();
    const rowsOf = async () =>
      (await store.query("SELECT key, value FROM keyv WHERE key LIKE ?", `%${exec.id}%`)) as { key: string; value: string }[];
    const rows = await rowsOf();
    // Header, index rows, attempts and commit rows at least.
    expect(rows.length).toBeGreaterThan(6);
    const week = 7 * 86_400_000;
    for (const row of rows) {
      const expires = (JSON.parse(row.value) as { expires?: number }).expires;
      if (row.key.startsWith(`engine:e:${exec.id}:`)) {
        // Commit rows are stored bare: they expire with the header (the sweep below).
        expect(expires, row.key).toBeUndefined();
        continue;
      }
      expect(expires, row.key).toBeGreaterThanOrEqual(before + week);
      expect(expires, row.key).toBeLessThanOrEqual(after + week);
    }
    expect(rows.filter((r) => r.key.startsWith(`engine:e:${exec.id}:`)).length).toBeGreaterThan(1);
    // A day before the week is out nothing goes; once it is out, every row of the execution does.
    await store.executions.sweepExpired(before + week - 86_400_000);
    expect(await rowsOf()).toHaveLength(rows.length);
    await store.executions.sweepExpired(after + week + 1);
    expect(await rowsOf()).toEqual([]);
  });

  it("stores node results once: writes per execution grow linearly with nodes, no growing snapshot", async () => {
    const { engine, store } = await setup();
    // Every write goes through the ExecutionStore interface: count what each record receives.
    const writes = new Map<string, { count: number; bytes: number }>();
    const record = (key: string, value: unknown) => {
      const w = writes.get(key) ?? { count: 0, bytes: 0 };
      w.count++;
      w.bytes += JSON.stringify(value).length;
      writes.set(key, w);
    };
    const executions = store.executions;
    const create = executions.createExecution.bind(executions);
    const commit = executions.commit.bind(executions);
    executions.createExecution = (input) => {
      record(`x:${input.header.id}`, input.header);
      for (const e of input.events) record(`e:${e.executionId}:${e.seq}`, e);
      return create(input);
    };
    executions.commit = (t) => {
      const id = t.executionId;
      if (t.header) record(`x:${id}`, t.header);
      for (const n of t.nodes ?? []) record(`n:${id}:${n.nodeId}`, n);
      for (const a of t.attempts ?? []) record(`a:${id}:${a.nodeId}:${a.attempt.attempt}`, a.attempt);
      for (const e of t.events ?? []) record(`e:${id}:${e.seq}`, e);
      return commit(t);
    };

    const payload = "x".repeat(500);
    const chain = (n: number) => {
      let b = new WorkflowBuilder(`chain-${n}`, 1, `Chain of ${n}`).transform("s1", { fn: "emit" });
      for (let i = 2; i <= n; i++) b = b.transform(`s${i}`, { after: `s${i - 1}`, fn: "emit" });
      return b.build();
    };
    const measure = async (n: number) => {
      engine.register({ definition: chain(n), transforms: { emit: () => payload } });
      writes.clear();
      const exec = await engine.start(`chain-${n}`, { inputs: {}, userId: "U" });
      expect((await engine.wait(exec.id)).status).toBe("completed");
      const mine = [...writes.entries()].filter(([k]) => k.includes(exec.id));
      const total = mine.reduce((a, [, w]) => a + w.bytes, 0);
      const header = mine.filter(([k]) => /(^|:)x:/.test(k));
      const others = mine.filter(([k]) => !/(^|:)x:/.test(k));
      return {
        total,
        maxCount: Math.max(...mine.map(([, w]) => w.count)),
        headerWrites: header.reduce((a, [, w]) => a + w.count, 0),
        // Bytes written under any one non-header key, summed over all its writes.
        biggest: Math.max(...others.map(([, w]) => w.bytes)),
      };
    };
    const small = await measure(5);
    const large = await measure(40);
    // Per-node cost stays flat: a snapshot rewritten per node would make this grow with n.
    expect(large.total / 40).toBeLessThan((small.total / 5) * 1.25);
    // Each node's output is written a bounded number of times (not once per later node).
    expect(large.total).toBeLessThan(40 * (2 * payload.length + 1024));
    expect(large.maxCount).toBeLessThanOrEqual(small.maxCount + 1);
    // The header (which lists the node ids) is rewritten on status changes only, not per node.
    expect(large.headerWrites).toBe(small.headerWrites);
    // No record accumulates other nodes' outputs.
    expect(large.biggest).toBeLessThan(payload.length * 3 + 2048);
    expect(large.biggest).toBeLessThanOrEqual(small.biggest + 16);
  });

  it("opens sqlite in WAL mode", async () => {
    const { file, url } = sqliteUrl();
    const { store } = await setup({ url });
    expect(await store.query("PRAGMA journal_mode")).toEqual([{ journal_mode: "wal" }]);
    // Checked independently of the store's own connection: WAL is a property of the database file.
    const mode = await new Promise<string>((resolve, reject) => {
      const db = new sqlite3.Database(file, (err) => {
        if (err) return reject(err);
        db.get("PRAGMA journal_mode", (e: Error | null, row: { journal_mode: string }) => {
          db.close();
          if (e) reject(e);
          else resolve(row.journal_mode);
        });
      });
    });
    expect(mode).toBe("wal");
  });
});
