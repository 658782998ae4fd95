// A local stand-in for Discord on 127.0.0.1: REST under /api/v10 (every call checked against the OpenAPI
// spec and logged; scripted 429s) and a v10 JSON Gateway (HELLO, IDENTIFY → READY, GUILD_CREATE, heartbeats,
// dispatches). The real discord.js client talks to it through DISCORD_API_URL.
import { type KeyObject, sign } from "node:crypto";
import { once } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type WebSocket, WebSocketServer } from "ws";
import { type DiscordSpec, discordSpec } from "./spec.ts";
import {
  attachmentHost,
  channelPayload,
  type FakeAttachment,
  type FakeChannel,
  type FakeGuild,
  type FakeInteraction,
  type FakeMessage,
  type FakeUser,
  FLAG_EPHEMERAL,
  FLAG_LOADING,
  guildCreatePayload,
  messagePayload,
  snowflake,
  userPayload,
} from "./state.ts";

export type RestCall = {
  method: string;
  path: string;
  query: string;
  /** Spec template and operation, e.g. "/channels/{channel_id}/messages" / "create_message". */
  route?: string;
  operationId?: string;
  status: number;
  body: unknown;
  files: { name: string; filename: string; size: number }[];
  auth?: string;
  at: number;
};

export type RateLimitRule = {
  method?: string;
  /** Matched against the path below /api/v10. */
  path: RegExp;
  times: number;
  retryAfterSeconds: number;
  global?: boolean;
};

/**
 * A failure the next matching calls meet: a server error, a connection dropped before or after the work,
 * or the answer held (never sent while held) before or after the work, as when a client dies mid-request.
 */
export type FaultRule = {
  method?: string;
  /** Matched against the path below /api/v10. */
  path: RegExp;
  times: number;
  fault: { status: number } | { drop: "before" | "after" } | { hold: "before" | "after" };
};

/** A file part of a multipart request (`files[n]`). */
type UploadedFile = {
  name: string;
  filename: string;
  size: number;
  type: string;
  /** As UTF-8 text. */
  data: string;
  bytes: Buffer;
  /** The filename its `attachments` entry in payload_json gives it, which Discord uses. */
  declared?: string;
};

/** Discord's limits on a message's files: 10 attachments, and the upload limit of a server without boosts. */
const MAX_ATTACHMENTS = 10;
const ATTACHMENT_BYTES = 10 * 1024 * 1024;

/**
 * Files as Discord reads them: fields named `files[n]`, at most 10, each matched by an `attachments`
 * entry with id n in payload_json when attachments are given (its filename is the one shown).
 */
function attachmentProblems(body: unknown, files: UploadedFile[]): string[] {
  if (files.length === 0) return [];
  const problems: string[] = [];
  if (files.length > MAX_ATTACHMENTS) problems.push(`${files.length} files (max ${MAX_ATTACHMENTS})`);
  const declared = (body as { attachments?: { id?: unknown; filename?: unknown }[] } | undefined)?.attachments;
  for (const f of files) {
    const n = /^files\[(\d+)\]$/.exec(f.name)?.[1];
    if (n === undefined) {
      problems.push(`file field ${f.name} is not files[n]`);
      continue;
    }
    if (!declared) continue;
    const entry = declared.find((a) => String(a.id) === n);
    if (!entry) problems.push(`files[${n}] has no attachments entry with id ${n}`);
    else if (typeof entry.filename === "string") f.declared = entry.filename;
  }
  return problems;
}

/** How long Discord keeps a nonce it enforces ("a few minutes"). */
const NONCE_WINDOW_MS = 5 * 60_000;

export type FakeDiscordOptions = {
  token?: string;
  applicationId?: string;
  botUser?: FakeUser;
  guilds?: FakeGuild[];
  /** Discord's 3 s deadline for the first response to an interaction. */
  ackDeadlineMs?: number;
  heartbeatIntervalMs?: number;
  spec?: DiscordSpec;
  /** GET /applications/@me flags; default: the Message Content intent turned on (GATEWAY_MESSAGE_CONTENT_LIMITED). */
  applicationFlags?: number;
};

type Conn = { ws: WebSocket; seq: number; identified: boolean };
/** When a request reached the fake: performance.now() for timing, Date.now() for deadlines. */
type Arrival = { hr: number; wall: number };

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  const text = body === undefined ? "" : JSON.stringify(body);
  res.writeHead(status, {
    ...(body === undefined ? {} : { "content-type": "application/json" }),
    "x-ratelimit-limit": "50",
    "x-ratelimit-remaining": "49",
    "x-ratelimit-reset": String(Date.now() / 1000 + 1),
    "x-ratelimit-reset-after": "1",
    "x-ratelimit-bucket": "fakebucket",
    ...headers,
  });
  res.end(text);
};

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export class FakeDiscord {
  readonly token: string;
  readonly applicationId: string;
  applicationFlags: number;
  readonly bot: FakeUser;
  readonly guilds: FakeGuild[];
  readonly channels = new Map<string, FakeChannel>();
  readonly messages = new Map<string, FakeMessage>();
  readonly interactions = new Map<string, FakeInteraction>();
  readonly commands = new Map<string, Record<string, unknown>[]>();
  readonly members = new Map<string, { guildId: string; user: FakeUser; roles: string[] }>();
  readonly calls: RestCall[] = [];
  /** Spec or protocol violations; tests assert this stays empty. */
  readonly violations: string[] = [];
  readonly rateLimits: RateLimitRule[] = [];
  readonly rateLimited: RestCall[] = [];
  readonly faults: FaultRule[] = [];
  /** Calls that met a fault. */
  readonly faulted: RestCall[] = [];
  /** Calls whose answer is held (see FaultRule `hold`); `release()` answers them. */
  readonly held: { call: RestCall; answer: () => void }[] = [];
  identifies = 0;
  private readonly conns = new Set<Conn>();
  private readonly spec: DiscordSpec;
  private readonly server = createServer((req, res) => void this.handle(req, res, { hr: performance.now(), wall: Date.now() }));
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly ackDeadlineMs: number;
  private readonly heartbeatIntervalMs: number;
  private waiters: { check: () => boolean; resolve: () => void }[] = [];
  port = 0;

  constructor(options: FakeDiscordOptions = {}) {
    this.applicationId = options.applicationId ?? "1457469483726668048";
    this.applicationFlags = options.applicationFlags ?? 1 << 19;
    // Shaped like a real bot token (the bot's id in base64url, a timestamp part, an HMAC part) so the
    // configuration's format check accepts it; nothing here is a secret.
    this.token = options.token ?? `${Buffer.from(this.applicationId).toString("base64url")}.FAKE00.fake-token-hmac-part-for-local-tests`;
    this.bot = options.botUser ?? { id: this.applicationId, username: "Staffroom", bot: true };
    this.guilds = options.guilds ?? [
      {
        id: "1457468924290662599",
        name: "Staff",
        ownerId: "1033044521375764530",
        channels: [{ id: "1457510428359004343", type: 0, name: "planning", guild_id: "1457468924290662599" }],
        roles: [{ id: "1457473602180878604", name: "Staff" }],
      },
    ];
    for (const g of this.guilds) for (const c of g.channels) this.channels.set(c.id, c);
    this.ackDeadlineMs = options.ackDeadlineMs ?? 3000;
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? 41_250;
    this.spec = options.spec ?? discordSpec();
    this.server.on("upgrade", (req, socket, head) => {
      if (!req.url?.startsWith("/gateway")) return socket.destroy();
      this.wss.handleUpgrade(req, socket, head, (ws) => this.onGateway(ws, req));
    });
  }

  async start(): Promise<this> {
    this.server.listen(0, "127.0.0.1");
    await once(this.server, "listening");
    this.port = (this.server.address() as AddressInfo).port;
    // Attachment URLs point at this fake, which serves the uploaded bytes as Discord's CDN would.
    attachmentHost.base = `http://127.0.0.1:${this.port}`;
    return this;
  }

  /** REST base for DISCORD_API_URL (discord.js appends /v10). */
  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}/api`;
  }

  get gatewayUrl(): string {
    return `ws://127.0.0.1:${this.port}/gateway`;
  }

  async close(): Promise<void> {
    for (const c of this.conns) c.ws.terminate();
    this.wss.close();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  // ---------- world ----------

  get guild(): FakeGuild {
    const g = this.guilds[0];
    if (!g) throw new Error("fake has no guild");
    return g;
  }

  addMember(user: FakeUser, roles: string[], guildId = this.guild.id): void {
    this.members.set(`${guildId}:${user.id}`, { guildId, user, roles });
  }

  dmChannelFor(user: FakeUser): FakeChannel {
    for (const c of this.channels.values()) if (c.type === 1 && c.recipient?.id === user.id) return c;
    const c: FakeChannel = { id: snowflake(), type: 1, recipient: user };
    this.channels.set(c.id, c);
    return c;
  }

  threads(): FakeChannel[] {
    return [...this.channels.values()].filter((c) => c.type === 11);
  }

  /** Visible (non-deleted) messages of a channel, oldest first. */
  channelMessages(channelId: string, opts: { ephemeral?: boolean } = {}): FakeMessage[] {
    return [...this.messages.values()].filter(
      (m) => m.channel_id === channelId && !m.deleted && (opts.ephemeral || (m.flags & FLAG_EPHEMERAL) === 0),
    );
  }

  /** Resolves once `check` holds (re-checked on every REST call and gateway frame); rejects after timeoutMs. */
  waitFor<T>(check: () => T | undefined | false, timeoutMs = 10_000, what = "condition"): Promise<T> {
    const first = check();
    if (first) return Promise.resolve(first);
    return new Promise<T>((resolve, reject) => {
      let value: T | undefined | false;
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`fake discord: timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const waiter = {
        check: () => {
          value = check();
          return Boolean(value);
        },
        resolve: () => {
          clearTimeout(timer);
          resolve(value as T);
        },
      };
      this.waiters.push(waiter);
    });
  }

  private poke(): void {
    const done = this.waiters.filter((w) => {
      try {
        return w.check();
      } catch {
        return false;
      }
    });
    if (done.length === 0) return;
    this.waiters = this.waiters.filter((w) => !done.includes(w));
    for (const w of done) w.resolve();
  }

  /** Makes every interaction token issued so far invalid, as after Discord's 15 minutes. */
  expireInteractionTokens(): void {
    for (const i of this.interactions.values()) i.expired = true;
  }

  /** The next `times` calls matching fail as the rule says (5xx, the connection dropped, the answer held). */
  fault(rule: FaultRule): void {
    this.faults.push({ ...rule });
  }

  /** Answers every held call: a call held before its work does it now. */
  release(): void {
    for (const h of this.held.splice(0)) h.answer();
  }

  /** Forgets held calls without answering (their client is gone): a call held before its work never happens. */
  discardHeld(): void {
    this.held.splice(0);
  }

  /** The next `times` calls matching answer 429 with `retry_after`. */
  rateLimit(rule: RateLimitRule): void {
    this.rateLimits.push({ ...rule });
  }

  // ---------- gateway ----------

  private onGateway(ws: WebSocket, req: IncomingMessage): void {
    const url = new URL(req.url ?? "/", "http://x");
    if (url.searchParams.get("v") !== "10" || url.searchParams.get("encoding") !== "json") {
      this.violations.push(`gateway: connected with ${url.search}, expected v=10&encoding=json`);
    }
    const conn: Conn = { ws, seq: 0, identified: false };
    this.conns.add(conn);
    ws.on("close", () => this.conns.delete(conn));
    ws.on("message", (raw) => this.onFrame(conn, raw.toString()));
    ws.send(JSON.stringify({ op: 10, d: { heartbeat_interval: this.heartbeatIntervalMs }, s: null, t: null }));
  }

  private onFrame(conn: Conn, text: string): void {
    let frame: { op: number; d: unknown };
    try {
      frame = JSON.parse(text) as { op: number; d: unknown };
    } catch {
      this.violations.push("gateway: a frame that is not JSON");
      return;
    }
    if (frame.op === 1) {
      conn.ws.send(JSON.stringify({ op: 11, d: null, s: null, t: null }));
    } else if (frame.op === 2) {
      const d = frame.d as { token?: string; intents?: number; properties?: unknown };
      if (d.token !== this.token) {
        conn.ws.close(4004, "Authentication failed.");
        return;
      }
      if (typeof d.intents !== "number") this.violations.push("gateway: IDENTIFY without intents");
      this.identifies++;
      conn.identified = true;
      this.send(conn, "READY", {
        v: 10,
        user: { ...userPayload(this.bot), verified: true, mfa_enabled: false, flags: 0 },
        guilds: this.guilds.map((g) => ({ id: g.id, unavailable: true })),
        session_id: `session-${snowflake()}`,
        resume_gateway_url: this.gatewayUrl,
        shard: [0, 1],
        application: { id: this.applicationId, flags: 0 },
        private_channels: [],
        relationships: [],
        user_settings: {},
        guild_join_requests: [],
        presences: [],
        geo_ordered_rtc_regions: [],
      });
      for (const g of this.guilds) {
        const threads = this.threads().filter((t) => t.guild_id === g.id);
        this.send(conn, "GUILD_CREATE", guildCreatePayload(g, this.bot, threads));
      }
    } else if (frame.op === 6) {
      // No resumable sessions here: ask the client to identify afresh.
      conn.ws.send(JSON.stringify({ op: 9, d: false, s: null, t: null }));
    }
    this.poke();
  }

  private send(conn: Conn, t: string, d: unknown): void {
    conn.seq++;
    conn.ws.send(JSON.stringify({ op: 0, t, s: conn.seq, d }));
  }

  /** Sends a dispatch to every identified Gateway connection. */
  dispatch(t: string, d: unknown): void {
    for (const c of this.conns) if (c.identified) this.send(c, t, d);
  }

  get connected(): number {
    return [...this.conns].filter((c) => c.identified).length;
  }

  // ---------- what users do ----------

  private memberPayload(user: FakeUser, guildId: string): Record<string, unknown> {
    const m = this.members.get(`${guildId}:${user.id}`);
    return {
      user: userPayload(user),
      roles: m?.roles ?? [],
      joined_at: "2026-01-04T20:21:10.139000+00:00",
      nick: null,
      avatar: null,
      banner: null,
      deaf: false,
      mute: false,
      pending: false,
      flags: 0,
      premium_since: null,
      communication_disabled_until: null,
      permissions: "2248473465835073",
    };
  }

  /**
   * Dispatches an INTERACTION_CREATE shaped like Discord's, built around `data`. Returns the interaction,
   * whose `acked` resolves on the first callback.
   */
  interact(opts: {
    type: 2 | 3 | 4 | 5;
    data: Record<string, unknown>;
    user: FakeUser;
    channelId: string;
    message?: FakeMessage;
    id?: string;
    token?: string;
  }): FakeInteraction & { acked: Promise<{ type: number; at: number }> } {
    const channel = this.channels.get(opts.channelId);
    if (!channel) throw new Error(`fake discord: no channel ${opts.channelId}`);
    const guildId = channel.type === 1 ? undefined : channel.guild_id;
    const id = opts.id ?? snowflake();
    const token = opts.token ?? `tok-${id}-${Math.random().toString(36).slice(2)}`;
    const payload: Record<string, unknown> = {
      id,
      application_id: this.applicationId,
      type: opts.type,
      data: opts.data,
      token,
      version: 1,
      app_permissions: "2248473465835073",
      attachment_size_limit: 10485760,
      entitlements: [],
      entitlement_sku_ids: [],
      locale: "en-US",
      channel_id: channel.id,
      channel: channelPayload(channel),
      context: guildId ? 0 : 1,
      authorizing_integration_owners: { "0": guildId ?? "0" },
      ...(guildId
        ? {
            guild_id: guildId,
            guild_locale: "en-US",
            guild: { id: guildId, features: [], locale: "en-US" },
            member: this.memberPayload(opts.user, guildId),
          }
        : { user: userPayload(opts.user) }),
      ...(opts.message ? { message: messagePayload(opts.message) } : {}),
    };
    return this.replayInteraction(payload);
  }

  /** Dispatches a recorded (or built) interaction payload as is, registering its id and token. */
  replayInteraction(payload: Record<string, unknown>): FakeInteraction & { acked: Promise<{ type: number; at: number }> } {
    const id = String(payload.id);
    let interaction = this.interactions.get(id);
    if (!interaction) {
      interaction = {
        id,
        token: String(payload.token),
        payload,
        dispatchedAt: Date.now(),
        dispatchedHr: performance.now(),
        callbacks: [],
        loading: false,
        expired: false,
        ackWaiters: [],
      };
      this.interactions.set(id, interaction);
    }
    const i = interaction;
    const acked = new Promise<{ type: number; at: number }>((resolve) => {
      const first = i.callbacks[0];
      if (first) resolve(first);
      else i.ackWaiters.push(resolve);
    });
    if (this.endpoint) void this.postInteraction(this.endpoint, payload);
    else this.dispatch("INTERACTION_CREATE", payload);
    return Object.assign(i, { acked });
  }

  /** Interactions endpoint set in the portal (HTTP interactions): later interactions are POSTed there, signed. */
  private endpoint: { url: string; privateKey: KeyObject } | undefined;
  /** Answers the endpoint gave, by interaction id (status and body), as Discord would see them. */
  readonly endpointAnswers = new Map<string, { status: number; body: string }>();

  useInteractionsEndpoint(url: string, privateKey: KeyObject): void {
    this.endpoint = { url, privateKey };
  }

  /** Signs (Ed25519 over timestamp + body) and POSTs like Discord; a 200 answer is the interaction's first response. */
  async postInteraction(endpoint: { url: string; privateKey: KeyObject }, payload: Record<string, unknown>): Promise<void> {
    const body = JSON.stringify(payload);
    const timestamp = String(Math.floor(Date.now() / 1000));
    const signature = sign(null, Buffer.from(timestamp + body), endpoint.privateKey).toString("hex");
    const res = await fetch(endpoint.url, {
      method: "POST",
      headers: { "content-type": "application/json", "x-signature-ed25519": signature, "x-signature-timestamp": timestamp },
      body,
    });
    const text = await res.text();
    const id = String(payload.id);
    this.endpointAnswers.set(id, { status: res.status, body: text });
    if (res.status === 200) {
      try {
        this.callback(id, String(payload.token), JSON.parse(text), [], new URL("http://endpoint/"), {
          hr: performance.now(),
          wall: Date.now(),
        });
      } catch (error) {
        this.violations.push(`interaction ${id}: endpoint answer refused: ${(error as Error).message}`);
      }
    } else if (res.status !== 202) {
      this.violations.push(`interaction ${id}: interactions endpoint answered HTTP ${res.status}`);
    }
    this.poke();
  }

  /** A member runs a slash command with options given as { name: value }. */
  slash(opts: {
    name: string;
    user: FakeUser;
    channelId?: string;
    options?: Record<string, string | number | boolean>;
    subcommand?: string;
  }) {
    const cmd = this.findCommand(opts.name);
    const typeOf = (defs: Record<string, unknown>[] | undefined, n: string) => {
      const def = defs?.find((o) => o.name === n);
      if (!def) throw new Error(`fake discord: /${opts.name} has no option ${n} registered`);
      return def.type as number;
    };
    const values = (defs: Record<string, unknown>[] | undefined) =>
      Object.entries(opts.options ?? {}).map(([n, value]) => ({ name: n, type: typeOf(defs, n), value }));
    let options: Record<string, unknown>[];
    if (opts.subcommand) {
      const sub = (cmd.options as Record<string, unknown>[] | undefined)?.find((o) => o.name === opts.subcommand);
      if (!sub) throw new Error(`fake discord: /${opts.name} has no subcommand ${opts.subcommand}`);
      options = [{ name: opts.subcommand, type: 1, options: values(sub.options as Record<string, unknown>[] | undefined) }];
    } else {
      options = values(cmd.options as Record<string, unknown>[] | undefined);
    }
    return this.interact({
      type: 2,
      user: opts.user,
      channelId: opts.channelId ?? this.guild.channels[0]?.id ?? "",
      data: { id: cmd.id, name: cmd.name, type: 1, options, ...(opts.channelId ? {} : { guild_id: this.guild.id }) },
    });
  }

  /** Autocomplete while typing `focused` of /name. */
  autocomplete(opts: { name: string; user: FakeUser; channelId?: string; focused: string; value: string }) {
    const cmd = this.findCommand(opts.name);
    const def = (cmd.options as Record<string, unknown>[] | undefined)?.find((o) => o.name === opts.focused);
    return this.interact({
      type: 4,
      user: opts.user,
      channelId: opts.channelId ?? this.guild.channels[0]?.id ?? "",
      data: {
        id: cmd.id,
        name: cmd.name,
        type: 1,
        options: [{ name: opts.focused, type: def?.type ?? 3, value: opts.value, focused: true }],
      },
    });
  }

  /** A member clicks a button (or picks from a select menu when `values` is given) on a bot message. */
  click(opts: { message: FakeMessage; customId: string; user: FakeUser; values?: string[]; id?: string }) {
    const found = opts.message.components
      .flatMap((row) => (row.components as Record<string, unknown>[] | undefined) ?? [])
      .find((c) => c.custom_id === opts.customId);
    if (!found) throw new Error(`fake discord: message ${opts.message.id} has no component ${opts.customId}`);
    const data: Record<string, unknown> = { custom_id: opts.customId, component_type: found.type };
    if (opts.values) data.values = opts.values;
    return this.interact({ type: 3, data, user: opts.user, channelId: opts.message.channel_id, message: opts.message, id: opts.id });
  }

  /**
   * The member fills in the modal `shown` answered with and submits it. Discord's client refuses what it
   * checks itself (required inputs, min/max length, options); otherwise a MODAL_SUBMIT interaction is sent
   * with the inputs inside their labels, as Discord does, from the channel (and message) the modal came from.
   */
  submitModal(opts: { shown: FakeInteraction; user: FakeUser; values: Record<string, string>; id?: string }) {
    const modal = opts.shown.modal;
    if (!modal) throw new Error(`fake discord: interaction ${opts.shown.id} showed no modal`);
    const components: Record<string, unknown>[] = [];
    for (const [n, top] of ((modal.components as Record<string, unknown>[] | undefined) ?? []).entries()) {
      if (top.type !== 18) continue;
      const c = top.component as Record<string, unknown>;
      const customId = String(c.custom_id);
      const typed = opts.values[customId] ?? (typeof c.value === "string" ? c.value : "");
      const required = c.required !== false;
      if (c.type === 4) {
        if (required && typed === "") throw new Error(`fake discord: the client would not submit (${customId} is required)`);
        const max = c.max_length as number | undefined;
        const min = c.min_length as number | undefined;
        if (typed !== "" && max !== undefined && typed.length > max) throw new Error(`fake discord: ${customId} longer than ${max}`);
        if (typed !== "" && min !== undefined && typed.length < min) throw new Error(`fake discord: ${customId} shorter than ${min}`);
        components.push({ type: 18, id: n + 1, component: { type: 4, id: n + 2, custom_id: customId, value: typed } });
      } else if (c.type === 3) {
        const options = (c.options as { value: string; default?: boolean }[] | undefined) ?? [];
        const chosen = opts.values[customId] ?? options.find((o) => o.default)?.value;
        if (chosen !== undefined && !options.some((o) => o.value === chosen))
          throw new Error(`fake discord: ${chosen} is not an option of ${customId}`);
        if (required && chosen === undefined) throw new Error(`fake discord: the client would not submit (${customId} is required)`);
        components.push({
          type: 18,
          id: n + 1,
          component: { type: 3, id: n + 2, custom_id: customId, values: chosen === undefined ? [] : [chosen] },
        });
      }
    }
    const payload = opts.shown.payload;
    const message = payload.message as Record<string, unknown> | undefined;
    const from = message ? this.messages.get(String(message.id)) : undefined;
    return this.interact({
      type: 5,
      data: { custom_id: modal.custom_id, components },
      user: opts.user,
      channelId: String(payload.channel_id),
      ...(from ? { message: from } : {}),
      ...(opts.id ? { id: opts.id } : {}),
    });
  }

  /** A member types a message in a channel, thread or DM (MESSAGE_CREATE over the Gateway). */
  say(opts: { channelId: string; user: FakeUser; content: string }): FakeMessage {
    const channel = this.channels.get(opts.channelId);
    if (!channel) throw new Error(`fake discord: no channel ${opts.channelId}`);
    const m = this.store({ channel, author: opts.user, content: opts.content, embeds: [], components: [], attachments: [], flags: 0 });
    const payload: Record<string, unknown> = { ...messagePayload(m), channel_type: channel.type };
    if (channel.guild_id) {
      payload.guild_id = channel.guild_id;
      const member = this.memberPayload(opts.user, channel.guild_id);
      delete member.user;
      payload.member = member;
    }
    this.dispatch("MESSAGE_CREATE", payload);
    return m;
  }

  private findCommand(name: string): Record<string, unknown> {
    for (const list of this.commands.values()) {
      const cmd = list.find((c) => c.name === name);
      if (cmd) return cmd;
    }
    throw new Error(`fake discord: /${name} was never registered`);
  }

  private store(p: {
    channel: FakeChannel;
    author: FakeUser;
    content: string;
    embeds: Record<string, unknown>[];
    components: Record<string, unknown>[];
    attachments: FakeAttachment[];
    flags: number;
    interactionId?: string;
  }): FakeMessage {
    const m: FakeMessage = {
      id: snowflake(),
      channel_id: p.channel.id,
      guild_id: p.channel.guild_id,
      author: p.author,
      content: p.content,
      embeds: p.embeds,
      components: p.components,
      attachments: p.attachments,
      flags: p.flags,
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      interactionId: p.interactionId,
      history: [{ content: p.content, embeds: p.embeds.length, components: p.components.length, at: Date.now() }],
    };
    this.messages.set(m.id, m);
    return m;
  }

  // ---------- REST ----------

  /** `arrived` is taken when the request's headers are read: Discord's deadline is on receipt. */
  private async handle(req: IncomingMessage, res: ServerResponse, arrived: Arrival): Promise<void> {
    // Receipts first, checking later: on this one thread, a request's arrival must not wait for the
    // checking of every request read before it (setImmediate runs after the turn's I/O is read).
    await new Promise<void>((resolve) => setImmediate(resolve));
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const method = req.method ?? "GET";
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const call: RestCall = {
      method,
      path: decodeURIComponent(url.pathname).replace(/^\/api\/v10/, ""),
      query: url.search,
      status: 0,
      body: undefined,
      files: [],
      auth: req.headers.authorization,
      at: Date.now(),
    };
    const finish = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      call.status = status;
      this.calls.push(call);
      json(res, status, body, headers);
      this.poke();
    };
    if (method === "GET" && url.pathname.startsWith("/attachments/")) {
      const [, , channelId, id] = url.pathname.split("/");
      const a = [...this.messages.values()]
        .flatMap((m) => (m.channel_id === channelId && !m.deleted ? m.attachments : []))
        .find((x) => x.id === id);
      if (!a) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { "content-type": a.content_type ?? "application/octet-stream", "content-length": a.bytes.length }).end(a.bytes);
      return;
    }
    if (!url.pathname.startsWith("/api/v10/")) {
      this.violations.push(`${method} ${url.pathname}: not under /api/v10`);
      return finish(404, { message: "404: Not Found", code: 0 });
    }
    const matched = this.spec.match(method, call.path);
    if ("error" in matched) {
      this.violations.push(`${method} ${call.path}: ${matched.error}`);
      return finish(405, { message: "405: Method Not Allowed", code: 0 });
    }
    call.route = matched.operation.template;
    call.operationId = matched.operation.operationId;

    // Body: JSON, or multipart with payload_json and files[n].
    let kind: "json" | "multipart" | "none" = "none";
    let body: Record<string, unknown> | unknown[] | undefined;
    const files: UploadedFile[] = [];
    const type = req.headers["content-type"] ?? "";
    try {
      if (raw.length > 0 && type.startsWith("application/json")) {
        kind = "json";
        body = JSON.parse(raw.toString("utf8")) as Record<string, unknown>;
      } else if (raw.length > 0 && type.startsWith("multipart/form-data")) {
        kind = "multipart";
        const form = await new Request("http://x/", { method: "POST", headers: { "content-type": type }, body: raw }).formData();
        body = {};
        for (const [name, value] of form.entries()) {
          if (name === "payload_json") Object.assign(body, JSON.parse(String(value)) as Record<string, unknown>);
          else if (typeof value !== "string") {
            const bytes = Buffer.from(await value.arrayBuffer());
            files.push({ name, filename: value.name, size: value.size, type: value.type, data: bytes.toString("utf8"), bytes });
          } else this.violations.push(`${method} ${call.path}: unexpected multipart field ${name}`);
        }
      } else if (raw.length > 0) {
        this.violations.push(`${method} ${call.path}: unsupported content-type ${type}`);
      }
    } catch (error) {
      this.violations.push(`${method} ${call.path}: unreadable body (${String(error)})`);
      return finish(400, { message: "400: Bad Request", code: 50109 });
    }
    call.body = body;
    call.files = files.map((f) => ({ name: f.name, filename: f.filename, size: f.size }));
    const problems = this.spec.check(
      matched,
      kind,
      kind === "multipart" ? { ...(body as object), ...Object.fromEntries(files.map((f) => [f.name, "<binary>"])) } : body,
    );
    problems.push(...platformLimits(body), ...attachmentProblems(body, files));
    // Discord refuses a request whose files exceed the upload limit before reading its body.
    if (files.reduce((n, f) => n + f.size, 0) > ATTACHMENT_BYTES) {
      this.violations.push(`${method} ${call.path}: files larger than ${ATTACHMENT_BYTES} bytes`);
      return finish(413, { message: "Request entity too large", code: 40005 });
    }
    if (problems.length > 0) {
      for (const p of problems) this.violations.push(`${method} ${call.path}: ${p}`);
      return finish(400, {
        message: "Invalid Form Body",
        code: 50035,
        errors: { _errors: problems.map((p) => ({ code: "INVALID", message: p })) },
      });
    }

    const rule = this.rateLimits.find((r) => r.times > 0 && (!r.method || r.method === method) && r.path.test(call.path));
    if (rule) {
      rule.times--;
      this.rateLimited.push(call);
      const headers: Record<string, string> = {
        "retry-after": String(rule.retryAfterSeconds),
        "x-ratelimit-remaining": "0",
        "x-ratelimit-reset-after": String(rule.retryAfterSeconds),
        "x-ratelimit-scope": rule.global ? "global" : "user",
      };
      if (rule.global) headers["x-ratelimit-global"] = "true";
      return finish(
        429,
        { message: "You are being rate limited.", retry_after: rule.retryAfterSeconds, global: Boolean(rule.global) },
        headers,
      );
    }

    const needsBot = !call.path.startsWith("/interactions/") && !/^\/webhooks\/\d+\/[^/]+/.test(call.path);
    if (needsBot && call.auth !== `Bot ${this.token}`) {
      return finish(401, { message: "401: Unauthorized", code: 0 });
    }
    /** No answer at all: recorded with status 0. */
    const drop = () => {
      this.calls.push(call);
      res.socket?.destroy();
      this.poke();
    };
    const fault = this.faults.find((r) => r.times > 0 && (!r.method || r.method === method) && r.path.test(call.path));
    const hold = (answer: () => void) => {
      this.held.push({ call, answer });
      this.poke();
    };
    if (fault) {
      fault.times--;
      this.faulted.push(call);
      if ("status" in fault.fault) return finish(fault.fault.status, { message: `${fault.fault.status}: Server Error`, code: 0 });
      if ("drop" in fault.fault && fault.fault.drop === "before") return drop();
    }
    const work = () => {
      try {
        const [status, out] = this.route(matched.operation.operationId, matched.params, body, files, url, arrived);
        // The work is done, the answer is lost on the way.
        if (fault && "drop" in fault.fault) return drop();
        // The work is done, the answer waits.
        if (fault && "hold" in fault.fault && fault.fault.hold === "after") return hold(() => finish(status, out));
        finish(status, out);
      } catch (error) {
        if (error instanceof HttpProblem) return finish(error.status, { message: error.message, code: error.code });
        this.violations.push(`${method} ${call.path}: fake crashed: ${String(error)}`);
        finish(500, { message: "500: Internal Server Error", code: 0 });
      }
    };
    if (fault && "hold" in fault.fault && fault.fault.hold === "before") return hold(work);
    work();
  }

  private route(
    op: string,
    params: Record<string, string>,
    body: unknown,
    files: UploadedFile[],
    url: URL,
    arrived: Arrival,
  ): [number, unknown] {
    const b = (body ?? {}) as Record<string, unknown>;
    switch (op) {
      case "get_bot_gateway":
        return [
          200,
          { url: this.gatewayUrl, shards: 1, session_start_limit: { total: 1000, remaining: 999, reset_after: 0, max_concurrency: 1 } },
        ];
      case "get_gateway":
        return [200, { url: this.gatewayUrl }];
      case "get_my_user":
        return [200, userPayload(this.bot)];
      case "get_my_application":
        return [
          200,
          {
            id: this.applicationId,
            name: this.bot.username,
            flags: this.applicationFlags,
            bot_public: false,
            bot_require_code_grant: false,
            verify_key: "0",
            description: "",
          },
        ];
      case "bulk_set_application_commands":
      case "bulk_set_guild_application_commands": {
        this.mustBeApp(params.application_id);
        const key = params.guild_id ?? "global";
        const list = (body as Record<string, unknown>[]).map((c) => ({
          ...c,
          id: this.commands.get(key)?.find((o) => o.name === c.name)?.id ?? snowflake(),
          application_id: this.applicationId,
          version: snowflake(),
          type: c.type ?? 1,
          ...(params.guild_id ? { guild_id: params.guild_id } : {}),
        }));
        this.commands.set(key, list);
        return [200, list];
      }
      case "list_application_commands":
      case "list_guild_application_commands":
        return [200, this.commands.get(params.guild_id ?? "global") ?? []];
      case "create_interaction_response":
        return this.callback(params.interaction_id ?? "", params.interaction_token ?? "", b, files, url, arrived);
      case "get_original_webhook_message":
      case "update_original_webhook_message":
      case "delete_original_webhook_message": {
        const i = this.byToken(params.webhook_id, params.webhook_token);
        const m = i.originalMessageId ? this.messages.get(i.originalMessageId) : undefined;
        if (!m || m.deleted) throw new HttpProblem(404, 10008, "Unknown Message");
        if (op === "delete_original_webhook_message") {
          m.deleted = true;
          return [204, undefined];
        }
        if (op === "update_original_webhook_message") {
          this.edit(m, b, files);
          i.loading = false;
        }
        return [200, messagePayload(m)];
      }
      case "execute_webhook": {
        const i = this.byToken(params.webhook_id, params.webhook_token);
        const original = i.originalMessageId ? this.messages.get(i.originalMessageId) : undefined;
        if (i.loading && original) {
          // Discord: the first follow-up after a deferred response replaces the "thinking" message.
          i.loading = false;
          this.edit(original, b, files);
          return [200, messagePayload(original)];
        }
        const m = this.createFromBody(this.interactionChannel(i), b, files, i.id);
        return [200, messagePayload(m)];
      }
      case "get_webhook_message":
      case "update_webhook_message":
      case "delete_webhook_message": {
        this.byToken(params.webhook_id, params.webhook_token);
        const m = this.messages.get(params.message_id ?? "");
        if (!m || m.deleted) throw new HttpProblem(404, 10008, "Unknown Message");
        if (op === "delete_webhook_message") {
          m.deleted = true;
          return [204, undefined];
        }
        if (op === "update_webhook_message") this.edit(m, b, files);
        return [200, messagePayload(m)];
      }
      case "get_channel":
        return [200, channelPayload(this.channel(params.channel_id))];
      case "create_message": {
        const channel = this.channel(params.channel_id);
        // Discord: with enforce_nonce, a nonce seen from the same author within a few minutes returns
        // that message instead of creating another.
        if (b.enforce_nonce === true && b.nonce !== undefined && b.nonce !== null) {
          const nonce = String(b.nonce);
          const since = Date.now() - NONCE_WINDOW_MS;
          const earlier = this.channelMessages(channel.id).find(
            (m) => m.nonce === nonce && m.author.id === this.bot.id && Date.parse(m.timestamp) >= since,
          );
          if (earlier) return [200, messagePayload(earlier)];
        }
        const m = this.createFromBody(channel, b, files);
        this.dispatch("MESSAGE_CREATE", { ...messagePayload(m), channel_type: channel.type });
        return [200, messagePayload(m)];
      }
      case "list_messages":
        return [200, this.channelMessages(this.channel(params.channel_id).id).reverse().slice(0, 50).map(messagePayload)];
      case "get_message":
      case "update_message":
      case "delete_message": {
        const m = this.messages.get(params.message_id ?? "");
        if (!m || m.deleted || m.channel_id !== params.channel_id) throw new HttpProblem(404, 10008, "Unknown Message");
        if (op === "delete_message") {
          m.deleted = true;
          return [204, undefined];
        }
        if (op === "update_message") {
          if (m.author.id !== this.bot.id) throw new HttpProblem(403, 50005, "Cannot edit a message authored by another user");
          this.edit(m, b, files);
        }
        return [200, messagePayload(m)];
      }
      case "create_thread_from_message": {
        const parent = this.channel(params.channel_id);
        if (parent.type !== 0) throw new HttpProblem(400, 50024, "Cannot execute action on this channel type");
        const m = this.messages.get(params.message_id ?? "");
        if (!m || m.deleted || m.channel_id !== parent.id) throw new HttpProblem(404, 10008, "Unknown Message");
        if (this.channels.has(m.id)) throw new HttpProblem(400, 160004, "A thread has already been created for this message");
        if ((m.flags & FLAG_EPHEMERAL) !== 0) throw new HttpProblem(400, 50083, "Cannot start a thread from an ephemeral message");
        const thread: FakeChannel = {
          id: m.id,
          type: 11,
          name: String(b.name),
          guild_id: parent.guild_id,
          parent_id: parent.id,
          owner_id: this.bot.id,
        };
        this.channels.set(thread.id, thread);
        this.dispatch("THREAD_CREATE", { ...channelPayload(thread), newly_created: true });
        return [201, channelPayload(thread)];
      }
      case "create_dm": {
        const id = String(b.recipient_id);
        const member = [...this.members.values()].find((m) => m.user.id === id);
        const user = member?.user ?? { id, username: `user${id.slice(-4)}` };
        return [200, channelPayload(this.dmChannelFor(user))];
      }
      case "get_guild_member": {
        const m = this.members.get(`${params.guild_id}:${params.user_id}`);
        if (!m) throw new HttpProblem(404, 10007, "Unknown Member");
        return [200, this.memberPayload(m.user, m.guildId)];
      }
      default:
        this.violations.push(`${op}: not implemented by the fake (the adapter should not need it)`);
        throw new HttpProblem(501, 0, `${op} is not implemented by the fake`);
    }
  }

  private mustBeApp(id: string | undefined): void {
    if (id !== this.applicationId) throw new HttpProblem(403, 50001, "Missing Access");
  }

  private channel(id: string | undefined): FakeChannel {
    const c = this.channels.get(id ?? "");
    if (!c) throw new HttpProblem(404, 10003, "Unknown Channel");
    return c;
  }

  private byToken(appId: string | undefined, token: string | undefined): FakeInteraction {
    this.mustBeApp(appId);
    const i = [...this.interactions.values()].find((x) => x.token === token);
    if (!i || i.expired) throw new HttpProblem(401, 50027, "Invalid Webhook Token");
    if (i.callbacks.length === 0) throw new HttpProblem(404, 10015, "Unknown Webhook");
    return i;
  }

  private interactionChannel(i: FakeInteraction): FakeChannel {
    return this.channel(String(i.payload.channel_id));
  }

  private callback(
    id: string,
    token: string,
    b: Record<string, unknown>,
    files: UploadedFile[],
    url: URL,
    arrived: Arrival,
  ): [number, unknown] {
    const i = this.interactions.get(id);
    if (!i || i.token !== token || i.expired) throw new HttpProblem(404, 10062, "Unknown interaction");
    const now = arrived.wall;
    if (i.callbacks.length > 0) throw new HttpProblem(400, 40060, "Interaction has already been acknowledged.");
    if (now - i.dispatchedAt > this.ackDeadlineMs) {
      this.violations.push(`interaction ${id} acknowledged after ${now - i.dispatchedAt} ms (Discord allows ${this.ackDeadlineMs})`);
      throw new HttpProblem(404, 10062, "Unknown interaction");
    }
    const type = Number(b.type);
    const data = (b.data ?? {}) as Record<string, unknown>;
    const entry = { type, at: now, atHr: arrived.hr, body: b };
    i.callbacks.push(entry);
    for (const w of i.ackWaiters.splice(0)) w(entry);
    const itype = Number(i.payload.type);
    let message: FakeMessage | undefined;
    if (type === 4 || type === 5) {
      if (itype === 4) this.violations.push(`interaction ${id}: autocomplete answered with a message`);
      const flags = Number(data.flags ?? 0) | (type === 5 ? FLAG_LOADING : 0);
      message = this.createFromBody(this.interactionChannel(i), { ...data, flags }, files, id);
      i.originalMessageId = message.id;
      i.loading = type === 5;
    } else if (type === 6 || type === 7) {
      // A modal submitted from a message's button may update that message, like the click could have.
      if (itype !== 3 && !(itype === 5 && i.payload.message))
        this.violations.push(`interaction ${id}: type ${type} is only for component interactions`);
      const m = this.messages.get(String((i.payload.message as Record<string, unknown> | undefined)?.id));
      if (type === 7 && m) this.edit(m, data, files);
      message = m;
    } else if (type === 8) {
      if (itype !== 4) this.violations.push(`interaction ${id}: autocomplete result for a non-autocomplete interaction`);
    } else if (type === 9) {
      if (itype !== 2 && itype !== 3) this.violations.push(`interaction ${id}: a modal can only answer a command or a component`);
      for (const problem of modalIssues(data)) this.violations.push(`interaction ${id}: modal ${problem}`);
      i.modal = data;
    } else {
      this.violations.push(`interaction ${id}: callback type ${type} not expected`);
    }
    if (url.searchParams.get("with_response") === "true") {
      return [
        200,
        {
          interaction: {
            id,
            type: itype,
            activity_instance_id: null,
            response_message_id: message?.id ?? null,
            response_message_loading: type === 5,
            response_message_ephemeral: Boolean(message && message.flags & FLAG_EPHEMERAL),
          },
          resource: message ? { type, message: messagePayload(message) } : { type },
        },
      ];
    }
    return [204, undefined];
  }

  private createFromBody(channel: FakeChannel, b: Record<string, unknown>, files: UploadedFile[], interactionId?: string): FakeMessage {
    const m = this.store({
      channel,
      author: this.bot,
      content: String(b.content ?? ""),
      embeds: (b.embeds as Record<string, unknown>[] | undefined) ?? [],
      components: (b.components as Record<string, unknown>[] | undefined) ?? [],
      attachments: this.attachmentsFrom(files),
      flags: Number(b.flags ?? 0),
      interactionId,
    });
    if (interactionId) m.webhook_id = this.applicationId;
    if (typeof b.nonce === "string" || typeof b.nonce === "number") m.nonce = String(b.nonce);
    const ref = b.message_reference as { message_id?: string } | undefined;
    if (ref?.message_id) m.message_reference = { message_id: ref.message_id, channel_id: channel.id };
    return m;
  }

  private attachmentsFrom(files: UploadedFile[]): FakeAttachment[] {
    return files.map((f) => ({
      id: snowflake(),
      filename: f.declared ?? f.filename,
      size: f.size,
      content_type: f.type || undefined,
      data: f.data,
      bytes: f.bytes,
    }));
  }

  private edit(m: FakeMessage, b: Record<string, unknown>, files: UploadedFile[]): void {
    if ("content" in b) m.content = String(b.content ?? "");
    if ("embeds" in b) m.embeds = (b.embeds as Record<string, unknown>[] | null) ?? [];
    if ("components" in b) m.components = (b.components as Record<string, unknown>[] | null) ?? [];
    if ("attachments" in b || files.length > 0) {
      const keep = new Set(((b.attachments as { id: string }[] | null | undefined) ?? []).map((a) => String(a.id)));
      const kept = "attachments" in b ? m.attachments.filter((a) => keep.has(a.id)) : m.attachments;
      m.attachments = [...kept, ...this.attachmentsFrom(files)];
    }
    m.flags &= ~FLAG_LOADING;
    m.edited_timestamp = new Date().toISOString();
    m.history.push({ content: m.content, embeds: m.embeds.length, components: m.components.length, at: Date.now() });
  }
}

/** Limits Discord enforces that the spec leaves loose (bots get 2,000 characters of content, not 4,000). */
function platformLimits(body: unknown): string[] {
  if (!body || typeof body !== "object" || Array.isArray(body)) return [];
  const b = body as Record<string, unknown>;
  const problems: string[] = [];
  const target = (b.data && typeof b.data === "object" ? b.data : b) as Record<string, unknown>;
  if (typeof target.content === "string" && target.content.length > 2000) {
    problems.push(`content is ${target.content.length} characters (limit 2000)`);
  }
  const embeds = target.embeds as
    | { title?: string; description?: string; footer?: { text?: string }; fields?: { name: string; value: string }[] }[]
    | undefined;
  if (Array.isArray(embeds)) {
    let total = 0;
    for (const e of embeds) {
      total += (e.title?.length ?? 0) + (e.description?.length ?? 0) + (e.footer?.text?.length ?? 0);
      for (const f of e.fields ?? []) total += f.name.length + f.value.length;
    }
    if (total > 6000) problems.push(`embeds hold ${total} characters (limit 6000 per message)`);
  }
  const components = target.components as
    | { type: number; components?: { type: number; custom_id?: string; label?: string; options?: unknown[] }[] }[]
    | undefined;
  if (Array.isArray(components)) {
    if (components.length > 5) problems.push(`${components.length} action rows (limit 5)`);
    for (const row of components) {
      const inner = row.components ?? [];
      if (inner.length > 5) problems.push(`an action row with ${inner.length} components (limit 5)`);
      if (inner.some((c) => c.type !== 2) && inner.length > 1) problems.push("a select menu must be alone in its action row");
    }
  }
  return problems;
}

export async function startFakeDiscord(options: FakeDiscordOptions = {}): Promise<FakeDiscord> {
  return new FakeDiscord(options).start();
}

/**
 * Discord's modal rules beyond the OpenAPI schema (which allows 40 components): at most five top-level
 * components, each input in a label, unique custom ids, select options within 25 and defaults among them.
 */
export function modalIssues(data: Record<string, unknown>): string[] {
  const issues: string[] = [];
  const components = (data.components as Record<string, unknown>[] | undefined) ?? [];
  if (components.length === 0 || components.length > 5) issues.push(`has ${components.length} top-level components (1..5)`);
  if (typeof data.title !== "string" || data.title.length === 0 || data.title.length > 45) issues.push("title must be 1..45 characters");
  if (typeof data.custom_id !== "string" || data.custom_id.length === 0 || data.custom_id.length > 100)
    issues.push("custom_id must be 1..100 characters");
  const ids = new Set<string>();
  for (const [n, top] of components.entries()) {
    if (top.type !== 18 && top.type !== 10 && top.type !== 1)
      issues.push(`component ${n}: type ${String(top.type)} not allowed at the top of a modal`);
    if (top.type !== 18) continue;
    const label = String(top.label ?? "");
    if (label.length === 0 || label.length > 45) issues.push(`component ${n}: label must be 1..45 characters`);
    const c = (top.component ?? {}) as Record<string, unknown>;
    const customId = String(c.custom_id ?? "");
    if (ids.has(customId)) issues.push(`component ${n}: duplicate custom_id ${customId}`);
    ids.add(customId);
    if (c.type === 4) {
      const max = c.max_length as number | undefined;
      if (typeof c.value === "string" && max !== undefined && c.value.length > max)
        issues.push(`component ${n}: value longer than max_length`);
    } else if (c.type === 3) {
      const options = (c.options as { value: string; label: string; default?: boolean }[] | undefined) ?? [];
      if (options.length === 0 || options.length > 25) issues.push(`component ${n}: ${options.length} options (1..25)`);
      if (options.filter((o) => o.default).length > Number(c.max_values ?? 1)) issues.push(`component ${n}: more defaults than max_values`);
    } else issues.push(`component ${n}: input type ${String(c.type)} not expected`);
  }
  return issues;
}
