// The ExecutionStore driver conformance suite, as a factory any driver runs:
//   describeExecutionStore("postgres", async () => ({ store, cleanup }))
// It checks the contract the engine relies on: fenced transitions, claims and owner leases,
// idempotent creation, gap-free event logs, store-owned indexes, complete deletes.
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

    async function created(store: ExecutionStore, me: OwnerInfo, overrides: Partial<ExecutionRecord> = {}) {
      const h = header(overrides);
      const res = await store.createExecution({ header: h, definition, owner: me.owner, events: [event(h.id, 1, "execution.started")] });
      if (!res.created) throw new Error("expected a new execution");
      return { header: h, lease: res.lease };
    }

    it("stores a new execution with its definition and first events, readable without a lease", async () => {
      const store = await open();
      const me = owner("a");
      const { header: h } = await created(store, me);
      expect(await store.getExecution(h.id)).toEqual(h);
      expect(await store.getExecutions([h.id, "missing"])).toEqual([h]);
      expect(await store.getDefinition(h.hash)).toEqual(definition);
      expect((await store.getEvents(h.id)).map((e) => [e.seq, e.type, e.executionId])).toEqual([[1, "execution.started", h.id]]);
      expect(await store.lastSeq(h.id)).toBe(1);
      expect(await store.lastSeq("missing")).toBe(0);
      expect(await store.getExecution("missing")).toBeUndefined();
    });

    it("creates once per idempotency key, atomically, even when racing", async () => {
      const store = await open();
      const me = owner("a");
      const a = header();
      const b = header();
      const key = `k-${randomBytes(4).toString("hex")}`;
      const [ra, rb] = await Promise.all([
        store.createExecution({ header: a, definition, owner: me.owner, events: [], idempotencyKey: key }),
        store.createExecution({ header: b, definition, owner: me.owner, events: [], idempotencyKey: key }),
      ]);
      expect([ra.created, rb.created].filter(Boolean)).toHaveLength(1);
      const winner = ra.created ? a : b;
      expect(ra.execution.id).toBe(winner.id);
      expect(rb.execution.id).toBe(winner.id);
      expect(await store.byIdempotencyKey(key)).toBe(winner.id);
    });

    it("applies a transition with the current token as one write: header, nodes, attempts and events together", async () => {
      const store = await open();
      const { header: h, lease } = await created(store, owner("a"));
      const node: NodeState = { nodeId: "a", kind: "agent", status: "completed", attempts: 2, output: { text: "done" } };
      const res = await store.commit({
        executionId: h.id,
        token: lease.token,
        node: { nodeId: "a" },
        header: { ...h, status: "waiting" },
        nodes: [node],
        attempts: [{ nodeId: "a", attempt: { attempt: 1, startedAt: 1, ok: false, error: { code: "x", message: "x" } } }],
        events: [event(h.id, 2, "node.started", "a"), event(h.id, 3, "node.completed", "a")],
      });
      expect(res).toEqual({ ok: true });
      expect((await store.getExecution(h.id))?.status).toBe("waiting");
      expect((await store.getNodes(h.id)).get("a")).toEqual(node);
      expect((await store.getAttempts(h.id, "a")).map((a) => a.attempt)).toEqual([1]);
      expect((await store.getEvents(h.id, 2)).map((e) => e.seq)).toEqual([2, 3]);
    });

    it("refuses a stale token (stale_lease) and writes nothing of that transition", async () => {
      const store = await open();
      const a = owner("a");
      const b = owner("b");
      const { header: h, lease } = await created(store, a);
      const taken = await store.claim(h.id, b.owner, { force: true });
      expect(taken?.owner).toBe(b.owner);
      expect(taken?.token).not.toBe(lease.token);
      const res = await store.commit({
        executionId: h.id,
        token: lease.token,
        header: { ...h, status: "failed" },
        nodes: [{ nodeId: "a", kind: "agent", status: "completed", attempts: 1 }],
        events: [event(h.id, 2)],
      });
      expect(res).toEqual({ ok: false, reason: "stale_lease" });
      expect((await store.getExecution(h.id))?.status).toBe("running");
      expect((await store.getNodes(h.id)).size).toBe(0);
      expect(await store.lastSeq(h.id)).toBe(1);
      expect(await store.commit({ executionId: h.id, token: taken?.token as string, events: [event(h.id, 2)] })).toEqual({ ok: true });
    });

    it("refuses a second completion of a settled node (node_settled): a step run twice changes nothing", async () => {
      const store = await open();
      const { header: h, lease } = await created(store, owner("a"));
      const done: NodeState = { nodeId: "a", kind: "agent", status: "completed", attempts: 1, output: "first" };
      expect(
        await store.commit({
          executionId: h.id,
          token: lease.token,
          node: { nodeId: "a" },
          nodes: [done],
          events: [event(h.id, 2, "node.completed", "a")],
        }),
      ).toEqual({ ok: true });
      const again = await store.commit({
        executionId: h.id,
        token: lease.token,
        node: { nodeId: "a" },
        nodes: [{ ...done, output: "second" }],
        events: [event(h.id, 3, "node.completed", "a")],
      });
      expect(again).toEqual({ ok: false, reason: "node_settled" });
      expect((await store.getNodes(h.id)).get("a")?.output).toBe("first");
      expect(await store.lastSeq(h.id)).toBe(2);
    });

    it("keeps the event log gap-free: a seq that does not continue it is refused (seq_conflict)", async () => {
      const store = await open();
      const { header: h, lease } = await created(store, owner("a"));
      expect(await store.commit({ executionId: h.id, token: lease.token, events: [event(h.id, 3)] })).toEqual({
        ok: false,
        reason: "seq_conflict",
      });
      expect(await store.commit({ executionId: h.id, token: lease.token, events: [event(h.id, 1)] })).toEqual({
        ok: false,
        reason: "seq_conflict",
      });
      expect(await store.commit({ executionId: h.id, token: lease.token, events: [event(h.id, 2), event(h.id, 3)] })).toEqual({ ok: true });
      expect((await store.getEvents(h.id)).map((e) => e.seq)).toEqual([1, 2, 3]);
      expect(await store.commit({ executionId: "missing", token: "t", events: [event("missing", 1)] })).toEqual({
        ok: false,
        reason: "not_found",
      });
    });

    it("never lets a claim take an execution from a live owner; takes it once that owner's lease expired", async () => {
      const store = await open();
      const a = owner("a");
      const b = owner("b");
      expect(await store.heartbeat(a, 60_000)).toBe(true);
      await store.heartbeat(b, 60_000);
      const { header: h, lease } = await created(store, a);
      expect(await store.claim(h.id, b.owner)).toBeUndefined();
      const mine = await store.claim(h.id, a.owner);
      expect(mine?.owner).toBe(a.owner);
      expect((await store.liveOwners()).map((o) => o.owner)).toEqual(expect.arrayContaining([a.owner, b.owner]));
      expect((await store.unfinished()).find((u) => u.executionId === h.id)).toEqual({
        executionId: h.id,
        owner: a.owner,
        ownerAlive: true,
      });

      await store.heartbeat(a, 1);
      await sleep(20);
      expect((await store.liveOwners()).map((o) => o.owner)).not.toContain(a.owner);
      expect((await store.unfinished()).find((u) => u.executionId === h.id)?.ownerAlive).toBe(false);
      // A heartbeat after expiry says so: the process must assume its executions were taken.
      const takeover = await store.claim(h.id, b.owner);
      expect(takeover?.owner).toBe(b.owner);
      expect(await store.commit({ executionId: h.id, token: lease.token, events: [event(h.id, 2)] })).toEqual({
        ok: false,
        reason: "stale_lease",
      });
      expect(await store.commit({ executionId: h.id, token: mine?.token as string, events: [event(h.id, 2)] })).toEqual({
        ok: false,
        reason: "stale_lease",
      });
      expect(await store.heartbeat(a, 60_000)).toBe(false);
    });

    it("lets only one of two racing claimers win", async () => {
      const store = await open();
      const { header: h } = await created(store, owner("dead"));
      const x = owner("x");
      const y = owner("y");
      await Promise.all([store.heartbeat(x, 60_000), store.heartbeat(y, 60_000)]);
      const [cx, cy] = await Promise.all([store.claim(h.id, x.owner), store.claim(h.id, y.owner)]);
      expect([cx, cy].filter(Boolean)).toHaveLength(1);
    });

    it("fences two claimers that both read the old lease (a cross-process race): only one token is valid", async () => {
      const store = await open();
      const { header: h } = await created(store, owner("dead"));
      const [x, y] = await Promise.all([
        store.claim(h.id, owner("x").owner, { force: true }),
        store.claim(h.id, owner("y").owner, { force: true }),
      ]);
      const tokens = [x, y].filter((l) => l !== undefined).map((l) => l.token);
      const results = await Promise.all(tokens.map((token) => store.commit({ executionId: h.id, token, events: [event(h.id, 2)] })));
      expect(results.filter((r) => r.ok)).toHaveLength(1);
    });

    it("claims nothing finished or missing, and drops finished executions from unfinished()", async () => {
      const store = await open();
      const me = owner("a");
      const { header: h, lease } = await created(store, me);
      expect(
        await store.commit({ executionId: h.id, token: lease.token, header: { ...h, status: "completed", endedAt: Date.now() } }),
      ).toEqual({ ok: true });
      expect(await store.claim(h.id, me.owner, { force: true })).toBeUndefined();
      expect(await store.claim("missing", me.owner)).toBeUndefined();
      expect((await store.unfinished()).map((u) => u.executionId)).not.toContain(h.id);
    });

    it("lists newest first by user, template and status, and pages with `before`", async () => {
      const store = await open();
      const me = owner("a");
      const user = `user:${randomBytes(3).toString("hex")}`;
      const base = Date.now() - 10_000;
      const ids: string[] = [];
      for (let i = 0; i < 5; i++)
        ids.push((await created(store, me, { userId: user, createdAt: base + i, status: i % 2 ? "completed" : "running" })).header.id);
      // A user id that starts with the first one's must not leak into its lists.
      await created(store, me, { userId: `${user}:x`, createdAt: base + 9 });
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
      const me = owner("a");
      const user = `many-${randomBytes(3).toString("hex")}`;
      const base = Date.now() - 100_000;
      await Promise.all(Array.from({ length: 620 }, (_, i) => created(store, me, { userId: user, createdAt: base + i })));
      expect(await store.executionIdsOfUser(user)).toHaveLength(620);
    });

    it("deletes an execution and everything keyed to it, including its idempotency key", async () => {
      const store = await open();
      const me = owner("a");
      const h = header({ userId: "forget-me" });
      const key = `k-${randomBytes(4).toString("hex")}`;
      const res = await store.createExecution({
        header: h,
        definition,
        owner: me.owner,
        events: [event(h.id, 1, "execution.started")],
        idempotencyKey: key,
      });
      if (!res.created) throw new Error("expected creation");
      await store.commit({
        executionId: h.id,
        token: res.lease.token,
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
      expect(await store.claim(h.id, me.owner, { force: true })).toBeUndefined();
      expect(await store.deleteExecution(h.id)).toBe(false);
      // The key can start a new execution afterwards.
      const again = await store.createExecution({ header: header(), definition, owner: me.owner, events: [], idempotencyKey: key });
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
