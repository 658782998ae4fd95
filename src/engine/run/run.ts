// The in-memory state of one execution this process owns (holds the lease of): its header, node
// states, event seq, lease token and what is in flight. The store stays the source of truth.
import type { Logger } from "../../log.ts";
import type { Graph } from "../graph.ts";
import type { ExecutionRecord, NodeState } from "../records.ts";
import type { WorkflowDefinition } from "../schema.ts";
import type { ExecutionLease } from "../store/types.ts";
import type { Journal } from "./journal.ts";

type Deferred = { promise: Promise<void>; resolve: () => void };
export function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

export type Run = {
  rec: ExecutionRecord;
  def: WorkflowDefinition;
  graph: Graph;
  nodes: Map<string, NodeState>;
  /** Last seq handed out (persisted or queued). */
  seq: number;
  lease: ExecutionLease;
  journal: Journal;
  /** Fires on cancel, failure, lost lease and shutdown: in-flight attempts stop. */
  abort: AbortController;
  /** The onFailure handler's own signal (the run's has already fired when it runs). */
  failureAbort?: AbortController;
  /** Nodes with an attempt job queued or running. */
  inFlight: Set<string>;
  /** Delayed attempt jobs (retry backoff), removed when the run ends. */
  delayed: Set<string>;
  /** Deadline job ids by human node. */
  deadlines: Map<string, string>;
  done: Deferred;
  waitingWaiters: (() => void)[];
  parent?: { run: Run; nodeId: string };
  /** Set once the run is cancelling or failing: in-flight attempts stop quietly. */
  finishing: boolean;
  /** Set once finish() has begun: it runs exactly once. */
  ended: boolean;
  /** Set when another process took the lease: this process stops touching the run. */
  lost: boolean;
  /** Completed outputs by node id, kept up to date (conditions and scopes read it). */
  outputs: Record<string, unknown>;
  log: Logger;
};

export const TERMINAL: ReadonlySet<string> = new Set(["completed", "failed", "cancelled"]);
