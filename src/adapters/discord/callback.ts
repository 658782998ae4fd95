// Sends interaction callbacks (the first response) straight over kept-alive HTTP connections: on the hot
// path of a burst, @discordjs/rest's per-request machinery (queues, abort timers, Headers, events) costs
// more than the request itself. Anything unusual (429, 5xx, a dropped connection) goes through the REST
// client, which waits rate limits out and retries, so nothing is lost.
import * as http from "node:http";
import * as https from "node:https";
import { DefaultUserAgent, DiscordAPIError, type REST, Routes } from "discord.js";
import type { Logger } from "../../log.ts";
import { platformApiErrorsTotal, platformRateLimitedTotal } from "../../metrics.ts";

export type CallbackSender = {
  /** Posts an interaction callback; resolves once Discord accepted it, rejects when it refused. */
  send(interactionId: string, token: string, body: Record<string, unknown>): Promise<void>;
  /** Closes the kept-alive connections. */
  close(): void;
};

type Answer = { status: number; retryAfterMs: number; error?: { code?: number; message?: string } };

const TIMEOUT_MS = 15_000;
/** Discord: the interaction was acknowledged already (a retried request whose first try got through). */
const ALREADY_ACKNOWLEDGED = 40060;

export function callbackSender(rest: REST, logger: Logger): CallbackSender {
  const base = new URL(`${rest.options.api}/v${rest.options.version}`);
  const secure = base.protocol === "https:";
  const agent = secure ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
  const send = secure ? https.request : http.request;
  const prefix = base.pathname.replace(/\/+$/, "");
  const userAgent = `${DefaultUserAgent} staffroom`;

  function post(path: string, json: string): Promise<Answer> {
    return new Promise<Answer>((resolve, reject) => {
      const req = send(
        {
          protocol: base.protocol,
          hostname: base.hostname,
          port: base.port,
          path,
          method: "POST",
          agent,
          timeout: TIMEOUT_MS,
          headers: { "content-type": "application/json", "content-length": Buffer.byteLength(json), "user-agent": userAgent },
        },
        (res) => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) {
            res.resume();
            resolve({ status, retryAfterMs: 0 });
            return;
          }
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("error", reject);
          res.on("end", () => {
            let error: { code?: number; message?: string; retry_after?: number } | undefined;
            try {
              error = JSON.parse(Buffer.concat(chunks).toString("utf8")) as typeof error;
            } catch {
              error = undefined;
            }
            const header = Number(res.headers["retry-after"]);
            const seconds = Number.isFinite(header) && header > 0 ? header : Number(error?.retry_after ?? 1);
            resolve({ status, retryAfterMs: Math.max(0, seconds * 1000), ...(error ? { error } : {}) });
          });
        },
      );
      req.on("timeout", () => req.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
      req.on("error", reject);
      req.end(json);
    });
  }

  async function deliver(interactionId: string, token: string, body: Record<string, unknown>): Promise<void> {
    const route = Routes.interactionCallback(interactionId, token);
    let answer: Answer | undefined;
    try {
      answer = await post(`${prefix}${route}`, JSON.stringify(body));
    } catch (error) {
      logger.debug({ err: error, interaction: interactionId }, "discord: callback connection failed, retrying");
    }
    if (answer && answer.status < 300) return;
    if (answer && answer.status >= 400 && answer.status < 500 && answer.status !== 429) {
      platformApiErrorsTotal.inc({ platform: "discord", code: String(answer.status) });
      throw new Error(`interaction callback refused: ${answer.status} ${answer.error?.code ?? ""} ${answer.error?.message ?? ""}`.trim());
    }
    if (answer?.status === 429) {
      platformRateLimitedTotal.inc({ platform: "discord" });
      logger.warn(
        { route: "/interactions/:id/:token/callback", retryAfterMs: answer.retryAfterMs },
        "discord: rate limited, waiting it out",
      );
      await new Promise((resolve) => setTimeout(resolve, answer.retryAfterMs));
    } else if (answer) {
      platformApiErrorsTotal.inc({ platform: "discord", code: String(answer.status) });
    }
    // The REST client retries server errors and dropped connections and waits out further 429s.
    try {
      await rest.post(route, { body, auth: false });
    } catch (error) {
      // A first try that reached Discord before its connection dropped has done the job.
      if (!answer && error instanceof DiscordAPIError && error.code === ALREADY_ACKNOWLEDGED) return;
      throw error;
    }
  }

  return { send: deliver, close: () => agent.destroy() };
}
