// Discord's HTTP interactions endpoint (the "Interactions Endpoint URL"): any replica behind a load balancer
// verifies the Ed25519 signature with node:crypto and DISCORD_PUBLIC_KEY, answers PING with PONG, and hands
// every other interaction to the adapter, whose first response goes back in the HTTP answer itself.
// Bad or missing signatures get 401, which is what Discord's own probes check before saving the URL.
import { createPublicKey, type KeyObject, verify } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "../../log.ts";
import type { RawInteraction } from "./ack.ts";

export const INTERACTIONS_PATH = "/discord/interactions";
/** Interaction payloads are small; anything larger is not Discord. */
const BODY_LIMIT = 256 * 1024;
const PING = 1;
/**
 * How far a request's X-Signature-Timestamp may lie from our clock, either way: a signed request captured
 * once cannot be replayed later (or prepared for the future). Discord sends the time it signed, in seconds.
 */
export const TIMESTAMP_WINDOW_SECONDS = 5 * 60;
const PONG = { type: 1 };

/** The application's public key (64 hex characters, from the developer portal) as a node:crypto key. */
export function discordPublicKey(hex: string): KeyObject {
  return createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: Buffer.from(hex, "hex").toString("base64url") }, format: "jwk" });
}

/** Whether a timestamp header is whole seconds since the epoch within the window around `nowMs`. */
export function freshTimestamp(timestamp: string | undefined, nowMs: number): boolean {
  if (!timestamp || !/^\d{1,12}$/.test(timestamp)) return false;
  return Math.abs(Number(timestamp) - nowMs / 1000) <= TIMESTAMP_WINDOW_SECONDS;
}

/**
 * Discord signs timestamp + raw body with Ed25519; the signature header is 128 hex characters, and the
 * timestamp must be fresh (see TIMESTAMP_WINDOW_SECONDS), so a valid signature alone is not enough.
 */
export function verifyDiscordSignature(
  key: KeyObject,
  headers: { signature: string | undefined; timestamp: string | undefined },
  rawBody: Buffer,
  nowMs: number = Date.now(),
): boolean {
  const { signature, timestamp } = headers;
  if (!signature || !timestamp || !/^[0-9a-f]{128}$/i.test(signature)) return false;
  if (!freshTimestamp(timestamp, nowMs)) return false;
  try {
    return verify(null, Buffer.concat([Buffer.from(timestamp, "utf8"), rawBody]), key, Buffer.from(signature, "hex"));
  } catch {
    return false;
  }
}

export type InteractionsEndpointOptions = {
  publicKey: string;
  logger: Logger;
  /** Takes a verified interaction: the first response to send in the HTTP answer, or none (see HttpAnswer). */
  receive(raw: RawInteraction & Record<string, unknown>): HttpAnswer;
  /** The clock signed timestamps are compared with (epoch ms). */
  now?: () => number;
};

export type HttpAnswer = {
  /**
   * The interaction response; undefined when its handler answers through the callback endpoint (then 202).
   * A promise when it needs a look first (a form: its modal, or a refused submission's reasons).
   */
  first: Record<string, unknown> | undefined | Promise<Record<string, unknown> | undefined>;
  /** Told whether the answer went out, so follow-ups (edits of the original response) wait for it. */
  delivered?: (ok: boolean) => void;
};

const header = (req: IncomingMessage, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

function reply(res: ServerResponse, status: number, body?: unknown): void {
  if (res.headersSent) return;
  if (body === undefined) {
    res.writeHead(status, { "content-length": "0" }).end();
    return;
  }
  const text = typeof body === "string" ? body : JSON.stringify(body);
  res
    .writeHead(status, {
      "content-type": typeof body === "string" ? "text/plain; charset=utf-8" : "application/json",
      "content-length": String(Buffer.byteLength(text)),
    })
    .end(text);
}

/** The request handler to mount at INTERACTIONS_PATH on the shared HTTP server. */
export function interactionsEndpoint(options: InteractionsEndpointOptions): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const key = discordPublicKey(options.publicKey);
  const log = options.logger;
  return async (req, res) => {
    if (req.method !== "POST") {
      res.setHeader("allow", "POST");
      return reply(res, 405);
    }
    const raw = await readBody(req);
    if (raw === undefined) return reply(res, 413);
    const ok = verifyDiscordSignature(
      key,
      { signature: header(req, "x-signature-ed25519"), timestamp: header(req, "x-signature-timestamp") },
      raw,
      (options.now ?? Date.now)(),
    );
    if (!ok) {
      log.warn("discord: interaction with a bad, missing or stale signature refused");
      return reply(res, 401, "invalid request signature");
    }
    let interaction: RawInteraction & Record<string, unknown>;
    try {
      interaction = JSON.parse(raw.toString("utf8"));
      if (typeof interaction !== "object" || interaction === null || typeof interaction.type !== "number")
        throw new Error("not an interaction");
    } catch {
      return reply(res, 400, "malformed interaction");
    }
    if (interaction.type === PING) return reply(res, 200, PONG);
    let answer: HttpAnswer;
    try {
      answer = options.receive(interaction);
    } catch (error) {
      log.error({ err: error, interaction: interaction.id }, "discord: interaction over HTTP failed");
      return reply(res, 500);
    }
    const { delivered } = answer;
    if (delivered) {
      res.once("finish", () => delivered(true));
      res.once("close", () => {
        if (!res.writableFinished) delivered(false);
      });
    }
    const first = await answer.first;
    return first ? reply(res, 200, first) : reply(res, 202);
  };
}

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > BODY_LIMIT) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}
