// This process's owner lease in the store: taken before its first dispatch, renewed by a heartbeat,
// released on close. It owns no execution: it tells reconcilers on other processes whether the jobs
// this process dispatched to its in-process queue can still exist (a live process's never are re-added).
// Who this process is (`localOwner`) and when another's lease is dead (`alive`, which the local store's
// `liveOwners()` applies) are decided here, from the same PID namespace and boot identity.
import { randomBytes } from "node:crypto";
import { readFileSync, readlinkSync } from "node:fs";
import { hostname } from "node:os";
import type { Logger } from "../log.ts";
import type { ExecutionStore, OwnerInfo, OwnerLease } from "./store/types.ts";

export const OWNER_LEASE_MS = 30_000;

const newToken = () => randomBytes(9).toString("base64url");

function readOr(read: () => string): string | undefined {
  try {
    return read().trim();
  } catch {
    return undefined;
  }
}

/** This process's PID namespace and boot: a PID identifies a process only within both. */
const PIDNS = readOr(() => readlinkSync("/proc/self/ns/pid"));
const BOOT = readOr(() => readFileSync("/proc/sys/kernel/random/boot_id", "utf8"));

/**
 * An owner lease counts as live until it expires. The one shortcut: a process in this very PID
 * namespace on this boot whose PID no longer exists is dead at once (a killed server's work resumes
 * without waiting out its lease). Host names prove nothing (two containers may share one), so the
 * shortcut needs the namespace's identity (its nsfs inode, unique while the namespace lives) and the
 * boot id to match; otherwise only the lease counts. A reused PID only makes a dead owner look alive
 * until its lease expires: never the reverse.
 */
export function alive(lease: OwnerLease, now: number): boolean {
  if (lease.expiresAt < now) return false;
  if (lease.pid === undefined || lease.pid === process.pid) return true;
  if (PIDNS === undefined || BOOT === undefined || lease.pidns !== PIDNS || lease.boot !== BOOT) return true;
  try {
    process.kill(lease.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

export function localOwner(): OwnerInfo {
  return {
    owner: newToken(),
    pid: process.pid,
    host: hostname(),
    ...(PIDNS !== undefined ? { pidns: PIDNS } : {}),
    ...(BOOT !== undefined ? { boot: BOOT } : {}),
    startedAt: Date.now(),
  };
}

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
