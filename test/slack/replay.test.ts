// Replays the real recorded Slack payloads (../shared/fixtures/platform-payloads/*slack*.json) through the
// Bolt app, signed as Slack signs them, over HTTP and over Socket Mode: every one is acknowledged, foreign
// buttons and chatter run nothing, and the ones that are ours reach the core with the right fields.
import { readdirSync } from "node:fs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type SlackHandle, startSlack } from "../../src/adapters/slack/index.ts";
import { silentLogger } from "../../src/log.ts";
import type { FakeSlack } from "../fakes/slack/server.ts";
import { postCommand, postEvent, postInteraction } from "../fakes/slack/sign.ts";
import {
  APP_TOKEN,
  FAST_PACING,
  FAST_RETRY,
  fixture,
  fixturesDir,
  RecordingCore,
  SIGNING_SECRET,
  slackConfig,
  startFake,
} from "./helpers.ts";

type Payload = Record<string, unknown>;
type Kind = "command" | "interactive" | "event";

/** Every recorded payload, by file and key, with the transport kind it arrives as. */
function recorded(): { name: string; kind: Kind; body: Payload }[] {
  const out: { name: string; kind: Kind; body: Payload }[] = [];
  for (const file of readdirSync(fixturesDir).filter((f) => f.includes("slack") && f.endsWith(".json"))) {
    for (const [key, value] of Object.entries(fixture(file))) {
      if (typeof value !== "object" || value === null) continue;
      const body = value as Payload;
      const kind: Kind | undefined =
        typeof body.command === "string"
          ? "command"
          : body.type === "event_callback"
            ? "event"
            : typeof body.type === "string" && "user" in body
              ? "interactive"
              : undefined;
      if (kind) out.push({ name: `${file}#${key}`, kind, body });
    }
  }
  return out;
}

let fake: FakeSlack;
let core: RecordingCore;
let slack: SlackHandle;

beforeAll(async () => {
  fake = await startFake();
});
afterAll(async () => {
  await fake.stop();
});
afterEach(async () => {
  await slack?.stop();
  expect(fake.violations).toEqual([]);
});

const slackJson = () => fixture<{ followUp: Payload; mention: Payload }>("slack.json");
const actions = () => fixture<{ action: Payload; staticSelectAction: Payload }>("actions-reactions-slack.json");
const commands = () => fixture<{ slashCommand: Payload; slashCommandWithArgs: Payload }>("slash-commands-slack.json");

/** Our own variants of recorded payloads: a known command, an encoded button and select, an owned thread. */
function ours() {
  const followUp = slackJson().followUp;
  const event = followUp.event as Payload;
  const button = actions().action;
  const buttonEl = (button.actions as Payload[])[0] as Payload;
  const select = actions().staticSelectAction;
  const selectEl = (select.actions as Payload[])[0] as Payload;
  const cmd = commands().slashCommandWithArgs;
  return {
    thread: { surface: "slack" as const, channelId: String(event.channel), threadId: String(event.thread_ts) },
    buttonThread: { surface: "slack" as const, channelId: "C00FAKECHAN1", threadId: String((button.container as Payload).thread_ts) },
    reply: { ...followUp, event_id: "Ev0REPLAY01" },
    button: { ...button, actions: [{ ...buttonEl, action_id: "sr:1:answer", value: "science" }] },
    select: {
      ...select,
      actions: [{ ...selectEl, action_id: "sr:select", selected_option: { value: JSON.stringify(["answer", "grade-6"]) } }],
    },
    command: { ...cmd, command: "/lesson-plan", response_url: fake.responseUrl() },
  };
}

/** The threads the recorded payloads refer to exist in the fake workspace. */
function seedThreads() {
  const o = ours();
  fake.seed(o.thread.channelId, o.thread.threadId, "U00FAKEUSER1");
  fake.seed(o.buttonThread.channelId, o.buttonThread.threadId, "U00FAKEUSER1");
}

function checkRouting() {
  const o = ours();
  const [command] = core.of("command");
  expect(command).toMatchObject({
    name: "lesson-plan",
    args: { text: "some arguments here" },
    inbound: { user: { id: "U00FAKEUSER2", teamId: "T00FAKE00BB" } },
  });
  const [message] = core.of("message");
  expect(message).toMatchObject({ text: "Hi", thread: o.thread, inbound: { user: { id: "U00FAKEUSER1" } } });
  const clicks = core.of("action").map((a) => [a.actionId, a.value, a.thread.threadId]);
  expect(clicks).toEqual([
    ["answer", "science", o.buttonThread.threadId],
    ["answer", "grade-6", o.buttonThread.threadId],
  ]);
}

describe("recorded Slack payloads", () => {
  it("over HTTP: all acknowledged, only ours reach the core", async () => {
    core = new RecordingCore();
    slack = await startSlack({ config: slackConfig(fake), core, logger: silentLogger, pacing: FAST_PACING, retryConfig: FAST_RETRY });
    const url = `http://127.0.0.1:${slack.port}/slack/events`;
    const all = recorded();
    expect(all.length).toBeGreaterThan(20);
    const o = ours();
    seedThreads();
    core.threads.set(`${o.thread.channelId}/${o.thread.threadId}`, { thread: o.thread, progress: { thread: o.thread, messageId: "1" } });
    for (const { name, kind, body } of all) {
      const res =
        kind === "command"
          ? await postCommand(url, SIGNING_SECRET, Object.fromEntries(Object.entries(body).map(([k, v]) => [k, String(v)])))
          : kind === "interactive"
            ? await postInteraction(url, SIGNING_SECRET, body)
            : await postEvent(url, SIGNING_SECRET, body);
      expect(res.status, name).toBe(200);
      if (kind === "command")
        expect(JSON.parse(res.body), name).toMatchObject({ response_type: "ephemeral", text: expect.stringContaining("/test-feedback") });
    }
    // The recorded traffic has foreign buttons, modals, mentions, reactions and DMs: none of it is ours.
    // The one recorded thread reply lands in a thread the core owns, and is the only call so far.
    await fake.waitFor(() => core.calls.length >= 1, 5000, "the recorded thread reply");
    expect(core.calls.map((c) => c.kind)).toEqual(["message"]);
    core.calls.length = 0;
    expect(
      (await postCommand(url, SIGNING_SECRET, Object.fromEntries(Object.entries(o.command).map(([k, v]) => [k, String(v)])))).status,
    ).toBe(200);
    await postEvent(url, SIGNING_SECRET, o.reply);
    await postInteraction(url, SIGNING_SECRET, o.button);
    await postInteraction(url, SIGNING_SECRET, o.select);
    await fake.waitFor(() => core.calls.length === 4, 5000, "four routed calls");
    checkRouting();
  });

  it("over Socket Mode: every envelope is acked, and the same routing holds", async () => {
    core = new RecordingCore();
    slack = await startSlack({
      config: slackConfig(fake, { SLACK_APP_TOKEN: APP_TOKEN }),
      core,
      logger: silentLogger,
      pacing: FAST_PACING,
      retryConfig: FAST_RETRY,
    });
    expect(slack.mode).toBe("socket");
    expect(slack.handler).toBeUndefined();
    // apps.connections.open went to the fake (SLACK_API_URL) with the app-level token.
    expect(fake.callsOf("apps.connections.open").at(-1)?.status).toBe(200);
    await fake.waitFor(() => fake.socketCount > 0, 5000, "socket connection");
    const o = ours();
    seedThreads();
    core.threads.set(`${o.thread.channelId}/${o.thread.threadId}`, { thread: o.thread, progress: { thread: o.thread, messageId: "1" } });
    for (const { name, kind, body } of recorded()) {
      const type = kind === "command" ? "slash_commands" : kind === "interactive" ? "interactive" : "events_api";
      const ack = await fake.deliver(type, body);
      expect(ack.envelope_id, name).toBeTruthy();
    }
    await fake.waitFor(() => core.calls.length >= 1, 5000, "the recorded thread reply");
    core.calls.length = 0;
    const acks = await Promise.all([
      fake.deliver("slash_commands", o.command),
      fake.deliver("events_api", o.reply),
      fake.deliver("events_api", o.reply, { retry_attempt: 1 }), // Slack's retry of the same event
      fake.deliver("interactive", o.button),
      fake.deliver("interactive", o.select),
    ]);
    expect(acks).toHaveLength(5);
    await fake.waitFor(() => core.calls.length === 5, 5000, "five routed calls");
    checkRouting();
    const replies = core.of("message");
    expect(replies[1]?.inbound.dedupeKey).toBe(replies[0]?.inbound.dedupeKey);
    // The command's thread opened through the Web API as in HTTP mode.
    await fake.waitFor(
      () => fake.messages.find((m) => m.channel === "C00FAKECHAN3" && m.text.includes("Which")),
      5000,
      "question in thread",
    );
  });

  it("refuses a recorded command from a workspace outside SLACK_ALLOWED_TEAM_IDS", async () => {
    core = new RecordingCore();
    slack = await startSlack({
      config: slackConfig(fake, { SLACK_APP_TOKEN: APP_TOKEN, SLACK_ALLOWED_TEAM_IDS: "T00FAKE00AA" }),
      core,
      logger: silentLogger,
    });
    await fake.waitFor(() => fake.socketCount > 0, 5000, "socket connection");
    const ack = await fake.deliver("slash_commands", ours().command);
    expect(ack.payload).toMatchObject({ response_type: "ephemeral", text: expect.stringContaining("isn't enabled") });
    expect(core.calls).toEqual([]);
  });
});
