// The Slack Surface: posts, edits, documents and private notes through Bolt's WebClient, paced per channel,
// with the command's response_url as the fallback wherever the bot itself cannot post.
import type { webApi } from "@slack/bolt";
import {
  type ChatUser,
  type Delivery,
  type MessageRef,
  type OutDocument,
  type OutFile,
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

/** The files a document is shared as: the ones the chat core built, or its Markdown when it built none. */
function uploadsOf(document: OutDocument): OutFile[] {
  if (document.files?.length) return document.files;
  return [
    {
      title: document.title,
      filename: document.filename,
      contentType: "text/markdown; charset=utf-8",
      bytes: new TextEncoder().encode(document.markdown),
    },
  ];
}

function codeOfError(error: unknown): string {
  return (error as { code?: string } | undefined)?.code ?? "upload_failed";
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

  /**
   * Posts a document: its text parts, then its files (files.uploadV2's steps, each an outbox part): one
   * part per file for getUploadURLExternal and the upload of its bytes (the file id is recorded), then one
   * part for completeUploadExternal sharing them all into the thread. After a crash, the completion is
   * looked for in the thread by the recorded file ids before it is made again; an upload that was never
   * completed is not shown by Slack, so redoing one leaves a single file in the thread.
   */
  async postDocument(thread: ThreadRef, document: OutDocument, delivery?: Delivery): Promise<MessageRef> {
    const payloads = renderDocument(document);
    const files = uploadsOf(document);
    const first = payloads.length;
    const completion = first + files.length;
    // File ids of the uploads, recorded by an earlier process or made now.
    const reserved = (delivery?.sent ?? []).slice(first, completion);
    const ids = await sendParts(
      delivery,
      completion + 1,
      async (i, key) => {
        const payload = payloads[i];
        if (payload) return this.send(thread.channelId, thread.threadId, payload, key);
        const file = files[i - first];
        if (!file) return this.complete(thread, files, reserved);
        const id = await this.reserve(thread, file);
        reserved[i - first] = id;
        return id;
      },
      (i, key) => {
        if (i < first) return this.findPart(thread, key);
        if (i === completion) return this.findShare(thread, reserved);
        return Promise.resolve(undefined);
      },
    );
    return { thread, messageId: ids[first - 1] ?? "" };
  }

  /** Steps 1 and 2 of an upload: an upload URL for the file, then its bytes; the file id ("" when it failed). */
  private async reserve(thread: ThreadRef, file: OutFile): Promise<string> {
    try {
      const res = (await this.client.files.getUploadURLExternal({ filename: file.filename, length: file.bytes.byteLength })) as {
        upload_url?: string;
        file_id?: string;
      };
      if (!res.upload_url || !res.file_id) throw new StaffroomError("slack_bad_response", "Slack returned no upload URL.");
      const up = await this.fetchFn(res.upload_url, {
        method: "POST",
        headers: { "content-type": "application/octet-stream" },
        body: file.bytes,
        signal: AbortSignal.timeout(60_000),
      });
      await up.arrayBuffer();
      if (!up.ok) throw new StaffroomError("slack_upload_failed", `Slack refused the file's bytes (HTTP ${up.status}).`);
      return res.file_id;
    } catch (error) {
      this.countError(error);
      this.log.warn({ code: slackErrorCode(error) ?? codeOfError(error), channel: thread.channelId }, "slack: uploading a file failed");
      return "";
    }
  }

  /**
   * Step 3: shares the uploaded files into the thread in one message; returns the first file's id. When
   * nothing could be uploaded or shared, a notice says so (the document's text is already in the thread).
   */
  private async complete(thread: ThreadRef, files: OutFile[], fileIds: readonly string[]): Promise<string> {
    const uploaded = fileIds.flatMap((id, i) => (id && files[i] ? [{ id, title: files[i].title }] : []));
    try {
      if (uploaded.length === 0) throw new StaffroomError("slack_upload_failed", "No file could be uploaded.");
      await this.outbox.post(thread.channelId, () =>
        this.client.files.completeUploadExternal({
          files: uploaded as [{ id: string; title: string }],
          channel_id: thread.channelId,
          thread_ts: thread.threadId,
        }),
      );
      return uploaded[0]!.id;
    } catch (error) {
      this.countError(error);
      this.log.warn({ code: slackErrorCode(error) ?? codeOfError(error), channel: thread.channelId }, "slack: sharing the files failed");
      return this.send(
        thread.channelId,
        thread.threadId,
        renderSingle({ role: "notice", text: "I couldn't attach the Word files this time; the full text is above." }),
      );
    }
  }

  /** The share of files an earlier process completed before it died: a thread message carrying one of them. */
  private async findShare(thread: ThreadRef, fileIds: readonly string[]): Promise<string | undefined> {
    const wanted = new Set(fileIds.filter(Boolean));
    if (wanted.size === 0) return undefined;
    for (const m of await this.replies(thread)) {
      const file = m.files?.find((f) => f.id && wanted.has(f.id));
      if (file?.id) return file.id;
    }
    return undefined;
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
