// What is ready, what to do next: pure functions of a definition's graph and its node states.
import type { Graph } from "../graph.ts";
import type { NodeState } from "../records.ts";

export type Readiness = "run" | "skip" | "wait";

/** Whether a pending node can run, must be skipped (no active predecessor), or waits for its predecessors. */
export function readiness(graph: Graph, nodes: ReadonlyMap<string, NodeState>, id: string): Readiness {
  const preds = graph.preds.get(id) ?? [];
  if (preds.length === 0) return "run";
  let active = false;
  for (const p of preds) {
    const st = nodes.get(p);
    if (!st || (st.status !== "completed" && st.status !== "skipped")) return "wait";
    if (st.status === "completed") {
      const pred = graph.byId.get(p);
      if (pred?.kind !== "condition" || st.chose === id) active = true;
    }
  }
  return active ? "run" : "skip";
}

export type Plan = {
  /** Nodes to mark skipped now, in order (a skip can make later nodes skippable: already included). */
  skip: string[];
  /** Nodes to start now, within the execution's parallelism. */
  launch: string[];
  /** Every main-graph node is completed or skipped. */
  done: boolean;
};

/**
 * The next moves of an execution: skips propagate through the graph at once, ready nodes start up
 * to `maxParallel` in flight. `inFlight` counts nodes already running.
 */
export function plan(graph: Graph, nodes: ReadonlyMap<string, NodeState>, inFlight: ReadonlySet<string>, maxParallel: number): Plan {
  const order = graph.order ?? [];
  // Copied only once a skip changes it (most decisions skip nothing).
  let view: ReadonlyMap<string, NodeState> = nodes;
  const skip: string[] = [];
  const launch: string[] = [];
  let progressed = true;
  while (progressed) {
    progressed = false;
    for (const id of order) {
      const st = view.get(id);
      if (st?.status !== "pending" || inFlight.has(id) || launch.includes(id)) continue;
      const r = readiness(graph, view, id);
      if (r === "skip") {
        skip.push(id);
        const copy = view === nodes ? new Map(nodes) : (view as Map<string, NodeState>);
        copy.set(id, { ...st, status: "skipped" });
        view = copy;
        progressed = true;
      } else if (r === "run" && inFlight.size + launch.length < maxParallel) launch.push(id);
    }
  }
  const done =
    inFlight.size === 0 &&
    launch.length === 0 &&
    order.every((id) => {
      const s = view.get(id)?.status;
      return s === "completed" || s === "skipped";
    });
  return { skip, launch, done };
}
