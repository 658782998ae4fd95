// Slack's HTTP entry point for Bolt (/slack/events): checks the v0 signature, answers 200 at once, then hands
// the parsed request to Bolt's listeners in the background, so a burst is acknowledged before any work starts.
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { parse as parseQuery } from "node:querystring";
import { type App, type Receiver, type ReceiverEvent, ReceiverMultipleAckError } from "@slack/bolt";
import type { Logger } from "../../log.ts";
import { BackgroundWork } from "./background.ts";
import { slackBodyFits } from "./payloads.ts";

/** Slack's replay window: a signature more than five minutes from our clock is refused. */
export const SIGNATURE_MAX_AGE_SECONDS = 5 * 60;
/**
 * The largest body a real Slack request needs. The biggest is a click on one of our messages: the payload
 * carries the message (at most ~39,000 characters of text, see limits.ts), form-encoded, where one character
 * can take 9 bytes (3 UTF-8 bytes, each as %XX). That is ~350 KB; a teacher's longest thread reply (40,000
 * characters, sent as text and again as blocks) is less. Bolt's own limit is 4 MB.
 */
export const DEFAULT_BODY_LIMIT = 512 * 1024;
/** What an unsigned request may send: only Slack's ssl_check probe is answered without a signature, and it is tiny. */
const UNSIGNED_BODY_LIMIT = 4 * 1024;

/** A parsed Slack request body (slash command fields, an interaction payload, or an Events API envelope). */
export type SlackBody = Record<string, unknown>;
/** What a request can be answered with in its HTTP response: a message payload or plain text. */
export type AckContent = string | Record<string, unknown>;

export type SlackHttpReceiverOptions = {
  signingSecret: string;
  logger: Logger;
  /** Path served; default /slack/events. */
  path?: string;
  /**
   * Decides, before the response goes out, whether a request is answered in the response itself (a refusal,
   * an unknown command). A request answered here reaches no listener.
   */
  answer?: (body: SlackBody) => AckContent | undefined;
  /** Posts content a listener passed to ack() to the request's response_url; default: fetch. */
  respond?: (url: string, content: Record<string, unknown>) => Promise<void>;
  bodyLimit?: number;
  /** Milliseconds since the epoch; tests move the clock to check the replay window. */
  now?: () => number;
};

type Verdict = "ok" | "missing" | "stale" | "mismatch";
type SignatureHeaders = { timestamp: string | undefined; signature: string | undefined };

/** What the headers alone tell, before any of the body is read: a signature of the right form, fresh enough. */
function headerVerdict(headers: SignatureHeaders, nowMs: number): "ok" | "missing" | "stale" {
  const { timestamp, signature } = headers;
  if (!timestamp || !signature || !/^\d{1,12}$/.test(timestamp) || !/^v0=[0-9a-f]{64}$/i.test(signature)) return "missing";
  if (Math.abs(Math.floor(nowMs / 1000) - Number(timestamp)) > SIGNATURE_MAX_AGE_SECONDS) return "stale";
  return "ok";
}

/** Checks Slack's v0 request signature: HMAC-SHA256 of "v0:{timestamp}:{raw body}", compared in constant time. */
export function verifySlackSignature(secret: string, headers: SignatureHeaders, rawBody: Buffer, nowMs: number): Verdict {
  const early = headerVerdict(headers, nowMs);
  if (early !== "ok") return early;
  const { timestamp, signature } = headers as { timestamp: string; signature: string };
  const expected = createHmac("sha256", secret).update(`v0:${timestamp}:`).update(rawBody).digest();
  return timingSafeEqual(expected, Buffer.from(signature.slice(3), "hex")) ? "ok" : "mismatch";
}

const isForm = (contentType: string | undefined) =>
  (contentType ?? "").split(";")[0]?.trim().toLowerCase() === "application/x-www-form-urlencoded";

/** Parses a body the way Bolt does: form fields, a form `payload` holding JSON, or JSON. Throws on malformed input. */
export function parseSlackBody(raw: string, contentType: string | undefined): SlackBody {
  if (isForm(contentType)) {
    const fields = parseQuery(raw);
    if (typeof fields.payload === "string") return asObject(JSON.parse(fields.payload));
    return { ...fields };
  }
  return asObject(JSON.parse(raw));
}

function asObject(value: unknown): SlackBody {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error("the body is not an object");
  return value as SlackBody;
}

/** Slack's `ssl_check=1` probe; like Bolt, it is answered without a signature and nothing else in it is read. */
function isSslCheck(raw: string, contentType: string | undefined): boolean {
  return isForm(contentType) && raw.includes("ssl_check=1") && parseQuery(raw).ssl_check === "1";
}

const header = (req: IncomingMessage, name: string): string | undefined => {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

function send(res: ServerResponse, status: number, content?: AckContent, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  if (content === undefined || content === "") {
    res.writeHead(status, { ...headers, "content-length": "0" }).end();
    return;
  }
  const json = typeof content !== "string";
  const text = json ? JSON.stringify(content) : content;
  res
    .writeHead(status, {
      ...headers,
      "content-type": json ? "application/json; charset=utf-8" : "text/plain; charset=utf-8",
      "content-length": String(Buffer.byteLength(text)),
    })
    .end(text);
}

async function postToResponseUrl(url: string, content: Record<string, unknown>): Promise<void> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(content),
    signal: AbortSignal.timeout(10_000),
  });
  await res.arrayBuffer();
  if (!res.ok) throw new Error(`response_url answered HTTP ${res.status}`);
}

/**
 * A Bolt Receiver for HTTP mode. Every verified request is answered before Bolt sees it: the ack a listener
 * calls no longer writes the response, and content it passes to ack() is posted to the response_url.
 */
export class SlackHttpReceiver implements Receiver {
  private app: App | undefined;
  private server: Server | undefined;
  private stopped = false;
  private readonly path: string;
  private readonly bodyLimit: number;
  private readonly now: () => number;
  private readonly respond: (url: string, content: Record<string, unknown>) => Promise<void>;
  private readonly log: Logger;
  /** Bolt's processing of acknowledged requests, held while a burst is still arriving; stop() waits for it. */
  readonly dispatches = new BackgroundWork({ quietMs: 20, maxHoldMs: 1000 });
  /** Node's request listener, for a server of our own or a mount on the shared one. */
  readonly requestListener: (req: IncomingMessage, res: ServerResponse) => void;

  constructor(private readonly options: SlackHttpReceiverOptions) {
    this.path = options.path ?? "/slack/events";
    this.bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
    this.now = options.now ?? Date.now;
    this.respond = options.respond ?? postToResponseUrl;
    this.log = options.logger;
    this.requestListener = (req, res) => this.handle(req, res);
  }

  init(app: App): void {
    this.app = app;
  }

  /** Listens on its own server; `backlog` is deep because a burst of commands opens many connections at once. */
  async start(port: number): Promise<{ port: number; server: Server }> {
    if (this.server) throw new Error("the Slack receiver is already listening");
    // Slow clients are cut as on the shared server (see src/http/server.ts).
    const server = createServer({ connectionsCheckingInterval: 1_000 }, this.requestListener);
    server.headersTimeout = 5_000;
    server.requestTimeout = 15_000;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen({ port, backlog: 2048 }, () => {
        server.off("error", reject);
        resolve();
      });
    });
    return { port: (server.address() as AddressInfo).port, server };
  }

  /** Stops taking requests (answering 503 if it is mounted elsewhere) and waits for Bolt to finish those taken. */
  async stop(settleMs = 5_000): Promise<void> {
    this.stopped = true;
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    await this.dispatches.settle(settleMs);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? "/").split("?")[0];
    if (path !== this.path) {
      send(res, 404);
      return;
    }
    if (req.method !== "POST") {
      send(res, 405, undefined, { allow: "POST" });
      return;
    }
    if (this.stopped) {
      send(res, 503);
      return;
    }
    this.dispatches.arrived();
    // Decided from the headers, before the body: an unsigned or stale request may send only an ssl_check's
    // few bytes, a signed one what Slack's largest payload needs. Both the declared length and the bytes
    // that actually arrive are counted.
    const signed = headerVerdict(this.signatureHeaders(req), this.now());
    const limit = signed === "ok" ? this.bodyLimit : UNSIGNED_BODY_LIMIT;
    const declared = Number(header(req, "content-length") ?? 0);
    if (declared > limit) {
      this.refuseBody(req, res, signed);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners("data");
        this.refuseBody(req, res, signed);
      } else chunks.push(chunk);
    });
    req.on("end", () => {
      if (size > limit) return;
      try {
        this.receive(req, res, chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size), signed);
      } catch (error) {
        this.log.error({ err: (error as Error).message }, "slack: request handling failed");
        send(res, 500);
      }
    });
    req.on("error", () => {
      // The client went away mid-body; nothing was read, so nothing runs.
      if (!res.headersSent) res.destroy();
    });
  }

  private signatureHeaders(req: IncomingMessage): SignatureHeaders {
    return { timestamp: header(req, "x-slack-request-timestamp"), signature: header(req, "x-slack-signature") };
  }

  /** A body over its limit: 413 when signed, 401 when it came without a valid signature header (nothing read). */
  private refuseBody(req: IncomingMessage, res: ServerResponse, signed: "ok" | "missing" | "stale"): void {
    if (signed === "ok") {
      this.log.warn({ limit: this.bodyLimit }, "slack: request body over the limit refused");
      send(res, 413, undefined, { connection: "close" });
    } else {
      this.log.warn({ reason: signed }, "slack: request with a bad signature refused");
      send(res, 401, undefined, { connection: "close" });
    }
    // Drain (and drop) what is still coming, so the refusal reaches the client instead of a reset.
    req.resume();
  }

  private receive(req: IncomingMessage, res: ServerResponse, raw: Buffer, signed: "ok" | "missing" | "stale"): void {
    const contentType = header(req, "content-type");
    const text = raw.toString("utf8");
    if (isSslCheck(text, contentType)) {
      send(res, 200);
      return;
    }
    const verdict =
      signed === "ok" ? verifySlackSignature(this.options.signingSecret, this.signatureHeaders(req), raw, this.now()) : signed;
    if (verdict !== "ok") {
      // Bodies are never logged: they hold teachers' text.
      this.log.warn({ reason: verdict }, "slack: request with a bad signature refused");
      send(res, 401);
      return;
    }
    let body: SlackBody;
    try {
      body = parseSlackBody(text, contentType);
    } catch {
      this.log.warn("slack: malformed request body refused");
      send(res, 400);
      return;
    }
    if (!slackBodyFits(body)) {
      // Signed, so from Slack (or someone holding the secret), yet not a shape any listener can read.
      this.log.warn(
        { type: typeof body.type === "string" ? body.type.slice(0, 40) : undefined },
        "slack: request body of an unexpected shape refused",
      );
      send(res, 400);
      return;
    }
    if (body.type === "url_verification") {
      send(res, 200, { challenge: body.challenge });
      return;
    }
    const answer = this.options.answer?.(body);
    if (answer !== undefined) {
      send(res, 200, answer);
      return;
    }
    send(res, 200);
    const retryNum = header(req, "x-slack-retry-num");
    const retryReason = header(req, "x-slack-retry-reason");
    const event: ReceiverEvent = {
      body,
      ack: this.lateAck(body),
      ...(retryNum !== undefined && /^\d+$/.test(retryNum) ? { retryNum: Number(retryNum) } : {}),
      ...(retryReason !== undefined ? { retryReason } : {}),
    };
    this.dispatches.run(
      async () => {
        if (!this.app) throw new Error("the Slack receiver has no app");
        await this.app.processEvent(event);
      },
      (error) => {
        this.log.error({ err: (error as Error).message, code: (error as { code?: string }).code }, "slack: a listener failed");
      },
    );
  }

  /** The ack listeners get: the response has gone out, so content can only follow through response_url. */
  private lateAck(body: SlackBody): ReceiverEvent["ack"] {
    let acked = false;
    return async (content?: unknown) => {
      if (acked) throw new ReceiverMultipleAckError();
      acked = true;
      if (content === undefined || content === null || content === "") return;
      const url = typeof body.response_url === "string" ? body.response_url : undefined;
      if (!url) {
        this.log.warn("slack: ack content dropped; requests are answered before listeners run and this one has no response_url");
        return;
      }
      const message = typeof content === "string" ? { text: content } : (content as Record<string, unknown>);
      try {
        await this.respond(url, message);
      } catch (error) {
        this.log.warn({ err: (error as Error).message }, "slack: posting ack content to response_url failed");
      }
    };
  }
}
