// GET /api/workflows and GET /api/workflows/{id}: registered workflows (templates and admin-added ones).
import { HttpProblem } from "../problem.ts";
import { workflowInputSchema } from "./jsonschema.ts";
import { shortId, workflowIdParam } from "./params.ts";
import { json, type Route } from "./route.ts";
import { workflowSummary } from "./views.ts";

export const workflowRoutes: Route[] = [
  {
    method: "GET",
    path: "/api/workflows",
    operationId: "listWorkflows",
    summary: "List workflows",
    description: "Every registered workflow (latest version): built-in and admin templates, and workflow files.",
    tag: "workflows",
    responses: { 200: { description: "The workflows.", component: "WorkflowList" } },
    async handle({ deps }) {
      const workflows = deps.engine
        .workflows()
        .map((w) => workflowSummary(w, deps.templates.get(w.definition.id)))
        .sort((a, b) => a.id.localeCompare(b.id));
      return json(200, { workflows });
    },
  },
  {
    method: "GET",
    path: "/api/workflows/{id}",
    operationId: "getWorkflow",
    summary: "One workflow",
    description: "A workflow's nodes and the JSON Schema its input_data must fit.",
    tag: "workflows",
    params: { id: workflowIdParam("Workflow id, e.g. lesson-plan.") },
    responses: {
      200: { description: "The workflow.", component: "WorkflowDetail" },
      404: { description: "No such workflow.", component: "Problem" },
    },
    async handle({ deps, params }) {
      const id = params.id ?? "";
      const w = deps.engine.workflow(id);
      if (!w) throw new HttpProblem(404, "unknown_workflow", `No workflow with id "${shortId(id)}" exists; GET /api/workflows lists them.`);
      const d = w.definition;
      return json(200, {
        ...workflowSummary(w, deps.templates.get(d.id)),
        nodes: d.nodes.map((n) => ({
          id: n.id,
          kind: n.kind,
          ...(n.title ? { title: n.title } : {}),
          next: n.kind === "condition" ? [...new Set([...n.branches.map((b) => b.to), ...(n.otherwise ? [n.otherwise] : [])])] : n.next,
          ...(n.onError ? { on_error: n.onError } : {}),
        })),
        input_schema: workflowInputSchema(w.inputSchema, d.inputs),
      });
    },
  },
];
