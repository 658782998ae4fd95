// The retention sweep of every store driver, on one schedule: once at open, then every `everyMs`; each run
// is recorded (when, how many executions went) in the store's "retention" namespace, so the admin dashboard
// can say when it last ran, whichever replica ran it.
import type Keyv from "keyv";
import type { ExecutionStore } from "../engine/store/types.ts";

/** Every 6 hours: expired records are also dropped lazily on read; the sweep reclaims ones nobody reads again. */
export const SWEEP_EVERY_MS = 6 * 3_600_000;

export type SweepRecord = { at: number; removed: number };

export class Retention {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  constructor(
    private readonly executions: Pick<ExecutionStore, "sweepExpired">,
    private readonly kv: Keyv,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {}

  /** Sweeps now (one run at a time in this process) and records the run. */
  sweep(): Promise<number> {
    this.running ??= (async () => {
      try {
        const removed = await this.executions.sweepExpired();
        await this.kv.set("last", { at: Date.now(), removed } satisfies SweepRecord, 0);
        return removed;
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  /** Runs the sweep every `everyMs` (the timer never keeps the process alive). */
  schedule(everyMs = SWEEP_EVERY_MS): void {
    this.stop();
    if (everyMs <= 0) return;
    this.timer = setInterval(() => void this.sweep().catch(this.onError), everyMs);
    this.timer.unref();
  }

  async last(): Promise<number | undefined> {
    return ((await this.kv.get<SweepRecord>("last")) ?? undefined)?.at;
  }

  /** Stops the schedule and waits for a run in progress. */
  async close(): Promise<void> {
    this.stop();
    await this.running?.catch(() => undefined);
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
