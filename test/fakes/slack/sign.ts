// Signs and sends requests to a Bolt HTTP endpoint exactly as Slack does (v0 HMAC-SHA256 over
// "v0:{timestamp}:{raw body}", headers x-slack-signature and x-slack-request-timestamp).
import { createHmac } from "node:crypto";

export function slackSignature(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac("sha256", secret).update(`v0:${timestamp}:${body}`).digest("hex")}`;
}

export type SignMode = "good" | "bad" | "missing" | "stale";

export function signedHeaders(secret: string, body: string, mode: SignMode = "good"): Record<string, string> {
  const now = Math.floor(Date.now() / 1000);
  if (mode === "missing") return {};
  if (mode === "stale") {
    // Slack's rule: more than five minutes old is a replay.
    const ts = now - 6 * 60;
    return { "x-slack-request-timestamp": String(ts), "x-slack-signature": slackSignature(secret, ts, body) };
  }
  const signature = mode === "bad" ? slackSignature(`${secret}-wrong`, now, body) : slackSignature(secret, now, body);
  return { "x-slack-request-timestamp": String(now), "x-slack-signature": signature };
}

export type SentResponse = { status: number; body: string; ms: number };

async function send(url: string, body: string, contentType: string, headers: Record<string, string>): Promise<SentResponse> {
  const started = performance.now();
  const res = await fetch(url, { method: "POST", headers: { "content-type": contentType, ...headers }, body });
  const text = await res.text();
  return { status: res.status, body: text, ms: performance.now() - started };
}

/** A slash command: form-encoded fields. */
export function postCommand(url: string, secret: string, fields: Record<string, string>, mode: SignMode = "good"): Promise<SentResponse> {
  const body = new URLSearchParams(fields).toString();
  return send(url, body, "application/x-www-form-urlencoded", signedHeaders(secret, body, mode));
}

/** An interaction (block_actions, view_submission): form field `payload` holding JSON. */
export function postInteraction(url: string, secret: string, payload: unknown, mode: SignMode = "good"): Promise<SentResponse> {
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  return send(url, body, "application/x-www-form-urlencoded", signedHeaders(secret, body, mode));
}

/** An Events API callback: JSON; `retryNum` adds Slack's retry headers. */
export function postEvent(
  url: string,
  secret: string,
  envelope: unknown,
  opts: { mode?: SignMode; retryNum?: number } = {},
): Promise<SentResponse> {
  const body = JSON.stringify(envelope);
  const retry: Record<string, string> =
    opts.retryNum !== undefined ? { "x-slack-retry-num": String(opts.retryNum), "x-slack-retry-reason": "http_timeout" } : {};
  return send(url, body, "application/json", { ...signedHeaders(secret, body, opts.mode), ...retry });
}
