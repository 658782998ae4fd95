// The HTTP receiver on its own: Slack's signature rules, url_verification and ssl_check, answers that go out
// before any listener runs, ack content that follows through response_url, retries, and the paced queue
// behind it. A real Bolt App sits behind the receiver; the fake Web API answers its auth.test.
import { App, ErrorCode } from "@slack/bolt";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { BackgroundWork } from "../../src/adapters/slack/background.ts";
import { parseSlackBody, SlackHttpReceiver, verifySlackSignature } from "../../src/adapters/slack/receiver.ts";
import { createHttpServer } from "../../src/http/server.ts";
import { silentLogger } from "../../src/log.ts";
import type { FakeSlack } from "../fakes/slack/server.ts";
import { postCommand, postEvent, slackSignature } from "../fakes/slack/sign.ts";
import { BOT_TOKEN, SIGNING_SECRET, startFake } from "./helpers.ts";

const NOW = 1_900_000_000_000;

describe("verifySlackSignature", () => {
  const body = Buffer.from("token=x&team_id=T1&command=%2Flesson-plan&text=grade+5");
  const ts = NOW / 1000;
  const headers = (over: { timestamp?: string; signature?: string } = {}) => ({
    timestamp: String(ts),
    signature: slackSignature(SIGNING_SECRET, ts, body.toString()),
    ...over,
  });

  it("accepts Slack's signature and refuses anything else", () => {
    expect(verifySlackSignature(SIGNING_SECRET, headers(), body, NOW)).toBe("ok");
    expect(verifySlackSignature(`${SIGNING_SECRET}x`, headers(), body, NOW)).toBe("mismatch");
    expect(verifySlackSignature(SIGNING_SECRET, headers(), Buffer.from(`${body}&x=1`), NOW)).toBe("mismatch");
    // Signed for another timestamp: the timestamp is part of what is signed.
    expect(verifySlackSignature(SIGNING_SECRET, headers({ timestamp: String(ts - 1) }), body, NOW)).toBe("mismatch");
    expect(verifySlackSignature(SIGNING_SECRET, headers({ signature: undefined }), body, NOW)).toBe("missing");
    expect(verifySlackSignature(SIGNING_SECRET, headers({ timestamp: undefined }), body, NOW)).toBe("missing");
    expect(verifySlackSignature(SIGNING_SECRET, headers({ timestamp: "12abc" }), body, NOW)).toBe("missing");
    expect(verifySlackSignature(SIGNING_SECRET, headers({ signature: "v1=abc" }), body, NOW)).toBe("missing");
    const short = headers().signature.slice(0, -2);
    expect(verifySlackSignature(SIGNING_SECRET, headers({ signature: short }), body, NOW)).toBe("missing");
  });

  it("keeps a five-minute window either side of our clock", () => {
    const at = (offsetSec: number) => {
      const t = ts + offsetSec;
      return verifySlackSignature(
        SIGNING_SECRET,
        { timestamp: String(t), signature: slackSignature(SIGNING_SECRET, t, body.toString()) },
        body,
        NOW,
      );
    };
    expect(at(-300)).toBe("ok");
    expect(at(300)).toBe("ok");
    expect(at(-301)).toBe("stale");
    expect(at(301)).toBe("stale");
  });
});

describe("parseSlackBody", () => {
  it("reads form fields, a form payload holding JSON, and JSON, and refuses what is neither", () => {
    expect(parseSlackBody("command=%2Fx&text=a+b", "application/x-www-form-urlencoded; charset=utf-8")).toEqual({
      command: "/x",
      text: "a b",
    });
    const payload = encodeURIComponent(JSON.stringify({ type: "block_actions", actions: [] }));
    expect(parseSlackBody(`payload=${payload}`, "application/x-www-form-urlencoded")).toEqual({ type: "block_actions", actions: [] });
    expect(parseSlackBody('{"type":"event_callback"}', "application/json")).toEqual({ type: "event_callback" });
    expect(() => parseSlackBody("{nope", "application/json")).toThrow();
    expect(() => parseSlackBody("[1,2]", "application/json")).toThrow();
    expect(() => parseSlackBody("payload=%7Bnope", "application/x-www-form-urlencoded")).toThrow();
  });
});

describe("SlackHttpReceiver with a Bolt app", () => {
  let fake: FakeSlack;
  let receiver: SlackHttpReceiver;
  let app: App;
  let url: string;

  beforeAll(async () => {
    fake = await startFake();
  });
  afterAll(async () => {
    await fake.stop();
  });
  afterEach(async () => {
    await receiver?.stop();
    expect(fake.violations).toEqual([]);
  });

  async function start(options: Partial<ConstructorParameters<typeof SlackHttpReceiver>[0]> = {}, listen = true) {
    receiver = new SlackHttpReceiver({ signingSecret: SIGNING_SECRET, logger: silentLogger, ...options });
    app = new App({ token: BOT_TOKEN, receiver, clientOptions: { slackApiUrl: fake.apiUrl }, deferInitialization: true });
    await app.init();
    if (listen) url = `http://127.0.0.1:${(await receiver.start(0)).port}/slack/events`;
  }

  const command = (over: Record<string, string> = {}) => ({
    team_id: "T0FAKE0001",
    channel_id: "C0RECEIVER",
    user_id: "U0TEACHER",
    command: "/echo",
    text: "hello",
    response_url: fake.responseUrl(),
    trigger_id: `${Math.random()}`.slice(2),
    ...over,
  });

  it("answers before the listener runs, and what the listener acks with goes to response_url", async () => {
    await start();
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const seen: string[] = [];
    app.command("/echo", async ({ ack, command: c }) => {
      // Holds the listener until the test has its HTTP response: a receiver that answered only after the
      // listener would never answer, and this test would time out.
      await gate;
      seen.push(c.text);
      await ack({ response_type: "ephemeral", text: `You said ${c.text}` });
    });
    const body = command({ response_url: fake.responseUrl("echo-0000-0000-0000") });
    const res = await postCommand(url, SIGNING_SECRET, body);
    expect([res.status, res.body]).toEqual([200, ""]);
    expect(seen).toEqual([]);
    release();
    const reply = await fake.waitFor(() => fake.responses.find((r) => r.id === "echo-0000-0000-0000"), 5000, "response_url post");
    expect(reply.body).toEqual({ response_type: "ephemeral", text: "You said hello" });
    expect(seen).toEqual(["hello"]);
  });

  it("answers some requests in the response itself and never runs a listener for them", async () => {
    await start({ answer: (b) => (b.team_id === "T0STRANGER" ? { response_type: "ephemeral", text: "Not here." } : undefined) });
    const ran: string[] = [];
    app.command(/.*/, async ({ ack, command: c }) => {
      await ack();
      ran.push(c.team_id);
    });
    const refused = await postCommand(url, SIGNING_SECRET, command({ team_id: "T0STRANGER" }));
    expect(refused.status).toBe(200);
    expect(JSON.parse(refused.body)).toEqual({ response_type: "ephemeral", text: "Not here." });
    await postCommand(url, SIGNING_SECRET, command());
    await fake.waitFor(() => ran.length === 1, 5000, "allowed command");
    await receiver.stop();
    expect(ran).toEqual(["T0FAKE0001"]);
  });

  it("handles url_verification and ssl_check itself and dispatches neither", async () => {
    await start();
    const dispatched: unknown[] = [];
    app.use(async ({ body }) => {
      dispatched.push(body);
    });
    const challenge = await postEvent(url, SIGNING_SECRET, { type: "url_verification", token: "t", challenge: "c-123" });
    expect(challenge.status).toBe(200);
    expect(JSON.parse(challenge.body)).toEqual({ challenge: "c-123" });
    // A forged url_verification is refused like anything else.
    expect((await postEvent(url, SIGNING_SECRET, { type: "url_verification", challenge: "x" }, { mode: "bad" })).status).toBe(401);
    // Slack's ssl_check is not signed; as in Bolt it gets a 200 and nothing in it is read.
    const ssl = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "ssl_check=1&token=t&command=%2Fecho&team_id=T0FAKE0001",
    });
    expect([ssl.status, await ssl.text()]).toEqual([200, ""]);
    await receiver.stop();
    expect(dispatched).toEqual([]);
  });

  it("refuses bad, missing, stale and future signatures, malformed bodies, other paths and methods, and big bodies", async () => {
    let clock = Date.now();
    await start({ now: () => clock, bodyLimit: 2048 });
    const dispatched: unknown[] = [];
    app.use(async ({ body }) => {
      dispatched.push(body);
    });
    for (const mode of ["bad", "missing", "stale"] as const) {
      expect((await postCommand(url, SIGNING_SECRET, command(), mode)).status, mode).toBe(401);
    }
    // Signed now, but our clock is six minutes behind: a timestamp from the future is refused too.
    clock -= 6 * 60_000;
    expect((await postCommand(url, SIGNING_SECRET, command())).status).toBe(401);
    clock += 6 * 60_000;
    const malformed = "{not json";
    const ts = Math.floor(Date.now() / 1000);
    const res400 = await fetch(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-slack-request-timestamp": String(ts),
        "x-slack-signature": slackSignature(SIGNING_SECRET, ts, malformed),
      },
      body: malformed,
    });
    expect(res400.status).toBe(400);
    expect((await fetch(url)).status).toBe(405);
    expect((await fetch(url.replace("/slack/events", "/slack/other"), { method: "POST", body: "x" })).status).toBe(404);
    expect((await postCommand(url, SIGNING_SECRET, command({ text: "x".repeat(4096) }))).status).toBe(413);
    await receiver.stop();
    expect(dispatched).toEqual([]);
  });

  it("passes Slack's retry headers on and runs each delivery once; a second ack is an error", async () => {
    await start();
    const deliveries: { retryNum?: number; retryReason?: string; eventId: unknown }[] = [];
    const secondAck: unknown[] = [];
    app.event("app_mention", async ({ body, context }) => {
      deliveries.push({ retryNum: context.retryNum, retryReason: context.retryReason, eventId: body.event_id });
    });
    app.command("/echo", async ({ ack }) => {
      await ack();
      await ack().catch((error: unknown) => secondAck.push((error as { code?: string }).code));
    });
    const envelope = {
      type: "event_callback",
      team_id: "T0FAKE0001",
      api_app_id: "A0FAKEAPP",
      event_id: "Ev0RETRY",
      event_time: 1,
      event: { type: "app_mention", user: "U0TEACHER", text: "<@U0FAKEBOT> hi", ts: "1900000000.000100", channel: "C0RECEIVER" },
    };
    expect((await postEvent(url, SIGNING_SECRET, envelope)).status).toBe(200);
    expect((await postEvent(url, SIGNING_SECRET, envelope, { retryNum: 1 })).status).toBe(200);
    await postCommand(url, SIGNING_SECRET, command());
    await fake.waitFor(() => deliveries.length === 2 && secondAck.length === 1, 5000, "both deliveries");
    expect(deliveries).toEqual([
      { retryNum: undefined, retryReason: undefined, eventId: "Ev0RETRY" },
      { retryNum: 1, retryReason: "http_timeout", eventId: "Ev0RETRY" },
    ]);
    expect(secondAck).toEqual([ErrorCode.ReceiverMultipleAckError]);
  });

  it("works as a mount on the shared server, waits for listeners on stop, then answers 503", async () => {
    await start({}, false);
    const shared = createHttpServer({ port: 0, host: "127.0.0.1", logger: silentLogger, readiness: async () => ({}) });
    shared.mount({ path: "/slack/events", handler: receiver.requestListener });
    const { port } = await shared.listen();
    const mounted = `http://127.0.0.1:${port}/slack/events`;
    try {
      let finished = 0;
      app.command("/echo", async ({ ack }) => {
        await ack();
        await new Promise((r) => setTimeout(r, 30));
        finished++;
      });
      expect((await postCommand(mounted, SIGNING_SECRET, command())).status).toBe(200);
      await receiver.stop();
      expect(finished).toBe(1);
      expect((await postCommand(mounted, SIGNING_SECRET, command())).status).toBe(503);
      expect(finished).toBe(1);
    } finally {
      await shared.close();
    }
  });
});

describe("BackgroundWork", () => {
  it("holds tasks while requests keep arriving and starts them once arrivals pause", async () => {
    let clock = 0;
    const work = new BackgroundWork({ quietMs: 20, maxHoldMs: 1000, now: () => clock });
    const started: number[] = [];
    work.arrived();
    for (let i = 0; i < 3; i++)
      work.run(
        async () => void started.push(i),
        () => {},
      );
    // Real time passes, the clock does not: still inside the burst.
    await new Promise((r) => setTimeout(r, 40));
    expect(started).toEqual([]);
    clock = 25;
    await work.settle(5000);
    expect(started).toEqual([0, 1, 2]);
  });

  it("starts held tasks after maxHoldMs even if arrivals never pause, and routes failures", async () => {
    let clock = 0;
    const work = new BackgroundWork({ quietMs: 20, maxHoldMs: 100, perTick: 2, now: () => clock });
    const failures: string[] = [];
    work.run(
      async () => {
        throw new Error("boom");
      },
      (error) => void failures.push((error as Error).message),
    );
    const ran: number[] = [];
    for (let i = 0; i < 4; i++)
      work.run(
        async () => void ran.push(i),
        () => {},
      );
    const keepArriving = setInterval(() => {
      clock += 10;
      work.arrived();
    }, 2);
    try {
      await work.settle(10_000);
    } finally {
      clearInterval(keepArriving);
    }
    expect(clock).toBeGreaterThanOrEqual(100);
    expect(failures).toEqual(["boom"]);
    expect(ran).toEqual([0, 1, 2, 3]);
    expect(work.size).toBe(0);
  });
});
