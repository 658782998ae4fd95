// Conversation state persisted in Keyv per (surface, channel, thread, user), so a restart continues
// where the teacher was; idle conversations are found by `expired` so the core can post a notice.

import type Keyv from "keyv";
import { Mutex } from "../util/mutex.ts";
import type { ConversationState } from "./machine.ts";

export type ConversationKey = { surface: string; channelId: string; threadId: string; userId: string };

export type StoredConversation = ConversationKey & {
  templateId: string;
  state: ConversationState;
  createdAt: number;
  updatedAt: number;
};

export class ConversationStore {
  private readonly lock = new Mutex();

  constructor(
    private readonly keyv: Keyv,
    /** Idle time after which a conversation expires. */
    private readonly ttlMs: number,
    private readonly prefix = "chat:conv:",
  ) {}

  key(k: ConversationKey): string {
    return `${this.prefix}${[k.surface, k.channelId, k.threadId, k.userId].map(encodeURIComponent).join(":")}`;
  }

  async get(k: ConversationKey): Promise<StoredConversation | undefined> {
    return (await this.keyv.get<StoredConversation>(this.key(k))) ?? undefined;
  }

  async put(conversation: StoredConversation): Promise<void> {
    const key = this.key(conversation);
    // Kept twice the idle time, so the expiry notice can still be given after a restart.
    await this.keyv.set(key, conversation, this.ttlMs * 2);
    await this.lock.run(async () => {
      await this.addTo(`${this.prefix}index`, key);
      await this.addTo(`${this.prefix}user:${encodeURIComponent(conversation.userId)}`, key);
    });
  }

  async delete(k: ConversationKey): Promise<void> {
    const key = this.key(k);
    await this.keyv.delete(key);
    await this.lock.run(async () => {
      await this.removeFrom(`${this.prefix}index`, [key]);
      await this.removeFrom(`${this.prefix}user:${encodeURIComponent(k.userId)}`, [key]);
    });
  }

  isExpired(conversation: StoredConversation, now: number): boolean {
    return now - conversation.updatedAt >= this.ttlMs;
  }

  /** Conversations idle for longer than the TTL (and entries that vanished, which are dropped from the index). */
  async expired(now: number): Promise<StoredConversation[]> {
    const keys = (await this.keyv.get<string[]>(`${this.prefix}index`)) ?? [];
    const out: StoredConversation[] = [];
    const gone: string[] = [];
    for (const key of keys) {
      const c = await this.keyv.get<StoredConversation>(key);
      if (!c) gone.push(key);
      else if (this.isExpired(c, now)) out.push(c);
    }
    if (gone.length > 0) await this.lock.run(() => this.removeFrom(`${this.prefix}index`, gone));
    return out;
  }

  /** Open conversations per surface, from the index (for the active-conversations gauge). */
  async countBySurface(): Promise<Record<string, number>> {
    const keys = (await this.keyv.get<string[]>(`${this.prefix}index`)) ?? [];
    const counts: Record<string, number> = {};
    for (const key of keys) {
      const surface = decodeURIComponent(key.slice(this.prefix.length).split(":")[0] ?? "");
      counts[surface] = (counts[surface] ?? 0) + 1;
    }
    return counts;
  }

  /** Every stored conversation of a user (what `deleteUser` deletes), for an export. */
  async ofUser(userId: string): Promise<StoredConversation[]> {
    const keys = (await this.keyv.get<string[]>(`${this.prefix}user:${encodeURIComponent(userId)}`)) ?? [];
    const out: StoredConversation[] = [];
    for (const key of keys) {
      const c = await this.keyv.get<StoredConversation>(key);
      if (c) out.push(c);
    }
    return out;
  }

  /** Deletes every conversation of a user; returns how many there were. */
  async deleteUser(userId: string): Promise<number> {
    const userKey = `${this.prefix}user:${encodeURIComponent(userId)}`;
    const keys = (await this.keyv.get<string[]>(userKey)) ?? [];
    let count = 0;
    for (const key of keys) {
      if ((await this.keyv.get(key)) !== undefined) count++;
      await this.keyv.delete(key);
    }
    await this.lock.run(async () => {
      await this.keyv.delete(userKey);
      await this.removeFrom(`${this.prefix}index`, keys);
    });
    return count;
  }

  private async addTo(listKey: string, key: string): Promise<void> {
    const list = (await this.keyv.get<string[]>(listKey)) ?? [];
    if (!list.includes(key)) await this.keyv.set(listKey, [...list, key]);
  }

  private async removeFrom(listKey: string, keys: string[]): Promise<void> {
    const list = (await this.keyv.get<string[]>(listKey)) ?? [];
    const next = list.filter((k) => !keys.includes(k));
    if (next.length !== list.length) await this.keyv.set(listKey, next);
  }
}
