// The process's one HTTP server: health, readiness and metrics, mounts (the Slack HTTP receiver gets
// its raw request untouched), and the JSON API under /api behind API keys and a per-key rate limit.
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import type { KnownNames } from "../documents/index.ts";
import type { EngineApi } from "../engine/api.ts";
import { InvalidInputError, NotFoundError, StaffroomError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { registry as sharedRegistry } from "../metrics.ts";
import type { AuditLog } from "../privacy/index.ts";
import { type PartStatus, readinessReport } from "../readiness.ts";
import type { Template } from "../templates/types.ts";
import { type Catalog, createAdmin, sendAdminDisabled } from "./admin/index.ts";
import type { Access } from "./api/access.ts";
import { ExecutionViewCache } from "./api/cache.ts";
import { type ApiDeps, apiRoutes, type CompiledRoute, compileRoutes } from "./api/index.ts";
import { pathParam } from "./api/params.ts";
import type { RouteContext } from "./api/route.ts";
import { ApiKeys, forbidden, parseApiKey, RateLimiter, rateLimited, unauthorized, unscopedKeys } from "./auth.ts";
import { DEFAULT_MAX_BODY_BYTES, discardBody, readJsonBody, refuseUnstorable } from "./body.ts";
import { httpRequestDurationSeconds, httpRequestsTotal } from "./metrics.ts";
import { buildOpenApi } from "./openapi.ts";
import { requestUrl, shownPath } from "./path.ts";
import { HttpProblem, problemBody, sendProblem, validationProblem, zodFieldErrors } from "./problem.ts";

/** A handler another layer mounts on the shared server (the Slack adapter at /slack/events). */
export type HttpMount = { path: string; handler: (req: IncomingMessage, res: ServerResponse) => void | Promise<void> };

export type ApiOptions = {
  engine: EngineApi;
  templates: readonly Template[] | ReadonlyMap<string, Template>;
  /** The API is off when this is empty (STAFFROOM_API_KEYS). */
  apiKeys: readonly string[];
  /** Requests per minute per key (STAFFROOM_API_RATE_LIMIT). */
  rateLimitPerMinute: number;
  /** Largest accepted JSON body; default 64 KiB. */
  maxBodyBytes?: number;
  /** ?wait=true bounds for quick actions, in seconds (default 60, at most 120). */
  quickWait?: { defaultSeconds?: number; maxSeconds?: number };
  /** Seconds between SSE heartbeats; default 15. */
  sseHeartbeatSeconds?: number;
  /** Most event streams open at once: in total (default 200) and per API key (default 20). */
  sseMaxStreams?: number;
  sseMaxStreamsPerKey?: number;
  /** Longest an execution view is served from memory (ms; 0 turns it off); events drop it sooner. Default 1000. */
  viewCacheMs?: number;
  /** What the admin dashboard shows under "Templates and standards" (loaded standards sets, load problems). */
  catalog?: () => Catalog;
  /** Names the privacy layer knows for a run, kept out of document file names. */
  knownNames?: KnownNames;
  /** When the store's retention sweep last ran (the admin dashboard shows it). */
  lastSweep?: () => Promise<number | undefined>;
  /** The app's one forget, for DELETE /api/users/{user_id} (admin keys). */
  forgetTeacher?: (userId: string, actor: string) => Promise<Record<string, number>>;
  /** The audit log: API-key use (one entry per key, route, target and minute) and dashboard sign-ins. */
  audit?: Pick<AuditLog, "record" | "recordApiUse" | "list">;
  /** The clock the dashboard's sessions and sign-in pause read (epoch ms); tests move it instead of sleeping. */
  adminNow?: () => number;
};

export type HttpServerOptions = {
  port: number;
  host?: string;
  logger: Logger;
  mounts?: HttpMount[];
  api?: ApiOptions;
  /**
   * Named checks (store, slack, discord...): plain booleans or part statuses from src/readiness.ts, which
   * /readyz reports in detail (e.g. which platform is still connecting). 503 unless all are ready.
   */
  readiness: () => Promise<Record<string, boolean | PartStatus>>;
  /** Registry served at /metrics; defaults to the shared one. */
  metrics?: Registry;
  /** Reported as info.version in the OpenAPI document. */
  version?: string;
  /** Slow-client limits in ms: all headers within `headersMs` (default 5 s), the whole request within `requestMs` (default 15 s). */
  timeouts?: { headersMs?: number; requestMs?: number };
};

export type HttpServer = {
  server: Server;
  /** Adds a mount after creation (adapters that start after the server). */
  mount(mount: HttpMount): void;
  listen(): Promise<{ port: number }>;
  close(): Promise<void>;
};

/** What a request's log line and metrics say about it: the route template, and the execution it concerns. */
type RequestLabel = { route: string; executionId?: string };

const REQUEST_ID = /^[\w.:-]{1,100}$/;
/** Failed key checks allowed per client address per minute before 429s. */
const AUTH_FAILURES_PER_MINUTE = 30;

type Api = {
  admin: ReturnType<typeof createAdmin>;
  /** Stops dropping cached views on engine events (at close). */
  stopInvalidating: () => void;
  deps: ApiDeps;
  keys: ApiKeys;
  limiter: RateLimiter;
  failures: RateLimiter;
  routes: CompiledRoute[];
  openapi: string;
  maxBodyBytes: number;
  audit?: Pick<AuditLog, "record" | "recordApiUse">;
};

function buildApi(
  options: ApiOptions,
  logger: Logger,
  version: string,
  health: () => Promise<Record<string, boolean | PartStatus>>,
): Api | undefined {
  const keys = new ApiKeys(options.apiKeys);
  if (keys.size === 0) return undefined;
  const entries = options.apiKeys.map(parseApiKey);
  if (entries.some((e) => "key" in e && e.key.length < 16)) {
    logger.warn("an API key in STAFFROOM_API_KEYS is shorter than 16 characters; use long random keys (openssl rand -hex 24)");
  }
  const unscoped = unscopedKeys(options.apiKeys);
  if (unscoped > 0) {
    logger.warn(
      { keys: unscoped },
      "API keys without a scope in STAFFROOM_API_KEYS read every teacher's executions, inputs included; bind each to its teacher (user:<user_id>:<key>) or mark it admin:<key>",
    );
  }
  const templates: ReadonlyMap<string, Template> =
    options.templates instanceof Map ? options.templates : new Map((options.templates as readonly Template[]).map((t) => [t.id, t]));
  const maxSeconds = Math.max(1, options.quickWait?.maxSeconds ?? 120);
  const routes = apiRoutes(templates);
  const views = new ExecutionViewCache(1_000, options.viewCacheMs ?? 1_000);
  // Every state change of an execution (or of a sub-workflow, copied into its parent) comes with an event.
  const stopInvalidating = options.engine.onEvent((event) => views.delete(event.executionId));
  return {
    admin: createAdmin({
      engine: options.engine,
      keys,
      templates,
      catalog: options.catalog ?? (() => ({ standards: [], problems: [] })),
      health,
      ...(options.lastSweep ? { lastSweep: options.lastSweep } : {}),
      ...(options.audit ? { audit: options.audit } : {}),
      ...(options.adminNow ? { now: options.adminNow } : {}),
      logger: logger.child({ component: "admin" }),
    }),
    stopInvalidating,
    deps: {
      engine: options.engine,
      templates,
      logger,
      quickWait: { defaultSeconds: Math.min(options.quickWait?.defaultSeconds ?? 60, maxSeconds), maxSeconds },
      sseHeartbeatSeconds: options.sseHeartbeatSeconds ?? 15,
      views,
      streams: new Set(),
      sseLimits: { total: options.sseMaxStreams ?? 200, perKey: options.sseMaxStreamsPerKey ?? 20 },
      ...(options.knownNames ? { knownNames: options.knownNames } : {}),
      ...(options.forgetTeacher ? { forgetTeacher: options.forgetTeacher } : {}),
    },
    keys,
    limiter: new RateLimiter(options.rateLimitPerMinute),
    failures: new RateLimiter(AUTH_FAILURES_PER_MINUTE),
    routes: compileRoutes(routes),
    openapi: JSON.stringify(buildOpenApi(routes, version)),
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    ...(options.audit ? { audit: options.audit } : {}),
  };
}

/** A path's first {param} as the audit log keeps it (decoded when it decodes, bounded). */
function decodeTarget(raw: string): string {
  let text = raw;
  try {
    text = decodeURIComponent(raw);
  } catch {}
  return text.slice(0, 200);
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  sendJsonText(res, status, JSON.stringify(body), headers);
}

function sendJsonText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    ...headers,
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
  });
  res.end(text);
}

function mountMatches(mount: HttpMount, path: string): boolean {
  const base = mount.path.replace(/\/+$/, "");
  return path === base || path.startsWith(`${base}/`);
}

export function createHttpServer(options: HttpServerOptions): HttpServer {
  const logger = options.logger.child({ component: "http" });
  const mounts = [...(options.mounts ?? [])];
  const metricsRegistry = options.metrics ?? sharedRegistry;
  const api = options.api ? buildApi(options.api, logger, options.version ?? "0.1.0", options.readiness) : undefined;

  async function handleApi(req: IncomingMessage, res: ServerResponse, url: URL, requestId: string, label: RequestLabel): Promise<void> {
    if (!api) {
      throw new HttpProblem(
        404,
        "api_disabled",
        "The HTTP API is not enabled on this server (an administrator turns it on with STAFFROOM_API_KEYS).",
      );
    }
    // Authenticate before reading anything else of the request: nothing runs without a key.
    const { keyId, scope, userId } = api.keys.check(req);
    if (!keyId) {
      const address = req.socket.remoteAddress ?? "unknown";
      const decision = api.failures.take(`ip:${address}`);
      if (!decision.allowed) throw rateLimited(decision, "with a wrong API key from this address");
      throw unauthorized(req);
    }
    const decision = api.limiter.take(keyId);
    if (!decision.allowed) throw rateLimited(decision, "for this API key");
    res.setHeader("ratelimit-limit", String(decision.limit));
    res.setHeader("ratelimit-remaining", String(decision.remaining));

    const path = url.pathname;
    if (path === "/api/openapi.json") {
      label.route = path;
      if (req.method !== "GET" && req.method !== "HEAD") throw methodNotAllowed(["GET"]);
      res.writeHead(200, {
        "content-type": "application/json; charset=utf-8",
        "content-length": Buffer.byteLength(api.openapi),
        "cache-control": "no-cache",
      });
      res.end(req.method === "HEAD" ? undefined : api.openapi);
      return;
    }
    const matching = api.routes.filter((c) => c.pattern.test(path));
    if (matching.length === 0)
      throw new HttpProblem(404, "no_such_endpoint", `There is no API endpoint at ${shownPath(path)}; see /api/openapi.json for the list.`);
    const compiled = matching.find((c) => c.route.method === req.method);
    if (!compiled) throw methodNotAllowed([...new Set(matching.map((c) => c.route.method))]);
    const { route } = compiled;
    label.route = route.path;
    const access: Access = { scope: scope ?? "api", ...(userId !== undefined ? { userId } : {}) };
    // Recorded before anything can refuse the request, so refused attempts show too; never awaited (the
    // log is deduplicated per key, route, target and minute, and must not slow or fail the request).
    const target = compiled.pattern.exec(path)?.[1];
    api.audit
      ?.recordApiUse({
        actor: `${access.scope === "teacher" ? "user" : access.scope}:${keyId}`,
        route: `${req.method} ${route.path}`,
        ...(target ? { target: decodeTarget(target) } : {}),
        ...(access.userId !== undefined ? { teacher: access.userId } : {}),
      })
      .catch((error: unknown) => logger.warn({ reqId: requestId, err: error }, "writing the audit entry of an API request failed"));
    if (route.scope === "admin" && scope !== "admin") throw forbidden("admin");

    const match = compiled.pattern.exec(path)!;
    const params: Record<string, string> = {};
    compiled.names.forEach((name, i) => {
      const rule = route.params?.[name];
      if (!rule) throw new Error(`route ${route.path} declares no rule for {${name}}`);
      params[name] = pathParam(name, match[i + 1] ?? "", rule);
    });

    let query: unknown = {};
    if (route.query) {
      const raw = Object.fromEntries(url.searchParams);
      refuseUnstorable(raw, "query");
      const parsed = route.query.safeParse(raw);
      if (!parsed.success) throw validationProblem(zodFieldErrors(parsed.error, raw, { prefix: ["query"] }));
      query = parsed.data;
    }

    let body: unknown;
    let rawBody: unknown;
    if (req.method === "POST" && !route.body) await discardBody(req, api.maxBodyBytes);
    if (req.method === "POST" && route.body) {
      rawBody = await readJsonBody(req, api.maxBodyBytes);
      if (rawBody === undefined) {
        throw new HttpProblem(400, "missing_body", `Send a JSON body: ${route.body.description}`, {
          errors: [{ field: "(body)", message: "is required" }],
        });
      }
      const parsed = route.body.schema.safeParse(rawBody);
      if (!parsed.success) {
        throw validationProblem(zodFieldErrors(parsed.error, rawBody, route.body.hint ? { hint: route.body.hint } : {}));
      }
      body = parsed.data;
    }

    if (params.id && route.path.includes("/executions/")) label.executionId = params.id;
    const ctx: RouteContext = {
      req,
      res,
      params,
      query,
      body,
      rawBody,
      keyId,
      scope: scope ?? "api",
      access,
      requestId,
      deps: api.deps,
      // Built on first use: most requests log nothing beyond the debug line.
      get logger() {
        return logger.child({ reqId: requestId, ...(params.id ? { executionId: params.id } : {}) });
      },
    };
    const result = await route.handle(ctx);
    if ("handled" in result) return;
    if ("bytes" in result) {
      res.writeHead(result.status, { ...result.headers, "content-length": result.bytes.byteLength, "cache-control": "no-store" });
      res.end(result.bytes);
    } else if ("json" in result) sendJsonText(res, result.status, result.json, result.headers);
    else sendJson(res, result.status, result.body, result.headers);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const header = req.headers["x-request-id"];
    const requestId = typeof header === "string" && REQUEST_ID.test(header) ? header : randomUUID();
    const label: RequestLabel = { route: "unmatched" };
    res.setHeader("x-request-id", requestId);
    res.setHeader("x-content-type-options", "nosniff");
    res.on("close", () => {
      const durationMs = performance.now() - started;
      const method = req.method ?? "?";
      httpRequestsTotal.inc({ route: label.route, method, status: String(res.statusCode) });
      if (res.getHeader("content-type") !== "text/event-stream; charset=utf-8") {
        httpRequestDurationSeconds.observe({ route: label.route, method }, durationMs / 1000);
      }
      logger.debug(
        { reqId: requestId, method, route: label.route, status: res.statusCode, durationMs: Math.round(durationMs * 10) / 10 },
        "request",
      );
    });

    try {
      const url = requestUrl(req.url);
      const path = url.pathname;
      const mount = mounts.find((m) => mountMatches(m, path));
      if (mount) {
        label.route = `mount:${mount.path}`;
        await mount.handler(req, res);
        return;
      }
      if (path === "/healthz") {
        label.route = path;
        if (req.method !== "GET" && req.method !== "HEAD") throw methodNotAllowed(["GET"]);
        sendJson(res, 200, { status: "ok" });
        return;
      }
      if (path === "/readyz") {
        label.route = path;
        if (req.method !== "GET" && req.method !== "HEAD") throw methodNotAllowed(["GET"]);
        let parts: Record<string, boolean | PartStatus>;
        try {
          parts = await options.readiness();
        } catch (error) {
          logger.warn({ reqId: requestId, err: error }, "readiness check failed");
          parts = { readiness: false };
        }
        const { ready, checks, connecting, details } = readinessReport(parts);
        sendJson(res, ready ? 200 : 503, {
          status: ready ? "ready" : "not_ready",
          checks,
          ...(connecting.length > 0 ? { connecting } : {}),
          ...(Object.keys(details).length > 0 ? { details } : {}),
        });
        return;
      }
      if (path === "/metrics") {
        label.route = path;
        if (req.method !== "GET" && req.method !== "HEAD") throw methodNotAllowed(["GET"]);
        const text = await metricsRegistry.metrics();
        res.writeHead(200, { "content-type": metricsRegistry.contentType, "cache-control": "no-store" });
        res.end(text);
        return;
      }
      if (path === "/admin" || path.startsWith("/admin/")) {
        label.route = "/admin";
        if (api) await api.admin.handle(req, res, url, label);
        else sendAdminDisabled(res);
        return;
      }
      if (path === "/api" || path.startsWith("/api/")) {
        label.route = "/api";
        await handleApi(req, res, url, requestId, label);
        return;
      }
      throw new HttpProblem(404, "not_found", `Nothing is served at ${shownPath(path)}.`);
    } catch (error) {
      writeError(res, error, requestId, label);
    }
  }

  function writeError(res: ServerResponse, error: unknown, requestId: string, label: RequestLabel): void {
    const { route, executionId } = label;
    if (error instanceof HttpProblem) {
      const headers = { ...error.headers };
      // An unread body (413) must not be parsed as the next request on this connection.
      if (error.status === 413) headers.connection = "close";
      sendProblem(
        res,
        problemBody(error.status, error.code, error.message, { request_id: requestId, ...(error.errors ? { errors: error.errors } : {}) }),
        headers,
      );
      return;
    }
    if (error instanceof InvalidInputError) {
      sendProblem(
        res,
        problemBody(400, error.code, error.message, {
          request_id: requestId,
          ...(error.issues.length ? { errors: error.issues.map((i) => ({ field: i.path || "(body)", message: i.message })) } : {}),
        }),
      );
      return;
    }
    if (error instanceof NotFoundError) {
      sendProblem(res, problemBody(404, error.code, error.message, { request_id: requestId }));
      return;
    }
    if (error instanceof StaffroomError && error.retryable) {
      // Shutting down, the store busy: the caller may simply try again shortly.
      logger.warn({ reqId: requestId, route, executionId, code: error.code }, "request refused for now");
      sendProblem(res, problemBody(503, error.code, error.message, { request_id: requestId }), { "retry-after": "5" });
      return;
    }
    const code = error instanceof StaffroomError ? error.code : "internal";
    logger.error({ reqId: requestId, route, executionId, code, err: error }, "request failed");
    sendProblem(
      res,
      problemBody(
        500,
        "internal",
        `Something went wrong on our side; it was logged with request id ${requestId}. Try again, and tell the administrator if it keeps happening.`,
        {
          request_id: requestId,
        },
      ),
    );
  }

  // Node checks those deadlines on this interval (30 s by default, which would let a slow client stay that long).
  const checkEvery = Math.max(50, Math.min(1_000, Math.floor((options.timeouts?.headersMs ?? 5_000) / 4)));
  const server = createServer({ keepAliveTimeout: 5_000, connectionsCheckingInterval: checkEvery }, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      logger.error({ err: error }, "request handler crashed");
      if (!res.headersSent) sendProblem(res, problemBody(500, "internal", "Something went wrong on our side."));
      else res.destroy();
    });
  });
  // A client that trickles its headers or body is cut (408) instead of holding a socket: bodies here are
  // small (64 KiB of JSON, a Slack payload), and responses that take long (?wait, SSE) are not affected.
  const requestMs = Math.max(1, options.timeouts?.requestMs ?? 15_000);
  server.headersTimeout = Math.min(Math.max(1, options.timeouts?.headersMs ?? 5_000), requestMs);
  server.requestTimeout = requestMs;

  return {
    server,
    mount(m) {
      mounts.push(m);
    },
    listen() {
      return new Promise((resolve, reject) => {
        const onError = (error: Error) => reject(error);
        server.once("error", onError);
        server.listen(options.port, options.host, () => {
          server.off("error", onError);
          const port = (server.address() as AddressInfo).port;
          logger.info({ port, api: api ? "on" : "off", mounts: mounts.map((m) => m.path) }, "HTTP server listening");
          resolve({ port });
        });
      });
    },
    async close() {
      api?.stopInvalidating();
      for (const stream of api?.deps.streams ?? []) stream.end();
      if (!server.listening) return;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // Give in-flight requests a moment, then cut whatever is left (long waits, stuck clients).
      const force = setTimeout(() => server.closeAllConnections(), 2_000);
      force.unref();
      await closed;
      clearTimeout(force);
    },
  };
}

function methodNotAllowed(allowed: string[]): HttpProblem {
  return new HttpProblem(405, "method_not_allowed", `Use ${allowed.join(" or ")} for this endpoint.`, {
    headers: { allow: allowed.join(", ") },
  });
}
