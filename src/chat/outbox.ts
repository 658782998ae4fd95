// The transactional outbox every message of the chat core goes through: each message has a deterministic
// key; its intent is recorded before it is sent and its platform ids after (with the follower's cursor in
// the same write), so a restart finishes a message left "sending" without posting it twice. Edits are
// coalesced per message and skipped when the same content was already applied.

import { createHash } from "node:crypto";
import { KeyedMutex } from "../util/mutex.ts";
import type { ChatUser, Delivery, MessageRef, OutDocument, OutMessage, Place, Surface, ThreadRef } from "./contract.ts";
import type { OutboxEntry, OutboxStore, OutboxStream } from "./outbox-store.ts";
import { threadKey } from "./records.ts";

/** Where a message belongs: its stream (an execution id, or a thread's key), its key, and the cursor it completes. */
export type Slot = { stream: string; key: string; cursor?: number };

/** Notices answer one delivery; like delivery keys, their records are kept a day. */
const NOTICE_TTL_MS = 24 * 3_600_000;

type PendingEdit = { message: OutMessage; promise: Promise<void> };

export class Outbox {
  private readonly locks = new KeyedMutex();
  private readonly pending = new Map<string, PendingEdit>();
  private readonly tails = new Map<string, Promise<void>>();

  constructor(private readonly store: OutboxStore) {}

  /** Posts a message once: a recorded one returns its reference, a "sending" one is resolved on the platform. */
  async post(surface: Surface, thread: ThreadRef, message: OutMessage, slot: Slot): Promise<MessageRef> {
    const parts = await this.deliver(thread, slot, (delivery) => surface.post(thread, message, delivery));
    return { thread, messageId: parts.at(-1) ?? "" };
  }

  /** Posts a document (all its parts and its file) once. */
  async document(surface: Surface, thread: ThreadRef, document: OutDocument, slot: Slot): Promise<MessageRef> {
    const parts = await this.deliver(thread, slot, (delivery) => surface.postDocument(thread, document, delivery));
    return { thread, messageId: parts.at(-1) ?? "" };
  }

  /**
   * A private notice, once. Platforms keep no readable record of these, so one left "sending" by a crash
   * is not sent again (at most once rather than twice).
   */
  async notify(surface: Surface, place: Place, user: ChatUser, message: OutMessage, slot: Slot): Promise<void> {
    const entry = (await this.store.read(slot.stream))?.messages[slot.key];
    if (entry) return;
    const thread: ThreadRef = { surface: surface.name, channelId: place.channelId, threadId: "" };
    await this.update(
      slot.stream,
      (s) => {
        s.messages[slot.key] = { state: "sending", thread, parts: [] };
      },
      NOTICE_TTL_MS,
    );
    await surface.notify(place, user, message);
    await this.update(
      slot.stream,
      (s) => {
        s.messages[slot.key] = { state: "sent", thread, parts: [] };
      },
      NOTICE_TTL_MS,
    );
  }

  /** Edits a message to `message`: coalesced with edits still waiting, skipped when already applied. */
  edit(surface: Surface, ref: MessageRef, message: OutMessage, slot: Slot): Promise<void> {
    return this.coalesce(slot, message, (latest) => surface.edit(ref, latest), ref.thread);
  }

  /** Edits a thread's root message (its status line), like `edit`. */
  editRoot(surface: Surface, thread: ThreadRef, message: OutMessage, slot: Slot): Promise<void> {
    return this.coalesce(slot, message, (latest) => surface.editRoot(thread, latest), thread);
  }

  /** Advances a stream's cursor without sending anything (events that post nothing). */
  async advance(stream: string, cursor: number): Promise<void> {
    await this.update(stream, (s) => {
      if (cursor > s.cursor) s.cursor = cursor;
    });
  }

  async cursor(stream: string): Promise<number> {
    return (await this.store.read(stream))?.cursor ?? 0;
  }

  /** The reference of a message sent under `key`, if it was. */
  async ref(stream: string, key: string): Promise<MessageRef | undefined> {
    const entry = (await this.store.read(stream))?.messages[key];
    const id = entry?.parts.at(-1);
    return entry && id ? { thread: entry.thread, messageId: id } : undefined;
  }

  async forget(stream: string): Promise<void> {
    await this.locks.run(stream, () => this.store.delete(stream));
  }

  /**
   * A surface whose posts, documents, edits and notices go through this outbox, keyed `${scope}#n` in the
   * order the handler sends them, in the thread's stream. Used for what an inbound event answers; without
   * a delivery key the event can never be replayed, and the surface is used as it is.
   */
  scoped(raw: Surface, scope: string | undefined): Surface {
    if (scope === undefined) return raw;
    let n = 0;
    const slot = (thread: ThreadRef): Slot => ({ stream: threadKey(thread), key: `${scope}#${n++}` });
    return {
      name: raw.name,
      openThread: (place, user, message) => raw.openThread(place, user, message),
      post: (thread, message) => this.post(raw, thread, message, slot(thread)),
      postDocument: (thread, document) => this.document(raw, thread, document, slot(thread)),
      edit: (ref, message) => this.edit(raw, ref, message, editSlot(ref)),
      editRoot: (thread, message) => this.editRoot(raw, thread, message, rootSlot(thread)),
      notify: (place, user, message) => this.notify(raw, place, user, message, { stream: `notice:${scope}`, key: String(n++) }),
    };
  }

  private async deliver(thread: ThreadRef, slot: Slot, send: (delivery: Delivery) => Promise<MessageRef>): Promise<string[]> {
    const before = (await this.store.read(slot.stream))?.messages[slot.key];
    if (before?.state === "sent") {
      if (slot.cursor !== undefined) await this.advance(slot.stream, slot.cursor);
      return before.parts;
    }
    const parts = [...(before?.parts ?? [])];
    // The intent, written before anything reaches the platform.
    if (!before)
      await this.update(slot.stream, (s) => {
        s.messages[slot.key] = { state: "sending", thread, parts: [] };
      });
    const delivery: Delivery = {
      // The stream (an execution, a thread) is part of the key: two runs in one thread both post "progress",
      // and a platform that dedupes by key (Discord's nonce) must not take the second for the first.
      key: `${slot.stream}/${slot.key}`,
      sent: parts,
      resuming: before !== undefined,
      part: (index, messageId) => {
        parts[index] = messageId;
        return this.update(slot.stream, (s) => {
          const entry = s.messages[slot.key];
          if (entry) entry.parts[index] = messageId;
        });
      },
    };
    const ref = await send(delivery);
    if (parts.length === 0 && ref.messageId) parts.push(ref.messageId);
    // The platform ids and the cursor, in one write.
    await this.update(slot.stream, (s) => {
      s.messages[slot.key] = { state: "sent", thread, parts };
      if (slot.cursor !== undefined && slot.cursor > s.cursor) s.cursor = slot.cursor;
    });
    return parts;
  }

  private coalesce(slot: Slot, message: OutMessage, apply: (latest: OutMessage) => Promise<void>, thread: ThreadRef): Promise<void> {
    const id = `${slot.stream}\u0000${slot.key}`;
    const waiting = this.pending.get(id);
    if (waiting) {
      waiting.message = message;
      return waiting.promise;
    }
    const tail = this.tails.get(id) ?? Promise.resolve();
    const entry: PendingEdit = { message, promise: Promise.resolve() };
    entry.promise = tail
      .catch(() => undefined)
      .then(async () => {
        this.pending.delete(id);
        const latest = entry.message;
        const digest = digestOf(latest);
        if ((await this.store.read(slot.stream))?.messages[slot.key]?.applied === digest) return;
        await apply(latest);
        await this.update(slot.stream, (s) => {
          const known: OutboxEntry = s.messages[slot.key] ?? { state: "sent", thread, parts: [] };
          s.messages[slot.key] = { ...known, applied: digest };
        });
      });
    this.pending.set(id, entry);
    this.tails.set(id, entry.promise);
    void entry.promise
      .catch(() => undefined)
      .then(() => {
        if (this.tails.get(id) === entry.promise) this.tails.delete(id);
      });
    return entry.promise;
  }

  /** Read-modify-write of one stream, serialised per stream within the process. */
  private update(stream: string, change: (s: OutboxStream) => void, ttlMs?: number): Promise<void> {
    return this.locks.run(stream, async () => {
      const s = (await this.store.read(stream)) ?? { cursor: 0, messages: {} };
      change(s);
      await this.store.write(stream, s, ttlMs);
    });
  }
}

/** Every edit of a thread's root goes through one slot, so edits from any stream coalesce and dedupe. */
export function rootSlot(thread: ThreadRef): Slot {
  return { stream: threadKey(thread), key: "root" };
}

/** Edits of a message posted earlier, keyed by the message. */
export function editSlot(ref: MessageRef): Slot {
  return { stream: threadKey(ref.thread), key: `edit:${ref.messageId}` };
}

function digestOf(message: OutMessage): string {
  return createHash("sha256").update(JSON.stringify(message)).digest("base64url").slice(0, 22);
}
