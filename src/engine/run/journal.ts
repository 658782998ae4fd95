// Batched durable writes of one execution: transitions queued in the same tick go out as one
// conditional write (when their node fences allow), strictly in order, so the event log has no gaps
// even after a crash. Events are delivered only after the write that holds them succeeded.
import type { EngineEvent } from "../records.ts";
import type { CommitResult, ExecutionStore, Transition } from "../store/types.ts";

export type Step = Omit<Transition, "executionId" | "token">;

type Queued = { step: Step; resolve: () => void; reject: (e: unknown) => void };

/** Thrown when a write was refused: the run is no longer this process's to write. */
export class FencedOutError extends Error {
  readonly code = "lease_lost";
  constructor(readonly reason: Exclude<CommitResult, { ok: true }>["reason"]) {
    super(`This execution is no longer owned by this process (${reason}).`);
  }
}

export class Journal {
  private queue: Queued[] = [];
  private flushing: Promise<void> | undefined;
  private failed: unknown;

  constructor(
    private readonly store: ExecutionStore,
    private readonly executionId: string,
    private readonly token: () => string,
    /** Delivers events once stored. */
    private readonly deliver: (events: EngineEvent[]) => void,
    private readonly onFenced: (error: FencedOutError) => void,
  ) {}

  /** Queues a step behind earlier ones; resolves once it is stored (and its events delivered). */
  write(step: Step): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    const done = new Promise<void>((resolve, reject) => this.queue.push({ step, resolve, reject }));
    this.flushing ??= this.flush();
    return done;
  }

  /** Resolves when everything queued so far is written (or refused). */
  async settled(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private async flush(): Promise<void> {
    // Let the current tick queue its writes so they share one statement.
    await Promise.resolve();
    while (this.queue.length > 0) {
      const batch = this.takeBatch();
      const merged = merge(batch.map((b) => b.step));
      try {
        const result = await this.store.commit({ executionId: this.executionId, token: this.token(), ...merged });
        if (!result.ok) throw new FencedOutError(result.reason);
        if (merged.events?.length) this.deliver(merged.events);
        for (const b of batch) b.resolve();
      } catch (error) {
        // Nothing after a refused or failed write may go out: later seqs would leave a gap.
        this.failed = error;
        for (const b of [...batch, ...this.queue.splice(0)]) b.reject(error);
        if (error instanceof FencedOutError) this.onFenced(error);
      }
    }
    this.flushing = undefined;
  }

  /** The longest prefix of the queue that fences on at most one node. */
  private takeBatch(): Queued[] {
    let fence: string | undefined;
    let n = 0;
    for (const q of this.queue) {
      const node = q.step.node?.nodeId;
      if (node !== undefined) {
        if (fence !== undefined && fence !== node) break;
        fence = node;
      }
      n++;
    }
    return this.queue.splice(0, Math.max(1, n));
  }
}

function merge(steps: Step[]): Step {
  if (steps.length === 1) return steps[0] as Step;
  const out: Step = {};
  const nodes = new Map<string, NonNullable<Step["nodes"]>[number]>();
  for (const s of steps) {
    if (s.node) out.node = s.node;
    if (s.header) out.header = s.header;
    for (const n of s.nodes ?? []) nodes.set(n.nodeId, n);
    if (s.attempts?.length) out.attempts = [...(out.attempts ?? []), ...s.attempts];
    if (s.events?.length) out.events = [...(out.events ?? []), ...s.events];
  }
  if (nodes.size > 0) out.nodes = [...nodes.values()];
  return out;
}
