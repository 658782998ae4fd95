// Condition nodes: the first branch whose rules all hold, else `otherwise` (null when none).
import { ruleHolds } from "../context.ts";
import type { ConditionNode } from "../schema.ts";
import type { NodeExecutor } from "./types.ts";

export function conditionExecutor(): NodeExecutor<ConditionNode> {
  return {
    kind: "condition",
    run({ node, context }) {
      const branch = node.branches.find((b) => b.when.every((rule) => ruleHolds(rule, context)));
      const chose = branch?.to ?? node.otherwise ?? null;
      return Promise.resolve({ type: "output", raw: { chose }, chose });
    },
  };
}
