// GET /api/workflows/stats/overview and /stats/{workflow_id}: runs, success rate, per-node timings.
import { HttpProblem } from "../problem.ts";
import { shortId, workflowIdParam } from "./params.ts";
import { json, type Route } from "./route.ts";
import { emptyStats, workflowStatsView } from "./views.ts";

export const statsRoutes: Route[] = [
  {
    method: "GET",
    path: "/api/workflows/stats/overview",
    operationId: "statsOverview",
    summary: "Stats of every workflow",
    description: "Runs, success rate and per-node min/mean/p50/p95/max durations, failure rate and retries, from the store.",
    tag: "stats",
    responses: { 200: { description: "Totals and per-workflow stats.", component: "StatsOverview" } },
    async handle({ deps }) {
      const stats = await deps.engine.stats();
      const workflows = stats.map(workflowStatsView).sort((a, b) => a.workflow_id.localeCompare(b.workflow_id));
      const totals = workflows.reduce(
        (t, w) => ({
          runs: t.runs + w.runs,
          completed: t.completed + w.completed,
          failed: t.failed + w.failed,
          cancelled: t.cancelled + w.cancelled,
        }),
        { runs: 0, completed: 0, failed: 0, cancelled: 0 },
      );
      const finished = totals.completed + totals.failed + totals.cancelled;
      return json(200, { totals: { ...totals, success_rate: finished === 0 ? null : totals.completed / finished }, workflows });
    },
  },
  {
    method: "GET",
    path: "/api/workflows/stats/{workflow_id}",
    operationId: "workflowStats",
    summary: "Stats of one workflow",
    tag: "stats",
    params: { workflow_id: workflowIdParam("Workflow id.") },
    responses: {
      200: { description: "The workflow's stats.", component: "WorkflowStatsView" },
      404: { description: "No such workflow.", component: "Problem" },
    },
    async handle({ deps, params }) {
      const id = params.workflow_id ?? "";
      const [stats] = await deps.engine.stats(id);
      if (stats) return json(200, workflowStatsView(stats));
      const w = deps.engine.workflow(id);
      if (!w) throw new HttpProblem(404, "unknown_workflow", `No workflow with id "${shortId(id)}" exists; GET /api/workflows lists them.`);
      return json(200, emptyStats(w));
    },
  },
];
