// Persisted shapes of executions, node states, attempts and events. Zod schemas so that what is read
// back from the store (or sent over the API) is checked against the same types the engine writes.
import { z } from "zod";

export const ExecutionStatus = z.enum(["pending", "running", "waiting", "completed", "failed", "cancelled"]);
export type ExecutionStatus = z.infer<typeof ExecutionStatus>;

export const NodeStatus = z.enum(["pending", "running", "waiting", "completed", "failed", "skipped", "cancelled"]);
export type NodeStatus = z.infer<typeof NodeStatus>;

import { TokenUsage } from "../model/usage.ts";

/** Token usage belongs to the model layer; re-exported for readers of engine records. */
export { TokenUsage };

export const ErrorInfo = z.object({
  code: z.string(),
  message: z.string(),
  retryable: z.boolean().optional(),
  nodeId: z.string().optional(),
});
export type ErrorInfo = z.infer<typeof ErrorInfo>;

/**
 * Where a request came from, opaque to the engine: adapters put their thread coordinates here
 * so they can keep posting into the same thread after a restart.
 */
export const Origin = z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]));
export type Origin = z.infer<typeof Origin>;

/** The execution header: small, rewritten only when the execution's status changes. */
export const ExecutionRecord = z.object({
  id: z.string(),
  templateId: z.string(),
  version: z.number().int(),
  /** sha256 of the definition the run started with; the definition itself is stored under this hash. */
  hash: z.string(),
  title: z.string(),
  status: ExecutionStatus,
  inputs: z.record(z.string(), z.unknown()),
  userId: z.string(),
  origin: Origin.optional(),
  /** Model provider the run used ("offline" drafts are marked as such when rendered). */
  provider: z.string().optional(),
  parent: z.object({ executionId: z.string(), nodeId: z.string() }).optional(),
  createdAt: z.number(),
  startedAt: z.number().optional(),
  endedAt: z.number().optional(),
  durationMs: z.number().optional(),
  error: ErrorInfo.optional(),
  /** Node ids in definition order, so readers can fetch node states without the definition. */
  nodeIds: z.array(z.string()),
  /** Each node's title and kind, for progress checklists; `auxiliary` marks fallback/onFailure nodes that run only on errors. */
  plan: z.array(z.object({ id: z.string(), title: z.string(), kind: z.string(), auxiliary: z.boolean() })),
});
export type ExecutionRecord = z.infer<typeof ExecutionRecord>;

export const HumanWait = z.object({
  prompt: z.string(),
  choices: z.array(z.object({ value: z.string(), label: z.string() })).optional(),
  allowed: z.union([z.literal("requester"), z.literal("anyone"), z.array(z.string())]),
  askedAt: z.number(),
  deadlineAt: z.number(),
  action: z.enum(["remind", "default", "skip", "cancel"]),
  reminders: z.number().int().default(0),
});
export type HumanWait = z.infer<typeof HumanWait>;

/** One node's state within one execution; its output is stored here once. */
export const NodeState = z.object({
  nodeId: z.string(),
  kind: z.string(),
  status: NodeStatus,
  attempts: z.number().int().min(0),
  startedAt: z.number().optional(),
  endedAt: z.number().optional(),
  durationMs: z.number().optional(),
  output: z.unknown().optional(),
  error: ErrorInfo.optional(),
  usage: TokenUsage.optional(),
  /** Set when the output came from the node's onError fallback. */
  fallbackFrom: z.string().optional(),
  /** Branch a condition chose. */
  chose: z.string().nullable().optional(),
  wait: HumanWait.optional(),
  /** Who answered a human node. */
  answeredBy: z.string().optional(),
  childExecutionId: z.string().optional(),
  /** The running attempt's token: only the attempt that was dispatched may complete the node. */
  token: z.string().optional(),
  /** The process that dispatched the running attempt or the wait (in-process queues hold its job there). */
  by: z.string().optional(),
  /** When the running attempt was dispatched (its job is enqueued just after this is stored). */
  dispatchedAt: z.number().optional(),
  /** On a fallback node: the nodes it stands in for, outermost first (stored, so a restart keeps it). */
  fallbackFor: z.array(z.string()).optional(),
});
export type NodeState = z.infer<typeof NodeState>;

/** One record per node attempt. */
export const AttemptRecord = z.object({
  attempt: z.number().int().min(1),
  startedAt: z.number(),
  endedAt: z.number().optional(),
  durationMs: z.number().optional(),
  ok: z.boolean().optional(),
  error: ErrorInfo.optional(),
  usage: TokenUsage.optional(),
});
export type AttemptRecord = z.infer<typeof AttemptRecord>;

export const EventType = z.enum([
  "execution.started",
  "node.started",
  "node.retrying",
  "node.completed",
  /** Live only (never stored): streamed text of an agent node so far, coalesced; `data.text` is the new text. */
  "node.delta",
  "node.failed",
  "node.skipped",
  "node.fallback",
  "execution.waiting",
  "execution.resumed",
  "execution.completed",
  "execution.failed",
  "execution.cancelled",
]);
export type EventType = z.infer<typeof EventType>;

/**
 * An entry of an execution's append-only event log. `seq` starts at 1 and has no gaps.
 * Events of a sub-workflow are copied into the parent's log with `sub` set.
 */
export const EngineEvent = z.object({
  executionId: z.string(),
  seq: z.number().int().positive(),
  type: EventType,
  at: z.number(),
  nodeId: z.string().optional(),
  /**
   * Small event-specific facts: attempt, durationMs, delayMs, error, usage, wait (prompt, choices).
   * Node outputs are not stored in events; `node.completed` is delivered (live and on replay) with
   * `data.output` read from the node's state, so a follower can post the step without another read.
   */
  data: z.record(z.string(), z.unknown()).optional(),
  sub: z.object({ executionId: z.string(), nodeId: z.string() }).optional(),
});
export type EngineEvent = z.infer<typeof EngineEvent>;

/** The full view of an execution: header plus every node state. */
export type ExecutionView = ExecutionRecord & { nodes: NodeState[]; totalMs?: number };
