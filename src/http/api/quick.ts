// Quick actions: POST /api/workflows/quick/lesson-plan and /quick/assessment take the template's
// fields at the top level; with ?wait=true they answer with the finished document (bounded wait).
import { z } from "zod";
import type { ExecutionStatus, ExecutionView } from "../../engine/records.ts";
import type { Template } from "../../templates/types.ts";
import { HttpProblem } from "../problem.ts";
import { checkActingAs } from "./access.ts";
import { renderDocument } from "./executions.ts";
import { json, type Route } from "./route.ts";
import { QuickQuery } from "./schemas.ts";
import { accepted, fieldHints, startExecution } from "./start.ts";
import { executionUrl } from "./views.ts";

const FINAL: ReadonlySet<ExecutionStatus> = new Set(["completed", "failed", "cancelled"]);

/**
 * `defaults` fill fields a quick request may leave out (the original API's requests name no lesson
 * duration and no question count); applied only when the template has the field and the request omits it.
 */
export const QUICK_ACTIONS: readonly {
  path: string;
  templateId: string;
  name: string;
  title: string;
  defaults: Record<string, unknown>;
}[] = [
  { path: "lesson-plan", templateId: "lesson-plan", name: "LessonPlan", title: "lesson plan", defaults: { duration: 45 } },
  { path: "assessment", templateId: "assessment", name: "Assessment", title: "assessment", defaults: { questionCount: 10 } },
];

function applicableDefaults(template: Template | undefined, defaults: Record<string, unknown>): Record<string, unknown> {
  if (!template) return {};
  return Object.fromEntries(Object.entries(defaults).filter(([k]) => k in template.inputSchema.shape));
}

const userIdField = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .meta({ description: "Who the document is for, as your system knows them.", example: "teacher123" });

function bodySchema(template: Template | undefined, defaults: Record<string, unknown>): z.ZodType {
  if (!template) return z.record(z.string(), z.unknown());
  const shape: Record<string, z.ZodType> = { user_id: userIdField };
  for (const [name, value] of Object.entries(defaults)) {
    const field = template.inputSchema.shape[name] as z.ZodType;
    shape[name] = field.optional().meta({ ...field.meta(), default: value });
  }
  return template.inputSchema.extend(shape).strict();
}

/** Resolves with the view once final or waiting, or undefined when `ms` pass or the client leaves. */
async function waitBounded(wait: Promise<ExecutionView>, ms: number, closed: Promise<void>): Promise<ExecutionView | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const elapsed = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([wait.catch(() => undefined), elapsed, closed.then(() => undefined)]);
  } finally {
    clearTimeout(timer);
  }
}

export function quickRoutes(templates: ReadonlyMap<string, Template>): Route[] {
  return QUICK_ACTIONS.map((action): Route => {
    const template = templates.get(action.templateId);
    const defaults = applicableDefaults(template, action.defaults);
    const defaultsText = Object.entries(defaults)
      .map(([k, v]) => `${k} defaults to ${JSON.stringify(v)}`)
      .join("; ");
    return {
      method: "POST",
      path: `/api/workflows/quick/${action.path}`,
      operationId: `quick${action.name}`,
      summary: `Quick ${action.title}`,
      description:
        `Starts the ${action.templateId} template with its fields at the top level of the body, plus user_id. ` +
        "With ?wait=true the answer waits (up to timeout seconds) and returns the rendered document; past the bound it answers 202 with the status URL." +
        (defaultsText ? ` Left out, ${defaultsText}.` : ""),
      tag: "quick",
      query: QuickQuery,
      headers: [
        {
          name: "Idempotency-Key",
          description: "Any unique string; a repeated request with the same key returns the first execution.",
          schema: { type: "string", minLength: 1, maxLength: 200 },
        },
      ],
      body: {
        schema: bodySchema(template, defaults),
        component: `Quick${action.name}Request`,
        description: `The ${action.title}'s fields and user_id.`,
        hint: fieldHints(template?.inputSchema),
      },
      responses: {
        200: { description: "Finished (with wait=true): the document, or the error that stopped it.", component: "QuickResult" },
        202: {
          description: "Started (without wait, or still running when the wait ended).",
          component: "ExecutionAccepted",
          headers: { Location: { description: "The status URL.", schema: { type: "string" } } },
        },
        403: { description: "A teacher key and another teacher's user_id.", component: "Problem" },
        404: { description: "The template is not loaded on this server.", component: "Problem" },
      },
      async handle({ deps, rawBody, query, req, res, keyId, logger, access }) {
        const current = deps.templates.get(action.templateId);
        const workflow = deps.engine.workflow(action.templateId);
        if (!current || !workflow) {
          throw new HttpProblem(404, "unknown_template", `The ${action.templateId} template is not loaded on this server.`);
        }
        const { user_id: userId, ...given } = rawBody as Record<string, unknown>;
        checkActingAs(access, String(userId).trim());
        const inputs = { ...applicableDefaults(current, action.defaults), ...given };
        const record = await startExecution(deps, {
          workflow,
          inputs,
          userId: String(userId).trim(),
          prefix: [],
          req,
          keyId,
        });
        const q = query as { wait?: boolean; timeout?: number };
        if (!q.wait) return accepted(record);
        const seconds = Math.min(q.timeout ?? deps.quickWait.defaultSeconds, deps.quickWait.maxSeconds);
        const closed = new Promise<void>((resolve) => res.once("close", () => resolve()));
        const view = await waitBounded(
          deps.engine.wait(record.id, { untilWaiting: true, timeoutMs: seconds * 1000 }),
          seconds * 1000,
          closed,
        );
        if (!view || !FINAL.has(view.status)) {
          const a = accepted(record);
          return { ...a, body: { ...a.body, status: view?.status ?? record.status } };
        }
        const document = renderDocument(deps, current, view);
        if (view.status === "failed") logger.warn({ executionId: view.id, code: view.error?.code }, "quick action failed");
        return json(200, {
          execution_id: view.id,
          workflow_id: view.templateId,
          status: view.status,
          status_url: executionUrl(view.id),
          ...(view.durationMs !== undefined ? { duration_ms: view.durationMs } : {}),
          ...(document ? { document } : {}),
          ...(view.error ? { error: { code: view.error.code, message: view.error.message } } : {}),
        });
      },
    };
  });
}
