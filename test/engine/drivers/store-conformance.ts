// The ExecutionStore driver conformance suite, as a factory any driver runs:
//   describeExecutionStore("postgres", async () => ({ store, cleanup }))
// It checks the contract the engine relies on: decisions fenced by the execution's version (one of
// racing writers wins), children created with their dispatch, gap-free event logs (whole batches),
// owner leases, idempotent creation, store-owned indexes, complete deletes.
import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import type { EngineEvent, ExecutionRecord, NodeState } from "../../../src/engine/records.ts";
import type { WorkflowDefinition } from "../../../src/engine/schema.ts";
import type { ExecutionStore, OwnerInfo } from "../../../src/engine/store/types.ts";

export type StoreFixture = { store: ExecutionStore; cleanup?: () => Promise<void> };

const definition = { id: "conf", version: 1, title: "Conformance", inputs: [], nodes: [], maxParallel: 4 } as unknown as WorkflowDefinition;

function header(overrides: Partial<ExecutionRecord> = {}): ExecutionRecord {
  const id = randomBytes(12).toString("base64url");
  return {
    id,
    templateId: "conf",
    version: 1,
    hash: "h-conf",
    title: "Conformance",
    status: "running",
    inputs: { topic: "x" },
    userId: "u1",
    createdAt: Date.now(),
    startedAt: Date.now(),
    nodeIds: ["a", "b"],
    plan: [
      { id: "a", title: "A", kind: "agent", auxiliary: false },
      { id: "b", title: "B", kind: "agent", auxiliary: false },
    ],
    ...overrides,
  };
}

function event(executionId: string, seq: number, type: EngineEvent["type"] = "node.started", nodeId?: string): EngineEvent {
  return { executionId, seq, type, at: Date.now(), ...(nodeId ? { nodeId } : {}) };
}

function owner(name: string): OwnerInfo {
  return { owner: `${name}-${randomBytes(4).toString("hex")}`, pid: process.pid, startedAt: Date.now() };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function describeExecutionStore(name: string, make: () => Promise<StoreFixture>): void {
  describe(`ExecutionStore conformance: ${name}`, () => {
    let fixture: StoreFixture | undefined;
    const open = async () => {
      fixture = await make();
      return fixture.store;
    };
    afterEach(async () => {
      await fixture?.store.close();
      await fixture?.cleanup?.();
      fixture = undefined;
    });

    async function created(store: ExecutionStore, overrides: Partial<ExecutionRecord> = {}) {
      const h = header(overrides);
      const res = await store.createExecution({ header: h, definition, events: [event(h.id, 1, "execution.started")] });
      if (!res.created) throw new Error("expected a new execution");
      return { header: h };
    }

    it("stores a new execution with its definition and first events at version 0, readable in one load", async () => {
      const store = await open();
      const { header: h } = await created(store);
      expect(await store.getExecution(h.id)).toEqual(h);
      expect(await store.getExecutions([h.id, "missing"])).toEqual([h]);
      expect(await store.getDefinition(h.hash)).toEqual(definition);
      expect((await store.getEvents(h.id)).map((e) => [e.seq, e.type, e.executionId])).toEqual([[1, "execution.started", h.id]]);
      expect(await store.lastSeq(h.id)).toBe(1);
      expect(await store.lastSeq("missing")).toBe(0);
      expect(await store.getExecution("missing")).toBeUndefined();
      const loaded = await store.loadExecution(h.id);
      expect(loaded).toEqual({ header: h, nodes: new Map(), version: 0, seq: 1 });
      expect(await store.loadExecution("missing")).toBeUndefined();
    });

    it("stores the first dispatch given with a new execution, at version 0, and continues from it", async () => {
      const store = await open();
      const h = header();
      const running: NodeState = {
        nodeId: "a",
        kind: "agent",
        status: "running",
        attempts: 1,
        startedAt: 5,
        token: "t1",
        by: "o1",
        dispatchedAt: 5,
      };
      const started = { ...event(h.id, 2, "node.started", "a"), at: 5, data: { attempt: 1 } };
      const res = await store.createExecution({
        header: h,
        definition,
        events: [event(h.id, 1, "execution.started"), started],
        nodes: [running],
      });
      expect(res.created).toBe(true);
      const loaded = await store.loadExecution(h.id);
      expect(loaded).toEqual({ header: h, nodes: new Map([["a", running]]), version: 0, seq: 2 });
      expect((await store.getEvents(h.id)).map((e) => [e.seq, e.type, e.nodeId, e.data])).toEqual([
        [1, "execution.started", undefined, undefined],
        [2, "node.started", "a", { attempt: 1 }],
      ]);
      const done: NodeState = {
        nodeId: "a",
        kind: "agent",
        status: "completed",
        attempts: 1,
        startedAt: 5,
        endedAt: 9,
        durationMs: 4,
        output: "x",
      };
      expect(
        await store.commit({ executionId: h.id, expectVersion: 0, seq: 2, nodes: [done], events: [event(h.id, 3, "node.completed", "a")] }),
      ).toEqual({
        ok: true,
        version: 1,
      });
      expect((await store.getNodes(h.id)).get("a")).toEqual(done);
    });

    it("creates once per idempotency key, atomically, even when racing", async () => {
      const store = await open();
      const a = header();
      const b = header();
      const key = `k-${randomBytes(4).toString("hex")}`;
      const [ra, rb] = await Promise.all([
        store.createExecution({ header: a, definition, events: [], idempotencyKey: key }),
        store.createExecution({ header: b, definition, events: [], idempotencyKey: key }),
      ]);
      expect([ra.created, rb.created].filter(Boolean)).toHaveLength(1);
      const winner = ra.created ? a : b;
      expect(ra.execution.id).toBe(winner.id);
      expect(rb.execution.id).toBe(winner.id);
      expect(await store.byIdempotencyKey(key)).toBe(winner.id);
    });

    it("applies a decision at the current version as one write: header, nodes, attempts and events together; the version moves on", async () => {
      const store = await open();
      const { header: h } = await created(store);
      const node: NodeState = { nodeId: "a", kind: "agent", status: "completed", attempts: 2, output: { text: "done" } };
      const res = await store.commit({
        executionId: h.id,
        expectVersion: 0,
        seq: 1,
        header: { ...h, status: "waiting" },
        nodes: [node],
        attempts: [{ nodeId: "a", attempt: { attempt: 1, startedAt: 1, ok: false, error: { code: "x", message: "x" } } }],
        events: [event(h.id, 2, "node.started", "a"), event(h.id, 3, "node.completed", "a")],
      });
      expect(res).toEqual({ ok: true, version: 1 });
      expect((await store.getExecution(h.id))?.status).toBe("waiting");
      expect((await store.getNodes(h.id)).get("a")).toEqual(node);
      expect((await store.getAttempts(h.id, "a")).map((a) => a.attempt)).toEqual([1]);
      expect((await store.getEvents(h.id, 2)).map((e) => e.seq)).toEqual([2, 3]);
      const loaded = await store.loadExecution(h.id);
      expect(loaded?.version).toBe(1);
      expect(loaded?.seq).toBe(3);
      expect(loaded?.nodes.get("a")).toEqual(node);
      expect(
        await store.commit({ executionId: h.id, expectVersion: 1, seq: 3, nodes: [{ ...node, attempts: 3 }], events: [event(h.id, 4)] }),
      ).toEqual({ ok: true, version: 2 });
      expect(await store.lastSeq(h.id)).toBe(4);
    });

    it("refuses a decision made on an older version (version_conflict) and writes nothing of it", async () => {
      const store = await open();
      const { header: h } = await created(store);
      expect(await store.commit({ executionId: h.id, expectVersion: 0, seq: 1, events: [event(h.id, 2)] })).toEqual({
        ok: true,
        version: 1,
      });
      // What another decision read at version 0 (seq 1), committed after the first one landed.
      const stale = await store.commit({
        executionId: h.id,
        expectVersion: 0,
        seq: 1,
        header: { ...h, status: "failed" },
        nodes: [{ nodeId: "a", kind: "agent", status: "completed", attempts: 1 }],
        events: [event(h.id, 2)],
      });
      expect(stale).toEqual({ ok: false, reason: "version_conflict" });
      expect((await store.getExecution(h.id))?.status).toBe("running");
      expect((await store.getNodes(h.id)).size).toBe(0);
      expect(await store.lastSeq(h.id)).toBe(2);
      expect(await store.commit({ executionId: "missing", expectVersion: 0, seq: 0, events: [event("missing", 1)] })).toEqual({
        ok: false,
        reason: "not_found",
      });
    });

    it("lets exactly one of several decisions racing on one version win (replicas completing the same step)", async () => {
      const store = await open();
      const { header: h } = await created(store);
      const results = await Promise.all(
        ["x", "y", "z"].map((who) =>
          store.commit({
            executionId: h.id,
            expectVersion: 0,
            seq: 1,
            nodes: [{ nodeId: "a", kind: "agent", status: "completed", attempts: 1, output: who }],
            events: [event(h.id, 2, "node.completed", "a")],
          }),
        ),
      );
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      expect(results.filter((r) => !r.ok).map((r) => !r.ok && r.reason)).toEqual(["version_conflict", "version_conflict"]);
      expect(await store.lastSeq(h.id)).toBe(2);
    });

    it("keeps the event log gap-free: a batch that does not continue it, or has a gap inside, is refused (seq_conflict) whole", async () => {
      const store = await open();
      const { header: h } = await created(store);
      expect(await store.commit({ executionId: h.id, expectVersion: 0, seq: 1, events: [event(h.id, 3)] })).toEqual({
        ok: false,
        reason: "seq_conflict",
      });
      expect(await store.commit({ executionId: h.id, expectVersion: 0, seq: 1, events: [event(h.id, 1)] })).toEqual({
        ok: false,
        reason: "seq_conflict",
      });
      // A gap inside one batch: [2, 4] would leave 4 unreachable behind the missing 3.
      expect(
        await store.commit({
          executionId: h.id,
          expectVersion: 0,
          seq: 1,
          nodes: [{ nodeId: "a", kind: "agent", status: "completed", attempts: 1 }],
          events: [event(h.id, 2), event(h.id, 4)],
        }),
      ).toEqual({ ok: false, reason: "seq_conflict" });
      expect((await store.getNodes(h.id)).size).toBe(0);
      expect(await store.lastSeq(h.id)).toBe(1);
      expect((await store.loadExecution(h.id))?.version).toBe(0);
      expect(await store.commit({ executionId: h.id, expectVersion: 0, seq: 1, events: [event(h.id, 2), event(h.id, 3)] })).toEqual({
        ok: true,
        version: 1,
      });
      expect((await store.getEvents(h.id)).map((e) => e.seq)).toEqual([1, 2, 3]);
    });

    it("creates sub-workflow executions in the same write that dispatches them, and none when that write is refused", async () => {
      const store = await open();
      const { header: parent } = await created(store);
      const child = header({ parent: { executionId: parent.id, nodeId: "a" } });
      const running: NodeState = { nodeId: "a", kind: "workflow", status: "running", attempts: 1, childExecutionId: child.id };
      expect(await store.commit({ executionId: parent.id, expectVersion: 0, seq: 1, events: [event(parent.id, 2)] })).toEqual({
        ok: true,
        version: 1,
      });
      // A decision made at version 0 dispatches the child: refused, and the child is not created either.
      const refused = await store.commit({
        executionId: parent.id,
        expectVersion: 0,
        seq: 1,
        nodes: [running],
        events: [event(parent.id, 2, "node.started", "a")],
        children: [{ header: child, definition, events: [event(child.id, 1, "execution.started")] }],
      });
      expect(refused).toEqual({ ok: false, reason: "version_conflict" });
      expect(await store.getExecution(child.id)).toBeUndefined();
      const ok = await store.commit({
        executionId: parent.id,
        expectVersion: 1,
        seq: 2,
        nodes: [running],
        events: [event(parent.id, 3, "node.started", "a")],
        children: [{ header: child, definition, events: [event(child.id, 1, "execution.started")] }],
      });
      expect(ok).toEqual({ ok: true, version: 2 });
      expect(await store.loadExecution(child.id)).toEqual({ header: child, nodes: new Map(), version: 0, seq: 1 });
      expect((await store.unfinished()).map((u) => u.executionId)).toEqual(expect.arrayContaining([parent.id, child.id]));
      expect(await store.executionIdsOfUser(child.userId)).toContain(child.id);
    });

    it("keeps owner leases on the store's clock: live until they expire or are released; a late heartbeat says it had expired", async () => {
      const store = await open();
      const a = owner("a");
      const b = owner("b");
      expect(await store.heartbeat(a, 60_000)).toBe(true);
      await store.heartbeat(b, 60_000);
      expect((await store.liveOwners()).map((o) => o.owner)).toEqual(expect.arrayContaining([a.owner, b.owner]));
      await store.heartbeat(a, 1);
      await sleep(20);
      expect((await store.liveOwners()).map((o) => o.owner)).not.toContain(a.owner);
      expect(await store.heartbeat(a, 60_000)).toBe(false);
      await store.releaseOwner(b.owner);
      expect((await store.liveOwners()).map((o) => o.owner)).not.toContain(b.owner);
    });

    it("drops finished executions from unfinished()", async () => {
      const store = await open();
      const { header: h } = await created(store);
      expect((await store.unfinished()).map((u) => u.executionId)).toContain(h.id);
      expect(
        await store.commit({
          executionId: h.id,
          expectVersion: 0,
          seq: 1,
          header: { ...h, status: "completed", endedAt: Date.now() },
          events: [event(h.id, 2, "execution.completed")],
        }),
      ).toEqual({ ok: true, version: 1 });
      expect((await store.unfinished()).map((u) => u.executionId)).not.toContain(h.id);
    });

    it("lists newest first by user, template and status, and pages with `before`", async () => {
      const store = await open();
      const user = `user:${randomBytes(3).toString("hex")}`;
      const base = Date.now() - 10_000;
      const ids: string[] = [];
      for (let i = 0; i < 5; i++)
        ids.push((await created(store, { userId: user, createdAt: base + i, status: i % 2 ? "completed" : "running" })).header.id);
      // A user id that starts with the first one's must not leak into its lists.
      await created(store, { userId: `${user}:x`, createdAt: base + 9 });
      const newest = [...ids].reverse();
      expect((await store.listExecutions({ userId: user })).map((r) => r.id)).toEqual(newest);
      expect((await store.listExecutions({ userId: user, limit: 2 })).map((r) => r.id)).toEqual(newest.slice(0, 2));
      expect((await store.listExecutions({ userId: user, status: ["completed"] })).map((r) => r.id)).toEqual([ids[3], ids[1]]);
      expect((await store.listExecutions({ userId: user, before: base + 3 })).map((r) => r.id)).toEqual([ids[2], ids[1], ids[0]]);
      expect((await store.listExecutions({ templateId: "conf", limit: 1000 })).map((r) => r.id)).toEqual(expect.arrayContaining(ids));
      expect((await store.listExecutions({ limit: 3 })).length).toBe(3);
      expect(await store.executionIdsOfUser(user)).toEqual(newest);
    });

    it("returns every execution of a user, far past 500", async () => {
      const store = await open();
      const user = `many-${randomBytes(3).toString("hex")}`;
      const base = Date.now() - 100_000;
      await Promise.all(Array.from({ length: 620 }, (_, i) => created(store, { userId: user, createdAt: base + i })));
      expect(await store.executionIdsOfUser(user)).toHaveLength(620);
    });

    it("deletes an execution and everything keyed to it, including its idempotency key", async () => {
      const store = await open();
      const h = header({ userId: "forget-me" });
      const key = `k-${randomBytes(4).toString("hex")}`;
      const res = await store.createExecution({
        header: h,
        definition,
        events: [event(h.id, 1, "execution.started")],
        idempotencyKey: key,
      });
      if (!res.created) throw new Error("expected creation");
      await store.commit({
        executionId: h.id,
        expectVersion: 0,
        seq: 1,
        nodes: [{ nodeId: "a", kind: "agent", status: "failed", attempts: 1 }],
        attempts: [{ nodeId: "a", attempt: { attempt: 1, startedAt: 1, ok: false } }],
        events: [event(h.id, 2)],
      });
      expect(await store.deleteExecution(h.id)).toBe(true);
      expect(await store.getExecution(h.id)).toBeUndefined();
      expect((await store.getNodes(h.id)).size).toBe(0);
      expect(await store.getAttempts(h.id, "a")).toEqual([]);
      expect(await store.getEvents(h.id)).toEqual([]);
      expect(await store.byIdempotencyKey(key)).toBeUndefined();
      expect(await store.executionIdsOfUser("forget-me")).not.toContain(h.id);
      expect((await store.listExecutions({ limit: 10_000 })).map((r) => r.id)).not.toContain(h.id);
      expect((await store.unfinished()).map((u) => u.executionId)).not.toContain(h.id);
      expect(await store.loadExecution(h.id)).toBeUndefined();
      expect(await store.deleteExecution(h.id)).toBe(false);
      // The key can start a new execution afterwards.
      const again = await store.createExecution({ header: header(), definition, events: [], idempotencyKey: key });
      expect(again.created).toBe(true);
      await store.compact();
    });

    it("folds stats per template, serialised so concurrent updates are not lost", async () => {
      const store = await open();
      const templateId = `t-${randomBytes(3).toString("hex")}`;
      const fold = (prev: { runs?: number } | undefined) => ({ ...(prev ?? {}), templateId, runs: (prev?.runs ?? 0) + 1 }) as never;
      await Promise.all(Array.from({ length: 10 }, () => store.updateStats(templateId, fold)));
      const [stats] = await store.getStats(templateId);
      expect(stats?.runs).toBe(10);
      expect((await store.getStats()).map((s) => s.templateId)).toContain(templateId);
      expect(await store.ping()).toBe(true);
    });
  });
}
