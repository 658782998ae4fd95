// Test harness for the HTTP API: a real engine (memory store, offline model that a test can hold),
// the real server on 127.0.0.1, and a client that checks every response against the OpenAPI document.

import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { z } from "zod";
import { openStore, type Store } from "../../src/drivers/local/database.ts";
import type { Clock, RegisteredWorkflow } from "../../src/engine/index.ts";
import { createEngine, type Engine, WorkflowDefinition } from "../../src/engine/index.ts";
import { type ApiOptions, createHttpServer, type HttpMount, type HttpServer, type HttpServerOptions } from "../../src/http/index.ts";
import { silentLogger } from "../../src/log.ts";
import { createOfflineProvider } from "../../src/model/index.ts";
import type { ModelProvider } from "../../src/model/types.ts";
import { AuditLog } from "../../src/privacy/audit.ts";
import { executionsOwner } from "../../src/privacy/executions.ts";
import { forgetTeacher } from "../../src/privacy/forget.ts";
import { builtinTemplates, EMPTY_STANDARDS, offlineDrafters, type Template } from "../../src/templates/index.ts";

// ajv-formats is CommonJS: its module object is the plugin function.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;

export const KEY = "test-key-0123456789abcdef";
export const OTHER_KEY = "other-key-0123456789abcdef";
/** Listed as admin:<key>: reaches the admin-only endpoints too. */
export const ADMIN_KEY = "admin-key-0123456789abcdef";

export type Deferred = { promise: Promise<void>; resolve: () => void };
export function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

const GRADES = ["K", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"] as const;

/** Gates that `held` executions wait on, by their `token` input. */
export const gates = new Map<string, Deferred>();
export function gate(token: string): Deferred {
  let g = gates.get(token);
  if (!g) {
    g = deferred();
    gates.set(token, g);
  }
  return g;
}

const shout = (input: Record<string, unknown>) => ({ text: String(input.name ?? input.topic ?? "").toUpperCase() });

export const testWorkflows: RegisteredWorkflow[] = [
  {
    definition: WorkflowDefinition.parse({
      id: "greet",
      version: 1,
      title: "Greeting",
      description: "Shouts a name, then writes a line for it.",
      inputs: ["name", "grade"],
      nodes: [
        { id: "shout", kind: "transform", title: "Shout", fn: "test.shout", in: { name: "inputs.name" }, next: ["poem"] },
        {
          id: "poem",
          kind: "agent",
          title: "Write",
          prompt: "Write one line for {{name}} in grade {{grade}}.",
          in: { name: "nodes.shout.text", grade: "inputs.grade" },
        },
      ],
    }),
    inputSchema: z.object({
      name: z.string().trim().min(1).max(50).meta({ label: "Name", question: "Whose name?", help: "A first name.", example: "Ada" }),
      grade: z.enum(GRADES).meta({ label: "Grade", question: "Which grade?", help: "K-12.", example: "5" }),
    }),
    transforms: { "test.shout": shout },
  },
  {
    definition: WorkflowDefinition.parse({
      id: "held",
      version: 1,
      title: "Held until released",
      inputs: ["token"],
      nodes: [
        { id: "hold", kind: "transform", fn: "test.hold", in: { token: "inputs.token" }, next: ["after"] },
        { id: "after", kind: "transform", fn: "test.shout", in: { name: "inputs.token" } },
      ],
    }),
    inputSchema: z.object({ token: z.string().min(1).max(100) }),
    transforms: {
      "test.hold": async (input) => {
        await gate(String(input.token)).promise;
        return { released: true };
      },
    },
  },
  {
    definition: WorkflowDefinition.parse({
      id: "approval",
      version: 1,
      title: "Draft and approve",
      inputs: ["topic"],
      nodes: [
        { id: "draft", kind: "transform", fn: "test.shout", in: { topic: "inputs.topic" }, next: ["review"] },
        {
          id: "review",
          kind: "human",
          prompt: "Approve the draft?",
          choices: [
            { value: "approve", label: "Approve" },
            { value: "reject", label: "Reject" },
          ],
          allowed: "requester",
          deadline: { afterMs: 600_000, action: "cancel" },
          next: ["publish"],
        },
        { id: "publish", kind: "transform", fn: "test.shout", in: { topic: "inputs.topic" } },
      ],
    }),
    inputSchema: z.object({ topic: z.string().min(1).max(100) }),
  },
];

/** The offline model, held while `slow.gate` is set (abortable, like a real provider). */
export function holdableModel(drafters: Template["drafters"]): { model: ModelProvider; slow: { gate: Deferred | undefined } } {
  const offline = createOfflineProvider({ drafters });
  const slow: { gate: Deferred | undefined } = { gate: undefined };
  return {
    slow,
    model: {
      name: "offline",
      async complete(request) {
        if (slow.gate) {
          const g = slow.gate;
          await new Promise<void>((resolve, reject) => {
            g.promise.then(resolve);
            request.signal.addEventListener("abort", () => reject(request.signal.reason), { once: true });
          });
        }
        return offline.complete(request);
      },
    },
  };
}

// biome-ignore lint/suspicious/noExplicitAny: checked against the document's ExecutionEvent schema
export type EventJson = Record<string, any>;

export type Reply = { status: number; headers: Headers; body: unknown; text: string };

export type Api = {
  base: string;
  engine: Engine;
  store: Store;
  /** The audit log, when the rig was asked for one. */
  audit?: AuditLog;
  http: HttpServer;
  templates: Template[];
  slow: { gate: Deferred | undefined };
  ready: { value: boolean };
  doc: Record<string, unknown>;
  call(
    method: string,
    path: string,
    opts?: { body?: unknown; raw?: string | Buffer; headers?: Record<string, string>; key?: string | null },
  ): Promise<Reply>;
  /** Operation ids (with status) seen by checked responses: the suite asserts every operation was exercised. */
  seen: Set<string>;
  /** Parses one SSE record's data and checks it against the document's ExecutionEvent schema. */
  checkEvent(data: string): EventJson;
  close(): Promise<void>;
};

export async function startApi(
  opts: {
    api?: Partial<ApiOptions> | false;
    mounts?: HttpMount[];
    templates?: (t: Template) => boolean;
    timeouts?: HttpServerOptions["timeouts"];
    /** The engine's clock (tests that need executions on earlier days shift it). */
    clock?: Clock;
    /** Keep an audit log in the rig's store, as `staffroom start` does, and hand it to the API and dashboard. */
    audit?: boolean;
  } = {},
): Promise<Api> {
  const store = await openStore("memory:");
  const templates = builtinTemplates(EMPTY_STANDARDS).filter(opts.templates ?? (() => true));
  const { model, slow } = holdableModel(offlineDrafters(templates));
  const engine = createEngine({ store, model, logger: silentLogger, ...(opts.clock ? { clock: opts.clock } : {}) });
  for (const t of templates) engine.register(t.workflow);
  for (const w of testWorkflows) engine.register(w);
  const audit = opts.audit ? new AuditLog(store.namespace("audit")) : undefined;
  const ready = { value: true };
  const http = createHttpServer({
    port: 0,
    host: "127.0.0.1",
    logger: silentLogger,
    mounts: opts.mounts ?? [],
    ...(opts.timeouts ? { timeouts: opts.timeouts } : {}),
    readiness: async () => ({ store: ready.value, slack: true }),
    ...(opts.api === false
      ? {}
      : {
          api: {
            engine,
            templates,
            apiKeys: [KEY, OTHER_KEY, `admin:${ADMIN_KEY}`],
            rateLimitPerMinute: 10_000,
            sseHeartbeatSeconds: 1,
            // The app's one forget, over the owners this rig has: the engine's executions, then the data key.
            forgetTeacher: (userId, actor) =>
              forgetTeacher(userId, [executionsOwner(engine)], { keys: store.keys, store }, { action: "delete", actor }),
            ...(audit ? { audit } : {}),
            ...opts.api,
          },
        }),
  });
  const { port } = await http.listen();
  const base = `http://127.0.0.1:${port}`;
  const docReply =
    opts.api === false ? undefined : await fetch(`${base}/api/openapi.json`, { headers: { authorization: `Bearer ${OTHER_KEY}` } });
  const doc = docReply?.ok ? ((await docReply.json()) as Record<string, unknown>) : {};
  const { check: checker, component } = responseChecker(doc);
  const seen = new Set<string>();

  return {
    base,
    engine,
    store,
    ...(audit ? { audit } : {}),
    http,
    templates,
    slow,
    ready,
    doc,
    seen,
    checkEvent(data) {
      const event = JSON.parse(data) as EventJson;
      component("ExecutionEvent", event);
      return event;
    },
    async call(method, path, o = {}) {
      const headers: Record<string, string> = { ...o.headers };
      const key = o.key === undefined ? KEY : o.key;
      if (key !== null) headers.authorization ??= `Bearer ${key}`;
      let body: string | Buffer | undefined = o.raw;
      if (o.body !== undefined) {
        body = JSON.stringify(o.body);
        headers["content-type"] ??= "application/json";
      }
      const res = await fetch(`${base}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
      const text = await res.text();
      const type = res.headers.get("content-type") ?? "";
      const parsed = /json/.test(type) && text ? (JSON.parse(text) as unknown) : text;
      if (opts.api !== false) {
        const op = checker(method, path, res.status, type, parsed);
        if (op) seen.add(op);
      }
      return { status: res.status, headers: res.headers, body: parsed, text };
    },
    async close() {
      await http.close();
      await engine.close();
      await store.close();
    },
  };
}

const pointer = (s: string) => s.replace(/~/g, "~0").replace(/\//g, "~1");

/**
 * Validates a response against the document: the status must be documented for the operation, and
 * the body must fit that response's schema. Paths the document does not know must answer a Problem.
 * Returns "operationId status" for coverage.
 */
export function responseChecker(doc: Record<string, unknown>) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema(doc, "openapi.json");
  const paths = Object.keys((doc.paths ?? {}) as Record<string, unknown>).map((template) => ({
    template,
    // Literal paths win over templated ones, as in the server.
    params: (template.match(/\{/g) ?? []).length,
    pattern: new RegExp(`^${template.replace(/\{\w+\}/g, "[^/]+")}/?$`),
  }));
  paths.sort((a, b) => a.params - b.params);
  const compiled = new Map<string, ReturnType<Ajv2020["compile"]>>();
  const validate = (ref: string, body: unknown, what: string) => {
    let fn = compiled.get(ref);
    if (!fn) {
      fn = ajv.compile({ $ref: ref });
      compiled.set(ref, fn);
    }
    if (!fn(body))
      throw new Error(
        `${what}: response does not match the OpenAPI document: ${ajv.errorsText(fn.errors)}\n${JSON.stringify(body).slice(0, 500)}`,
      );
  };
  const component = (name: string, body: unknown) => validate(`openapi.json#/components/schemas/${name}`, body, name);
  const check = (method: string, url: string, status: number, contentType: string, body: unknown): string | undefined => {
    const pathname = new URL(url, "http://x").pathname;
    const what = `${method} ${pathname} -> ${status}`;
    const media = contentType.split(";")[0]!.trim();
    const match = paths.find((p) => p.pattern.test(pathname));
    const operation = match
      ? ((doc.paths as Record<string, Record<string, Record<string, unknown>>>)[match.template]?.[method.toLowerCase()] as
          | Record<string, unknown>
          | undefined)
      : undefined;
    if (!match || !operation) {
      if (status < 400 || media !== "application/problem+json")
        throw new Error(`${what}: undocumented path or method answered ${status} ${media}`);
      validate("openapi.json#/components/schemas/Problem", body, what);
      return undefined;
    }
    const responses = operation.responses as Record<string, { content?: Record<string, { schema: unknown }> }>;
    const response = responses[String(status)];
    if (!response) {
      // 404 for an unknown path segment and 405 are answered before any operation runs.
      if ((status === 405 || status === 404) && media === "application/problem+json") {
        validate("openapi.json#/components/schemas/Problem", body, what);
        return undefined;
      }
      throw new Error(`${what}: status ${status} is not documented for ${String(operation.operationId)}`);
    }
    if (!response.content?.[media])
      throw new Error(`${what}: content type ${media} is not documented (${Object.keys(response.content ?? {}).join(", ")})`);
    if (media !== "text/event-stream" && media !== "text/plain") {
      const ref = `openapi.json#/paths/${pointer(match.template)}/${method.toLowerCase()}/responses/${status}/content/${pointer(media)}/schema`;
      validate(ref, body, what);
    }
    return `${String(operation.operationId)} ${status}`;
  };
  return { check, component };
}

export type SseEvent = { id?: string; event?: string; data: string };

/** Reads an SSE response until it ends (or `stopAfter` events), parsing records as a browser would. */
export async function readSse(
  url: string,
  headers: Record<string, string>,
  opts: { stopAfter?: number; onEvent?: (e: SseEvent, all: SseEvent[]) => void } = {},
) {
  const controller = new AbortController();
  const res = await fetch(url, { headers, signal: controller.signal });
  const events: SseEvent[] = [];
  let ended = false;
  if (!res.body) return { res, events, ended: true };
  const decoder = new TextDecoder();
  let buffer = "";
  const reader = res.body.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) {
        ended = true;
        break;
      }
      buffer += decoder.decode(value, { stream: true });
      let cut = buffer.indexOf("\n\n");
      while (cut >= 0) {
        const record = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        cut = buffer.indexOf("\n\n");
        const e: SseEvent = { data: "" };
        let hasData = false;
        for (const line of record.split("\n")) {
          if (line.startsWith(":")) continue;
          const i = line.indexOf(":");
          const field = i < 0 ? line : line.slice(0, i);
          const value = i < 0 ? "" : line.slice(i + 1).replace(/^ /, "");
          if (field === "id") e.id = value;
          else if (field === "event") e.event = value;
          else if (field === "data") {
            e.data = hasData ? `${e.data}\n${value}` : value;
            hasData = true;
          }
        }
        if (!hasData) continue;
        events.push(e);
        opts.onEvent?.(e, events);
        if (opts.stopAfter !== undefined && events.length >= opts.stopAfter) {
          controller.abort();
          return { res, events, ended: false };
        }
      }
    }
  } catch (error) {
    if (!controller.signal.aborted) throw error;
  }
  return { res, events, ended };
}
