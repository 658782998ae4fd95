// The audit log: every forget (teacher and student, dry runs flagged), export, admin dashboard sign-in and
// API-key use: who, when, what and which ids, never content. One record per entry in the store's "audit"
// namespace (SQLite, PostgreSQL or memory, through the same Keyv abstraction as every other layer), kept
// in the clear (no field or key names a teacher's record, so sealing leaves it alone and forget cannot make it
// unreadable) for its own retention (STAFFROOM_AUDIT_RETENTION_DAYS).
import { randomBytes } from "node:crypto";
import type Keyv from "keyv";

export const AUDIT_ACTIONS = ["forget", "delete", "forget-student", "export", "signin", "signin-failed", "api"] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export type AuditEntry = {
  at: number;
  action: AuditAction;
  /**
   * Who: the teacher themself (a chat user id), `cli:<os user>` at the CLI, `api:<key id>` / `admin:<key id>` /
   * `user:<key id>` for an API key, `dashboard:<key id>` once signed in, or the client address of a refused sign-in.
   */
  actor: string;
  /** Whose data (a teacher's user id), when the action concerns one teacher. */
  teacher?: string;
  /** Ids the action touched: execution ids, a student export's or forget's executions. Never names or text. */
  targets?: string[];
  /** For API use: the method and route template ("GET /api/workflows/executions/{id}"). */
  route?: string;
  /** A forget by student that only listed what would go. */
  dryRun?: boolean;
  /** How many records of each kind went (forget) or were written (export); empty for the other actions. */
  counts: Record<string, number>;
};

/** What a caller gives: the time defaults to now, counts to none. */
export type AuditInput = Omit<AuditEntry, "at" | "counts"> & { at?: number; counts?: Record<string, number> };

export type AuditFilter = { teacher?: string; since?: number; action?: AuditAction; limit?: number };

const DAY_MS = 86_400_000;
/** API use is recorded once per key, route, target and minute (see recordApiUse). */
const API_BUCKET_MS = 60_000;

/** Does the entry pass the filter (pure)? `teacher` matches whose data it was, or who acted. */
export function auditMatches(entry: AuditEntry, filter: AuditFilter): boolean {
  if (filter.since !== undefined && entry.at < filter.since) return false;
  if (filter.action && entry.action !== filter.action) return false;
  if (filter.teacher && entry.teacher !== filter.teacher && entry.actor !== filter.teacher) return false;
  return true;
}

export class AuditLog {
  /** API-use buckets this process already wrote this minute. */
  private readonly written = new Set<string>();
  private minute = 0;
  private seq = 0;
  private readonly ttlMs: number | undefined;

  constructor(
    private readonly keyv: Keyv,
    options: { retentionDays?: number; now?: () => number } = {},
  ) {
    // 0: kept until deleted.
    this.ttlMs = options.retentionDays ? options.retentionDays * DAY_MS : 0;
    this.now = options.now ?? Date.now;
  }

  private readonly now: () => number;

  /** Writes one entry, under a key that sorts by time. */
  async record(entry: AuditInput): Promise<void> {
    const at = entry.at ?? this.now();
    // The sequence orders this process's entries of one millisecond; the random part keeps replicas apart.
    this.seq = (this.seq + 1) % 1e9;
    const key = `${String(at).padStart(15, "0")}-${String(this.seq).padStart(9, "0")}-${randomBytes(6).toString("hex")}`;
    await this.write(key, { ...clean(entry), at });
  }

  /**
   * One API request. Recorded once per key, route, target and minute: the first request in that minute is
   * written under a key derived from those, so repeats (this process skips them, other replicas overwrite the
   * same record) never flood the log, while every execution a key touched still appears.
   */
  async recordApiUse(use: { actor: string; route: string; target?: string; teacher?: string }): Promise<void> {
    const at = this.now();
    const minute = Math.floor(at / API_BUCKET_MS);
    if (minute !== this.minute) {
      this.written.clear();
      this.minute = minute;
    }
    const bucket = `${use.actor} ${use.route} ${use.target ?? ""}`;
    if (this.written.has(bucket)) return;
    this.written.add(bucket);
    const suffix = Buffer.from(bucket).toString("base64url").slice(0, 300);
    await this.write(`${String(minute * API_BUCKET_MS).padStart(15, "0")}-api-${suffix}`, {
      at,
      action: "api",
      actor: use.actor,
      route: use.route,
      ...(use.teacher ? { teacher: use.teacher } : {}),
      ...(use.target ? { targets: [use.target] } : {}),
      counts: {},
    });
  }

  private async write(key: string, entry: AuditEntry): Promise<void> {
    await this.keyv.set(key, entry, this.ttlMs);
  }

  /** Entries passing the filter, newest first (at most `limit`, default 1000). */
  async list(filter: AuditFilter = {}): Promise<AuditEntry[]> {
    const out: { key: string; entry: AuditEntry }[] = [];
    const iterate = this.keyv.iterator as ((ns?: string) => AsyncGenerator<[string, unknown]>) | undefined;
    if (!iterate) throw new Error("the store's audit namespace cannot be listed");
    for await (const [key, value] of iterate.call(this.keyv)) {
      const entry = value as AuditEntry | undefined;
      if (entry && typeof entry.at === "number" && auditMatches(entry, filter)) out.push({ key, entry });
    }
    // Newest first; entries of one millisecond by their key (time, then this process's sequence).
    out.sort((a, b) => b.entry.at - a.entry.at || (a.key < b.key ? 1 : a.key > b.key ? -1 : 0));
    return out.slice(0, filter.limit ?? 1000).map((o) => o.entry);
  }
}

/** Only the fields an entry may hold (a caller's extra properties never reach the log). */
function clean(entry: AuditInput): Omit<AuditEntry, "at"> {
  return {
    action: entry.action,
    actor: entry.actor,
    ...(entry.teacher !== undefined ? { teacher: entry.teacher } : {}),
    ...(entry.targets?.length ? { targets: [...entry.targets] } : {}),
    ...(entry.route ? { route: entry.route } : {}),
    ...(entry.dryRun ? { dryRun: true } : {}),
    counts: { ...entry.counts },
  };
}

/** What an entry says happened, in one line for the CLI table and the dashboard (pure; ids and counts only). */
export function auditSummary(entry: AuditEntry): string {
  const parts: string[] = [];
  if (entry.route) parts.push(entry.route);
  const counts = Object.entries(entry.counts)
    .filter(([, n]) => n > 0)
    .map(([name, n]) => `${n} ${name}`);
  if (counts.length > 0) parts.push(counts.join(", "));
  else if (["forget", "delete", "forget-student", "export"].includes(entry.action) && !entry.dryRun) parts.push("nothing");
  if (entry.targets?.length) {
    const shown = entry.targets.slice(0, 5).join(", ");
    parts.push(`${entry.route ? "" : "ids: "}${shown}${entry.targets.length > 5 ? ` and ${entry.targets.length - 5} more` : ""}`);
  }
  if (entry.dryRun) parts.push("dry run: nothing deleted");
  return parts.join("; ");
}

/**
 * A `--since` / `since=` value as epoch ms: a duration back from now ("30m", "24h", "7d") or a date or time
 * ("2026-12-01", "2026-12-01T08:00Z"); undefined when it is neither (pure).
 */
export function parseSince(text: string, now: number): number | undefined {
  const t = text.trim();
  const rel = /^(\d{1,6})\s*([mhd])$/i.exec(t);
  if (rel) return now - Number(rel[1]) * { m: 60_000, h: 3_600_000, d: DAY_MS }[rel[2]!.toLowerCase() as "m" | "h" | "d"];
  if (!/^\d{4}-\d{2}-\d{2}/.test(t)) return undefined;
  const at = Date.parse(t);
  return Number.isNaN(at) ? undefined : at;
}
