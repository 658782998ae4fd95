// The one interface every node kind's executor implements; the attempt runner calls only this.
import type { z } from "zod";
import type { ModelProvider, TokenUsage } from "../../model/types.ts";
import type { TransformFn } from "../api.ts";
import type { Context } from "../context.ts";
import type { ExecutionRecord, NodeState } from "../records.ts";
import type { WorkflowNode } from "../schema.ts";

/** What one attempt of a node produced: its output, raw (before the node's `out` mapping). */
export type NodeResult = { type: "output"; raw: unknown; usage?: TokenUsage; chose?: string | null };

/** What an executor may read and call during one attempt. */
export type AttemptInput<N extends WorkflowNode = WorkflowNode> = {
  node: N;
  /** The node's mapped inputs (`in`), plus `error` for the onFailure handler. */
  scope: Record<string, unknown>;
  /** Inputs and completed outputs of the execution (conditions read it). */
  context: Context;
  execution: ExecutionRecord;
  state: NodeState;
  /** Aborts on cancel, shutdown or the node's timeout; executors stop and reject with its reason. */
  signal: AbortSignal;
  /** Live text as it streams (agent nodes); coalesced into `node.delta` events, never persisted. */
  onDelta?: (text: string) => void;
  now: number;
};

export interface NodeExecutor<N extends WorkflowNode = WorkflowNode> {
  readonly kind: N["kind"];
  run(input: AttemptInput<N>): Promise<NodeResult>;
}

/** What executors need from the engine (registries, the model). */
export type ExecutorDeps = {
  model: ModelProvider;
  defaultModel?: string;
  transforms: ReadonlyMap<string, TransformFn>;
  schemas: ReadonlyMap<string, z.ZodType>;
};
