// Sub-workflow nodes: run another registered workflow as a child execution; its completed outputs,
// keyed by node id, are this node's result.
import type { SubWorkflowNode } from "../schema.ts";
import type { ExecutorDeps, NodeExecutor } from "./types.ts";

export function workflowExecutor(deps: Pick<ExecutorDeps, "runChild">): NodeExecutor<SubWorkflowNode> {
  return {
    kind: "workflow",
    async run(input) {
      return { type: "output", raw: await deps.runChild(input) };
    },
  };
}
