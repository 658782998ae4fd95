// The Discord Surface: the first reply goes through the interaction (deferred within 3 s), everything
// after it with the bot token into a thread started from that reply, so nothing waits on a token that
// expires after 15 minutes. DMs have no threads: the same flow runs in the DM channel.

import { createHash } from "node:crypto";
import {
  type APIChannel,
  type APIMessage,
  type ChatInputCommandInteraction,
  DiscordAPIError,
  type MessageComponentInteraction,
  MessageFlags,
  type ModalSubmitInteraction,
  type RawFile,
  type REST,
  Routes,
  ThreadAutoArchiveDuration,
} from "discord.js";
import {
  type ActionMemory,
  type ActionTarget,
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
import { DISCORD_FORM_LIMITS } from "./modal.ts";
import { hashedActions, type MessageBody, renderDocument, renderEdit, renderMessage, renderNotice } from "./render.ts";

/** Interaction tokens live 15 minutes; stop using one a little before that. */
export const TOKEN_LIFETIME_MS = 14 * 60_000;

/**
 * What a surface gets back in Place.reply. An interaction (acknowledged by ack.ts or inbound.ts: a public or
 * ephemeral deferral, or a deferred update for clicks), or a typed message to answer in place.
 */
export type DiscordReply =
  | {
      kind: "interaction";
      interaction: ChatInputCommandInteraction | MessageComponentInteraction | ModalSubmitInteraction;
      receivedAt: number;
      mode: "public" | "ephemeral" | "update";
      /** Where the command was typed: a thread's parent (commands typed inside a thread), if any. */
      parentId?: string;
      /** The deferred public reply became a request's root message. */
      rooted?: boolean;
      /** The ephemeral deferral has been filled in once (later notices are follow-ups). */
      answered?: boolean;
      /** The public "thinking…" reply was withdrawn so a notice could be private. */
      withdrawn?: boolean;
    }
  | { kind: "message"; channelId: string; messageId: string };

/** Starting a thread failed in a way the teacher's server admin can fix. */
export class DiscordPermissionError extends StaffroomError {
  constructor(what: string, cause: unknown) {
    super(
      "discord_missing_permission",
      `I could not ${what} here. Ask a server admin to give me View Channel, Send Messages, Create Public Threads and Send Messages in Threads in this channel.`,
      { cause },
    );
  }
}

const THREAD_NAME_MAX = 100;

function threadName(text: string): string {
  const first =
    text
      .split("\n")
      .map((l) => l.replace(/[#*_`>~|]/g, "").trim())
      .find(Boolean) ?? "Staffroom request";
  return first.length > THREAD_NAME_MAX ? `${first.slice(0, THREAD_NAME_MAX - 1)}…` : first;
}

const isPermissionError = (e: unknown) => e instanceof DiscordAPIError && (e.code === 50013 || e.code === 50001 || e.status === 403);

export class DiscordSurface implements Surface {
  readonly name = "discord" as const;
  readonly forms = DISCORD_FORM_LIMITS;
  /** Root messages not derivable from the thread id (DMs, commands typed inside a thread); lost on restart. */
  private readonly roots = new Map<string, { channelId: string; messageId: string }>();
  /** Buttons whose ids were too long for a custom_id, by hash (a cache of what `memory` keeps). */
  private readonly hashed = new Map<string, ActionTarget>();

  constructor(
    private readonly rest: REST,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
    /** Where hashed ids are persisted, so their buttons work after a restart. */
    private readonly memory?: ActionMemory,
  ) {}

  /** Maps a hashed custom_id back to its action (see render.encodeAction), from memory after a restart. */
  async lookupHashed(customId: string): Promise<ActionTarget | undefined> {
    const known = this.hashed.get(customId);
    if (known) return known;
    const recalled = await this.memory?.recall("discord", customId);
    if (recalled) this.hashed.set(customId, recalled);
    return recalled;
  }

  private fresh(reply: DiscordReply | undefined): reply is Extract<DiscordReply, { kind: "interaction" }> {
    return reply?.kind === "interaction" && this.now() - reply.receivedAt < TOKEN_LIFETIME_MS;
  }

  /** Persists the hashed ids of buttons sent outside the surface's own messages (an interaction's first response). */
  rememberActions(actions: OutMessage["actions"]): Promise<void> {
    return this.remember(actions);
  }

  /** Persists hashed ids before the message carrying them is sent, so no click can outrun them. */
  private async remember(actions: OutMessage["actions"]): Promise<void> {
    if (!actions?.length) return;
    const fresh = [...hashedActions(actions)].filter(([k]) => !this.hashed.has(k));
    if (fresh.length === 0) return;
    await this.memory?.remember("discord", fresh);
    for (const [k, v] of fresh) this.hashed.set(k, v);
  }

  async openThread(place: Place, user: ChatUser, message: OutMessage): Promise<ThreadRef> {
    await this.remember(message.actions);
    const reply = place.reply as DiscordReply | undefined;
    const [first, ...rest] = renderMessage(message);
    if (!first) throw new Error("empty root message");
    let root: { id: string; channelId: string };
    if (this.fresh(reply) && reply.mode === "public" && !reply.rooted && !reply.withdrawn) {
      // The deferred "thinking…" reply becomes the root: the last use of the interaction token.
      const m = await reply.interaction.editReply({
        content: first.content ?? "",
        components: first.components ?? [],
        allowedMentions: { parse: [] },
      });
      reply.rooted = true;
      root = { id: m.id, channelId: m.channelId };
    } else {
      const m = await this.send(place.channelId, first);
      root = { id: m.id, channelId: m.channel_id };
    }
    if (place.isDirect) {
      const thread: ThreadRef = { surface: "discord", channelId: root.channelId, threadId: root.channelId };
      this.roots.set(root.channelId, { channelId: root.channelId, messageId: root.id });
      for (const body of rest) await this.send(root.channelId, body);
      return thread;
    }
    const parentId = reply?.kind === "interaction" ? reply.parentId : undefined;
    let thread: ThreadRef;
    if (parentId) {
      // Typed inside a thread: no thread can start from a message in a thread, so the request lives here.
      thread = { surface: "discord", channelId: parentId, threadId: root.channelId };
      this.roots.set(root.channelId, { channelId: root.channelId, messageId: root.id });
    } else {
      let created: APIChannel;
      try {
        created = (await this.rest.post(Routes.threads(root.channelId, root.id), {
          body: { name: threadName(message.text), auto_archive_duration: ThreadAutoArchiveDuration.OneDay },
        })) as APIChannel;
      } catch (error) {
        if (isPermissionError(error)) throw new DiscordPermissionError("start a thread", error);
        throw error;
      }
      thread = { surface: "discord", channelId: root.channelId, threadId: created.id };
    }
    if (this.fresh(reply) && reply.mode !== "public") {
      // Started from a private deferral (a button, /staffroom): point the member at the new thread.
      await this.privately(reply, { text: `Started: <#${thread.threadId}>` }).catch((e: unknown) =>
        this.logger.debug({ err: e }, "discord: could not point to the new thread"),
      );
    }
    for (const body of rest) await this.send(thread.threadId, body);
    this.logger.debug({ channel: thread.channelId, thread: thread.threadId, user: user.id }, "discord: thread opened");
    return thread;
  }

  async post(thread: ThreadRef, message: OutMessage, delivery?: Delivery): Promise<MessageRef> {
    await this.remember(message.actions);
    const bodies = renderMessage(message);
    if (bodies.length === 0) throw new Error("nothing to post");
    // Each part carries its key as a nonce Discord enforces: a part re-sent after a crash returns the first.
    const ids = await sendParts(
      delivery,
      bodies.length,
      async (i, key) => (await this.send(thread.threadId, withNonce(bodies[i]!, key))).id,
    );
    return { thread, messageId: ids.at(-1) ?? "" };
  }

  async edit(ref: MessageRef, message: OutMessage): Promise<void> {
    await this.remember(message.actions);
    await this.rest.patch(Routes.channelMessage(ref.thread.threadId, ref.messageId), { body: renderEdit(message) });
  }

  async editRoot(thread: ThreadRef, message: OutMessage): Promise<void> {
    await this.remember(message.actions);
    const known = this.roots.get(thread.threadId);
    // A thread started from a message has that message's id: the root is found again after a restart.
    const root = known ?? (thread.threadId !== thread.channelId ? { channelId: thread.channelId, messageId: thread.threadId } : undefined);
    if (root) {
      try {
        await this.rest.patch(Routes.channelMessage(root.channelId, root.messageId), { body: renderEdit(message) });
        return;
      } catch (error) {
        if (!(error instanceof DiscordAPIError && (error.status === 404 || error.status === 403))) throw error;
        this.logger.debug({ thread: thread.threadId, code: error.code }, "discord: root not editable, posting instead");
      }
    }
    await this.post(thread, message);
  }

  /**
   * The document's embeds, then one message carrying its files (multipart `files[n]` with matching
   * `attachments` in payload_json). Every part has its key as an enforced nonce, so a part re-sent after a
   * crash (files included) returns the message Discord already made instead of a second one.
   */
  async postDocument(thread: ThreadRef, document: OutDocument, delivery?: Delivery): Promise<MessageRef> {
    await this.remember(document.actions);
    const { messages, final, files } = renderDocument(document);
    const raw: RawFile[] = files.map((f, i) => ({ key: `files[${i}]`, name: f.name, data: f.data, contentType: f.contentType }));
    const attachments = files.map((f, i) => ({ id: String(i), filename: f.name }));
    const ids = await sendParts(delivery, messages.length + 1, async (i, key) => {
      const body = messages[i];
      if (body) return (await this.send(thread.threadId, withNonce(body, key))).id;
      return (await this.send(thread.threadId, withNonce({ ...final, attachments }, key), raw)).id;
    });
    return { thread, messageId: ids.at(-1) ?? "" };
  }

  async notify(place: Place, user: ChatUser, message: OutMessage): Promise<void> {
    await this.remember(message.actions);
    const reply = place.reply as DiscordReply | undefined;
    if (this.fresh(reply)) {
      await this.privately(reply, message);
      return;
    }
    if (reply?.kind === "message") {
      // Discord has no private message outside an interaction: answer the typed message in place.
      const [body] = renderMessage(message);
      if (body) {
        await this.send(reply.channelId, { ...body, message_reference: { message_id: reply.messageId, fail_if_not_exists: false } });
      }
      return;
    }
    if (place.isDirect) {
      for (const body of renderMessage(message)) await this.send(place.channelId, body);
      return;
    }
    // No live interaction and no message to answer: a DM is the only private channel left.
    const dm = (await this.rest.post(Routes.userChannels(), { body: { recipient_id: user.id } })) as APIChannel;
    for (const body of renderMessage(message)) await this.send(dm.id, body);
  }

  /** A notice only the member who clicked or typed the command sees. */
  private async privately(reply: Extract<DiscordReply, { kind: "interaction" }>, message: OutMessage): Promise<void> {
    const body = renderNotice(message);
    const options = { content: body.content ?? "", components: body.components ?? [], allowedMentions: { parse: [] } };
    const i = reply.interaction;
    if (reply.mode === "ephemeral" && !reply.answered) {
      reply.answered = true;
      await i.editReply(options);
      return;
    }
    if (reply.mode === "public" && !reply.rooted && !reply.withdrawn) {
      // The first follow-up would fill the public "thinking…" reply; withdraw it so the notice stays private.
      reply.withdrawn = true;
      await i.deleteReply().catch((e: unknown) => this.logger.debug({ err: e }, "discord: could not withdraw the deferred reply"));
    }
    await i.followUp({ ...options, flags: MessageFlags.Ephemeral });
  }

  private async send(
    channelId: string,
    body: MessageBody & { message_reference?: unknown; attachments?: unknown[]; nonce?: string; enforce_nonce?: boolean },
    files?: RawFile[],
  ): Promise<APIMessage> {
    try {
      return (await this.rest.post(Routes.channelMessages(channelId), { body, ...(files ? { files } : {}) })) as APIMessage;
    } catch (error) {
      if (isPermissionError(error)) throw new DiscordPermissionError("post a message", error);
      throw error;
    }
  }
}

/** Discord nonces are at most 25 characters: a digest of the part's key. */
export function nonceOf(key: string): string {
  return createHash("sha256").update(key).digest("base64url").slice(0, 25);
}

function withNonce<T extends object>(body: T, key: string | undefined): T & { nonce?: string; enforce_nonce?: boolean } {
  return key ? { ...body, nonce: nonceOf(key), enforce_nonce: true } : body;
}
