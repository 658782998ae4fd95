// A local fake of Slack for end-to-end tests: the Web API (form or JSON bodies, bearer tokens, a call log,
// messages with threads and edits, file uploads, scripted `not_in_channel` and 429 storms), response_url
// endpoints, and a Socket Mode WebSocket that delivers envelopes and records acks. Every Web API call is
// checked against Slack's OpenAPI 2 spec (method exists, required parameters present) and against Block
// Kit limits; anything wrong is kept in `violations` for the test to assert empty.
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type WebSocket, WebSocketServer } from "ws";
import { postInteraction, type SentResponse } from "./sign.ts";
import { type FakeView, submissionAnswerIssues, submittedState, type ViewInput, viewIssues, viewSubmissionPayload } from "./views.ts";

type SpecParam = { name: string; in: string; required?: boolean };
type Spec = { paths: Record<string, Record<string, { parameters?: SpecParam[] }>> };

/**
 * Methods Slack added after the 2020 spec was published. They are real and used by the SDK
 * (`files.uploadV2`, Socket Mode); their required parameters come from Slack's method docs.
 */
const METHODS_MISSING_FROM_SPEC: Record<string, { required: string[]; optional?: string[]; token: "bot" | "app" }> = {
  "files.getUploadURLExternal": { required: ["filename", "length"], optional: ["alt_txt", "snippet_type"], token: "bot" },
  "files.completeUploadExternal": {
    required: ["files"],
    optional: ["channel_id", "channels", "thread_ts", "initial_comment", "blocks"],
    token: "bot",
  },
  "apps.connections.open": { required: [], token: "app" },
};

const MANIFEST_SCOPES = (
  JSON.parse(readFileSync(new URL("../../../manifest.json", import.meta.url), "utf8")) as { oauth_config: { scopes: { bot: string[] } } }
).oauth_config.scopes.bot;

/**
 * Parameters Slack added after the 2020 spec: message metadata on chat.postMessage, and
 * `include_all_metadata` on conversations.replies/history (Slack's method docs).
 */
const PARAMS_MISSING_FROM_SPEC: Record<string, string[]> = {
  "chat.postMessage": ["metadata"],
  "conversations.replies": ["include_all_metadata"],
  "conversations.history": ["include_all_metadata"],
};

export type FakeCall = { method: string; params: Record<string, unknown>; at: number; status: number; error?: string };

export type FakeMessage = {
  channel: string;
  ts: string;
  threadTs?: string;
  text: string;
  blocks: Record<string, unknown>[];
  edits: number;
  user: string;
  /** Message metadata as posted ({ event_type, event_payload }). */
  metadata?: { event_type: string; event_payload: Record<string, unknown> };
};

/** A call whose answer is held: before its work (never done unless released) or after it. */
export type FakeHold = { method: string; when: "before" | "after"; remaining: number };

export type FakeFile = {
  id: string;
  filename: string;
  /** The size announced to files.getUploadURLExternal. */
  length: number;
  title?: string;
  /** The bytes uploaded to the file's upload URL. */
  bytes?: Buffer;
  /** The bytes as UTF-8 text (Markdown files). */
  content?: string;
  channel?: string;
  threadTs?: string;
  /** When it was shared into its channel: the ts of the message carrying it (one per completeUploadExternal). */
  ts?: string;
};

/** Content types Slack reports for the files we upload, by extension (Slack's `mimetype` / `filetype`). */
const FILE_TYPES: Record<string, { mimetype: string; filetype: string; pretty_type: string }> = {
  docx: {
    mimetype: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    filetype: "docx",
    pretty_type: "Word Document",
  },
  md: { mimetype: "text/plain", filetype: "markdown", pretty_type: "Markdown (raw)" },
  html: { mimetype: "text/html", filetype: "html", pretty_type: "HTML" },
};

function fileType(filename: string): { mimetype: string; filetype: string; pretty_type: string } {
  const ext = /\.([a-z0-9]+)$/i.exec(filename)?.[1]?.toLowerCase() ?? "";
  return FILE_TYPES[ext] ?? { mimetype: "application/octet-stream", filetype: "binary", pretty_type: "Binary" };
}

type Rule = {
  method?: string;
  channel?: string;
  remaining: number;
  reply: { status: 429; retryAfter: number } | { error: string };
};

export type Envelope = { envelope_id: string; type: string; payload: unknown; retry_attempt?: number; retry_reason?: string };
export type Ack = { envelope_id: string; payload?: unknown; at: number };

export type FakeSlackOptions = {
  specPath: string;
  botToken: string;
  appToken?: string;
  teamId?: string;
  botUserId?: string;
  botName?: string;
  /** The bot token's scopes, sent as x-oauth-scopes like Slack does; default: every scope manifest.json asks for. */
  scopes?: string[];
};

function limitIssues(blocks: Record<string, unknown>[]): string[] {
  const issues: string[] = [];
  if (blocks.length > 50) issues.push(`${blocks.length} blocks (max 50)`);
  let chars = 0;
  const actionIds = new Set<string>();
  for (const [i, b] of blocks.entries()) {
    const text = (b.text as { text?: string } | undefined)?.text ?? "";
    chars += text.length;
    if (b.type === "section" && text.length > 3000) issues.push(`block ${i}: section text ${text.length} (max 3000)`);
    if (b.type === "header" && text.length > 150) issues.push(`block ${i}: header text ${text.length} (max 150)`);
    if (b.type === "section" && text.length === 0) issues.push(`block ${i}: empty section text`);
    if (b.type === "actions") {
      const els = (b.elements as Record<string, unknown>[] | undefined) ?? [];
      if (els.length === 0 || els.length > 25) issues.push(`block ${i}: ${els.length} action elements (1..25)`);
      for (const el of els) {
        const id = el.action_id as string | undefined;
        if (id && actionIds.has(id)) issues.push(`block ${i}: duplicate action_id ${id}`);
        if (id) actionIds.add(id);
        if (id && id.length > 255) issues.push(`block ${i}: action_id longer than 255`);
        const label = (el.text as { text?: string } | undefined)?.text ?? "";
        if (label.length > 75) issues.push(`block ${i}: button text longer than 75`);
        if (typeof el.value === "string" && el.value.length > 2000) issues.push(`block ${i}: value longer than 2000`);
        const options = (el.options as { value: string }[] | undefined) ?? [];
        if (options.length > 100) issues.push(`block ${i}: more than 100 options`);
        for (const o of options) if (o.value.length > 150) issues.push(`block ${i}: option value longer than 150`);
      }
    }
  }
  if (chars > 40_000) issues.push(`${chars} characters of block text`);
  return issues;
}

export class FakeSlack {
  readonly calls: FakeCall[] = [];
  readonly violations: string[] = [];
  readonly messages: FakeMessage[] = [];
  readonly ephemerals: { channel: string; user: string; text: string }[] = [];
  readonly responses: { id: string; body: Record<string, unknown> }[] = [];
  readonly files: FakeFile[] = [];
  readonly envelopes: Envelope[] = [];
  readonly acks: Ack[] = [];
  /** Channels the bot is not a member of (chat.postMessage answers not_in_channel). */
  readonly notInChannel = new Set<string>();
  /** DM channels the bot itself is part of; any other D… channel answers channel_not_found. */
  readonly botDms = new Set<string>();
  /** Calls whose answer is being held (see `hold`); `release()` answers them. */
  readonly held: { method: string; params: Record<string, unknown>; answer: () => void }[] = [];
  /** Modals opened with views.open, oldest first. */
  readonly views: FakeView[] = [];
  rateLimitedCount = 0;
  /** Trigger ids handed out with commands and clicks: each opens one view, within 3 s. */
  private readonly triggers = new Map<string, { at: number; userId: string; used: boolean }>();
  private viewCounter = 0;
  private holds: FakeHold[] = [];
  baseUrl = "";
  apiUrl = "";

  private server: Server;
  private wss: WebSocketServer;
  private sockets = new Set<WebSocket>();
  private spec: Spec;
  private rules: Rule[] = [];
  private tsCounter = 0;
  private fileCounter = 0;
  private ackWaiters = new Map<string, (ack: Ack) => void>();
  private listeners = new Set<() => void>();
  readonly options: Required<FakeSlackOptions>;

  constructor(options: FakeSlackOptions) {
    this.options = {
      appToken: "",
      teamId: "T0FAKE0001",
      botUserId: "U0FAKEBOT",
      botName: "staffroom",
      scopes: MANIFEST_SCOPES,
      ...options,
    };
    this.spec = JSON.parse(readFileSync(options.specPath, "utf8")) as Spec;
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        this.violations.push(`fake crashed: ${(error as Error).message}`);
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
    this.wss = new WebSocketServer({ noServer: true });
    this.server.on("upgrade", (req, socket, head) => {
      if (!req.url?.startsWith("/socket")) return socket.destroy();
      this.wss.handleUpgrade(req, socket, head, (ws) => this.onSocket(ws));
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    const { port } = this.server.address() as AddressInfo;
    this.baseUrl = `http://127.0.0.1:${port}`;
    this.apiUrl = `${this.baseUrl}/api/`;
    return this;
  }

  async stop(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    this.wss.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** A response_url for a command; posts to it land in `responses`. */
  responseUrl(id: string = randomUUID()): string {
    return `${this.baseUrl}/response/${id}`;
  }

  /** The next `times` calls (of `method`, in `channel`) get a 429 with Retry-After. */
  rateLimit(opts: { times: number; retryAfter?: number; method?: string; channel?: string }): void {
    this.rules.push({
      remaining: opts.times,
      reply: { status: 429, retryAfter: opts.retryAfter ?? 1 },
      method: opts.method,
      channel: opts.channel,
    });
  }

  /** The next `times` calls answer `{ ok: false, error }`. */
  failWith(opts: { error: string; times: number; method?: string; channel?: string }): void {
    this.rules.push({ remaining: opts.times, reply: { error: opts.error }, method: opts.method, channel: opts.channel });
  }

  /**
   * The next `times` calls of `method` are held: "before" takes the request and does nothing (as when the
   * client dies before Slack acts on it), "after" does the work and withholds the answer.
   */
  hold(opts: { method: string; when: "before" | "after"; times?: number }): void {
    this.holds.push({ method: opts.method, when: opts.when, remaining: opts.times ?? 1 });
  }

  /** Answers every held call (a call held before its work does it now). */
  release(): void {
    for (const h of this.held.splice(0)) h.answer();
  }

  /** Forgets held calls without answering them: their client is gone. */
  discardHeld(): void {
    this.held.splice(0);
  }

  /** Drops holds that have not caught a call yet (a test that ended early leaves none for the next). */
  clearHolds(): void {
    for (const h of this.holds) h.remaining = 0;
  }

  /** Adds a message that exists before the test (e.g. the root of a thread in a recorded payload). */
  seed(channel: string, ts: string, user = this.options.botUserId): void {
    if (!this.message(channel, ts)) this.messages.push({ channel, ts, text: "", blocks: [], edits: 0, user });
  }

  /** A trigger_id as Slack sends with a slash command or a click, for `userId`. */
  trigger(userId: string): string {
    const id = `${Date.now()}.${++this.viewCounter}.${randomUUID().replace(/-/g, "").slice(0, 16)}`;
    this.triggers.set(id, { at: Date.now(), userId, used: false });
    return id;
  }

  /**
   * The person fills in an open view and presses submit: Slack's client refuses what it checks itself
   * (required inputs, number ranges, lengths); otherwise the view_submission is signed and POSTed to `url`.
   * The app's answer is read as Slack reads it: `response_action: "errors"` keeps the view open with the
   * errors shown, an empty 200 closes it.
   */
  async submitView(
    url: string,
    secret: string,
    viewId: string,
    input: ViewInput,
    user: { id: string; name: string },
  ): Promise<SentResponse & { errors?: Record<string, string> }> {
    const v = this.views.find((x) => x.id === viewId);
    if (!v) throw new Error(`fake slack: no view ${viewId}`);
    if (v.state !== "open") throw new Error(`fake slack: view ${viewId} is closed`);
    const state = submittedState(v.view, input);
    if ("refused" in state) throw new Error(`fake slack: the client would not submit (${state.refused})`);
    return this.deliverSubmission(url, secret, v, viewSubmissionPayload(v, state, user));
  }

  /** As submitView, over Socket Mode: the submission is an `interactive` envelope and the answer its ack's payload. */
  async submitViewOverSocket(
    viewId: string,
    input: ViewInput,
    user: { id: string; name: string },
  ): Promise<{ errors?: Record<string, string> }> {
    const v = this.views.find((x) => x.id === viewId);
    if (v?.state !== "open") throw new Error(`fake slack: no open view ${viewId}`);
    const state = submittedState(v.view, input);
    if ("refused" in state) throw new Error(`fake slack: the client would not submit (${state.refused})`);
    const payload = viewSubmissionPayload(v, state, user);
    v.submissions += 1;
    v.lastPayload = payload;
    const started = Date.now();
    const ack = await this.deliver("interactive", payload);
    if (ack.at - started > 3000) this.violations.push(`view ${v.id}: submission acked after ${ack.at - started} ms (Slack allows 3000)`);
    // An ack with no payload, or an empty one, closes the view as an empty HTTP answer does.
    const acked = ack.payload as Record<string, unknown> | null | undefined | "";
    const answer = acked && Object.keys(acked).length > 0 ? acked : undefined;
    return this.settle(v, answer);
  }

  /** Slack's retry of the last submission of a view (same payload, the app's answer was lost). */
  async resubmitView(url: string, secret: string, viewId: string): Promise<SentResponse & { errors?: Record<string, string> }> {
    const v = this.views.find((x) => x.id === viewId);
    if (!v?.lastPayload) throw new Error(`fake slack: view ${viewId} was never submitted`);
    return this.deliverSubmission(url, secret, v, v.lastPayload);
  }

  private async deliverSubmission(
    url: string,
    secret: string,
    v: FakeView,
    payload: Record<string, unknown>,
  ): Promise<SentResponse & { errors?: Record<string, string> }> {
    v.submissions += 1;
    v.lastPayload = payload;
    const res = await postInteraction(url, secret, payload);
    // Slack waits 3 s for the answer, then tells the person the app did not respond.
    if (res.ms > 3000) this.violations.push(`view ${v.id}: submission answered after ${Math.round(res.ms)} ms (Slack allows 3000)`);
    if (res.status !== 200) this.violations.push(`view ${v.id}: submission answered HTTP ${res.status}`);
    let answer: Record<string, unknown> | undefined;
    if (res.body !== "") {
      try {
        answer = JSON.parse(res.body) as Record<string, unknown>;
      } catch {
        this.violations.push(`view ${v.id}: submission answer is not JSON`);
      }
    }
    return { ...res, ...this.settle(v, answer) };
  }

  /** The app's answer as Slack reads it: errors keep the view open with them shown; nothing closes it. */
  private settle(v: FakeView, answer: Record<string, unknown> | undefined): { errors?: Record<string, string> } {
    const issues = submissionAnswerIssues(v, answer);
    this.violations.push(...issues);
    if (answer?.response_action === "errors" && issues.length === 0) {
      v.errors = answer.errors as Record<string, string>;
      return { errors: v.errors };
    }
    v.state = "closed";
    delete v.errors;
    return {};
  }

  callsOf(method: string): FakeCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  threadMessages(channel: string, threadTs: string): FakeMessage[] {
    return this.messages.filter((m) => m.channel === channel && m.threadTs === threadTs);
  }

  message(channel: string, ts: string): FakeMessage | undefined {
    return this.messages.find((m) => m.channel === channel && m.ts === ts);
  }

  /**
   * Resolves once `predicate` holds, or rejects after `timeoutMs`. Checked after every request, and every
   * 10 ms for conditions on the app's own state, which can change without a request reaching the fake.
   */
  waitFor<T>(predicate: () => T | undefined | false, timeoutMs = 10_000, what = "condition"): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const v = predicate();
        if (v !== undefined && v !== false) {
          this.listeners.delete(check);
          clearTimeout(timer);
          clearInterval(poll);
          resolve(v);
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        clearInterval(poll);
        reject(new Error(`fake slack: timed out waiting for ${what}`));
      }, timeoutMs);
      const poll = setInterval(check, 10);
      if (!check()) this.listeners.add(check);
    });
  }

  // ------------------------------------------------------------------------------------------------
  // Socket Mode

  /** Sends an envelope to every connected app; resolves with its ack. */
  deliver(type: "events_api" | "slash_commands" | "interactive", payload: unknown, extra: { retry_attempt?: number } = {}): Promise<Ack> {
    const envelope: Envelope = {
      envelope_id: randomUUID(),
      type,
      payload,
      ...(extra.retry_attempt !== undefined ? { retry_attempt: extra.retry_attempt, retry_reason: "timeout" } : {}),
    };
    const acked = new Promise<Ack>((resolve) => this.ackWaiters.set(envelope.envelope_id, resolve));
    this.envelopes.push(envelope);
    const frame = JSON.stringify({ ...envelope, accepts_response_payload: type !== "events_api" });
    let sent = 0;
    for (const ws of this.sockets) {
      if (ws.readyState === ws.OPEN) {
        ws.send(frame);
        sent += 1;
      }
    }
    if (sent === 0) return Promise.reject(new Error("fake slack: no Socket Mode connection"));
    return acked;
  }

  get socketCount(): number {
    return this.sockets.size;
  }

  private onSocket(ws: WebSocket): void {
    this.sockets.add(ws);
    ws.on("close", () => this.sockets.delete(ws));
    ws.on("message", (data) => {
      const msg = JSON.parse(String(data)) as { envelope_id?: string; payload?: unknown };
      if (!msg.envelope_id) return;
      const ack: Ack = { envelope_id: msg.envelope_id, payload: msg.payload, at: Date.now() };
      this.acks.push(ack);
      this.ackWaiters.get(msg.envelope_id)?.(ack);
      this.ackWaiters.delete(msg.envelope_id);
      this.notify();
    });
    ws.send(JSON.stringify({ type: "hello", num_connections: this.sockets.size, connection_info: { app_id: "A0FAKEAPP" } }));
    this.notify();
  }

  // ------------------------------------------------------------------------------------------------
  // HTTP

  private notify(): void {
    for (const l of [...this.listeners]) l();
  }

  /** A shared file as Slack's API shows it (conversations.replies, completeUploadExternal). */
  private fileObject(f: FakeFile): Record<string, unknown> {
    const team = this.options.teamId;
    return {
      id: f.id,
      created: Math.floor(Number(f.ts ?? "0")),
      timestamp: Math.floor(Number(f.ts ?? "0")),
      name: f.filename,
      title: f.title ?? f.filename,
      ...fileType(f.filename),
      user: this.options.botUserId,
      size: f.bytes?.length ?? f.length,
      url_private: `${this.baseUrl}/files-pri/${team}-${f.id}/${encodeURIComponent(f.filename)}`,
      url_private_download: `${this.baseUrl}/files-pri/${team}-${f.id}/download/${encodeURIComponent(f.filename)}`,
      permalink: `https://fake.slack.test/files/${this.options.botUserId}/${f.id}/${encodeURIComponent(f.filename)}`,
    };
  }

  /** Files shared into a thread, oldest first. */
  threadFiles(channel: string, threadTs: string): FakeFile[] {
    return this.files.filter((f) => f.channel === channel && f.threadTs === threadTs && f.ts !== undefined);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.baseUrl);
    const raw = await new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => resolve(Buffer.concat(chunks)));
      req.on("error", reject);
    });
    try {
      if (url.pathname.startsWith("/response/")) {
        this.responses.push({
          id: url.pathname.slice("/response/".length),
          body: JSON.parse(raw.toString("utf8")) as Record<string, unknown>,
        });
        res.writeHead(200, { "content-type": "text/plain" }).end("ok");
        return;
      }
      if (url.pathname.startsWith("/upload/")) {
        const file = this.files.find((f) => f.id === url.pathname.slice("/upload/".length));
        if (!file || req.method !== "POST") {
          res.writeHead(404).end();
          return;
        }
        // The SDK posts the bytes as multipart form data (one part); a raw body is accepted too, as Slack does.
        const type = req.headers["content-type"] ?? "";
        let bytes: Buffer;
        if (type.startsWith("multipart/form-data")) {
          const form = await new Response(new Uint8Array(raw), { headers: { "content-type": type } }).formData();
          const part = [...form.values()][0];
          bytes = typeof part === "string" ? Buffer.from(part, "utf8") : Buffer.from(await (part as Blob).arrayBuffer());
        } else bytes = raw;
        if (bytes.length !== file.length)
          this.violations.push(`upload ${file.id}: ${bytes.length} bytes sent, ${file.length} announced to files.getUploadURLExternal`);
        file.bytes = bytes;
        file.content = bytes.toString("utf8");
        res.writeHead(200, { "content-type": "text/plain" }).end(`OK - ${bytes.length}`);
        return;
      }
      if (url.pathname.startsWith("/files-pri/")) {
        // url_private_download: needs the bot token, like Slack's.
        const id = /^\/files-pri\/[^/]*-(F\w+)\/download\//.exec(url.pathname)?.[1];
        const file = this.files.find((f) => f.id === id && f.ts !== undefined);
        if (req.headers.authorization !== `Bearer ${this.options.botToken}`) {
          res.writeHead(302, { location: `${this.baseUrl}/signin` }).end();
          return;
        }
        if (!file?.bytes) {
          res.writeHead(404).end();
          return;
        }
        res.writeHead(200, { "content-type": fileType(file.filename).mimetype, "content-length": file.bytes.length }).end(file.bytes);
        return;
      }
      if (!url.pathname.startsWith("/api/")) {
        res.writeHead(404).end();
        return;
      }
      const method = url.pathname.slice("/api/".length);
      const params = this.parseParams(req, raw, url);
      const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1] ?? (params.token as string | undefined);
      const work = () => {
        const { status, body, headers } = this.api(method, params, bearer);
        this.calls.push({ method, params, at: Date.now(), status, ...(typeof body.error === "string" ? { error: body.error } : {}) });
        // Slack reports the calling token's scopes on every Web API answer.
        const scopes = bearer === this.options.botToken ? { "x-oauth-scopes": this.options.scopes.join(",") } : {};
        return () => {
          if (!res.writableEnded && !res.destroyed)
            res.writeHead(status, { "content-type": "application/json", ...scopes, ...headers }).end(JSON.stringify(body));
        };
      };
      const hold = this.holds.find((h) => h.remaining > 0 && h.method === method);
      if (hold) {
        hold.remaining -= 1;
        const answer = hold.when === "before" ? () => work()() : work();
        this.held.push({ method, params, answer });
        return;
      }
      work()();
    } finally {
      this.notify();
    }
  }

  private parseParams(req: IncomingMessage, raw: Buffer, url: URL): Record<string, unknown> {
    const params: Record<string, unknown> = Object.fromEntries(url.searchParams);
    const type = req.headers["content-type"] ?? "";
    const text = raw.toString("utf8");
    if (type.startsWith("application/json")) Object.assign(params, text ? (JSON.parse(text) as Record<string, unknown>) : {});
    else if (type.startsWith("application/x-www-form-urlencoded")) Object.assign(params, Object.fromEntries(new URLSearchParams(text)));
    else if (text.length > 0) this.violations.push(`${url.pathname}: unexpected content-type ${type}`);
    return params;
  }

  private validate(method: string, params: Record<string, unknown>, bearer: string | undefined): boolean {
    const extra = METHODS_MISSING_FROM_SPEC[method];
    const op = this.spec.paths[`/${method}`];
    if (!op && !extra) {
      this.violations.push(`${method}: not a Slack Web API method`);
      return false;
    }
    const required = extra
      ? extra.required
      : Object.values(op ?? {}).flatMap((o) => (o.parameters ?? []).filter((p) => p.required).map((p) => p.name));
    for (const name of required) {
      if (name === "token") {
        if (!bearer) this.violations.push(`${method}: no token`);
        continue;
      }
      if (params[name] === undefined || params[name] === "") this.violations.push(`${method}: required parameter "${name}" missing`);
    }
    if (extra?.optional) {
      const documented = new Set([...extra.required, ...extra.optional, "token"]);
      for (const name of Object.keys(params))
        if (!documented.has(name)) this.violations.push(`${method}: "${name}" is not a parameter of this method`);
    }
    // The newer parameters are accepted only where Slack documents them.
    const known = new Set([
      ...Object.values(op ?? {}).flatMap((o) => (o.parameters ?? []).map((p) => p.name)),
      ...(PARAMS_MISSING_FROM_SPEC[method] ?? []),
    ]);
    for (const name of new Set(Object.values(PARAMS_MISSING_FROM_SPEC).flat())) {
      if (params[name] !== undefined && !known.has(name)) this.violations.push(`${method}: "${name}" is not a parameter of this method`);
    }
    return true;
  }

  private nextTs(): string {
    this.tsCounter += 1;
    return `${1_800_000_000 + this.tsCounter}.${String(this.tsCounter).padStart(6, "0")}`;
  }

  /** Slack's message metadata: an `event_type` and an `event_payload` object, as JSON text or an object. */
  private parseMetadata(value: unknown): FakeMessage["metadata"] {
    if (value === undefined) return undefined;
    try {
      const m = (typeof value === "string" ? JSON.parse(value) : value) as { event_type?: unknown; event_payload?: unknown };
      if (typeof m.event_type !== "string" || typeof m.event_payload !== "object" || m.event_payload === null) {
        this.violations.push("chat.postMessage: metadata needs event_type (string) and event_payload (object)");
        return undefined;
      }
      return { event_type: m.event_type, event_payload: m.event_payload as Record<string, unknown> };
    } catch {
      this.violations.push("chat.postMessage: metadata is not JSON");
      return undefined;
    }
  }

  private parseBlocks(method: string, value: unknown): Record<string, unknown>[] {
    if (value === undefined) return [];
    try {
      const blocks = (typeof value === "string" ? JSON.parse(value) : value) as Record<string, unknown>[];
      for (const issue of limitIssues(blocks)) this.violations.push(`${method}: ${issue}`);
      return blocks;
    } catch {
      this.violations.push(`${method}: blocks is not JSON`);
      return [];
    }
  }

  private api(
    method: string,
    params: Record<string, unknown>,
    bearer: string | undefined,
  ): { status: number; body: Record<string, unknown>; headers?: Record<string, string> } {
    const ok = (body: Record<string, unknown> = {}) => ({ status: 200, body: { ok: true, ...body } });
    const fail = (error: string) => ({ status: 200, body: { ok: false, error } });
    this.validate(method, params, bearer);
    const wantApp = METHODS_MISSING_FROM_SPEC[method]?.token === "app";
    if (!bearer) return fail("not_authed");
    if (wantApp ? bearer !== this.options.appToken : bearer !== this.options.botToken) return fail("invalid_auth");

    const channel = (params.channel ?? params.channel_id) as string | undefined;
    const rule = this.rules.find((r) => r.remaining > 0 && (!r.method || r.method === method) && (!r.channel || r.channel === channel));
    if (rule) {
      rule.remaining -= 1;
      if ("status" in rule.reply) {
        this.rateLimitedCount += 1;
        return { status: 429, body: { ok: false, error: "ratelimited" }, headers: { "retry-after": String(rule.reply.retryAfter) } };
      }
      return fail(rule.reply.error);
    }

    switch (method) {
      case "auth.test":
        return ok({
          url: "https://fake.slack.test/",
          team: "Fake School",
          user: this.options.botName,
          team_id: this.options.teamId,
          user_id: this.options.botUserId,
          bot_id: "B0FAKEBOT",
        });
      case "apps.connections.open":
        return ok({ url: `${this.baseUrl.replace(/^http/, "ws")}/socket?ticket=${randomUUID()}` });
      case "chat.postMessage": {
        const c = channel as string;
        if (this.notInChannel.has(c)) return fail("not_in_channel");
        if (c.startsWith("D") && !this.botDms.has(c)) return fail("channel_not_found");
        const blocks = this.parseBlocks(method, params.blocks);
        if (!params.text && blocks.length === 0) return fail("no_text");
        const threadTs = params.thread_ts as string | undefined;
        if (threadTs && !this.message(c, threadTs))
          this.violations.push(`chat.postMessage: thread_ts ${threadTs} is not a message in ${c}`);
        const metadata = this.parseMetadata(params.metadata);
        const msg: FakeMessage = {
          channel: c,
          ts: this.nextTs(),
          text: String(params.text ?? ""),
          blocks,
          edits: 0,
          user: this.options.botUserId,
          ...(threadTs ? { threadTs } : {}),
          ...(metadata ? { metadata } : {}),
        };
        this.messages.push(msg);
        return ok({ channel: c, ts: msg.ts, message: { type: "message", text: msg.text, ts: msg.ts, user: msg.user } });
      }
      case "views.open": {
        const trigger = this.triggers.get(String(params.trigger_id));
        if (!trigger) return fail("invalid_trigger_id");
        if (trigger.used) return fail("exchanged_trigger_id");
        if (Date.now() - trigger.at > 3000) return fail("expired_trigger_id");
        let view: Record<string, unknown>;
        try {
          view = (typeof params.view === "string" ? JSON.parse(params.view) : params.view) as Record<string, unknown>;
        } catch {
          this.violations.push("views.open: view is not JSON");
          return fail("invalid_arguments");
        }
        const issues = viewIssues(view);
        if (issues.length > 0) {
          for (const issue of issues) this.violations.push(`views.open: ${issue}`);
          return fail("invalid_arguments");
        }
        trigger.used = true;
        const v: FakeView = {
          id: `V${String(++this.viewCounter).padStart(10, "0")}`,
          hash: `${Math.floor(Date.now() / 1000)}.${randomUUID().slice(0, 8)}`,
          teamId: this.options.teamId,
          userId: trigger.userId,
          view,
          state: "open",
          submissions: 0,
        };
        this.views.push(v);
        return ok({ view: { ...view, id: v.id, hash: v.hash, team_id: v.teamId, state: { values: {} } } });
      }
      case "chat.update": {
        const msg = this.message(channel as string, params.ts as string);
        if (!msg) return fail("message_not_found");
        msg.blocks = this.parseBlocks(method, params.blocks);
        msg.text = String(params.text ?? msg.text);
        msg.edits += 1;
        return ok({ channel, ts: msg.ts, text: msg.text });
      }
      case "chat.postEphemeral": {
        const c = channel as string;
        if (this.notInChannel.has(c)) return fail("not_in_channel");
        if (c.startsWith("D") && !this.botDms.has(c)) return fail("channel_not_found");
        this.parseBlocks(method, params.blocks);
        this.ephemerals.push({ channel: c, user: String(params.user), text: String(params.text ?? "") });
        return ok({ message_ts: this.nextTs() });
      }
      case "conversations.replies": {
        const c = channel as string;
        const root = this.message(c, String(params.ts));
        if (!root) return fail("thread_not_found");
        const withMetadata = params.include_all_metadata === true || params.include_all_metadata === "true";
        const shown = (m: FakeMessage) => ({
          type: "message",
          ts: m.ts,
          text: m.text,
          user: m.user,
          ...(m.threadTs ? { thread_ts: m.threadTs } : {}),
          // Slack returns metadata only to apps that ask for it.
          ...(withMetadata && m.metadata ? { metadata: m.metadata } : {}),
        });
        // Files shared into the thread appear as messages carrying them: one per completeUploadExternal call.
        const shared = this.files.filter((f) => f.channel === c && f.threadTs === root.ts && f.ts);
        const shares = [...new Set(shared.map((f) => f.ts!))].map((ts) => ({
          type: "message",
          ts,
          text: "",
          user: this.options.botUserId,
          upload: false,
          display_as_bot: false,
          thread_ts: root.ts,
          parent_user_id: root.user,
          files: shared.filter((f) => f.ts === ts).map((f) => this.fileObject(f)),
        }));
        const replies = [shown(root), ...this.threadMessages(c, root.ts).map(shown), ...shares].sort((a, b) => Number(a.ts) - Number(b.ts));
        return ok({ messages: replies, has_more: false, response_metadata: { next_cursor: "" } });
      }
      case "conversations.open": {
        const id = `D${String(params.users ?? "").replace(/\W/g, "")}`;
        this.botDms.add(id);
        return ok({ channel: { id } });
      }
      case "files.getUploadURLExternal": {
        const length = Number(params.length);
        if (!Number.isInteger(length) || length <= 0) return fail("invalid_arguments");
        this.fileCounter += 1;
        const file: FakeFile = { id: `F${String(this.fileCounter).padStart(8, "0")}`, filename: String(params.filename), length };
        this.files.push(file);
        return ok({ upload_url: `${this.baseUrl}/upload/${file.id}`, file_id: file.id });
      }
      case "files.completeUploadExternal": {
        const list = JSON.parse(String(params.files)) as { id: string; title?: string }[];
        const found = list.map((item) => this.files.find((f) => f.id === item.id));
        if (found.some((f) => !f || f.bytes === undefined)) return fail("file_not_found");
        // Completing a file twice is refused by Slack; the fake records it so a test sees a double share.
        if (found.some((f) => f?.ts !== undefined)) {
          this.violations.push("files.completeUploadExternal: a file was completed twice");
          return fail("file_not_found");
        }
        const c = params.channel_id as string | undefined;
        const threadTs = params.thread_ts as string | undefined;
        if (threadTs && !c) return fail("invalid_arguments");
        if (c && threadTs && !this.message(c, threadTs)) return fail("invalid_thread_ts");
        const ts = this.nextTs();
        for (const [i, item] of list.entries()) {
          const file = found[i]!;
          file.title = item.title ?? file.filename;
          if (c) file.channel = c;
          if (threadTs) file.threadTs = threadTs;
          file.ts = ts;
        }
        return ok({ files: found.map((f) => this.fileObject(f!)) });
      }
      default:
        return ok();
    }
  }
}
