// The OpenAPI 3.1 document, generated from the route table and the same zod schemas that validate
// requests and shape responses (z.toJSONSchema), so the document cannot drift from the code.
import { z } from "zod";
import { toJsonSchema } from "./api/jsonschema.ts";
import type { Route } from "./api/route.ts";
import { requestComponents, responseComponents } from "./api/schemas.ts";

type Json = Record<string, unknown>;

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const problem = (description: string, headers?: Json) => ({
  description,
  ...(headers ? { headers } : {}),
  content: { "application/problem+json": { schema: ref("Problem") } },
});

function components(routes: readonly Route[]): Json {
  const requests = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(requestComponents)) requests.add(schema, { id });
  for (const r of routes) if (r.body && !requests.has(r.body.schema)) requests.add(r.body.schema, { id: r.body.component });
  const responses = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(responseComponents)) responses.add(schema, { id });
  const uri = (id: string) => `#/components/schemas/${id}`;
  const out: Json = {};
  for (const [registry, io] of [
    [requests, "input"],
    [responses, "output"],
  ] as const) {
    const { schemas } = z.toJSONSchema(registry, { uri, io, target: "draft-2020-12", unrepresentable: "any" }) as {
      schemas: Record<string, Json>;
    };
    for (const [id, schema] of Object.entries(schemas)) {
      delete schema.$schema;
      delete schema.$id;
      out[id] = schema;
    }
  }
  return out;
}

function queryParameters(query: z.ZodObject | undefined): Json[] {
  if (!query) return [];
  return Object.entries(query.shape).map(([name, field]) => {
    const schema = toJsonSchema(field as z.ZodType, "input");
    const description = typeof schema.description === "string" ? schema.description : undefined;
    return {
      name,
      in: "query",
      required: !(field as z.ZodType).safeParse(undefined).success,
      ...(description ? { description } : {}),
      schema,
    };
  });
}

function operation(r: Route): Json {
  const parameters: Json[] = [
    ...Object.entries(r.params ?? {}).map(([name, rule]) => ({
      name,
      in: "path",
      required: true,
      description: rule.description,
      schema: { type: "string", minLength: 1, maxLength: rule.maxLength, pattern: rule.pattern },
    })),
    ...queryParameters(r.query),
    ...(r.headers ?? []).map((h) => ({ name: h.name, in: "header", required: false, description: h.description, schema: h.schema })),
  ];
  const responses: Json = {};
  for (const [status, spec] of Object.entries(r.responses)) {
    const type = spec.contentType ?? (spec.component === "Problem" ? "application/problem+json" : "application/json");
    responses[status] = {
      description: spec.description,
      ...(spec.headers ? { headers: spec.headers } : {}),
      content: spec.contentTypes
        ? Object.fromEntries(spec.contentTypes.map((t) => [t, { schema: { type: "string", format: "binary" } }]))
        : { [type]: { schema: spec.component ? ref(spec.component) : { type: "string" } } },
    };
  }
  if (r.body || r.query || r.headers?.length || r.params)
    responses["400"] ??= problem("The request does not fit: the body lists each field and its fix.");
  if (r.method === "POST") responses["413"] ??= problem("The body is larger than the server accepts.");
  if (r.body) responses["415"] ??= problem("The body is not sent as application/json.");
  if (r.scope) responses["403"] ??= problem(`The API key is valid but not an ${r.scope} key.`);
  responses["401"] = problem("Missing or wrong API key.", {
    "WWW-Authenticate": { description: "Bearer challenge.", schema: { type: "string" } },
  });
  responses["429"] = problem("Too many requests for this API key.", {
    "Retry-After": { description: "Seconds to wait before trying again.", schema: { type: "integer", minimum: 1 } },
  });
  responses["500"] = problem("Unexpected server error (logged with the request id; no details are exposed).");
  responses["503"] = problem("The service is shutting down or briefly unable to serve; try again after Retry-After.", {
    "Retry-After": { description: "Seconds to wait before trying again.", schema: { type: "integer", minimum: 1 } },
  });
  return {
    operationId: r.operationId,
    summary: r.summary,
    ...(r.description ? { description: r.description } : {}),
    tags: [r.tag],
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(r.body
      ? {
          requestBody: {
            required: true,
            description: r.body.description,
            content: { "application/json": { schema: ref(r.body.component) } },
          },
        }
      : {}),
    responses,
  };
}

const operations: Json = {
  "/healthz": {
    get: {
      operationId: "health",
      summary: "Process is up",
      tags: ["operations"],
      security: [],
      responses: { 200: { description: "Up.", content: { "application/json": { schema: ref("Health") } } } },
    },
  },
  "/readyz": {
    get: {
      operationId: "ready",
      summary: "Store reachable and adapters connected",
      tags: ["operations"],
      security: [],
      responses: {
        200: { description: "Ready.", content: { "application/json": { schema: ref("Readiness") } } },
        503: { description: "Not ready; checks say which part is down.", content: { "application/json": { schema: ref("Readiness") } } },
      },
    },
  },
  "/metrics": {
    get: {
      operationId: "metrics",
      summary: "Prometheus metrics",
      tags: ["operations"],
      security: [],
      responses: { 200: { description: "Prometheus text exposition format.", content: { "text/plain": { schema: { type: "string" } } } } },
    },
  },
};

export function buildOpenApi(routes: readonly Route[], version: string): Json {
  const paths: Record<string, Json> = {
    "/api/openapi.json": {
      get: {
        operationId: "openapi",
        summary: "This document",
        tags: ["operations"],
        responses: {
          200: { description: "The OpenAPI 3.1 document.", content: { "application/json": { schema: { type: "object" } } } },
          401: problem("Missing or wrong API key."),
          429: problem("Too many requests for this API key."),
        },
      },
    },
  };
  for (const r of routes) {
    paths[r.path] = { ...paths[r.path], [r.method.toLowerCase()]: operation(r) };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "staffroom API",
      version,
      description:
        "Run staffroom's teacher workflows from other systems (an LMS, a staff portal, a scheduler). Every /api request needs Authorization: Bearer <key> " +
        "with a key from STAFFROOM_API_KEYS. Errors are application/problem+json naming the field and the fix.",
    },
    jsonSchemaDialect: "https://spec.openapis.org/oas/3.1/dialect/base",
    servers: [{ url: "/" }],
    security: [{ bearerAuth: [] }],
    tags: [
      { name: "workflows", description: "Registered workflows." },
      { name: "executions", description: "Start, follow, answer and cancel executions." },
      { name: "templates", description: "Teacher templates and their fields." },
      { name: "quick", description: "One-call documents from the built-in templates." },
      { name: "stats", description: "Run statistics." },
      { name: "users", description: "A teacher's data (admin keys only)." },
      { name: "operations", description: "Health, readiness, metrics." },
    ],
    paths: { ...paths, ...operations },
    components: {
      securitySchemes: {
        bearerAuth: {
          type: "http",
          scheme: "bearer",
          description:
            "A key from STAFFROOM_API_KEYS. Admin keys (admin:<key>) see every teacher and reach the admin-only endpoints; teacher keys (user:<user_id>:<key>) start, list, read, cancel, answer, stream and download only their teacher's executions (403 otherwise); keys listed alone see every teacher but not the admin-only endpoints.",
        },
      },
      schemas: components(routes),
    },
  };
}
