// Execution routes: start (POST /execute), list, status, cancel, answer a waiting step, and the
// event log as Server-Sent Events (live, resumable with Last-Event-ID).
import { numbersOf } from "../../chat/history.ts";
import type { EngineEvent, ExecutionStatus, ExecutionView } from "../../engine/records.ts";
import type { Template } from "../../templates/types.ts";
import { HttpProblem } from "../problem.ts";
import { lastEventId, openEventStream } from "../sse.ts";
import { boundTeacher, checkActingAs, checkOwner } from "./access.ts";
import { EXECUTION_ID, shortId } from "./params.ts";
import { type ApiDeps, json, type Route } from "./route.ts";
import { AnswerRequest, ExecuteRequest, ExecutionListQuery } from "./schemas.ts";
import { accepted, startExecution } from "./start.ts";
import { eventView, executionDetail, executionSummary } from "./views.ts";

const FINAL: ReadonlySet<ExecutionStatus> = new Set(["completed", "failed", "cancelled"]);
const FINAL_EVENTS: ReadonlySet<string> = new Set(["execution.completed", "execution.failed", "execution.cancelled"]);

const notFound = (id: string) =>
  new HttpProblem(
    404,
    "unknown_execution",
    `No execution with id "${shortId(id)}" exists (it may have been removed after the retention period).`,
  );

/** Renders a completed template run; a renderer that throws costs the document, not the answer. */
export function renderDocument(deps: ApiDeps, template: Template | undefined, view: ExecutionView) {
  if (!template || view.status !== "completed") return undefined;
  try {
    return template.render(view);
  } catch (error) {
    deps.logger.error({ executionId: view.id, err: error }, "rendering the document failed");
    return undefined;
  }
}

export function detailOf(deps: ApiDeps, view: ExecutionView) {
  const workflow = deps.engine.workflow(view.templateId, view.version) ?? deps.engine.workflow(view.templateId);
  return executionDetail(view, workflow, renderDocument(deps, deps.templates.get(view.templateId), view));
}

const idParam = { id: EXECUTION_ID };

/** Streams are long-lived sockets: one key (or all together) may hold only so many open at once. */
function checkStreamLimits(deps: ApiDeps, keyId: string): void {
  const { total, perKey } = deps.sseLimits;
  let mine = 0;
  for (const s of deps.streams) if (s.keyId === keyId) mine++;
  if (mine >= perKey) {
    throw new HttpProblem(
      429,
      "too_many_streams",
      `This API key already has ${mine} event streams open (the limit is ${perKey}); close one before opening another.`,
      { headers: { "retry-after": "5" } },
    );
  }
  if (deps.streams.size >= total) {
    throw new HttpProblem(503, "too_many_streams", `The server is serving its limit of ${total} event streams; try again shortly.`, {
      headers: { "retry-after": "5" },
    });
  }
}

export const executionRoutes: Route[] = [
  {
    method: "POST",
    path: "/api/workflows/execute",
    operationId: "executeWorkflow",
    summary: "Start an execution",
    description:
      "Validates input_data against the workflow's input schema, starts an execution and answers at once with its id and status URL. " +
      "With an Idempotency-Key header, repeating the request returns the same execution.",
    tag: "executions",
    headers: [
      {
        name: "Idempotency-Key",
        description: "Any unique string (a UUID); a repeated request with the same key returns the first execution.",
        schema: { type: "string", minLength: 1, maxLength: 200 },
      },
    ],
    body: { schema: ExecuteRequest, component: "ExecuteRequest", description: "What to run, with what, for whom." },
    responses: {
      202: {
        description: "Started (or, with a repeated Idempotency-Key, the execution started before).",
        component: "ExecutionAccepted",
        headers: { Location: { description: "The status URL.", schema: { type: "string" } } },
      },
      403: { description: "A teacher key and another teacher's user_id.", component: "Problem" },
      422: { description: "Unknown workflow, or an Idempotency-Key reused for a different request.", component: "Problem" },
    },
    async handle({ body, deps, req, keyId, access }) {
      const b = body as ExecuteRequest;
      checkActingAs(access, b.user_id);
      const workflow = deps.engine.workflow(b.workflow_id, b.version);
      if (!workflow) {
        const known = deps.engine.workflow(b.workflow_id);
        const list = deps.engine
          .workflows()
          .map((w) => w.definition.id)
          .sort()
          .join(", ");
        throw new HttpProblem(
          422,
          "unknown_workflow",
          known
            ? `Workflow "${shortId(b.workflow_id)}" has no version ${b.version}; leave version out to use the latest (${known.definition.version}).`
            : `No workflow with id "${shortId(b.workflow_id)}" exists; use one of: ${list || "(none registered)"}.`,
          { errors: [{ field: known ? "version" : "workflow_id", message: known ? "does not exist" : "is not a known workflow" }] },
        );
      }
      const record = await startExecution(deps, {
        workflow,
        inputs: b.input_data,
        userId: b.user_id,
        prefix: ["input_data"],
        ...(b.version !== undefined ? { version: b.version } : {}),
        req,
        keyId,
      });
      return accepted(record);
    },
  },
  {
    method: "GET",
    path: "/api/workflows/executions",
    operationId: "listExecutions",
    summary: "List executions",
    description: "Newest first, optionally filtered. A teacher key lists only its own teacher's executions.",
    tag: "executions",
    query: ExecutionListQuery,
    responses: {
      200: { description: "The executions.", component: "ExecutionList" },
      403: { description: "A teacher key asked for another teacher's executions.", component: "Problem" },
    },
    async handle({ deps, query, access }) {
      const q = query as { workflow_id?: string; user_id?: string; status?: ExecutionStatus; limit?: number };
      checkActingAs(access, q.user_id);
      const userId = boundTeacher(access) ?? q.user_id;
      const records = await deps.engine.list({
        ...(q.workflow_id ? { templateId: q.workflow_id } : {}),
        ...(userId ? { userId } : {}),
        ...(q.status ? { status: [q.status] } : {}),
        limit: q.limit ?? 50,
      });
      // Short numbers are per teacher, over all of each listed teacher's runs.
      const numbers = new Map<string, { number: number; version: number; topic: string }>();
      for (const userId of new Set(records.map((r) => r.userId)))
        for (const [id, n] of numbersOf(await deps.engine.list({ userId, limit: 100_000 }))) numbers.set(id, n);
      return json(200, {
        executions: records.map((r) => {
          const n = numbers.get(r.id);
          return {
            ...executionSummary(r),
            ...(n ? { number: n.number, request_version: n.version, ...(n.topic ? { topic: n.topic } : {}) } : {}),
          };
        }),
      });
    },
  },
  {
    method: "GET",
    path: "/api/workflows/executions/{id}",
    operationId: "getExecution",
    summary: "Execution status",
    description: "Status, each step's status and timings, and outputs (plus the rendered document for templates) once completed.",
    tag: "executions",
    params: idParam,
    responses: {
      200: { description: "The execution.", component: "ExecutionDetail" },
      403: { description: "A teacher key and another teacher's execution.", component: "Problem" },
      404: { description: "No such execution.", component: "Problem" },
    },
    async handle({ deps, params, access }) {
      const id = params.id ?? "";
      // A teacher key needs the owner first, so it never takes the cached answer's shortcut.
      const cached = boundTeacher(access) === undefined ? deps.views.get(id) : undefined;
      if (cached !== undefined) return { status: 200, json: cached };
      const view = await deps.engine.get(id);
      if (!view) throw notFound(id);
      checkOwner(access, view);
      const text = JSON.stringify(detailOf(deps, view));
      deps.views.set(id, text);
      return { status: 200, json: text };
    },
  },
  {
    method: "POST",
    path: "/api/workflows/executions/{id}/cancel",
    operationId: "cancelExecution",
    summary: "Cancel an execution",
    description: "Stops a running or waiting execution (and its sub-workflows). Needs no body.",
    tag: "executions",
    params: idParam,
    responses: {
      200: { description: "Cancelled.", component: "CancelResult" },
      403: { description: "A teacher key and another teacher's execution.", component: "Problem" },
      404: { description: "No such execution.", component: "Problem" },
      409: { description: "The execution had already finished.", component: "Problem" },
    },
    async handle({ deps, params, logger, access }) {
      const id = params.id ?? "";
      const view = await deps.engine.get(id);
      if (!view) throw notFound(id);
      checkOwner(access, view);
      if (FINAL.has(view.status) || !(await deps.engine.cancel(id))) {
        const now = (await deps.engine.get(id))?.status ?? view.status;
        throw new HttpProblem(
          409,
          "already_finished",
          `Execution "${shortId(id)}" already finished with status ${now}; there is nothing to cancel.`,
        );
      }
      logger.info({ executionId: id }, "execution cancelled through the API");
      return json(200, { execution_id: id, status: "cancelled", cancelled: true });
    },
  },
  {
    method: "POST",
    path: "/api/workflows/executions/{id}/answer",
    operationId: "answerExecution",
    summary: "Answer a waiting step",
    description: "Gives the answer a human-input step waits for; the execution then continues.",
    tag: "executions",
    params: idParam,
    body: { schema: AnswerRequest, component: "AnswerRequest", description: "The answer and who gives it." },
    responses: {
      200: { description: "Accepted; the execution continues.", component: "ExecutionDetail" },
      403: { description: "This user may not answer this step, or a teacher key and another teacher's execution.", component: "Problem" },
      404: { description: "No such execution or step.", component: "Problem" },
      409: { description: "The step is not waiting (or was already answered).", component: "Problem" },
    },
    async handle({ deps, params, body, access }) {
      const id = params.id ?? "";
      const b = body as AnswerRequest;
      const view = await deps.engine.get(id);
      if (!view) throw notFound(id);
      checkOwner(access, view);
      checkActingAs(access, b.user_id);
      const waiting = view.nodes.filter((n) => n.status === "waiting").map((n) => n.nodeId);
      let nodeId = b.node_id;
      if (nodeId === undefined) {
        if (waiting.length === 0)
          throw new HttpProblem(409, "not_waiting", `Execution "${shortId(id)}" is ${view.status} and waits for no answer.`);
        if (waiting.length > 1) {
          throw new HttpProblem(400, "invalid_request", `Several steps are waiting; name one in node_id (${waiting.join(", ")}).`, {
            errors: [{ field: "node_id", message: `is required when several steps wait: ${waiting.join(", ")}` }],
          });
        }
        nodeId = waiting[0]!;
      }
      const result = await deps.engine.resume(id, nodeId, b.answer, { userId: b.user_id });
      if (!result.accepted) {
        const statusOf = { not_found: 404, not_waiting: 409, already_answered: 409, not_allowed: 403, invalid_answer: 400 } as const;
        const field = {
          not_found: "node_id",
          not_waiting: "node_id",
          already_answered: "node_id",
          not_allowed: "user_id",
          invalid_answer: "answer",
        }[result.reason];
        throw new HttpProblem(statusOf[result.reason], result.reason, result.message, { errors: [{ field, message: result.message }] });
      }
      const after = await deps.engine.get(id);
      if (!after) throw notFound(id);
      return json(200, detailOf(deps, after));
    },
  },
  {
    method: "GET",
    path: "/api/workflows/executions/{id}/events",
    operationId: "streamExecutionEvents",
    summary: "Execution events (Server-Sent Events)",
    description:
      "The execution's event log as text/event-stream: every stored event, then live ones, ending after the execution finishes. " +
      "Each event's id is its seq and its data an ExecutionEvent (see components). Reconnect with Last-Event-ID to resume after that seq.",
    tag: "executions",
    params: idParam,
    headers: [
      {
        name: "Last-Event-ID",
        description: "The seq of the last event received; the stream resumes after it.",
        schema: { type: "string", pattern: "^[0-9]+$" },
      },
    ],
    responses: {
      200: { description: "The event stream.", contentType: "text/event-stream" },
      403: { description: "A teacher key and another teacher's execution.", component: "Problem" },
      404: { description: "No such execution.", component: "Problem" },
    },
    async handle({ deps, params, req, res, logger, keyId, access }) {
      const id = params.id ?? "";
      const url = new URL(req.url ?? "/", "http://localhost");
      const after = lastEventId(req, url.searchParams.get("last_event_id") ?? undefined);
      const view = await deps.engine.get(id);
      if (!view) throw notFound(id);
      checkOwner(access, view);
      checkStreamLimits(deps, keyId);

      const stream = openEventStream(req, res, { retryMs: 2000 });
      let lastSeq = after;
      let finished = false;
      let unsubscribe: (() => void) | undefined;
      let timer: NodeJS.Timeout | undefined;
      const handle = { end: () => finish(), keyId };
      const finish = () => {
        if (finished) return;
        finished = true;
        unsubscribe?.();
        if (timer) clearInterval(timer);
        deps.streams.delete(handle);
        stream.end();
      };
      const deliver = (e: EngineEvent) => {
        if (finished || e.seq <= lastSeq) return;
        lastSeq = e.seq;
        stream.send(e.seq, e.type, eventView(e));
        if (!e.sub && FINAL_EVENTS.has(e.type)) setImmediate(finish);
      };
      // Replays what is stored up to now, then anything else that landed while we were reading.
      const drain = async () => {
        for (const e of await deps.engine.events(id, lastSeq + 1)) deliver(e);
      };
      deps.streams.add(handle);
      stream.onClose(finish);

      if (FINAL.has(view.status)) {
        await drain();
        finish();
        return { handled: true };
      }
      unsubscribe = deps.engine.subscribe(id, after + 1, deliver);
      if (finished) unsubscribe();
      // Heartbeats keep proxies from closing an idle stream and catch an execution that finished
      // with no event left for this client (e.g. Last-Event-ID past the end).
      timer = setInterval(() => {
        stream.comment("ping");
        deps.engine
          .get(id)
          .then(async (now) => {
            if (!now) return finish();
            if (FINAL.has(now.status)) {
              await drain();
              finish();
            }
          })
          .catch((error: unknown) => logger.warn({ executionId: id, err: error }, "SSE heartbeat check failed"));
      }, deps.sseHeartbeatSeconds * 1000);
      timer.unref();
      return { handled: true };
    },
  },
];
