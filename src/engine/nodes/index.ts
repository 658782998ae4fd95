// One executor per node kind, looked up by kind.
import type { WorkflowNode } from "../schema.ts";
import { agentExecutor } from "./agent.ts";
import { conditionExecutor } from "./condition.ts";
import { humanExecutor } from "./human.ts";
import { transformExecutor } from "./transform.ts";
import type { ExecutorDeps, NodeExecutor } from "./types.ts";
import { workflowExecutor } from "./workflow.ts";

export type Executors = { [K in WorkflowNode["kind"]]: NodeExecutor<Extract<WorkflowNode, { kind: K }>> };

export function createExecutors(deps: ExecutorDeps): Executors {
  return {
    agent: agentExecutor(deps),
    transform: transformExecutor(deps),
    condition: conditionExecutor(),
    human: humanExecutor(),
    workflow: workflowExecutor(deps),
  };
}

export type { AttemptInput, ExecutorDeps, NodeExecutor, NodeResult } from "./types.ts";
