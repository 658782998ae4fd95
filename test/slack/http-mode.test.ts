// The Slack adapter in HTTP mode, end to end: the real Bolt app behind its HTTPReceiver, signed requests on
// loopback, and the fake Web API (spec-checked) recording what the bot posts. A recording ChatCore stands
// in for the chat core so these tests exercise the adapter's own behaviour.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type SlackHandle, startSlack } from "../../src/adapters/slack/index.ts";
import { createHttpServer } from "../../src/http/server.ts";
import { silentLogger } from "../../src/log.ts";
import { registry } from "../../src/metrics.ts";
import type { FakeSlack } from "../fakes/slack/server.ts";
import { postCommand, postEvent, postInteraction } from "../fakes/slack/sign.ts";
import { FAST_PACING, FAST_RETRY, RecordingCore, SIGNING_SECRET, slackConfig, startFake } from "./helpers.ts";

let fake: FakeSlack;
let core: RecordingCore;
let slack: SlackHandle;
let url: string;

async function start(env: Record<string, string> = {}) {
  core = new RecordingCore();
  slack = await startSlack({ config: slackConfig(fake, env), core, logger: silentLogger, pacing: FAST_PACING, retryConfig: FAST_RETRY });
  url = `http://127.0.0.1:${slack.port}/slack/events`;
}

const command = (over: Record<string, string> = {}) => ({
  token: "legacy-verification-token",
  team_id: "T0FAKE0001",
  team_domain: "school",
  channel_id: "C0LESSONS",
  channel_name: "lessons",
  user_id: "U0TEACHER",
  user_name: "ms.rivera",
  command: "/lesson-plan",
  text: 'grade 5 science "Solar System" 45 min',
  api_app_id: "A0FAKEAPP",
  is_enterprise_install: "false",
  response_url: fake.responseUrl(),
  trigger_id: `${Math.random()}`.slice(2),
  ...over,
});

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

describe("Slack HTTP mode", () => {
  it("acks a command at once, opens a thread and keeps all further output in it", async () => {
    await start();
    const body = command();
    const res = await postCommand(url, SIGNING_SECRET, body);
    expect(res.status).toBe(200);
    expect(res.body).toBe("");
    const question = await fake.waitFor(() => fake.messages.find((m) => m.text.includes("Which")), 5000, "question");
    const root = fake.messages.find((m) => m.channel === "C0LESSONS" && !m.threadTs);
    expect(root?.text).toContain("lesson-plan");
    expect(question.threadTs).toBe(root?.ts);
    const [cmd] = core.of("command");
    expect(cmd?.name).toBe("lesson-plan");
    expect(cmd?.args.text).toBe('grade 5 science "Solar System" 45 min');
    expect(cmd?.inbound.user).toMatchObject({ id: "U0TEACHER", teamId: "T0FAKE0001", name: "ms.rivera" });
    expect(cmd?.inbound.place).toMatchObject({ channelId: "C0LESSONS", isDirect: false, reply: { responseUrl: body.response_url } });
    expect(cmd?.inbound.dedupeKey).toBe(`slack:command:${body.trigger_id}`);
    // The progress message was edited in place; every edit became a chat.update of the same ts.
    const progress = fake.threadMessages("C0LESSONS", root?.ts ?? "").find((m) => m.text.includes("step one"));
    await slack.stop();
    expect(progress?.text).toContain("(5 ms)");
    expect(fake.callsOf("chat.update").every((c) => c.params.ts === progress?.ts)).toBe(true);
    // Question buttons: primary choice, second choice and a danger Cancel, all encoded as ours.
    const actions = question.blocks.find((b) => b.type === "actions") as { elements: { action_id: string; style?: string }[] };
    expect(actions.elements.map((e) => e.style)).toEqual(["primary", undefined, "danger"]);
    expect(core.attached).toHaveLength(1);
  });

  it("rejects bad, missing and stale signatures and runs nothing", async () => {
    await start();
    const posted = fake.callsOf("chat.postMessage").length;
    for (const mode of ["bad", "missing", "stale"] as const) {
      const res = await postCommand(url, SIGNING_SECRET, command(), mode);
      expect(res.status, mode).toBe(401);
      const ev = await postEvent(url, SIGNING_SECRET, { type: "event_callback", event: { type: "message" } }, { mode });
      expect(ev.status, mode).toBe(401);
    }
    expect(core.calls).toEqual([]);
    expect(fake.callsOf("chat.postMessage")).toHaveLength(posted);
  });

  it("refuses commands from workspaces outside SLACK_ALLOWED_TEAM_IDS and runs nothing", async () => {
    await start({ SLACK_ALLOWED_TEAM_IDS: "T0OTHER, T0FAKE0001" });
    const refused = await postCommand(url, SIGNING_SECRET, command({ team_id: "T0STRANGER" }));
    expect(refused.status).toBe(200);
    expect(JSON.parse(refused.body)).toMatchObject({
      response_type: "ephemeral",
      text: expect.stringContaining("isn't enabled for this workspace"),
    });
    expect(core.calls).toEqual([]);
    const allowed = await postCommand(url, SIGNING_SECRET, command());
    expect(allowed.status).toBe(200);
    await fake.waitFor(() => core.of("command").length === 1, 5000, "allowed command");
  });

  it("answers an unknown command with what it can do", async () => {
    await start();
    const res = await postCommand(url, SIGNING_SECRET, command({ command: "/test-feedback" }));
    expect(JSON.parse(res.body)).toMatchObject({ response_type: "ephemeral", text: expect.stringContaining("/staffroom help") });
    expect(core.calls).toEqual([]);
  });

  it("falls back to response_url with invite instructions where the bot cannot post", async () => {
    await start();
    fake.notInChannel.add("C0NOTIN");
    const body = command({ channel_id: "C0NOTIN", response_url: fake.responseUrl("not-in-channel-0000-0000") });
    await postCommand(url, SIGNING_SECRET, body);
    const reply = await fake.waitFor(() => fake.responses.find((r) => r.id === "not-in-channel-0000-0000"), 5000, "response_url post");
    expect(reply.body.response_type).toBe("ephemeral");
    expect(String(reply.body.text)).toContain("/invite @staffroom");
    // A DM between two people: the bot is not part of it.
    await postCommand(
      url,
      SIGNING_SECRET,
      command({ channel_id: "D0PEOPLE", channel_name: "directmessage", response_url: fake.responseUrl("direct-message-0000-0000") }),
    );
    const dm = await fake.waitFor(() => fake.responses.find((r) => r.id === "direct-message-0000-0000"), 5000, "dm response");
    expect(String(dm.body.text)).toContain("direct message with me");
    // The bot's own DM works like a channel.
    fake.botDms.add("D0BOTDM");
    await postCommand(url, SIGNING_SECRET, command({ channel_id: "D0BOTDM", channel_name: "directmessage" }));
    await fake.waitFor(() => fake.messages.find((m) => m.channel === "D0BOTDM" && m.text.includes("Which")), 5000, "question in bot DM");
    expect(core.of("command").at(-1)?.inbound.place.isDirect).toBe(true);
  });

  it("routes thread replies and clicks to the core with stable dedupe keys; ignores bots and other chatter", async () => {
    await start();
    await postCommand(url, SIGNING_SECRET, command({ channel_id: "C0REPLIES" }));
    const question = await fake.waitFor(
      () => fake.messages.find((m) => m.channel === "C0REPLIES" && m.text.includes("Which")),
      5000,
      "question",
    );
    const rootTs = question.threadTs ?? "";
    const reply = (over: Record<string, unknown> = {}) => ({
      token: "t",
      team_id: "T0FAKE0001",
      api_app_id: "A0FAKEAPP",
      type: "event_callback",
      event_id: "Ev0REPLY1",
      event_time: 1,
      event: {
        type: "message",
        user: "U0TEACHER",
        text: "grade &lt;5&gt; &amp; <@U0OTHER>",
        ts: "1900000000.000100",
        thread_ts: rootTs,
        channel: "C0REPLIES",
        channel_type: "channel",
        ...over,
      },
    });
    expect((await postEvent(url, SIGNING_SECRET, reply())).status).toBe(200);
    // Slack's retry of the same event carries the same message: same dedupe key, processed once.
    expect((await postEvent(url, SIGNING_SECRET, reply(), { retryNum: 1 })).status).toBe(200);
    // Noise: a bot's message, an edit, a top-level message, a reply in a thread we do not own.
    await postEvent(url, SIGNING_SECRET, reply({ bot_id: "B0OTHER", ts: "1900000000.000200" }));
    await postEvent(url, SIGNING_SECRET, reply({ subtype: "message_changed", ts: "1900000000.000300" }));
    await postEvent(url, SIGNING_SECRET, reply({ thread_ts: undefined, ts: "1900000000.000400" }));
    await postEvent(url, SIGNING_SECRET, reply({ thread_ts: "1700000000.000001", ts: "1900000000.000500" }));
    await fake.waitFor(() => core.duplicates.length === 1, 5000, "duplicate seen");
    const messages = core.of("message");
    expect(messages).toHaveLength(2);
    expect(messages[0]?.text).toBe("grade <5> & @U0OTHER");
    expect(messages[0]?.thread).toEqual({ surface: "slack", channelId: "C0REPLIES", threadId: rootTs });
    expect(messages[1]?.inbound.dedupeKey).toBe(messages[0]?.inbound.dedupeKey);

    const actions = question.blocks.find((b) => b.type === "actions") as { elements: { action_id: string; value?: string }[] };
    const click = (el: { action_id: string; value?: string }, n: number) => ({
      type: "block_actions",
      user: { id: "U0TEACHER", username: "ms.rivera", name: "ms.rivera", team_id: "T0FAKE0001" },
      api_app_id: "A0FAKEAPP",
      token: "t",
      container: { type: "message", message_ts: question.ts, channel_id: "C0REPLIES", is_ephemeral: false, thread_ts: rootTs },
      trigger_id: `trigger-${n}`,
      team: { id: "T0FAKE0001", domain: "school" },
      channel: { id: "C0REPLIES", name: "lessons" },
      message: { type: "message", ts: question.ts, thread_ts: rootTs, user: "U0FAKEBOT" },
      response_url: fake.responseUrl(),
      actions: [
        {
          type: "button",
          block_id: "b",
          action_id: el.action_id,
          value: el.value,
          text: { type: "plain_text", text: "x" },
          action_ts: `${1900000000 + n}.1`,
        },
      ],
    });
    const grade6 = actions.elements[1] as { action_id: string; value?: string };
    const first = await postInteraction(url, SIGNING_SECRET, click(grade6, 1));
    const second = await postInteraction(url, SIGNING_SECRET, click(grade6, 2)); // a double click
    expect([first.status, second.status]).toEqual([200, 200]);
    await fake.waitFor(() => core.of("action").length === 2, 5000, "two clicks");
    const [a1, a2] = core.of("action");
    expect(a1).toMatchObject({ actionId: "answer", value: "6", thread: { channelId: "C0REPLIES", threadId: rootTs } });
    expect(a2?.inbound.dedupeKey).toBe(a1?.inbound.dedupeKey);
    await fake.waitFor(
      () => fake.messages.filter((m) => m.channel === "C0REPLIES" && m.text.includes("Chose answer=6")).length === 1,
      5000,
      "one answer posted",
    );
  });

  it("waits out 429 storms without losing a post or the latest edit", async () => {
    await start();
    const before =
      (await registry.getSingleMetricAsString("staffroom_platform_rate_limited_total")).match(/platform="slack"} (\d+)/)?.[1] ?? "0";
    fake.rateLimit({ times: 2, retryAfter: 1, method: "chat.postMessage", channel: "C0STORM" });
    fake.rateLimit({ times: 1, retryAfter: 1, method: "chat.update", channel: "C0STORM" });
    await postCommand(url, SIGNING_SECRET, command({ channel_id: "C0STORM" }));
    const question = await fake.waitFor(
      () => fake.messages.find((m) => m.channel === "C0STORM" && m.text.includes("Which")),
      15_000,
      "question after storm",
    );
    await slack.stop();
    const inChannel = fake.messages.filter((m) => m.channel === "C0STORM");
    expect(inChannel).toHaveLength(3); // root, progress, question: none lost, none doubled
    expect(inChannel.find((m) => m.text.includes("step one"))?.text).toContain("(5 ms)");
    expect(question.threadTs).toBe(inChannel[0]?.ts);
    expect(fake.rateLimitedCount).toBe(3);
    const after =
      (await registry.getSingleMetricAsString("staffroom_platform_rate_limited_total")).match(/platform="slack"} (\d+)/)?.[1] ?? "0";
    expect(Number(after) - Number(before)).toBe(3);
  });

  it("posts a long document split within Slack's limits and attaches the whole Markdown file", async () => {
    await start();
    await postCommand(url, SIGNING_SECRET, command());
    const entry = await fake.waitFor(() => [...core.threads.values()][0], 5000, "thread");
    const sections = Array.from(
      { length: 30 },
      (_, i) => `## Part ${i + 1}\n\n${"The planets orbit the Sun. ".repeat(120)}\n\n- bullet **bold** [link](https://example.org/${i})`,
    );
    const markdown = `# Solar System\n\n${sections.join("\n\n")}`;
    const ref = await slack.surface.postDocument(entry.thread, {
      title: "Solar System",
      markdown,
      filename: "lesson-plan.md",
      actions: [{ id: "approve", label: "Approve", value: "v1", style: "primary" }],
    });
    const parts = fake.threadMessages("C0LESSONS", entry.thread.threadId).filter((m) => m.blocks.some((b) => b.type === "header"));
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.at(-1)?.ts).toBe(ref.messageId);
    expect(parts.at(-1)?.blocks.at(-1)?.type).toBe("actions");
    // Each part starts at a heading.
    for (const p of parts.slice(1)) expect(p.blocks[0]?.type).toBe("header");
    const file = fake.files.find((f) => f.filename === "lesson-plan.md");
    expect(file).toMatchObject({ content: markdown, channel: "C0LESSONS", threadTs: entry.thread.threadId, title: "Solar System" });
    expect(fake.callsOf("files.completeUploadExternal")).toHaveLength(1);
  });

  it("mounts its handler on the process's shared HTTP server instead of listening itself", async () => {
    core = new RecordingCore();
    const shared = createHttpServer({ port: 0, host: "127.0.0.1", logger: silentLogger, readiness: async () => ({}) });
    slack = await startSlack({
      config: slackConfig(fake),
      core,
      logger: silentLogger,
      httpServer: shared,
      pacing: FAST_PACING,
      retryConfig: FAST_RETRY,
    });
    expect(slack.port).toBeUndefined();
    expect(slack.handler).toBeTypeOf("function");
    const { port } = await shared.listen();
    try {
      const res = await postCommand(`http://127.0.0.1:${port}/slack/events`, SIGNING_SECRET, command({ channel_id: "C0SHARED" }));
      expect(res.status).toBe(200);
      await fake.waitFor(
        () => fake.messages.find((m) => m.channel === "C0SHARED" && m.text.includes("Which")),
        5000,
        "question via shared server",
      );
      const bad = await postCommand(`http://127.0.0.1:${port}/slack/events`, SIGNING_SECRET, command({ channel_id: "C0SHARED" }), "bad");
      expect(bad.status).toBe(401);
      expect(core.of("command")).toHaveLength(1);
    } finally {
      await shared.close();
    }
  });
});
