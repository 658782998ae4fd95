// Checks REST calls against Discord's own OpenAPI 3.1 description (../shared/specs): the route and method
// must exist, path parameters and JSON (or multipart payload_json) bodies must fit the request schemas.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";

const repoRoot = resolve(fileURLToPath(import.meta.url), "../../../..");
export const discordSpecPath = resolve(repoRoot, "../shared/specs/discord-api.openapi3.json");

type Json = Record<string, unknown>;
type Operation = {
  method: string;
  template: string;
  operationId: string;
  params: { name: string; in: string; required: boolean; schema: Json }[];
  bodies: Record<string, Json>;
  bodyRequired: boolean;
};
type Route = { template: string; regex: RegExp; names: string[]; ops: Map<string, Operation> };

export type RouteMatch = { operation: Operation; params: Record<string, string> };

export class DiscordSpec {
  private readonly routes: Route[] = [];
  private readonly ajv: Ajv2020;
  private readonly cache = new Map<string, ValidateFunction>();

  constructor(path = discordSpecPath) {
    const spec = JSON.parse(readFileSync(path, "utf8")) as { paths: Record<string, Record<string, unknown>> };
    this.ajv = new Ajv2020({ strict: false, allErrors: false, logger: false, validateFormats: true });
    const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;
    addFormats(this.ajv);
    for (const name of ["snowflake", "int32", "int64", "nonce", "double", "float"]) this.ajv.addFormat(name, true);
    this.ajv.addSchema({ ...spec, $id: "discord" } as Json);
    for (const [template, item] of Object.entries(spec.paths)) {
      const names: string[] = [];
      // Literal segments like "@me" and "@original" must win over parameters, hence the ordering below.
      const pattern = template.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{(\w+)\}/g, (_m, n: string) => {
        names.push(n);
        return "([^/]+)";
      });
      const route: Route = { template, regex: new RegExp(`^${pattern}$`), names, ops: new Map() };
      const shared = (item.parameters as Operation["params"] | undefined) ?? [];
      for (const [method, raw] of Object.entries(item)) {
        if (method === "parameters") continue;
        const op = raw as Json;
        const body = op.requestBody as { content?: Record<string, { schema: Json }>; required?: boolean } | undefined;
        route.ops.set(method.toUpperCase(), {
          method: method.toUpperCase(),
          template,
          operationId: String(op.operationId),
          params: [...shared, ...((op.parameters as Operation["params"] | undefined) ?? [])],
          bodies: Object.fromEntries(Object.entries(body?.content ?? {}).map(([type, c]) => [type, c.schema])),
          bodyRequired: Boolean(body?.required),
        });
      }
      this.routes.push(route);
    }
    // Fewer parameters first: "/webhooks/{id}/{token}/messages/@original" before ".../messages/{message_id}".
    this.routes.sort((a, b) => a.names.length - b.names.length);
  }

  /** The operation for a method and path (below /api/v10), or undefined when the spec has none. */
  match(method: string, path: string): RouteMatch | { error: string } {
    let pathExists = false;
    for (const route of this.routes) {
      const m = route.regex.exec(path);
      if (!m) continue;
      pathExists = true;
      const operation = route.ops.get(method);
      if (!operation) continue;
      const params: Record<string, string> = {};
      route.names.forEach((n, i) => {
        params[n] = m[i + 1] ?? "";
      });
      return { operation, params };
    }
    return { error: pathExists ? `method ${method} not allowed on ${path}` : `no route ${path} in the spec` };
  }

  /** Problems with the path parameters and body of a matched call; empty when it fits the spec. */
  check(match: RouteMatch, contentType: "json" | "multipart" | "none", body: unknown): string[] {
    const problems: string[] = [];
    const { operation } = match;
    for (const p of operation.params) {
      if (p.in !== "path") continue;
      const value = match.params[p.name];
      const validate = this.compile(p.schema);
      if (!validate(value)) problems.push(`path parameter ${p.name}=${value}: ${this.ajv.errorsText(validate.errors)}`);
    }
    if (contentType === "none") {
      if (operation.bodyRequired) problems.push(`${operation.operationId} requires a request body`);
      return problems;
    }
    const schema = contentType === "json" ? operation.bodies["application/json"] : operation.bodies["multipart/form-data"];
    if (!schema) {
      problems.push(`${operation.operationId} takes no ${contentType} body`);
      return problems;
    }
    const validate = this.compile(schema);
    if (!validate(body)) {
      problems.push(`${operation.operationId} body: ${this.ajv.errorsText(validate.errors, { dataVar: "body" })}`);
    }
    return problems;
  }

  private compile(schema: Json): ValidateFunction {
    const key = JSON.stringify(schema);
    let validate = this.cache.get(key);
    if (!validate) {
      // Rewrite local refs so they resolve inside the spec document registered as "discord".
      const rewritten = JSON.parse(key.replaceAll('"#/components/', '"discord#/components/')) as Json;
      validate = this.ajv.compile(rewritten);
      this.cache.set(key, validate);
    }
    return validate;
  }
}

let shared: DiscordSpec | undefined;
/** One parsed spec per process: parsing 1 MB and compiling schemas is the slow part. */
export function discordSpec(): DiscordSpec {
  shared ??= new DiscordSpec();
  return shared;
}
