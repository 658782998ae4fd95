// The audit log of exports, deletions and forgets: who, when, what kind and how many records. Never content.
import type Keyv from "keyv";
import { Mutex } from "../util/mutex.ts";

export type AuditAction = "export" | "delete" | "forget";
export type AuditEntry = {
  at: number;
  action: AuditAction;
  /** Who asked: the teacher themself (forget) or the admin at the CLI. */
  actor: string;
  /** Whose data. */
  teacher: string;
  counts: Record<string, number>;
};

const KEY = "log";
/** Oldest entries drop off beyond this many. */
const LIMIT = 10_000;

export class AuditLog {
  private readonly lock = new Mutex();

  constructor(private readonly keyv: Keyv) {}

  async record(entry: Omit<AuditEntry, "at"> & { at?: number }): Promise<void> {
    const clean: AuditEntry = { ...entry, at: entry.at ?? Date.now(), counts: { ...entry.counts } };
    await this.lock.run(async () => {
      const list = (await this.keyv.get<AuditEntry[]>(KEY)) ?? [];
      list.push(clean);
      // Kept beyond the retention period (0 = no expiry): it holds ids and counts only.
      await this.keyv.set(KEY, list.slice(-LIMIT), 0);
    });
  }

  async list(filter: { teacher?: string } = {}): Promise<AuditEntry[]> {
    const list = (await this.keyv.get<AuditEntry[]>(KEY)) ?? [];
    return filter.teacher ? list.filter((e) => e.teacher === filter.teacher) : list;
  }
}
