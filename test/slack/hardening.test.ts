// Slack's HTTP endpoint against hostile or broken senders, over real sockets: the body limit is decided from
// the headers before the body is read (declared length and bytes that arrive), and a signed body of a shape
// no listener can read is a 400 that runs nothing, instead of an error inside a listener.
import { request } from "node:http";
import { Writable } from "node:stream";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SlackHandle, startSlack } from "../../src/adapters/slack/index.ts";
import { slackBodyFits } from "../../src/adapters/slack/payloads.ts";
import { DEFAULT_BODY_LIMIT } from "../../src/adapters/slack/receiver.ts";
import type { FakeSlack } from "../fakes/slack/server.ts";
import { signedHeaders } from "../fakes/slack/sign.ts";
import { slowClient } from "../http/sockets.ts";
import { FAST_PACING, FAST_RETRY, fixture, RecordingCore, SIGNING_SECRET, slackConfig, startFake } from "./helpers.ts";

let fake: FakeSlack;
let core: RecordingCore;
let slack: SlackHandle;
let url: string;
const logs: { level: number; msg: string }[] = [];

beforeAll(async () => {
  fake = await startFake();
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split("\n").filter(Boolean)) logs.push(JSON.parse(line) as { level: number; msg: string });
      done();
    },
  });
  core = new RecordingCore();
  slack = await startSlack({
    config: slackConfig(fake),
    core,
    logger: pino({ level: "debug" }, sink),
    pacing: FAST_PACING,
    retryConfig: FAST_RETRY,
  });
  url = `http://127.0.0.1:${slack.port}/slack/events`;
});
afterAll(async () => {
  await slack?.stop();
  await fake?.stop();
  expect(fake.violations).toEqual([]);
});

const errorsLogged = () => logs.filter((l) => l.level >= 50).map((l) => l.msg);

function signedPost(body: string, type: string) {
  return fetch(url, { method: "POST", headers: { "content-type": type, ...signedHeaders(SIGNING_SECRET, body) }, body });
}

describe("body limits, decided before the body is read", () => {
  it("refuses an unsigned request that declares 10 MB with a 401 at once, without waiting for the body", async () => {
    const head = `POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${10 * 1024 * 1024}\r\n\r\n`;
    const reply = await slowClient(Number(slack.port), head, 3_000);
    expect(reply.status).toBe(401);
    expect(reply.ms).toBeLessThan(1_000);
  });

  it("refuses a signed request that declares more than a Slack payload needs with a 413 at once", async () => {
    const headers = signedHeaders(SIGNING_SECRET, "irrelevant");
    const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`);
    const head = `POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${lines.join("")}Content-Length: ${DEFAULT_BODY_LIMIT + 1}\r\n\r\n`;
    const reply = await slowClient(Number(slack.port), head, 3_000);
    expect(reply.status).toBe(413);
    expect(reply.ms).toBeLessThan(1_000);
  });

  it("counts the bytes of a chunked body as they arrive and answers 413 before the sender is done", async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        url,
        { method: "POST", headers: { "content-type": "application/json", ...signedHeaders(SIGNING_SECRET, "x") } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
          req.destroy();
        },
      );
      req.on("error", (error) => (error.message.includes("socket hang up") ? undefined : reject(error)));
      // Never ended: the answer can only come from counting.
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      for (let i = 0; i <= DEFAULT_BODY_LIMIT / chunk.length; i++) req.write(chunk);
    });
    expect(status).toBe(413);
  });

  it("keeps answering Slack's unsigned ssl_check, and a signed payload of ordinary size", async () => {
    const ssl = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "ssl_check=1&token=t",
    });
    expect(ssl.status).toBe(200);
    // A click on our longest message, form-encoded: well over Bolt-sized small bodies, under the limit.
    const payload = JSON.stringify({
      type: "block_actions",
      user: { id: "U0TEACHER" },
      team: { id: "T0FAKE0001" },
      actions: [],
      message: { ts: "1.2", text: "中".repeat(39_000) },
    });
    const body = new URLSearchParams({ payload }).toString();
    expect(body.length).toBeGreaterThan(300_000);
    expect((await signedPost(body, "application/x-www-form-urlencoded")).status).toBe(200);
  });
});

describe("signed bodies of the wrong shape", () => {
  const form = (fields: Record<string, string | string[]>) => {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(fields)) for (const one of [v].flat()) p.append(k, one);
    return p.toString();
  };
  const interaction = (payload: unknown) => form({ payload: JSON.stringify(payload) });
  const command = { team_id: "T0FAKE0001", channel_id: "C0LESSONS", user_id: "U0TEACHER", command: "/lesson-plan", text: "x" };
  const cases: [string, string, string][] = [
    ["a command without its user", form({ ...command, user_id: [] }), "form"],
    ["a command named twice", form({ ...command, command: ["/lesson-plan", "/assessment"] }), "form"],
    ["a command without a slash", form({ ...command, command: "lesson-plan" }), "form"],
    ["a click without a user", interaction({ type: "block_actions", team: { id: "T1" }, actions: [] }), "form"],
    ["a click whose user is a string", interaction({ type: "block_actions", user: "U0TEACHER", actions: [] }), "form"],
    ["a click whose actions are not a list", interaction({ type: "block_actions", user: { id: "U1" }, actions: "x" }), "form"],
    ["a click with a bare string action", interaction({ type: "block_actions", user: { id: "U1" }, actions: ["x"] }), "form"],
    ["an interaction of no known type", interaction({ type: "nonsense", user: { id: "U1" } }), "form"],
    ["an event envelope without its event", JSON.stringify({ type: "event_callback", team_id: "T1" }), "json"],
    ["an event that is a string", JSON.stringify({ type: "event_callback", event: "message" }), "json"],
    [
      "a message event without a channel",
      JSON.stringify({ type: "event_callback", event: { type: "message", ts: "1.2", user: "U1" } }),
      "json",
    ],
    [
      "a message event whose ts is a number",
      JSON.stringify({ type: "event_callback", event: { type: "message", channel: "C1", ts: 1 } }),
      "json",
    ],
    ["a url_verification without a challenge", JSON.stringify({ type: "url_verification" }), "json"],
    ["an empty object", "{}", "json"],
    ["a form with no command", form({ text: "hello" }), "form"],
  ];
  it.each(cases)("%s gets a 400 and reaches no listener", async (_what, body, kind) => {
    const before = core.calls.length;
    const res = await signedPost(body, kind === "json" ? "application/json" : "application/x-www-form-urlencoded");
    expect(res.status).toBe(400);
    await new Promise((r) => setTimeout(r, 30));
    expect(core.calls.length).toBe(before);
    expect(errorsLogged()).toEqual([]);
  });

  it("lets every real Slack payload of the shared fixtures through", () => {
    const bodies: Record<string, unknown>[] = [];
    for (const name of ["slack.json", "slash-commands-slack.json", "actions-reactions-slack.json", "modals-slack.json", "dm-slack.json"]) {
      for (const value of Object.values(fixture(name))) {
        const v = value as Record<string, unknown>;
        if (v && typeof v === "object" && ("type" in v || "command" in v)) bodies.push(v);
      }
    }
    expect(bodies.length).toBeGreaterThan(10);
    for (const body of bodies) expect(slackBodyFits(body), JSON.stringify(body).slice(0, 200)).toBe(true);
  });
});
