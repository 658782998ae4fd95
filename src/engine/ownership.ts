// This process's owner lease in the store: taken on the first write, renewed by a heartbeat,
// released on close. Executions of an owner whose lease expired (a crashed process) may be claimed
// by another; a live owner's never are, so two servers on one store cooperate.
import type { Logger } from "../log.ts";
import { localOwner } from "./store/local.ts";
import type { ExecutionStore, OwnerInfo } from "./store/types.ts";

export const OWNER_LEASE_MS = 30_000;

export class Ownership {
  readonly info: OwnerInfo = localOwner();
  private started: Promise<string> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: ExecutionStore,
    private readonly log: Logger,
    private readonly leaseMs = OWNER_LEASE_MS,
  ) {}

  /** The owner id, once its lease is stored (read-only use of the engine never takes one). */
  owner(): Promise<string> {
    this.started ??= this.store.heartbeat(this.info, this.leaseMs).then(() => {
      this.timer = setInterval(() => void this.beat(), Math.max(1_000, Math.floor(this.leaseMs / 3)));
      this.timer.unref();
      return this.info.owner;
    });
    return this.started;
  }

  private async beat(): Promise<void> {
    try {
      const kept = await this.store.heartbeat(this.info, this.leaseMs);
      // Our writes are fenced anyway; say so for whoever reads the logs.
      if (!kept) this.log.warn({ owner: this.info.owner }, "owner lease had expired; executions may have moved to another process");
    } catch (error) {
      this.log.error({ err: String(error) }, "owner heartbeat failed");
    }
  }

  async release(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.started) await this.store.releaseOwner(this.info.owner).catch(() => undefined);
  }
}
