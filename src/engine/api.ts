// The engine's public surface as a type, so callers (CLI, chat core, HTTP API) depend on this, not on internals.
import type { z } from "zod";
import type { EngineEvent, ExecutionRecord, ExecutionStatus, ExecutionView, Origin } from "./records.ts";
import type { WorkflowDefinition } from "./schema.ts";

/** A pure function a `transform` node names. `input` holds the node's mapped inputs. */
export type TransformFn = (input: Record<string, unknown>, args: unknown) => unknown | Promise<unknown>;

/** A workflow the engine can start, with the zod schema its inputs must fit. */
export type RegisteredWorkflow = {
  definition: WorkflowDefinition;
  /** Validates and normalises inputs at start; its shape's keys should equal `definition.inputs`. */
  inputSchema?: z.ZodType;
  /** Transforms its nodes name; merged into the engine's registry (prefix names to avoid clashes). */
  transforms?: Record<string, TransformFn>;
  /** Output/answer schemas its nodes name; merged into the engine's registry. */
  schemas?: Record<string, z.ZodType>;
};

export type StartOptions = {
  inputs: Record<string, unknown>;
  userId: string;
  origin?: Origin;
  /** A repeated start with the same key returns the first execution instead of starting another. */
  idempotencyKey?: string;
  /** Pin a version; defaults to the latest registered. */
  version?: number;
};

export type ResumeResult =
  | { accepted: true; execution: ExecutionRecord }
  | { accepted: false; reason: "not_waiting" | "already_answered" | "not_allowed" | "invalid_answer" | "not_found"; message: string };

export type NodeStats = {
  nodeId: string;
  runs: number;
  failures: number;
  failureRate: number;
  retries: number;
  fallbacks: number;
  minMs: number | null;
  meanMs: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
  maxMs: number | null;
};

export type WorkflowStats = {
  templateId: string;
  runs: number;
  completed: number;
  failed: number;
  cancelled: number;
  successRate: number;
  minMs: number | null;
  meanMs: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
  maxMs: number | null;
  nodes: NodeStats[];
};

export type ListFilter = { userId?: string; status?: ExecutionStatus[]; templateId?: string; limit?: number };

export type EventListener = (event: EngineEvent) => void;

export interface EngineApi {
  /** Add (or replace) a workflow version; throws WorkflowInvalidError listing every problem. */
  register(workflow: RegisteredWorkflow): void;
  /** Latest version of each registered workflow. */
  workflows(): RegisteredWorkflow[];
  /** One workflow, latest or pinned version. */
  workflow(id: string, version?: number): RegisteredWorkflow | undefined;
  /** Validate inputs, persist the execution, then run it in the background. Throws InvalidInputError/NotFoundError. */
  start(workflowId: string, options: StartOptions): Promise<ExecutionRecord>;
  /** Resolves once the execution is completed, failed or cancelled (or waiting, with `untilWaiting`). */
  wait(executionId: string, options?: { untilWaiting?: boolean; timeoutMs?: number }): Promise<ExecutionView>;
  /** Header plus every node state, or undefined. */
  get(executionId: string): Promise<ExecutionView | undefined>;
  /** Newest first, from the store's indexes. */
  list(filter?: ListFilter): Promise<ExecutionRecord[]>;
  /** Cancel a running or waiting execution (and its sub-workflows); false when already finished. */
  cancel(executionId: string): Promise<boolean>;
  /** Answer a waiting human node; a second answer to the same wait changes nothing. */
  resume(executionId: string, nodeId: string, answer: unknown, by: { userId: string }): Promise<ResumeResult>;
  /** Resume every execution a crash left running; returns their ids. */
  recover(): Promise<string[]>;
  /** Events of an execution from `fromSeq` (inclusive). */
  events(executionId: string, fromSeq?: number): Promise<EngineEvent[]>;
  /** Replay stored events from `fromSeq`, then deliver live ones in order; returns unsubscribe. */
  subscribe(executionId: string, fromSeq: number, listener: EventListener): () => void;
  /** Live events of every execution (top-level and sub-workflow copies in parents). */
  onEvent(listener: EventListener): () => void;
  /** Persisted stats per template (and per node). */
  stats(templateId?: string): Promise<WorkflowStats[]>;
  /** Delete every execution a user started, however many, with everything keyed to them (teacher `forget`); returns how many. */
  forgetUser(userId: string): Promise<number>;
  /** Delete these executions (cancelling unfinished ones first), e.g. every one naming a student; returns how many went. */
  forgetExecutions(executionIds: readonly string[]): Promise<number>;
  /** Make deletions physical in the store (sqlite: WAL checkpoint TRUNCATE); call after deleting records of a user. */
  compact(): Promise<void>;
  /** Stop timers, wait for in-flight writes, close nothing owned by others. */
  close(): Promise<void>;
}
