// The real stack behind the Slack adapter for end-to-end flows: store, engine with the offline model,
// built-in templates, chat core, and the Bolt app in HTTP mode against the fake Slack.

import { type SlackHandle, startSlack } from "../../src/adapters/slack/index.ts";
import type { ChatCoreOptions, StaffroomChatCore } from "../../src/chat/index.ts";
import type { Store } from "../../src/drivers/local/database.ts";
import type { EngineApi } from "../../src/engine/api.ts";
import { silentLogger } from "../../src/log.ts";
import type { Drafter, ModelProvider } from "../../src/model/index.ts";
import type { Template } from "../../src/templates/types.ts";
import { startBackend } from "../fakes/backend.ts";
import type { FakeMessage, FakeSlack } from "../fakes/slack/server.ts";
import { postCommand, postEvent, postInteraction } from "../fakes/slack/sign.ts";
import { FAST_PACING, FAST_RETRY, SIGNING_SECRET, slackConfig } from "./helpers.ts";

export type Stack = {
  store: Store;
  engine: EngineApi;
  core: StaffroomChatCore;
  slack: SlackHandle;
  url: string;
  stop(): Promise<void>;
  /** As in a crash: the process's parts go away without finishing or flushing anything. */
  crash(): Promise<void>;
};

export async function startStack(
  fake: FakeSlack,
  opts: {
    storeUrl?: string;
    env?: Record<string, string>;
    model?: (drafters: Record<string, Drafter>) => ModelProvider;
    /** Extra templates beside the built-in ones. */
    extraTemplates?: Template[];
    /** Chat core options beside the stack's own (e.g. print links). */
    core?: Omit<ChatCoreOptions, "engine" | "templates" | "keyv" | "claims">;
  } = {},
): Promise<Stack> {
  const backend = await startBackend({
    ...(opts.storeUrl ? { storeUrl: opts.storeUrl } : {}),
    ...(opts.model ? { model: opts.model } : {}),
    ...(opts.extraTemplates ? { extraTemplates: opts.extraTemplates } : {}),
    recover: true,
    core: { progressIntervalMs: 20, ...opts.core },
  });
  const { store, engine, core } = backend;
  const slack = await startSlack({
    config: slackConfig(fake, opts.env),
    core,
    logger: silentLogger,
    pacing: FAST_PACING,
    retryConfig: FAST_RETRY,
  });
  const url = `http://127.0.0.1:${slack.port}/slack/events`;
  return {
    store,
    engine,
    core,
    slack,
    url,
    async stop() {
      await core.idle();
      await slack.stop();
      await backend.close();
    },
    async crash() {
      await slack.stop();
      await backend.close();
    },
  };
}

let seq = 0;

/** A teacher typing commands, replies and clicks, as Slack would deliver them. */
export class Teacher {
  constructor(
    private readonly fake: FakeSlack,
    private readonly url: () => string,
    readonly id = "U0TEACHER",
    readonly channel = "C0LESSONS",
  ) {}

  async command(name: string, text: string, channel = this.channel): Promise<{ status: number; body: string }> {
    seq += 1;
    return postCommand(this.url(), SIGNING_SECRET, {
      team_id: "T0FAKE0001",
      channel_id: channel,
      channel_name: "lessons",
      user_id: this.id,
      user_name: "ms.rivera",
      command: `/${name}`,
      text,
      response_url: this.fake.responseUrl(),
      trigger_id: this.fake.trigger(this.id),
    });
  }

  async reply(threadTs: string, text: string, opts: { eventId?: string; retryNum?: number; ts?: string; channel?: string } = {}) {
    seq += 1;
    const ts = opts.ts ?? `1900000000.${String(seq).padStart(6, "0")}`;
    const envelope = {
      token: "t",
      team_id: "T0FAKE0001",
      api_app_id: "A0FAKEAPP",
      type: "event_callback",
      event_id: opts.eventId ?? `Ev${seq}`,
      event_time: Math.floor(Date.now() / 1000),
      event: {
        type: "message",
        user: this.id,
        text,
        ts,
        thread_ts: threadTs,
        channel: opts.channel ?? this.channel,
        channel_type: "channel",
      },
    };
    return postEvent(this.url(), SIGNING_SECRET, envelope, opts.retryNum !== undefined ? { retryNum: opts.retryNum } : {});
  }

  /** Fills in the open view `viewId` and submits it, as Slack's client does. */
  submitView(viewId: string, input: Record<string, string>) {
    return this.fake.submitView(this.url(), SIGNING_SECRET, viewId, input, { id: this.id, name: "ms.rivera" });
  }

  /** Clicks the button (or select option) labelled `label` on message `m`. */
  async click(m: FakeMessage, label: RegExp) {
    seq += 1;
    for (const block of m.blocks.filter((b) => b.type === "actions")) {
      for (const el of block.elements as Record<string, unknown>[]) {
        const text = (el.text as { text?: string } | undefined)?.text ?? "";
        const options = (el.options as { text: { text: string }; value: string }[] | undefined) ?? [];
        const option = options.find((o) => label.test(o.text.text));
        if (!(el.type === "button" && label.test(text)) && !option) continue;
        const action = option
          ? { type: "static_select", action_id: el.action_id, block_id: "b", selected_option: option, action_ts: `${seq}.0` }
          : { type: "button", action_id: el.action_id, block_id: "b", value: el.value, text: el.text, action_ts: `${seq}.0` };
        return postInteraction(this.url(), SIGNING_SECRET, {
          type: "block_actions",
          user: { id: this.id, username: "ms.rivera", name: "ms.rivera", team_id: "T0FAKE0001" },
          api_app_id: "A0FAKEAPP",
          token: "t",
          container: { type: "message", message_ts: m.ts, channel_id: m.channel, is_ephemeral: false, thread_ts: m.threadTs ?? m.ts },
          trigger_id: this.fake.trigger(this.id),
          team: { id: "T0FAKE0001", domain: "school" },
          channel: { id: m.channel, name: "lessons" },
          message: { type: "message", ts: m.ts, thread_ts: m.threadTs, user: "U0FAKEBOT" },
          response_url: this.fake.responseUrl(),
          actions: [action],
        });
      }
    }
    throw new Error(`no button ${label} on message ${m.ts}: ${JSON.stringify(m.blocks).slice(0, 400)}`);
  }
}

/** Full text of a message: fallback text plus every block's text. */
export function textOf(m: FakeMessage): string {
  return [m.text, ...m.blocks.map((b) => (b.text as { text?: string } | undefined)?.text ?? "")].join("\n");
}
