import { describe, expect, test } from "vitest";
import { applyEvent, type Checklist, createChecklist, renderChecklist } from "../../src/chat/checklist.ts";
import { Throttle, type Timers } from "../../src/chat/throttle.ts";
import type { EngineEvent } from "../../src/engine/records.ts";

let seq = 0;
const ev = (type: EngineEvent["type"], nodeId?: string, data?: Record<string, unknown>, sub?: EngineEvent["sub"]): EngineEvent => ({
  executionId: "x1",
  seq: ++seq,
  type,
  at: 1000 + seq,
  ...(nodeId ? { nodeId } : {}),
  ...(data ? { data } : {}),
  ...(sub ? { sub } : {}),
});

describe("checklist", () => {
  const steps = [
    { id: "outline", title: "Create outline" },
    { id: "content", title: "Develop content" },
    { id: "ask" },
    { id: "fallback", title: "Fallback", standby: true },
  ];

  test("skipped steps (a branch not taken) are neither counted nor listed", () => {
    let list = createChecklist("Assessment", [
      { id: "a", title: "Write" },
      { id: "b", title: "Top up" },
      { id: "c", title: "Rubric" },
      { id: "d", title: "Rubric" },
    ]);
    // A title on two branches (the rubric of each) shows once.
    expect(renderChecklist(list).split("\n")).toEqual(["**Assessment: working** (0/3 steps)", "⬜ Write", "⬜ Top up", "⬜ Rubric"]);
    list = applyEvent(list, ev("node.completed", "d", { durationMs: 2500 }));
    expect(renderChecklist(list)).toContain("✅ Rubric (2.5 s)");
    list = applyEvent(list, ev("node.skipped", "c"));
    list = applyEvent(list, ev("node.completed", "a", { durationMs: 300 }));
    list = applyEvent(list, ev("node.skipped", "b"));
    expect(renderChecklist(list)).toBe(["**Assessment: working** (2/2 steps)", "✅ Write", "✅ Rubric (2.5 s)"].join("\n"));
  });

  test("a step left out of the list (a condition picking the path) stays out when it runs", () => {
    let list = createChecklist("Feedback", [{ id: "compose", title: "Compose feedback" }]);
    for (const e of [ev("node.started", "route", { attempt: 1 }), ev("node.completed", "route", { durationMs: 1 })])
      list = applyEvent(list, e);
    list = applyEvent(list, ev("node.completed", "compose", { durationMs: 10 }));
    expect(renderChecklist(list)).toBe(["**Feedback: working** (1/1 step)", "✅ Compose feedback"].join("\n"));
  });

  test("follows events: running, retrying, waiting, completed with timings, fallback steps appear when they start", () => {
    let list: Checklist = createChecklist("Lesson plan", steps);
    expect(renderChecklist(list)).toBe(
      ["**Lesson plan: working** (0/3 steps)", "⬜ Create outline", "⬜ Develop content", "⬜ ask"].join("\n"),
    );
    for (const e of [
      ev("execution.started"),
      ev("node.started", "outline", { attempt: 1 }),
      ev("node.retrying", "outline", { attempt: 1, delayMs: 10 }),
      ev("node.started", "outline", { attempt: 2 }),
      ev("node.completed", "outline", { attempt: 2, durationMs: 1234 }),
      ev("node.started", "content", { attempt: 1 }),
      ev("node.failed", "content", { attempt: 3 }),
      ev("node.started", "fallback", { attempt: 1 }),
      ev("node.completed", "fallback", { durationMs: 20 }),
      ev("node.completed", "content", { durationMs: 40, fallbackFrom: "fallback" }),
      ev("node.started", "inner", {}, { executionId: "child", nodeId: "ask" }),
      ev("execution.waiting", "ask", { prompt: "OK?" }),
    ])
      list = applyEvent(list, e);
    expect(renderChecklist(list)).toBe(
      [
        "**Lesson plan: waiting for your answer** (3/4 steps)",
        "✅ Create outline (1.2 s)",
        "✅ Develop content (fallback)",
        "✋ ask (waiting for an answer)",
        "✅ Fallback",
      ].join("\n"),
    );
    const retrying = applyEvent(createChecklist("T", steps), ev("node.retrying", "outline", { attempt: 1 }));
    expect(renderChecklist(retrying)).toContain("🔁 Create outline (retrying, attempt 2)");
    const done = applyEvent(applyEvent(list, ev("execution.resumed", "ask")), ev("execution.completed", undefined, { durationMs: 61_000 }));
    expect(renderChecklist(done).split("\n")[0]).toBe("**Lesson plan: done** in 1 min 1 s");
    const cancelled = applyEvent(list, ev("execution.cancelled"));
    expect(renderChecklist(cancelled)).toContain("⛔ ask");
  });
});

/** Timers that only move when told to. */
class FakeTimers implements Timers {
  t = 0;
  private queue: { at: number; fn: () => void; id: number }[] = [];
  private ids = 0;
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.ids;
    this.queue.push({ at: this.t + ms, fn, id });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.queue = this.queue.filter((q) => q.id !== handle);
  }
  get pending(): number {
    return this.queue.length;
  }
  async advance(ms: number): Promise<void> {
    const target = this.t + ms;
    for (;;) {
      await settle();
      const next = this.queue.filter((q) => q.at <= target).sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      this.queue = this.queue.filter((q) => q !== next);
      this.t = next.at;
      next.fn();
    }
    this.t = target;
    await settle();
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
}

describe("throttle", () => {
  test("at most one run per interval; bursts collapse into one trailing run with the latest state", async () => {
    const timers = new FakeTimers();
    const runs: number[] = [];
    let state = 0;
    const throttle = new Throttle(1000, async () => void runs.push(state), timers);
    state = 1;
    throttle.request();
    await settle();
    expect(runs).toEqual([1]);
    for (let i = 2; i <= 20; i++) {
      state = i;
      throttle.request();
      await timers.advance(10);
    }
    expect(runs).toEqual([1]);
    await timers.advance(1000);
    expect(runs).toEqual([1, 20]);
    await timers.advance(5000);
    expect(runs).toEqual([1, 20]);
    expect(timers.pending).toBe(0);
  });

  test("flush renders a pending request at once (the final state is always shown)", async () => {
    const timers = new FakeTimers();
    const runs: number[] = [];
    let state = 0;
    const throttle = new Throttle(1000, async () => void runs.push(state), timers);
    throttle.request();
    state = 7;
    throttle.request();
    await throttle.flush();
    expect(runs).toEqual([0, 7]);
    await throttle.flush();
    expect(runs).toEqual([0, 7]);
    throttle.close();
    throttle.request();
    await timers.advance(2000);
    expect(runs).toEqual([0, 7]);
  });

  test("runs never overlap: a slow edit delays the next one", async () => {
    const timers = new FakeTimers();
    let active = 0;
    let maxActive = 0;
    let release!: () => void;
    const throttle = new Throttle(
      100,
      async () => {
        active++;
        maxActive = Math.max(maxActive, active);
        await new Promise<void>((r) => {
          release = r;
        });
        active--;
      },
      timers,
    );
    throttle.request();
    await settle();
    throttle.request();
    await timers.advance(500);
    expect(maxActive).toBe(1);
    release();
    await timers.advance(500);
    release();
    await throttle.flush();
    expect(maxActive).toBe(1);
  });
});
