// The API's route table, most specific paths first (literal segments win over {params}).
import type { Template } from "../../templates/types.ts";
import { documentRoutes } from "./documents.ts";
import { executionRoutes } from "./executions.ts";
import { quickRoutes } from "./quick.ts";
import type { Route } from "./route.ts";
import { statsRoutes } from "./stats.ts";
import { templateRoutes } from "./templates.ts";
import { userRoutes } from "./users.ts";
import { workflowRoutes } from "./workflows.ts";

export type { ApiDeps, Route, RouteContext, RouteResult } from "./route.ts";

export function apiRoutes(templates: ReadonlyMap<string, Template>): Route[] {
  const routes = [
    ...workflowRoutes,
    ...executionRoutes,
    ...documentRoutes,
    ...templateRoutes,
    ...quickRoutes(templates),
    ...statsRoutes,
    ...userRoutes,
  ];
  const params = (r: Route) => (r.path.match(/\{/g) ?? []).length;
  return routes.sort((a, b) => params(a) - params(b));
}

export type CompiledRoute = { route: Route; pattern: RegExp; names: string[] };

export function compileRoutes(routes: readonly Route[]): CompiledRoute[] {
  return routes.map((route) => {
    const names: string[] = [];
    const source = route.path
      .split("/")
      .map((segment) => {
        const m = /^\{(\w+)\}$/.exec(segment);
        if (!m) return segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
        names.push(m[1]!);
        return "([^/]+)";
      })
      .join("/");
    return { route, pattern: new RegExp(`^${source}/?$`), names };
  });
}
