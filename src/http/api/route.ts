// The route table's types: each route names its method, path, zod schemas and responses once; the
// server dispatches on it and openapi.ts documents it, so the two cannot disagree.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { z } from "zod";
import type { KnownNames } from "../../documents/index.ts";
import type { EngineApi } from "../../engine/api.ts";
import type { Logger } from "../../log.ts";
import type { Template } from "../../templates/types.ts";
import type { ApiScope } from "../auth.ts";
import type { Access } from "./access.ts";
import type { ExecutionViewCache } from "./cache.ts";
import type { PathParam } from "./params.ts";

export type ApiDeps = {
  engine: EngineApi;
  /** Loaded templates, by workflow id. */
  templates: ReadonlyMap<string, Template>;
  logger: Logger;
  /** Bounds of `?wait=true` on quick actions, in seconds. */
  quickWait: { defaultSeconds: number; maxSeconds: number };
  /** Seconds between SSE heartbeat comments (which also re-check a stream's execution). */
  sseHeartbeatSeconds: number;
  /** Serialized answers of finished executions (GET /executions/{id}). */
  views: ExecutionViewCache;
  /** Open SSE streams, ended when the server closes; `keyId` counts them against the per-key cap. */
  streams: Set<{ end(): void; keyId: string }>;
  /** Most SSE streams open at once, in total and per API key. */
  sseLimits: { total: number; perKey: number };
  /** Names the privacy layer knows for a run, kept out of document file names. */
  knownNames?: KnownNames;
  /** The app's one forget (DELETE /api/users/{user_id}); the route answers 501 without it. */
  forgetTeacher?: (userId: string, actor: string) => Promise<Record<string, number>>;
};

export type RouteContext = {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  query: unknown;
  body: unknown;
  /** The JSON body as received, before the schema's transforms. */
  rawBody: unknown;
  /** Id of the API key that authenticated (never the key itself). */
  keyId: string;
  scope: ApiScope;
  /** The key's scope and, for a teacher key, its teacher (see access.ts). */
  access: Access;
  requestId: string;
  deps: ApiDeps;
  logger: Logger;
};

/**
 * A JSON answer (or its text, already serialized), a file (`bytes`, its content-type in `headers`), or
 * `handled` when the route wrote the response itself (SSE).
 */
export type RouteResult =
  | { status: number; body: unknown; headers?: Record<string, string> }
  | { status: number; json: string; headers?: Record<string, string> }
  | { status: number; bytes: Uint8Array; headers: Record<string, string> & { "content-type": string } }
  | { handled: true };

export type ResponseSpec = {
  description: string;
  /** Component name in the OpenAPI document (a key of responseComponents). */
  component?: string;
  contentType?: string;
  /** A file answer's content types (documented as binary strings). */
  contentTypes?: string[];
  headers?: Record<string, { description: string; schema: Record<string, unknown> }>;
};

export type Route = {
  method: "GET" | "POST" | "DELETE";
  /** Set: only keys of this scope may call it (others get 403). */
  scope?: ApiScope;
  /** OpenAPI-style template: /api/workflows/executions/{id}. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  /** Each {param} of the path with its rule, checked before the handler runs. */
  params?: Record<string, PathParam>;
  query?: z.ZodObject;
  headers?: { name: string; description: string; schema: Record<string, unknown> }[];
  body?: {
    schema: z.ZodType;
    component: string;
    description: string;
    /** A per-field fix appended to validation errors (template examples). */
    hint?: (field: string) => string | undefined;
  };
  responses: Record<number, ResponseSpec>;
  handle(ctx: RouteContext): Promise<RouteResult>;
};

export const json = (status: number, body: unknown, headers?: Record<string, string>): RouteResult => ({ status, body, headers });
