// One executor per node kind that runs an attempt, looked up by kind. Human and sub-workflow nodes run no
// attempt: decide() records a human node's question (humanWait) and creates a child execution in the
// commit that dispatches a sub-workflow node.
import type { WorkflowNode } from "../schema.ts";
import { agentExecutor } from "./agent.ts";
import { conditionExecutor } from "./condition.ts";
import { transformExecutor } from "./transform.ts";
import type { ExecutorDeps, NodeExecutor } from "./types.ts";

/** The node kinds whose attempts run in a step handler. */
export type AttemptKind = Exclude<WorkflowNode["kind"], "human" | "workflow">;

export type Executors = { [K in AttemptKind]: NodeExecutor<Extract<WorkflowNode, { kind: K }>> };

export function createExecutors(deps: ExecutorDeps): Executors {
  return {
    agent: agentExecutor(deps),
    transform: transformExecutor(deps),
    condition: conditionExecutor(),
  };
}

export type { AttemptInput, ExecutorDeps, NodeExecutor, NodeResult } from "./types.ts";
