// A teacher's history as requests, not runs (pure): every run in a request's thread (revisions,
// regenerations, changes) is a version of that request. Short numbers are per teacher and stable: the
// request's place among the teacher's requests, oldest first (#1 is the first ever). They resolve
// wherever an id is accepted: "7", "#7", "7 v2", or an execution id.

import type { ExecutionRecord, ExecutionStatus } from "../engine/records.ts";

export const HISTORY_PAGE = 10;

export type HistoryEntry = {
  /** The short number, per teacher. */
  number: number;
  /** The request's first execution. */
  requestId: string;
  /** Its versions' execution ids, oldest first; the last is what the request currently shows. */
  versions: string[];
  templateId: string;
  title: string;
  topic: string;
  createdAt: number;
  status: ExecutionStatus;
};

/** The request a run belongs to: the first run of its thread (stamped in the origin), else itself. */
export function requestOf(r: Pick<ExecutionRecord, "id" | "origin">): string {
  const request = r.origin?.request;
  return typeof request === "string" && request !== "" ? request : r.id;
}

/** What a request is about, for a list: its topic, else its purpose or assignment (never a student's name). */
export function topicOf(inputs: Record<string, unknown>): string {
  for (const key of ["topic", "purpose", "assignment", "subject"]) {
    const v = inputs[key];
    if (typeof v === "string" && v.trim()) {
      const line = v.trim().split("\n")[0]!.replace(/\s+/g, " ");
      return line.length > 60 ? `${line.slice(0, 57).replace(/\s+\S*$/, "")}...` : line;
    }
  }
  return "";
}

/** One teacher's runs (any order; sub-workflows ignored) as requests, newest first, each with its short number. */
export function historyOf(records: readonly ExecutionRecord[]): HistoryEntry[] {
  const runs = records.filter((r) => !r.parent).sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
  const ids = new Set(runs.map((r) => r.id));
  const byRequest = new Map<string, ExecutionRecord[]>();
  for (const r of runs) {
    // A version whose first run is gone stands as a request of its own.
    const key = ids.has(requestOf(r)) ? requestOf(r) : r.id;
    byRequest.set(key, [...(byRequest.get(key) ?? []), r]);
  }
  const entries: HistoryEntry[] = [];
  let number = 0;
  for (const [requestId, versions] of byRequest) {
    const first = versions[0]!;
    const latest = versions.at(-1)!;
    number += 1;
    entries.push({
      number,
      requestId,
      versions: versions.map((v) => v.id),
      templateId: first.templateId,
      title: first.title,
      topic: topicOf(first.inputs),
      createdAt: first.createdAt,
      status: latest.status,
    });
  }
  return entries.reverse();
}

export type HistoryRef = { entry: HistoryEntry /** 1-based version asked for ("7 v2"); undefined: the latest. */; version?: number };

/** "7", "#7", "7 v2", "#7 v2", or an execution id of one of the teacher's runs. */
export function resolveRef(entries: readonly HistoryEntry[], ref: string): HistoryRef | undefined {
  const text = ref.trim();
  const m = /^#?(\d{1,6})(?:\s*(?:v|version\s*)(\d{1,4}))?$/i.exec(text);
  if (m) {
    const entry = entries.find((e) => e.number === Number(m[1]));
    if (!entry) return undefined;
    const version = m[2] ? Number(m[2]) : undefined;
    if (version !== undefined && (version < 1 || version > entry.versions.length)) return undefined;
    return version !== undefined ? { entry, version } : { entry };
  }
  const [id, v] = text.split(/\s+/);
  const entry = entries.find((e) => e.versions.includes(id ?? ""));
  if (!entry) return undefined;
  const at = v && /^v\d+$/i.test(v) ? Number(v.slice(1)) : entry.versions.indexOf(id!) + 1;
  return at >= 1 && at <= entry.versions.length ? { entry, version: at } : undefined;
}

/** The execution a reference opens: the asked version, else the latest. */
export function executionOf(ref: HistoryRef): string {
  return ref.entry.versions[(ref.version ?? ref.entry.versions.length) - 1]!;
}

const STATUS: Record<ExecutionStatus, string> = {
  pending: "⏳ queued",
  running: "⏳ running",
  waiting: "❓ waiting for an answer",
  completed: "✅ done",
  failed: "⚠️ failed",
  cancelled: "⛔ cancelled",
};

/** One line per request: `#7 · Lesson plan: Photosynthesis · 5 Dec 2026 · ✅ done · 2 versions`. */
export function historyLine(e: HistoryEntry): string {
  const date = new Date(e.createdAt).toLocaleDateString("en-GB", { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
  const versions = e.versions.length > 1 ? ` · ${e.versions.length} versions` : "";
  return `#${e.number} · ${e.title}${e.topic ? `: ${e.topic}` : ""} · ${date} · ${STATUS[e.status]}${versions}`;
}

/** A page of the history (0-based) and whether more follow. */
export function historyPage(entries: readonly HistoryEntry[], page: number, size = HISTORY_PAGE): { items: HistoryEntry[]; more: boolean } {
  const start = Math.max(0, page) * size;
  return { items: entries.slice(start, start + size), more: entries.length > start + size };
}

/** Each run's short number and version, per teacher, for lists that mix teachers (the CLI, the API). */
export function numbersOf(records: readonly ExecutionRecord[]): Map<string, { number: number; version: number; topic: string }> {
  const byUser = new Map<string, ExecutionRecord[]>();
  for (const r of records) byUser.set(r.userId, [...(byUser.get(r.userId) ?? []), r]);
  const out = new Map<string, { number: number; version: number; topic: string }>();
  for (const runs of byUser.values()) {
    for (const e of historyOf(runs)) {
      for (const [i, id] of e.versions.entries()) out.set(id, { number: e.number, version: i + 1, topic: e.topic });
    }
  }
  return out;
}

/** Whether a reference is a short number ("7", "#7", "7 v2") rather than an id. */
export function isShortRef(ref: string): boolean {
  return /^#?\d{1,6}(?:\s*v\d{1,4})?$/i.test(ref.trim());
}
