// Transform nodes: call a registered pure function with the node's mapped inputs.
import { StaffroomError } from "../../errors.ts";
import type { TransformNode } from "../schema.ts";
import type { ExecutorDeps, NodeExecutor } from "./types.ts";

export function transformExecutor(deps: Pick<ExecutorDeps, "transforms">): NodeExecutor<TransformNode> {
  return {
    kind: "transform",
    async run({ node, scope }) {
      const fn = deps.transforms.get(node.fn);
      if (!fn) throw new StaffroomError("transform_missing", `Step "${node.id}" uses transform "${node.fn}", which is not registered.`);
      try {
        return { type: "output", raw: await fn(scope, node.args) };
      } catch (error) {
        if (error instanceof StaffroomError) throw error;
        throw new StaffroomError("transform_failed", `Step "${node.id}" failed: ${(error as Error).message ?? String(error)}`, {
          cause: error,
        });
      }
    },
  };
}
