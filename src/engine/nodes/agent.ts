// Agent nodes: one model call (plus a repair call when the answer does not fit the output schema),
// streaming deltas to the engine when the provider offers them.
import { StaffroomError } from "../../errors.ts";
import type { AgentNode } from "../schema.ts";
import { runAgent } from "./agent-call.ts";
import type { ExecutorDeps, NodeExecutor } from "./types.ts";

export function agentExecutor(deps: Pick<ExecutorDeps, "model" | "defaultModel" | "schemas">): NodeExecutor<AgentNode> {
  return {
    kind: "agent",
    async run({ node, scope, signal, execution, onDelta }) {
      const schema = node.outputSchema ? deps.schemas.get(node.outputSchema) : undefined;
      if (node.outputSchema && !schema)
        throw new StaffroomError(
          "schema_missing",
          `Step "${node.id}" names output schema "${node.outputSchema}", which is not registered.`,
        );
      const result = await runAgent({
        node,
        scope,
        schema,
        model: deps.model,
        signal,
        ...(onDelta ? { onDelta } : {}),
        ...(deps.defaultModel ? { defaultModel: deps.defaultModel } : {}),
        meta: { executionId: execution.id, nodeId: node.id, templateId: execution.templateId },
      });
      return { type: "output", raw: result.raw, usage: result.usage };
    },
  };
}
