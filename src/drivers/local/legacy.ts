// Reading executions stored by releases before the commit-row log (up to main at 067ee6e): per
// execution a version row `v:<id>` = {v: version, s: last seq}, one row per node state
// `n:<id>:<node>`, and events under `e:<id>:<first seq>` (an array, seqs implied by position; the
// first v3 layouts stored one event object per seq). Pure: the local store reads the rows and writes
// what this returns as commit rows, in one transaction per execution (./execution-store.ts `upgradeLegacy`).
import type { EngineEvent, NodeState } from "../../engine/records.ts";
import type { Row } from "./table.ts";

export type LegacyVersion = { v: number; s: number };

/** What one execution's legacy rows say: its version and seq, its node states, its readable events. */
export type LegacyLog = {
  version: number;
  seq: number;
  nodes: NodeState[];
  /** Events from the first stored one up to the first gap (readers stop there anyway). */
  events: EngineEvent[];
};

export function isLegacyVersion(value: unknown): value is LegacyVersion {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as LegacyVersion).v === "number" &&
    typeof (value as LegacyVersion).s === "number"
  );
}

/** The log of one execution from its legacy rows (`eventRows`: `e:<id>:<seq>` rows; `nodeRows`: `n:<id>:<node>` rows). */
export function legacyLog(executionId: string, version: LegacyVersion, nodeRows: Row[], eventRows: Row[]): LegacyLog {
  const events: EngineEvent[] = [];
  for (const [key, value] of eventRows) {
    const first = Number(key.slice(key.lastIndexOf(":") + 1));
    const batch = Array.isArray(value) ? value : [value];
    for (const [i, e] of batch.entries()) events.push({ ...(e as object), executionId, seq: first + i } as EngineEvent);
  }
  events.sort((a, b) => a.seq - b.seq);
  let end = 0;
  while (end < events.length && (end === 0 || (events[end] as EngineEvent).seq === (events[end - 1] as EngineEvent).seq + 1)) end++;
  const nodes = nodeRows.map(([, value]) => value as NodeState);
  return { version: version.v, seq: version.s, nodes, events: events.slice(0, end).filter((e) => e.seq <= version.s) };
}
