// Zod schemas of every API request and response: the routes validate with them and the OpenAPI
// document is generated from them, so the two cannot drift apart.
import { z } from "zod";
import { ExecutionStatus, NodeStatus } from "../../engine/records.ts";

const timestamp = () => z.string().meta({ format: "date-time", description: "UTC time, ISO 8601" });
const userId = () =>
  z
    .string()
    .trim()
    .min(1)
    .max(200)
    .meta({ description: "Who the work is for, as your system knows them (e.g. an LMS user id).", example: "teacher123" });

// ---- requests ----

export const ExecuteRequest = z.strictObject({
  workflow_id: z.string().min(1).max(64).meta({ description: "Id of a workflow from GET /api/workflows.", example: "lesson-plan" }),
  input_data: z
    .record(z.string(), z.unknown())
    .default({})
    .meta({
      description: "The workflow's inputs; see input_schema of GET /api/workflows/{id}.",
      example: { grade: "5th", subject: "Science", topic: "Solar System" },
    }),
  user_id: userId(),
  version: z.number().int().positive().optional().meta({ description: "Pin a workflow version; defaults to the latest." }),
});
export type ExecuteRequest = z.infer<typeof ExecuteRequest>;

export const AnswerRequest = z.strictObject({
  node_id: z
    .string()
    .min(1)
    .max(64)
    .optional()
    .meta({ description: "The waiting step; may be left out when exactly one step is waiting." }),
  answer: z
    .union([z.string().max(10_000), z.number(), z.boolean(), z.record(z.string(), z.unknown())])
    .meta({ description: "A choice value, or a free-form answer fitting the step's answer schema.", example: "approve" }),
  user_id: userId(),
});
export type AnswerRequest = z.infer<typeof AnswerRequest>;

/** Query strings arrive as text; these coerce and bound them. */
const boolQuery = z
  .enum(["true", "false", "1", "0"])
  .transform((v) => v === "true" || v === "1")
  .optional();

export const QuickQuery = z.strictObject({
  wait: boolQuery.meta({ description: "Wait for the document (bounded by timeout) instead of answering 202 at once." }),
  timeout: z.coerce
    .number()
    .int()
    .min(1)
    .max(300)
    .optional()
    .meta({ description: "Seconds to wait with wait=true (default 60, capped by the server)." }),
});

export const ExecutionListQuery = z.strictObject({
  workflow_id: z.string().min(1).max(64).optional(),
  user_id: z.string().min(1).max(200).optional(),
  status: ExecutionStatus.optional(),
  limit: z.coerce.number().int().min(1).max(200).optional().meta({ description: "At most this many (default 50)." }),
});

// ---- responses ----

export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().meta({ description: "One sentence saying what is wrong and how to fix it." }),
    code: z.string().meta({ description: "Stable machine-readable code." }),
    request_id: z.string().optional(),
    instance: z.string().optional(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  })
  .meta({ description: "RFC 9457 problem details." });

const ErrorInfo = z.object({ code: z.string(), message: z.string(), retryable: z.boolean().optional() });

const DocumentFile = z.object({
  title: z.string(),
  markdown: z.string(),
  filename: z.string(),
});

export const Document = DocumentFile.extend({
  companions: z
    .array(DocumentFile)
    .optional()
    .meta({ description: "Further documents from the same run, such as an assessment's student copy and answer key." }),
});

export const ExecutionLinks = z.object({
  self: z.string(),
  events: z.string(),
  cancel: z.string(),
  answer: z.string(),
  document: z
    .string()
    .optional()
    .meta({ description: "The finished document as a Word file (add ?format=html or md, &part=student-copy or answer-key)." }),
});

export const ExecutionAccepted = z.object({
  execution_id: z.string(),
  workflow_id: z.string(),
  status: ExecutionStatus,
  created_at: timestamp(),
  status_url: z.string().meta({ description: "GET this for status and, when done, outputs." }),
  events_url: z.string().meta({ description: "Server-Sent Events of this execution." }),
});

export const NodeView = z.object({
  id: z.string(),
  kind: z.string(),
  title: z.string().optional(),
  status: NodeStatus,
  attempts: z.number().int(),
  started_at: timestamp().optional(),
  ended_at: timestamp().optional(),
  duration_ms: z.number().optional(),
  error: ErrorInfo.optional(),
  usage: z.object({ input_tokens: z.number().int(), output_tokens: z.number().int() }).optional(),
  fallback_from: z.string().optional(),
  chose: z.string().nullable().optional(),
  wait: z
    .object({
      prompt: z.string(),
      choices: z.array(z.object({ value: z.string(), label: z.string() })).optional(),
      allowed: z.union([z.enum(["requester", "anyone"]), z.array(z.string())]),
      asked_at: timestamp(),
      deadline_at: timestamp(),
      reminders: z.number().int(),
    })
    .optional(),
  answered_by: z.string().optional(),
  child_execution_id: z.string().optional(),
});

const executionHeader = {
  id: z.string(),
  workflow_id: z.string(),
  version: z.number().int(),
  title: z.string(),
  status: ExecutionStatus,
  user_id: z.string(),
  provider: z.string().optional(),
  parent: z.object({ execution_id: z.string(), node_id: z.string() }).optional(),
  created_at: timestamp(),
  started_at: timestamp().optional(),
  ended_at: timestamp().optional(),
  duration_ms: z.number().optional(),
  error: ErrorInfo.optional(),
};

export const ExecutionSummary = z.object({
  ...executionHeader,
  status_url: z.string(),
  /** The teacher's short number for the request this run belongs to (#7), as chat history shows it. */
  number: z.number().int().optional(),
  /** Which version of that request this run is (1 for the first, 2 for the first revision...). */
  request_version: z.number().int().optional(),
  /** What the request is about (its topic, purpose or assignment). */
  topic: z.string().optional(),
});
export const ExecutionList = z.object({ executions: z.array(ExecutionSummary) });

export const ExecutionDetail = z.object({
  ...executionHeader,
  input_data: z.record(z.string(), z.unknown()),
  nodes: z.array(NodeView),
  outputs: z
    .record(z.string(), z.unknown())
    .optional()
    .meta({ description: "Each step's output by step id; present once the execution completed." }),
  document: Document.optional().meta({ description: "The rendered document, for template workflows that completed." }),
  links: ExecutionLinks,
});

export const CancelResult = z.object({ execution_id: z.string(), status: ExecutionStatus, cancelled: z.boolean() });

export const QuickResult = z.object({
  execution_id: z.string(),
  workflow_id: z.string(),
  status: ExecutionStatus,
  status_url: z.string(),
  duration_ms: z.number().optional(),
  document: Document.optional(),
  error: ErrorInfo.optional(),
});

export const ExecutionEvent = z
  .object({
    execution_id: z.string(),
    seq: z.number().int().positive(),
    type: z.string(),
    at: timestamp(),
    node_id: z.string().optional(),
    data: z.record(z.string(), z.unknown()).optional(),
    sub: z.object({ execution_id: z.string(), node_id: z.string() }).optional(),
  })
  .meta({ description: "One entry of an execution's event log (the data of each Server-Sent Event; its id is seq)." });

export const WorkflowSummary = z.object({
  id: z.string(),
  version: z.number().int(),
  title: z.string(),
  description: z.string().optional(),
  kind: z.enum(["template", "workflow"]).meta({ description: "template: a built-in or admin template; workflow: a workflow file." }),
  command: z.string().optional(),
  inputs: z.array(z.string()),
  node_count: z.number().int(),
  url: z.string(),
});
export const WorkflowList = z.object({ workflows: z.array(WorkflowSummary) });

export const WorkflowDetail = z.object({
  ...WorkflowSummary.shape,
  nodes: z.array(
    z.object({
      id: z.string(),
      kind: z.string(),
      title: z.string().optional(),
      next: z.array(z.string()),
      on_error: z.string().optional(),
    }),
  ),
  input_schema: z.record(z.string(), z.unknown()).meta({ description: "JSON Schema (2020-12) of input_data." }),
});

export const TemplateField = z.object({
  name: z.string(),
  label: z.string(),
  question: z.string(),
  help: z.string(),
  example: z.string(),
  required: z.boolean(),
  internal: z.boolean(),
  choices: z.array(z.object({ value: z.string(), label: z.string() })).optional(),
});

export const TemplateSummary = z.object({
  id: z.string(),
  command: z.string(),
  title: z.string(),
  description: z.string(),
  student_data: z.boolean(),
  revisable: z.boolean(),
  source: z.string().optional(),
  fields: z.array(TemplateField),
  url: z.string(),
});
export const TemplateList = z.object({ templates: z.array(TemplateSummary) });
export const TemplateDetail = z.object({ ...TemplateSummary.shape, input_schema: z.record(z.string(), z.unknown()) });

const ms = () => z.number().nullable();
export const NodeStatsView = z.object({
  node_id: z.string(),
  runs: z.number().int(),
  failures: z.number().int(),
  failure_rate: z.number().nullable(),
  retries: z.number().int(),
  fallbacks: z.number().int(),
  min_ms: ms(),
  mean_ms: ms(),
  p50_ms: ms(),
  p95_ms: ms(),
  max_ms: ms(),
});
export const WorkflowStatsView = z.object({
  workflow_id: z.string(),
  runs: z.number().int(),
  completed: z.number().int(),
  failed: z.number().int(),
  cancelled: z.number().int(),
  success_rate: z.number().nullable().meta({ description: "completed / finished runs; null before any run finished." }),
  min_ms: ms(),
  mean_ms: ms(),
  p50_ms: ms(),
  p95_ms: ms(),
  max_ms: ms(),
  nodes: z.array(NodeStatsView),
});
export const StatsOverview = z.object({
  totals: z.object({
    runs: z.number().int(),
    completed: z.number().int(),
    failed: z.number().int(),
    cancelled: z.number().int(),
    success_rate: z.number().nullable(),
  }),
  workflows: z.array(WorkflowStatsView),
});

export const UserDeleted = z.object({
  user_id: z.string(),
  /** How many records each owner of the teacher's data deleted ("executions", "saved documents", "data key", ...). */
  deleted: z.record(z.string(), z.number().int()),
});

export const Health = z.object({ status: z.literal("ok") });
export const Readiness = z.object({ status: z.enum(["ready", "not_ready"]), checks: z.record(z.string(), z.boolean()) });

/** Component names in the OpenAPI document. */
export const requestComponents = { ExecuteRequest, AnswerRequest } as const;
export const responseComponents = {
  Problem,
  ExecutionAccepted,
  ExecutionDetail,
  ExecutionList,
  ExecutionEvent,
  CancelResult,
  UserDeleted,
  QuickResult,
  WorkflowList,
  WorkflowDetail,
  TemplateList,
  TemplateDetail,
  StatsOverview,
  WorkflowStatsView,
  Health,
  Readiness,
} as const;
