// validateWorkflow(): every problem of a workflow definition at once, each with its path, so an admin
// fixes a file in one pass. Structural rules run on whatever part of the definition parsed.
import type { z } from "zod";
import { templateVariables } from "./context.ts";
import { buildGraph, mustRunBefore, reachableFrom } from "./graph.ts";
import { WorkflowDefinition, WorkflowNode } from "./schema.ts";

export type Problem = { path: string; message: string };

/** What names exist, so references to transforms, schemas and sub-workflows can be checked. */
export type Registries = {
  transforms?: { has(name: string): boolean };
  schemas?: { has(name: string): boolean };
  /** Whether a sub-workflow id at a pinned version is registered. */
  workflowExists?: (id: string, version: number) => boolean;
};

export function formatPath(path: PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out || "(workflow)";
}

export function zodProblems(error: z.ZodError): Problem[] {
  return error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message }));
}

export function validateWorkflow(input: unknown, registries: Registries = {}): Problem[] {
  const parsed = WorkflowDefinition.safeParse(input);
  if (parsed.success) return validateParsed(parsed.data, registries);
  // Schema problems, plus the graph and reference problems of whatever did parse: one pass finds everything.
  const problems = zodProblems(parsed.error);
  for (const p of salvagedProblems(input, registries)) {
    if (!problems.some((q) => q.path === p.path && q.message === p.message)) problems.push(p);
  }
  return problems;
}

/**
 * Structural problems of a definition that failed its schema: top-level fields that did not parse get
 * stand-ins and nodes that did not parse are left out. Problems those gaps alone would cause (edges to a left-out
 * node, start and reachability counts) are dropped, since the schema problems already point at the cause.
 */
function salvagedProblems(input: unknown, registries: Registries): Problem[] {
  if (typeof input !== "object" || input === null || !Array.isArray((input as { nodes?: unknown }).nodes)) return [];
  const raw = input as Record<string, unknown> & { nodes: unknown[] };
  const kept: WorkflowNode[] = [];
  const original: number[] = [];
  const leftOut = new Set<string>();
  raw.nodes.forEach((value, i) => {
    const node = WorkflowNode.safeParse(value);
    if (node.success) {
      kept.push(node.data);
      original.push(i);
    } else {
      const id = (value as { id?: unknown } | null)?.id;
      if (typeof id === "string") leftOut.add(id);
    }
  });
  if (kept.length === 0) return [];
  const shape = WorkflowDefinition.shape;
  const field = (name: keyof typeof shape, standIn: unknown) => (shape[name].safeParse(raw[name]).success ? raw[name] : standIn);
  const candidate = WorkflowDefinition.safeParse({
    id: field("id", "invalid-id"),
    version: field("version", 1),
    title: field("title", "Untitled"),
    inputs: field("inputs", []),
    nodes: kept,
    onFailure: field("onFailure", undefined),
    maxParallel: field("maxParallel", undefined),
    retry: field("retry", undefined),
  });
  if (!candidate.success) return [];
  const renumber = (text: string) => text.replace(/nodes\[(\d+)\]/g, (_, k: string) => `nodes[${original[Number(k)] ?? k}]`);
  const gapsOnly = (p: Problem) =>
    raw.nodes.length > kept.length &&
    (p.path === "nodes" ||
      /cannot be reached from the start node|does not always run before/.test(p.message) ||
      [...leftOut].some((id) => p.message.includes(`"${id}"`) && /is not a node of this workflow/.test(p.message)));
  return validateParsed(candidate.data, registries)
    .filter((p) => !gapsOnly(p))
    .map((p) => ({ path: renumber(p.path), message: renumber(p.message) }));
}

export function validateParsed(def: WorkflowDefinition, registries: Registries = {}): Problem[] {
  const problems: Problem[] = [];
  const add = (path: string, message: string) => problems.push({ path, message });
  const index = new Map<string, number>();

  def.nodes.forEach((node, i) => {
    if (index.has(node.id)) add(`nodes[${i}].id`, `id "${node.id}" is already used by nodes[${index.get(node.id)}]`);
    else index.set(node.id, i);
  });
  const exists = (id: string) => index.has(id);
  const graph = buildGraph(def);

  def.nodes.forEach((node, i) => {
    const at = `nodes[${i}]`;
    node.next.forEach((t, j) => {
      if (!exists(t)) add(`${at}.next[${j}]`, `points to "${t}", which is not a node of this workflow`);
      if (t === node.id) add(`${at}.next[${j}]`, "a node cannot lead to itself");
    });
    if (node.kind === "condition") {
      if (node.next.length > 0) add(`${at}.next`, "a condition chooses its successors with branches and otherwise; leave next empty");
      node.branches.forEach((b, j) => {
        if (!exists(b.to)) add(`${at}.branches[${j}].to`, `points to "${b.to}", which is not a node of this workflow`);
      });
      if (node.otherwise && !exists(node.otherwise))
        add(`${at}.otherwise`, `points to "${node.otherwise}", which is not a node of this workflow`);
    }
    if (node.onError !== undefined) {
      if (!exists(node.onError)) add(`${at}.onError`, `fallback "${node.onError}" is not a node of this workflow`);
      else if (node.onError === node.id) add(`${at}.onError`, "a node cannot be its own fallback");
    }
  });
  if (def.onFailure !== undefined && !exists(def.onFailure)) add("onFailure", `"${def.onFailure}" is not a node of this workflow`);

  // Fallback and onFailure nodes run only in that role: nothing leads into them, and they lead nowhere.
  for (const id of graph.auxiliary) {
    const i = index.get(id) ?? -1;
    const node = graph.byId.get(id);
    if (!node) continue;
    if ((graph.preds.get(id) ?? []).length > 0) add(`nodes[${i}]`, `"${id}" is a fallback/onFailure node, so no edge may lead to it`);
    if (node.next.length > 0 || node.kind === "condition")
      add(`nodes[${i}].next`, `"${id}" is a fallback/onFailure node, so it cannot lead to other nodes`);
  }
  // Fallback chains must end.
  for (const node of def.nodes) {
    const seen = new Set<string>([node.id]);
    let current = node.onError;
    while (current !== undefined) {
      if (seen.has(current)) {
        add(`nodes[${index.get(node.id)}].onError`, `fallbacks form a cycle through "${current}"`);
        break;
      }
      seen.add(current);
      current = graph.byId.get(current)?.onError;
    }
  }

  if (graph.starts.length === 0) add("nodes", "there is no start node (every node has a predecessor)");
  if (graph.starts.length > 1)
    add("nodes", `there must be exactly one start node, found ${graph.starts.length}: ${graph.starts.join(", ")}`);

  if (!graph.order) {
    for (const cycle of findCycleEdges(def, graph.auxiliary)) add(cycle.path, cycle.message);
  }

  const start = graph.starts[0];
  if (start !== undefined && graph.starts.length === 1) {
    const reachable = reachableFrom(graph, start);
    def.nodes.forEach((node, i) => {
      if (!reachable.has(node.id) && !graph.auxiliary.has(node.id))
        add(`nodes[${i}]`, `"${node.id}" cannot be reached from the start node "${start}"`);
    });
  }

  // What each node may read: declared inputs, and outputs of nodes that always run before it.
  const dom = graph.order ? mustRunBefore(graph) : new Map<string, Set<string>>();
  const fallbackOf = new Map<string, string>();
  for (const node of def.nodes) if (node.onError) fallbackOf.set(node.onError, node.id);
  const readable = (nodeId: string): Set<string> => {
    const failed = fallbackOf.get(nodeId);
    if (failed !== undefined) return dom.get(failed) ?? new Set();
    if (graph.auxiliary.has(nodeId)) return new Set();
    return dom.get(nodeId) ?? new Set();
  };
  const declared = new Set(def.inputs);
  const checkPath = (path: string, nodeId: string, at: string) => {
    const parts = path.split(".");
    if (parts[0] === "inputs") {
      const field = parts[1] ?? "";
      if (!declared.has(field)) add(at, `reads input "${field}", which the workflow does not declare in inputs`);
    } else if (parts[0] === "nodes") {
      const source = parts[1] ?? "";
      if (!exists(source)) add(at, `reads node "${source}", which is not a node of this workflow`);
      else if (!graph.order) return;
      else if (!readable(nodeId).has(source)) add(at, `reads node "${source}", which does not always run before "${nodeId}"`);
    }
  };

  def.nodes.forEach((node, i) => {
    const at = `nodes[${i}]`;
    for (const [name, path] of Object.entries(node.in ?? {})) checkPath(path, node.id, `${at}.in.${name}`);
    const locals = new Set(node.in ? Object.keys(node.in) : ["inputs"]);
    // The onFailure node also sees the error that ended the run.
    if (node.id === def.onFailure) locals.add("error");
    for (const [field, template] of templatesOf(node)) {
      for (const variable of templateVariables(template)) {
        const head = variable.split(".")[0] ?? "";
        if (!locals.has(head)) {
          add(
            `${at}.${field}`,
            `uses {{${variable}}}, but "${head}" is not one of this node's inputs (${[...locals].join(", ") || "none"})`,
          );
        } else if (!node.in && head === "inputs") {
          checkPath(variable, node.id, `${at}.${field}`);
        }
      }
    }
    if (node.kind === "condition") {
      node.branches.forEach((b, j) => {
        b.when.forEach((rule, k) => {
          checkPath(rule.path, node.id, `${at}.branches[${j}].when[${k}].path`);
        });
      });
    }
    checkKind(node, at, registries, add);
  });
  return problems;
}

function templatesOf(node: WorkflowNode): [string, string][] {
  if (node.kind === "agent")
    return node.system
      ? [
          ["system", node.system],
          ["prompt", node.prompt],
        ]
      : [["prompt", node.prompt]];
  if (node.kind === "human") return [["prompt", node.prompt]];
  return [];
}

function checkKind(node: WorkflowNode, at: string, reg: Registries, add: (path: string, message: string) => void): void {
  switch (node.kind) {
    case "agent":
      if (node.outputSchema && reg.schemas && !reg.schemas.has(node.outputSchema))
        add(`${at}.outputSchema`, `schema "${node.outputSchema}" is not registered`);
      break;
    case "transform":
      if (reg.transforms && !reg.transforms.has(node.fn)) add(`${at}.fn`, `transform "${node.fn}" is not registered`);
      break;
    case "human": {
      if (node.answerSchema && reg.schemas && !reg.schemas.has(node.answerSchema))
        add(`${at}.answerSchema`, `schema "${node.answerSchema}" is not registered`);
      if (node.deadline.action === "default" && node.deadline.defaultAnswer === undefined)
        add(`${at}.deadline.defaultAnswer`, 'is required when the deadline action is "default"');
      const values = (node.choices ?? []).map((c) => c.value);
      if (new Set(values).size !== values.length) add(`${at}.choices`, "choice values must be unique");
      if (node.deadline.action === "default" && node.choices && !values.includes(String(node.deadline.defaultAnswer))) {
        add(`${at}.deadline.defaultAnswer`, "must be one of the choices' values");
      }
      break;
    }
    case "workflow":
      if (reg.workflowExists && !reg.workflowExists(node.workflow, node.version))
        add(`${at}.workflow`, `sub-workflow "${node.workflow}" version ${node.version} is not registered`);
      break;
    case "condition":
      break;
  }
}

function findCycleEdges(def: WorkflowDefinition, auxiliary: Set<string>): Problem[] {
  const index = new Map(def.nodes.map((n, i) => [n.id, i]));
  const byId = new Map(def.nodes.map((n) => [n.id, n]));
  const state = new Map<string, 1 | 2>();
  const problems: Problem[] = [];
  const visit = (id: string) => {
    state.set(id, 1);
    const node = byId.get(id);
    if (!node) return;
    const targets =
      node.kind === "condition"
        ? [...node.branches.map((b) => b.to), ...(node.otherwise ? [node.otherwise] : []), ...node.next]
        : node.next;
    targets.forEach((t, j) => {
      if (!byId.has(t) || auxiliary.has(t)) return;
      if (state.get(t) === 1) {
        const where = node.kind === "condition" ? `nodes[${index.get(id)}]` : `nodes[${index.get(id)}].next[${j}]`;
        problems.push({ path: where, message: `the edge from "${id}" to "${t}" closes a cycle` });
      } else if (!state.has(t)) visit(t);
    });
    state.set(id, 2);
  };
  for (const node of def.nodes) if (!state.has(node.id) && !auxiliary.has(node.id)) visit(node.id);
  return problems;
}
