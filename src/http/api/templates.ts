// GET /api/workflows/templates[/{id}]: teacher templates with their fields' questions and examples.
import { describeFields } from "../../templates/index.ts";
import type { Template } from "../../templates/types.ts";
import { HttpProblem } from "../problem.ts";
import { toJsonSchema } from "./jsonschema.ts";
import { shortId, workflowIdParam } from "./params.ts";
import { json, type Route } from "./route.ts";
import { API_BASE } from "./views.ts";

function templateSummary(t: Template) {
  return {
    id: t.id,
    command: t.command,
    title: t.title,
    description: t.description,
    student_data: t.studentData,
    revisable: t.revisable === true,
    ...(t.source ? { source: t.source } : {}),
    fields: describeFields(t.inputSchema).map((f) => ({
      name: f.name,
      label: f.label,
      question: f.question,
      help: f.help,
      example: f.example,
      required: f.required,
      internal: f.internal,
      ...(f.choices ? { choices: f.choices } : {}),
    })),
    url: `${API_BASE}/templates/${encodeURIComponent(t.id)}`,
  };
}

export const templateRoutes: Route[] = [
  {
    method: "GET",
    path: "/api/workflows/templates",
    operationId: "listTemplates",
    summary: "List templates",
    tag: "templates",
    responses: { 200: { description: "The templates.", component: "TemplateList" } },
    async handle({ deps }) {
      return json(200, { templates: [...deps.templates.values()].map(templateSummary) });
    },
  },
  {
    method: "GET",
    path: "/api/workflows/templates/{id}",
    operationId: "getTemplate",
    summary: "One template",
    tag: "templates",
    params: { id: workflowIdParam("Template id, e.g. lesson-plan.") },
    responses: {
      200: { description: "The template with the JSON Schema of its inputs.", component: "TemplateDetail" },
      404: { description: "No such template.", component: "Problem" },
    },
    async handle({ deps, params }) {
      const id = params.id ?? "";
      const t = deps.templates.get(id);
      if (!t)
        throw new HttpProblem(
          404,
          "unknown_template",
          `No template with id "${shortId(id)}" exists; GET /api/workflows/templates lists them.`,
        );
      return json(200, { ...templateSummary(t), input_schema: toJsonSchema(t.inputSchema, "input") });
    },
  },
];
