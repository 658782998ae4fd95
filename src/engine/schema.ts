// The workflow definition as data: a versioned DAG of nodes. JSON/YAML files, the WorkflowBuilder
// and templates all produce this shape; the engine only ever runs this shape.
import { z } from "zod";

/** Node ids double as path segments (`nodes.<id>`), so keep them simple. */
export const NodeId = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/, "ids start with a letter and use letters, digits, _ or -");

/**
 * A path into the execution context: `inputs.<field>[.<key>...]` or `nodes.<nodeId>[.<key>...]`.
 * Used by input mappings and condition rules.
 */
export const ContextPath = z
  .string()
  .regex(/^(inputs|nodes)(\.[A-Za-z0-9_-]+)+$/, "paths look like inputs.topic or nodes.outline.sections");

export const RetryPolicy = z.object({
  /** Total attempts including the first. */
  maxAttempts: z.number().int().min(1).max(10).default(3),
  baseDelayMs: z.number().int().min(0).max(60_000).default(500),
  /** Upper bound of any single backoff delay (Retry-After is honoured up to this too). */
  maxDelayMs: z.number().int().min(0).max(600_000).default(30_000),
});
export type RetryPolicy = z.infer<typeof RetryPolicy>;

const base = {
  id: NodeId,
  /** Label shown to teachers in progress checklists. */
  title: z.string().min(1).max(120).optional(),
  /** Edges: nodes that may start once this one is done. Conditions use `branches` instead. */
  next: z.array(NodeId).default([]),
  /** Input mapping: local name -> context path. Prompts and transforms see only these names. */
  in: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), ContextPath).optional(),
  /** Output mapping: name -> dotted path inside the raw result (omit to keep the whole result). */
  out: z.record(z.string(), z.string()).optional(),
  retry: RetryPolicy.partial().optional(),
  /** Per-attempt timeout; the attempt's AbortSignal fires when it elapses. */
  timeoutMs: z.number().int().positive().max(3_600_000).optional(),
  /** Fallback node run when this node fails for good; its output stands in for this node's. */
  onError: NodeId.optional(),
};

export const AgentNode = z.object({
  ...base,
  kind: z.literal("agent"),
  /** Prompt templates; `{{name.path}}` reads the node's mapped inputs. */
  system: z.string().optional(),
  prompt: z.string().min(1),
  /** Name of a registered zod schema the answer must fit (structured output). */
  outputSchema: z.string().optional(),
  /** Model name override; defaults to the configured model. */
  model: z.string().optional(),
  temperature: z.number().min(0).max(2).optional(),
  maxTokens: z.number().int().positive().optional(),
});

export const TransformNode = z.object({
  ...base,
  kind: z.literal("transform"),
  /** Name of a pure function in the transform registry. */
  fn: z.string().min(1),
  /** Static arguments passed to the function alongside the mapped inputs. */
  args: z.unknown().optional(),
});

export const ConditionRule = z.object({
  path: ContextPath,
  op: z.enum(["eq", "neq", "in", "gt", "gte", "lt", "lte", "exists", "truthy", "falsy"]),
  value: z.unknown().optional(),
});
export type ConditionRule = z.infer<typeof ConditionRule>;

export const ConditionNode = z.object({
  ...base,
  kind: z.literal("condition"),
  /** First matching branch wins; every rule in `when` must hold. */
  branches: z.array(z.object({ when: z.array(ConditionRule).min(1), to: NodeId })).min(1),
  /** Branch taken when no rule matches; without it nothing downstream runs. */
  otherwise: NodeId.optional(),
});

export const HumanDeadline = z.object({
  /** How long after the question is asked the deadline falls. */
  afterMs: z.number().int().positive(),
  /** remind: ask again and keep waiting; default: answer with `defaultAnswer`; skip: continue without an answer; cancel: cancel the execution. */
  action: z.enum(["remind", "default", "skip", "cancel"]),
  defaultAnswer: z.unknown().optional(),
  /** With `remind`: how many reminders before the wait is cancelled. */
  maxReminders: z.number().int().min(1).max(20).default(3),
});
export type HumanDeadline = z.infer<typeof HumanDeadline>;

export const HumanNode = z.object({
  ...base,
  kind: z.literal("human"),
  prompt: z.string().min(1),
  /** Offered answers (rendered as buttons); when set, an answer must be one of the values. */
  choices: z.array(z.object({ value: z.string(), label: z.string() })).optional(),
  /** Name of a registered zod schema for free-form answers. */
  answerSchema: z.string().optional(),
  /** Who may answer: the user who started the execution, or any of these user ids. */
  allowed: z.union([z.literal("requester"), z.literal("anyone"), z.array(z.string()).min(1)]).default("requester"),
  deadline: HumanDeadline,
});

export const SubWorkflowNode = z.object({
  ...base,
  kind: z.literal("workflow"),
  workflow: z.string().min(1),
  /** Pinned version of the sub-workflow. */
  version: z.number().int().positive(),
});

export const WorkflowNode = z.discriminatedUnion("kind", [AgentNode, TransformNode, ConditionNode, HumanNode, SubWorkflowNode]);
export type WorkflowNode = z.infer<typeof WorkflowNode>;
export type WorkflowNodeInput = z.input<typeof WorkflowNode>;
export type NodeKind = WorkflowNode["kind"];
export type AgentNode = z.infer<typeof AgentNode>;
export type TransformNode = z.infer<typeof TransformNode>;
export type ConditionNode = z.infer<typeof ConditionNode>;
export type HumanNode = z.infer<typeof HumanNode>;
export type SubWorkflowNode = z.infer<typeof SubWorkflowNode>;

export const WorkflowDefinition = z.object({
  id: z.string().regex(/^[a-z][a-z0-9-]{0,63}$/, "workflow ids are lower-case words joined by -"),
  version: z.number().int().positive(),
  title: z.string().min(1).max(120),
  description: z.string().max(2000).optional(),
  /** Declared input fields; mappings may only read these. */
  inputs: z.array(z.string()).default([]),
  nodes: z.array(WorkflowNode).min(1),
  /** Node run once when the execution fails (a notification, a cleanup). */
  onFailure: NodeId.optional(),
  /** Most nodes of one execution running at once (per-execution parallelism; the model's concurrency is separate). */
  maxParallel: z.number().int().min(1).max(64).default(8),
  /** Default per-node retry policy. */
  retry: RetryPolicy.partial().optional(),
});
export type WorkflowDefinition = z.infer<typeof WorkflowDefinition>;
export type WorkflowDefinitionInput = z.input<typeof WorkflowDefinition>;
