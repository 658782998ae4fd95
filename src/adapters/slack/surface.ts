// The Slack Surface: posts, edits, documents and private notes through Bolt's WebClient, paced per channel,
// with the command's response_url as the fallback wherever the bot itself cannot post.
import type { webApi } from "@slack/bolt";
import {
  type ChatUser,
  type Delivery,
  type MessageRef,
  type OutDocument,
  type OutMessage,
  type Place,
  type Surface,
  sendParts,
  type ThreadRef,
} from "../../chat/contract.ts";
import { StaffroomError } from "../../errors.ts";
import type { Logger } from "../../log.ts";
import { platformApiErrorsTotal } from "../../metrics.ts";
import { SLACK_FORM_LIMITS } from "./modal.ts";
import { DEFAULT_PACING, Outbox, type Pacing } from "./outbox.ts";
import { renderDocument, renderMessage, renderSingle, type SlackPayload } from "./render.ts";

/** What a Slack inbound event leaves in `Place.reply` for this surface. */
export type SlackReply = { responseUrl?: string };

/** The metadata event type that carries an outbox part's key on every message the bot posts. */
const METADATA_TYPE = "staffroom_part";

type ReplyMessage = {
  ts?: string;
  metadata?: { event_type?: string; event_payload?: { key?: unknown } };
  files?: { id?: string; name?: string; title?: string }[];
};

/** Slack errors meaning "the bot may not post here", answered with invite instructions instead. */
const CANNOT_POST = new Set([
  "not_in_channel",
  "channel_not_found",
  "is_archived",
  "restricted_action",
  "cannot_dm_bot",
  "ekm_access_denied",
]);

/** The bot cannot post where the command was typed; the message tells the teacher how to fix it. */
export class SlackCannotPostError extends StaffroomError {
  constructor(place: Place, slackError: string, botName: string) {
    const message =
      place.isDirect || /^[DG]/.test(place.channelId)
        ? `I can't post in a direct message between people. Run the command in a channel I'm in, or in a direct message with me (find *${botName}* under Apps in Slack's sidebar).`
        : `I'm not in this channel yet, so I can't post here. Type \`/invite @${botName}\` in this channel (or open the channel's details → Integrations → Add apps), then run the command again.`;
    super("slack_cannot_post", message, { details: { slackError, channelId: place.channelId } });
  }
}

export function slackErrorCode(error: unknown): string | undefined {
  const data = (error as { data?: { error?: unknown } } | undefined)?.data;
  return typeof data?.error === "string" ? data.error : undefined;
}

export type SlackSurfaceOptions = {
  client: webApi.WebClient;
  logger: Logger;
  /** Name people see for the bot, used in invite instructions. */
  botName?: string;
  pacing?: Pacing;
  /** fetch used for response_url posts (tests may pass their own). */
  fetch?: typeof fetch;
};

export class SlackSurface implements Surface {
  readonly name = "slack" as const;
  readonly forms = SLACK_FORM_LIMITS;
  private readonly client: webApi.WebClient;
  private readonly log: Logger;
  private readonly outbox: Outbox;
  private readonly fetchFn: typeof fetch;
  botName: string;

  constructor(options: SlackSurfaceOptions) {
    this.client = options.client;
    this.log = options.logger;
    this.outbox = new Outbox(options.pacing ?? DEFAULT_PACING);
    this.fetchFn = options.fetch ?? fetch;
    this.botName = options.botName ?? "Staffroom";
  }

  async openThread(place: Place, _user: ChatUser, message: OutMessage): Promise<ThreadRef> {
    try {
      const ts = await this.send(place.channelId, undefined, renderSingle(message));
      return { surface: "slack", channelId: place.channelId, threadId: ts };
    } catch (error) {
      const code = slackErrorCode(error);
      if (code && CANNOT_POST.has(code)) throw new SlackCannotPostError(place, code, this.botName);
      throw error;
    }
  }

  async post(thread: ThreadRef, message: OutMessage, delivery?: Delivery): Promise<MessageRef> {
    const payloads = renderMessage(message);
    const ids = await sendParts(
      delivery,
      payloads.length,
      (i, key) => this.send(thread.channelId, thread.threadId, payloads[i]!, key),
      (_i, key) => this.findPart(thread, key),
    );
    return { thread, messageId: ids.at(-1) ?? "" };
  }

  edit(ref: MessageRef, message: OutMessage): Promise<void> {
    return this.update(ref.thread.channelId, ref.messageId, renderSingle(message));
  }

  editRoot(thread: ThreadRef, message: OutMessage): Promise<void> {
    return this.update(thread.channelId, thread.threadId, renderSingle(message));
  }

  async postDocument(thread: ThreadRef, document: OutDocument, delivery?: Delivery): Promise<MessageRef> {
    const payloads = renderDocument(document);
    // The parts, then the file; the reference is the last text part.
    const ids = await sendParts(
      delivery,
      payloads.length + 1,
      (i, key) => {
        const payload = payloads[i];
        return payload ? this.send(thread.channelId, thread.threadId, payload, key) : this.attach(thread, document);
      },
      (i, key) => (i < payloads.length ? this.findPart(thread, key) : this.findFile(thread, document)),
    );
    return { thread, messageId: ids[payloads.length - 1] ?? "" };
  }

  /** Attaches the whole document as a Markdown file; returns the file id (or "" when only a notice could say it failed). */
  private async attach(thread: ThreadRef, document: OutDocument): Promise<string> {
    try {
      const res = (await this.outbox.post(thread.channelId, () =>
        this.client.filesUploadV2({
          channel_id: thread.channelId,
          thread_ts: thread.threadId,
          content: document.markdown,
          filename: document.filename,
          title: document.title,
          snippet_type: "markdown",
        }),
      )) as { files?: { files?: { id?: string }[] }[] };
      return res.files?.[0]?.files?.[0]?.id ?? "file";
    } catch (error) {
      // The document is already readable in the thread; a missing attachment is reported, not fatal.
      this.countError(error);
      this.log.warn({ code: slackErrorCode(error) ?? "upload_failed", channel: thread.channelId }, "slack: attaching the document failed");
      return this.send(
        thread.channelId,
        thread.threadId,
        renderSingle({ role: "notice", text: "I couldn't attach the Markdown file this time; the full text is above." }),
      );
    }
  }

  /**
   * A part an earlier process may have posted before it died: read the thread with its metadata and look
   * for the part's key (Slack has no idempotency key on chat.postMessage).
   */
  private async findPart(thread: ThreadRef, key: string): Promise<string | undefined> {
    for (const m of await this.replies(thread)) {
      const payload = m.metadata?.event_type === METADATA_TYPE ? m.metadata.event_payload : undefined;
      if (payload?.key === key && m.ts) return m.ts;
    }
    return undefined;
  }

  /** The file share of a document an earlier process may have uploaded. */
  private async findFile(thread: ThreadRef, document: OutDocument): Promise<string | undefined> {
    for (const m of await this.replies(thread)) {
      const file = m.files?.find((f) => f.name === document.filename && f.title === document.title);
      if (file?.id) return file.id;
    }
    return undefined;
  }

  private async replies(thread: ThreadRef): Promise<ReplyMessage[]> {
    const out: ReplyMessage[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 20; page++) {
      const res = (await this.client.conversations.replies({
        channel: thread.channelId,
        ts: thread.threadId,
        include_all_metadata: true,
        limit: 200,
        ...(cursor ? { cursor } : {}),
      })) as { messages?: ReplyMessage[]; response_metadata?: { next_cursor?: string } };
      out.push(...(res.messages ?? []));
      cursor = res.response_metadata?.next_cursor || undefined;
      if (!cursor) break;
    }
    return out;
  }

  async notify(place: Place, user: ChatUser, message: OutMessage): Promise<void> {
    const payload = renderSingle(message);
    const responseUrl = (place.reply as SlackReply | undefined)?.responseUrl;
    if (responseUrl) {
      try {
        await this.postResponseUrl(responseUrl, payload);
        return;
      } catch (error) {
        this.log.warn(
          { err: error instanceof Error ? error.message : String(error) },
          "slack: response_url failed, trying chat.postEphemeral",
        );
      }
    }
    try {
      await this.outbox.post(place.channelId, () =>
        this.client.chat.postEphemeral({ channel: place.channelId, user: user.id, ...payload }),
      );
      return;
    } catch (error) {
      this.countError(error);
      const code = slackErrorCode(error);
      if (!code || !CANNOT_POST.has(code)) throw error;
    }
    // Last resort: the bot's own DM with the teacher, which it can always open.
    const im = await this.client.conversations.open({ users: user.id });
    const channel = im.channel?.id;
    if (!channel) throw new StaffroomError("slack_dm_unavailable", "Slack did not open a direct message with the teacher.");
    await this.send(channel, undefined, payload);
  }

  /** Opens a modal for the person whose command or click carried `triggerId` (valid for 3 s, so not paced). */
  async openModal(triggerId: string, view: Record<string, unknown>): Promise<void> {
    try {
      await this.client.views.open({ trigger_id: triggerId, view: view as never });
    } catch (error) {
      this.countError(error);
      throw error;
    }
  }

  /** Resolves when every queued post and edit has been sent. */
  drain(): Promise<void> {
    return this.outbox.drain();
  }

  private async send(channel: string, threadTs: string | undefined, payload: SlackPayload, key?: string): Promise<string> {
    return this.outbox.post(channel, async () => {
      try {
        const res = await this.client.chat.postMessage({
          channel,
          ...(threadTs ? { thread_ts: threadTs } : {}),
          // The part's key rides along, so a restart can find the part in the thread (findPart).
          ...(key ? { metadata: { event_type: METADATA_TYPE, event_payload: { key } } } : {}),
          text: payload.text,
          blocks: payload.blocks,
          unfurl_links: false,
          unfurl_media: false,
        });
        if (!res.ts) throw new StaffroomError("slack_bad_response", "Slack accepted a message but returned no timestamp.");
        return res.ts;
      } catch (error) {
        this.countError(error);
        throw error;
      }
    });
  }

  private update(channel: string, ts: string, payload: SlackPayload): Promise<void> {
    return this.outbox.edit(`${channel}:${ts}`, async () => {
      try {
        await this.client.chat.update({ channel, ts, text: payload.text, blocks: payload.blocks });
      } catch (error) {
        this.countError(error);
        throw error;
      }
    });
  }

  private async postResponseUrl(url: string, payload: SlackPayload): Promise<void> {
    const res = await this.fetchFn(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ response_type: "ephemeral", replace_original: false, ...payload }),
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok) throw new Error(`response_url answered HTTP ${res.status}`);
    await res.arrayBuffer();
  }

  private countError(error: unknown): void {
    const code = slackErrorCode(error) ?? (error as { code?: string } | undefined)?.code ?? "unknown";
    platformApiErrorsTotal.inc({ platform: "slack", code });
  }
}
