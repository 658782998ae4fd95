// The default WorkQueue: jobs live in this process (timers for delayed ones, a counter per group for
// concurrency and a sliding window for rate limits). Nothing survives a crash: the engine's recovery
// re-enqueues from the store, which is the source of truth.
import { randomBytes } from "node:crypto";
import { type Clock, systemClock } from "../timing.ts";
import type { EnqueueResult, GroupLimit, Job, JobHandler, JobSpec, WorkQueue } from "./types.ts";

/** Job tokens need to be unique, not secret: a random prefix per queue and a counter (no `randomBytes` per job). */
const TOKEN_PREFIX = randomBytes(6).toString("base64url");

type Entry = { job: Job; timer?: AbortController };
type Group = { limit: GroupLimit; running: number; starts: number[]; pausedUntil: number; resumeTimer?: NodeJS.Timeout };

export type LocalQueueOptions = {
  /** Redeliveries after a handler throws, with `retryDelayMs` between them. */
  maxDeliveries?: number;
  retryDelayMs?: number;
  /** Reports a job given up after `maxDeliveries`. */
  onDeadLetter?: (job: Job, error: unknown) => void;
  /** Delayed jobs wait on this clock (tests drive retries and deadlines with a fake one). */
  clock?: Clock;
};

export class LocalWorkQueue implements WorkQueue {
  readonly driver = "local";
  readonly shared = false;
  private readonly pending = new Map<string, Entry>();
  /** Ready jobs in FIFO order (ids; skipped when removed). */
  private ready: string[] = [];
  private readonly running = new Map<string, AbortController>();
  private readonly groups = new Map<string, Group>();
  private handler: JobHandler | undefined;
  private closed = false;
  private scheduled = false;
  private starts = 0;
  private idleWaiters: (() => void)[] = [];
  private readonly maxDeliveries: number;
  private readonly retryDelayMs: number;
  private readonly onDeadLetter: ((job: Job, error: unknown) => void) | undefined;
  private readonly clock: Clock;

  constructor(options: LocalQueueOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.maxDeliveries = options.maxDeliveries ?? 5;
    this.retryDelayMs = options.retryDelayMs ?? 1_000;
    this.onDeadLetter = options.onDeadLetter;
  }

  enqueue(spec: JobSpec): Promise<EnqueueResult> {
    return Promise.resolve(this.add(spec, 1));
  }

  enqueueMany(specs: JobSpec[]): Promise<EnqueueResult[]> {
    return Promise.resolve(specs.map((s) => this.add(s, 1)));
  }

  /** Synchronous enqueue for in-process callers on the hot path (the engine's own driver). */
  add(spec: JobSpec, delivery: number): EnqueueResult {
    if (this.closed || this.pending.has(spec.id) || this.running.has(spec.id)) return { id: spec.id, deduped: true };
    const job: Job = { ...spec, delivery };
    const entry: Entry = { job };
    this.pending.set(spec.id, entry);
    if (spec.delayMs !== undefined && spec.delayMs > 0) {
      const timer = new AbortController();
      entry.timer = timer;
      this.clock.sleep(spec.delayMs, timer.signal).then(
        () => {
          delete entry.timer;
          this.ready.push(spec.id);
          this.schedule();
        },
        () => undefined,
      );
    } else {
      this.ready.push(spec.id);
      this.schedule();
    }
    return { id: spec.id, deduped: false };
  }

  exists(jobId: string): Promise<boolean> {
    return Promise.resolve(this.pending.has(jobId) || this.running.has(jobId));
  }

  remove(jobId: string): Promise<boolean> {
    const entry = this.pending.get(jobId);
    if (!entry) return Promise.resolve(false);
    entry.timer?.abort();
    this.pending.delete(jobId);
    this.notifyIdle();
    return Promise.resolve(true);
  }

  setGroupLimit(group: string, limit: GroupLimit): void {
    const g = this.groups.get(group);
    if (g) g.limit = limit;
    else this.groups.set(group, { limit, running: 0, starts: [], pausedUntil: 0 });
    this.schedule();
  }

  pauseGroup(group: string, ms: number): Promise<void> {
    let g = this.groups.get(group);
    if (!g) {
      g = { limit: { concurrency: Number.POSITIVE_INFINITY }, running: 0, starts: [], pausedUntil: 0 };
      this.groups.set(group, g);
    }
    g.pausedUntil = Math.max(g.pausedUntil, Date.now() + ms);
    this.wakeAt(g, g.pausedUntil);
    return Promise.resolve();
  }

  process(handler: JobHandler): void {
    this.handler = handler;
    this.schedule();
  }

  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const entry of this.pending.values()) entry.timer?.abort();
    for (const g of this.groups.values()) if (g.resumeTimer) clearTimeout(g.resumeTimer);
    this.pending.clear();
    this.ready = [];
    for (const ctrl of this.running.values()) ctrl.abort(new Error("The work queue is closing."));
    await this.idle();
  }

  // ---- dispatch ---------------------------------------------------------------------------------

  private isIdle(): boolean {
    if (this.running.size > 0) return false;
    for (const id of this.ready) if (this.pending.has(id)) return false;
    return true;
  }

  private notifyIdle(): void {
    if (this.idleWaiters.length === 0 || !this.isIdle()) return;
    for (const w of this.idleWaiters.splice(0)) w();
  }

  /** Dispatch in a microtask, so a burst of enqueues in one tick is dispatched once. */
  private schedule(): void {
    if (this.scheduled || !this.handler || this.closed) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.dispatch();
    });
  }

  private dispatch(): void {
    const handler = this.handler;
    if (!handler || this.closed) return;
    const keep: string[] = [];
    const now = Date.now();
    for (const id of this.ready) {
      const entry = this.pending.get(id);
      if (!entry || entry.timer) continue;
      const group = entry.job.group !== undefined ? this.groups.get(entry.job.group) : undefined;
      if (group && !this.admit(group, now)) {
        keep.push(id);
        continue;
      }
      this.pending.delete(id);
      this.start(entry.job, handler, group);
    }
    this.ready = keep;
    this.notifyIdle();
  }

  private admit(g: Group, now: number): boolean {
    if (g.pausedUntil > now) {
      this.wakeAt(g, g.pausedUntil);
      return false;
    }
    if (g.running >= g.limit.concurrency) return false;
    const rate = g.limit.rate;
    if (rate) {
      while (g.starts.length > 0 && (g.starts[0] as number) <= now - rate.perMs) g.starts.shift();
      if (g.starts.length >= rate.max) {
        this.wakeAt(g, (g.starts[0] as number) + rate.perMs);
        return false;
      }
      g.starts.push(now);
    }
    g.running++;
    return true;
  }

  private wakeAt(g: Group, at: number): void {
    if (g.resumeTimer) return;
    g.resumeTimer = setTimeout(
      () => {
        delete g.resumeTimer;
        this.schedule();
      },
      // Timers may fire a millisecond early by Date.now(); never wake before `at`.
      Math.max(0, at - Date.now()) + 1,
    );
    g.resumeTimer.unref?.();
  }

  private start(job: Job, handler: JobHandler, group: Group | undefined): void {
    const ctrl = new AbortController();
    this.running.set(job.id, ctrl);
    const token = `${TOKEN_PREFIX}${(this.starts++).toString(36)}`;
    let held = group !== undefined;
    const release = () => {
      if (!held || !group) return;
      held = false;
      group.running--;
      this.schedule();
    };
    let result: Promise<void>;
    try {
      result = handler(job, { token, signal: ctrl.signal, release, abort: (reason) => ctrl.abort(reason) });
    } catch (error) {
      result = Promise.reject(error);
    }
    result
      .then(
        () => false,
        (error: unknown) => {
          if (this.closed) return false;
          if (job.delivery < this.maxDeliveries) return true;
          this.onDeadLetter?.(job, error);
          return false;
        },
      )
      .then((again) => {
        this.running.delete(job.id);
        release();
        if (again) {
          const { delivery, ...spec } = job;
          this.add({ ...spec, delayMs: this.retryDelayMs }, delivery + 1);
        }
        if (group || this.ready.length > 0) this.schedule();
        this.notifyIdle();
      });
  }
}
