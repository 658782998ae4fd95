// This process's owner lease in the store: taken before its first dispatch, renewed by a heartbeat,
// released on close. It owns no execution: it tells reconcilers on other processes whether the jobs
// this process dispatched to its in-process queue can still exist (a live process's never are re-added).
import type { Logger } from "../log.ts";
import { localOwner } from "./store/local.ts";
import type { ExecutionStore, OwnerInfo } from "./store/types.ts";

export const OWNER_LEASE_MS = 30_000;

export class Ownership {
  readonly info: OwnerInfo = localOwner();
  started: Promise<string> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: ExecutionStore,
    private readonly log: Logger,
    private readonly leaseMs = OWNER_LEASE_MS,
  ) {}

  /** The owner id, once its lease is stored (read-only use of the engine never takes one). */
  owner(): Promise<string> {
    this.started ??= this.store.heartbeat(this.info, this.leaseMs).then(() => {
      this.timer = setInterval(() => void this.beat(), Math.max(200, Math.floor(this.leaseMs / 3)));
      this.timer.unref();
      return this.info.owner;
    });
    return this.started;
  }

  private async beat(): Promise<void> {
    try {
      const kept = await this.store.heartbeat(this.info, this.leaseMs);
      // Other processes may have re-dispatched our work; our stale attempts are fenced by their tokens.
      if (!kept) this.log.warn({ owner: this.info.owner }, "owner lease had expired; other processes may have taken up its jobs");
    } catch (error) {
      this.log.error({ err: String(error) }, "owner heartbeat failed");
    }
  }

  async release(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.started) await this.store.releaseOwner(this.info.owner).catch(() => undefined);
  }
}
