// Graph facts of a workflow definition shared by validation and the scheduler: edges, predecessors,
// auxiliary (fallback/onFailure) nodes, the start node, topological order and dominators.
import type { ExecutionRecord } from "./records.ts";
import type { WorkflowDefinition, WorkflowNode } from "./schema.ts";

/** Edge targets of a node: `next`, plus branch targets and `otherwise` for conditions. */
export function successors(node: WorkflowNode): string[] {
  if (node.kind === "condition") {
    const targets = node.branches.map((b) => b.to);
    if (node.otherwise) targets.push(node.otherwise);
    return [...new Set([...node.next, ...targets])];
  }
  return [...new Set(node.next)];
}

export type Graph = {
  byId: Map<string, WorkflowNode>;
  preds: Map<string, string[]>;
  succs: Map<string, string[]>;
  /** Nodes only run as an onError fallback or the workflow's onFailure. */
  auxiliary: Set<string>;
  /** Main-graph nodes without predecessors (valid workflows have exactly one). */
  starts: string[];
  /** Main-graph nodes in topological order (undefined when there is a cycle). */
  order: string[] | undefined;
};

export function buildGraph(def: Pick<WorkflowDefinition, "nodes" | "onFailure">): Graph {
  const byId = new Map<string, WorkflowNode>();
  for (const node of def.nodes) if (!byId.has(node.id)) byId.set(node.id, node);
  const preds = new Map<string, string[]>();
  const succs = new Map<string, string[]>();
  for (const id of byId.keys()) preds.set(id, []);
  for (const node of byId.values()) {
    const targets = successors(node).filter((t) => byId.has(t));
    succs.set(node.id, targets);
    for (const t of targets) preds.get(t)?.push(node.id);
  }
  const auxiliary = new Set<string>();
  for (const node of byId.values()) if (node.onError && byId.has(node.onError)) auxiliary.add(node.onError);
  if (def.onFailure && byId.has(def.onFailure)) auxiliary.add(def.onFailure);
  const starts = [...byId.keys()].filter((id) => !auxiliary.has(id) && (preds.get(id) ?? []).length === 0);
  return { byId, preds, succs, auxiliary, starts, order: topoOrder(byId, preds, succs, auxiliary) };
}

/** What an execution's header lists about its workflow's nodes, so readers show progress without the definition. */
export function nodePlan(
  def: Pick<WorkflowDefinition, "nodes" | "onFailure">,
  graph: Graph = buildGraph(def),
): Pick<ExecutionRecord, "nodeIds" | "plan"> {
  return {
    nodeIds: def.nodes.map((n) => n.id),
    plan: def.nodes.map((n) => ({ id: n.id, title: n.title ?? n.id, kind: n.kind, auxiliary: graph.auxiliary.has(n.id) })),
  };
}

function topoOrder(
  byId: Map<string, WorkflowNode>,
  preds: Map<string, string[]>,
  succs: Map<string, string[]>,
  auxiliary: Set<string>,
): string[] | undefined {
  const main = [...byId.keys()].filter((id) => !auxiliary.has(id));
  const indegree = new Map(main.map((id) => [id, (preds.get(id) ?? []).filter((p) => !auxiliary.has(p)).length]));
  const queue = main.filter((id) => indegree.get(id) === 0);
  const order: string[] = [];
  while (queue.length > 0) {
    const id = queue.shift() as string;
    order.push(id);
    for (const t of succs.get(id) ?? []) {
      if (!indegree.has(t)) continue;
      const d = (indegree.get(t) ?? 0) - 1;
      indegree.set(t, d);
      if (d === 0) queue.push(t);
    }
  }
  return order.length === main.length ? order : undefined;
}

/**
 * For each node, the nodes certain to have completed whenever it runs. A node runs once all its
 * predecessors finished and at least one completed, so it inherits (a) what every predecessor
 * path guarantees and (b) everything behind predecessors that can never be skipped.
 */
export function mustRunBefore(graph: Graph): Map<string, Set<string>> {
  const must = new Map<string, Set<string>>();
  const sure = new Set<string>();
  for (const id of graph.order ?? []) {
    const preds = (graph.preds.get(id) ?? []).filter((p) => must.has(p));
    if (preds.length === 0) {
      must.set(id, new Set());
      sure.add(id);
      continue;
    }
    const withSelf = (p: string) => new Set([...(must.get(p) ?? []), p]);
    let acc = withSelf(preds[0] as string);
    for (const p of preds.slice(1)) {
      const next = withSelf(p);
      acc = new Set([...acc].filter((x) => next.has(x)));
    }
    for (const p of preds) if (sure.has(p)) for (const x of withSelf(p)) acc.add(x);
    must.set(id, acc);
    // An edge from a condition may be inactive; any other edge from a never-skipped node is always active.
    if (preds.some((p) => sure.has(p) && graph.byId.get(p)?.kind !== "condition")) sure.add(id);
  }
  return must;
}

/** Main-graph nodes reachable from a node along edges (the node included). */
export function reachableFrom(graph: Graph, from: string): Set<string> {
  const seen = new Set<string>();
  const stack = [from];
  while (stack.length > 0) {
    const id = stack.pop() as string;
    if (seen.has(id)) continue;
    seen.add(id);
    for (const t of graph.succs.get(id) ?? []) stack.push(t);
  }
  return seen;
}
