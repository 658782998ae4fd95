// The WorkQueue driver conformance suite, as a factory any driver runs:
//   describeWorkQueue("bullmq", async () => ({ queue, cleanup }))
// The factory should configure a short redelivery delay (<= 200 ms) so the redelivery test stays fast.
import { afterEach, describe, expect, it } from "vitest";
import type { Job, JobContext, WorkQueue } from "../../../src/engine/queue/types.ts";

export type QueueFixture = { queue: WorkQueue; cleanup?: () => Promise<void> };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error("condition not reached in time");
    await sleep(5);
  }
}

let n = 0;
const uid = (name: string) => `${name}-${process.pid}-${Date.now()}-${n++}`;

export function describeWorkQueue(name: string, make: () => Promise<QueueFixture>): void {
  describe(`WorkQueue conformance: ${name}`, () => {
    let fixture: QueueFixture | undefined;
    const open = async () => {
      fixture = await make();
      return fixture.queue;
    };
    afterEach(async () => {
      await fixture?.queue.close();
      await fixture?.cleanup?.();
      fixture = undefined;
    });

    it("delivers each job once with its fields, and idle() resolves after", async () => {
      const queue = await open();
      const seen: Job[] = [];
      queue.process(async (job) => {
        seen.push(job);
      });
      const ids = [uid("a"), uid("b"), uid("c")];
      await queue.enqueueMany(ids.map((id, i) => ({ id, kind: "attempt", executionId: "x1", nodeId: `n${i}`, data: { attempt: 1 } })));
      await until(() => seen.length === 3);
      await queue.idle();
      expect(seen.map((j) => j.id).sort()).toEqual([...ids].sort());
      expect(seen.every((j) => j.delivery === 1 && j.kind === "attempt" && j.executionId === "x1")).toBe(true);
      expect(seen.find((j) => j.id === ids[1])?.data).toEqual({ attempt: 1 });
    });

    it("dedupes a pending id, and accepts the id again once the job finished", async () => {
      const queue = await open();
      let runs = 0;
      let release!: () => void;
      const held = new Promise<void>((r) => {
        release = r;
      });
      queue.process(async () => {
        runs++;
        await held;
      });
      const id = uid("dedupe");
      expect((await queue.enqueue({ id, kind: "advance", executionId: "x" })).deduped).toBe(false);
      expect((await queue.enqueue({ id, kind: "advance", executionId: "x" })).deduped).toBe(true);
      await until(() => runs === 1);
      expect((await queue.enqueue({ id, kind: "advance", executionId: "x" })).deduped).toBe(true);
      release();
      await queue.idle();
      expect(runs).toBe(1);
      expect((await queue.enqueue({ id, kind: "advance", executionId: "x" })).deduped).toBe(false);
      await until(() => runs === 2);
    });

    it("runs a delayed job no earlier than its delay; a removed one never", async () => {
      const queue = await open();
      const ran = new Map<string, number>();
      queue.process(async (job) => {
        ran.set(job.id, Date.now());
      });
      const t0 = Date.now();
      const later = uid("later");
      const gone = uid("gone");
      await queue.enqueue({ id: later, kind: "deadline", executionId: "x", delayMs: 150 });
      await queue.enqueue({ id: gone, kind: "deadline", executionId: "x", delayMs: 100 });
      expect(await queue.remove(gone)).toBe(true);
      expect(await queue.remove(uid("unknown"))).toBe(false);
      await until(() => ran.has(later));
      expect((ran.get(later) as number) - t0).toBeGreaterThanOrEqual(140);
      await sleep(50);
      expect(ran.has(gone)).toBe(false);
    });

    it("keeps a group within its concurrency; other groups and ungrouped jobs are not held back", async () => {
      const queue = await open();
      const group = uid("model");
      queue.setGroupLimit(group, { concurrency: 2 });
      let inGroup = 0;
      let maxInGroup = 0;
      let free = 0;
      let done = 0;
      queue.process(async (job) => {
        if (job.group === group) {
          inGroup++;
          maxInGroup = Math.max(maxInGroup, inGroup);
          await sleep(30);
          inGroup--;
        } else free++;
        done++;
      });
      await queue.enqueueMany(Array.from({ length: 6 }, () => ({ id: uid("g"), kind: "attempt" as const, executionId: "x", group })));
      await queue.enqueue({ id: uid("free"), kind: "advance", executionId: "x" });
      await until(() => free === 1, 1_000);
      expect(done).toBeLessThan(7);
      await until(() => done === 7);
      expect(maxInGroup).toBe(2);
    });

    it("pauses a group for a Retry-After, then resumes it", async () => {
      const queue = await open();
      const group = uid("paused");
      queue.setGroupLimit(group, { concurrency: 4 });
      const at: number[] = [];
      queue.process(async () => {
        at.push(Date.now());
      });
      const t0 = Date.now();
      await queue.pauseGroup(group, 150);
      await queue.enqueue({ id: uid("p"), kind: "attempt", executionId: "x", group });
      await until(() => at.length === 1);
      expect((at[0] as number) - t0).toBeGreaterThanOrEqual(140);
    });

    it("redelivers a job whose handler threw, with a higher delivery count", async () => {
      const queue = await open();
      const deliveries: number[] = [];
      queue.process(async (job) => {
        deliveries.push(job.delivery);
        if (job.delivery === 1) throw new Error("store unreachable");
      });
      await queue.enqueue({ id: uid("retry"), kind: "advance", executionId: "x" });
      await until(() => deliveries.length === 2, 10_000);
      expect(deliveries).toEqual([1, 2]);
    });

    it("gives each delivery a token and aborts running handlers' signals on close", async () => {
      const queue = await open();
      const contexts: JobContext[] = [];
      let aborted = false;
      queue.process(async (_job, ctx) => {
        contexts.push(ctx);
        await new Promise<void>((resolve) => {
          ctx.signal.addEventListener("abort", () => {
            aborted = true;
            resolve();
          });
        });
      });
      await queue.enqueue({ id: uid("long"), kind: "attempt", executionId: "x" });
      await until(() => contexts.length === 1);
      expect(typeof contexts[0]?.token).toBe("string");
      expect(contexts[0]?.token.length).toBeGreaterThan(0);
      await queue.close();
      expect(aborted).toBe(true);
    });
  });
}
