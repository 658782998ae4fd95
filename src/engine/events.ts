// Delivery of engine events: per-execution subscribers (stored replay, then live, in seq order) and
// process-wide listeners. `node.delta` events are live only: never stored, coalesced per node.
import type { Logger } from "../log.ts";
import type { EventListener } from "./api.ts";
import type { EngineEvent } from "./records.ts";

const DELTA_COALESCE_MS = 50;

type PendingDelta = { text: string; timer: NodeJS.Timeout; event: Omit<EngineEvent, "data" | "at"> };

export class EventHub {
  private readonly subscribers = new Map<string, Set<EventListener>>();
  private readonly listeners = new Set<EventListener>();
  /** Live stored events of one execution, without replay (waits): keyed, so a delivery calls only its own. */
  private readonly watchers = new Map<string, Set<EventListener>>();
  private readonly deltas = new Map<string, PendingDelta>();

  constructor(
    private readonly log: Logger,
    private readonly now: () => number,
  ) {}

  /** Process-wide listener of every live event. */
  onEvent(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Live stored events of one execution (no replay, no deltas); does not make its deltas wanted. */
  onExecution(executionId: string, listener: EventListener): () => void {
    let set = this.watchers.get(executionId);
    if (!set) {
      set = new Set();
      this.watchers.set(executionId, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.watchers.get(executionId) === set) this.watchers.delete(executionId);
    };
  }

  /** Stored events from `fromSeq` (via `replay`), then live ones, each once and in order; deltas only live. */
  subscribe(executionId: string, fromSeq: number, listener: EventListener, replay: () => Promise<EngineEvent[]>): () => void {
    let buffer: EngineEvent[] | null = [];
    let last = fromSeq - 1;
    let closed = false;
    const forward = (event: EngineEvent) => {
      if (closed) return;
      if (event.type === "node.delta") {
        if (!buffer) this.call(listener, event);
        return;
      }
      if (event.seq <= last) return;
      last = event.seq;
      this.call(listener, event);
    };
    const onLive: EventListener = (event) => {
      if (buffer) {
        if (event.type !== "node.delta") buffer.push(event);
      } else forward(event);
    };
    let set = this.subscribers.get(executionId);
    if (!set) {
      set = new Set();
      this.subscribers.set(executionId, set);
    }
    set.add(onLive);
    void replay()
      .then((stored) => {
        for (const e of stored) forward(e);
      })
      .catch((error: unknown) => this.log.error({ executionId, err: String(error) }, "event replay failed"))
      .finally(() => {
        const pending = buffer ?? [];
        buffer = null;
        for (const e of pending.sort((a, b) => a.seq - b.seq)) forward(e);
      });
    return () => {
      closed = true;
      set?.delete(onLive);
      if (set?.size === 0) this.subscribers.delete(executionId);
    };
  }

  /** Delivers stored events (any pending delta of the same node goes first). */
  deliver(event: EngineEvent): void {
    if (event.nodeId !== undefined && event.type !== "node.started") this.flushDelta(`${event.executionId}:${event.nodeId}`);
    this.fanOut(event);
    for (const fn of this.watchers.get(event.executionId) ?? []) this.call(fn, event);
  }

  /** Queues streamed text of a node; subscribers get it coalesced, at most every 50 ms. */
  delta(base: { executionId: string; seq: number; nodeId: string; sub?: EngineEvent["sub"] }, text: string): void {
    if (!this.wanted(base.executionId)) return;
    const key = `${base.executionId}:${base.nodeId}`;
    const pending = this.deltas.get(key);
    if (pending) {
      pending.text += text;
      return;
    }
    const timer = setTimeout(() => this.flushDelta(key), DELTA_COALESCE_MS);
    timer.unref?.();
    this.deltas.set(key, { text, timer, event: { type: "node.delta", ...base } });
  }

  /** Whether anyone listens to this execution's live events (deltas are not built otherwise). */
  wanted(executionId: string): boolean {
    return this.listeners.size > 0 || (this.subscribers.get(executionId)?.size ?? 0) > 0;
  }

  private flushDelta(key: string): void {
    const pending = this.deltas.get(key);
    if (!pending) return;
    clearTimeout(pending.timer);
    this.deltas.delete(key);
    this.fanOut({ ...pending.event, at: this.now(), data: { text: pending.text } } as EngineEvent);
  }

  private fanOut(event: EngineEvent): void {
    for (const fn of this.subscribers.get(event.executionId) ?? []) this.call(fn, event);
    for (const fn of this.listeners) this.call(fn, event);
  }

  private call(fn: EventListener, event: EngineEvent): void {
    try {
      fn(event);
    } catch (error) {
      this.log.error({ executionId: event.executionId, err: String(error), type: event.type }, "event listener failed");
    }
  }

  close(): void {
    for (const key of [...this.deltas.keys()]) this.flushDelta(key);
  }
}
