// Where the outbox keeps its records: one small interface (read, write, delete one stream), with Keyv as
// the default driver (any Keyv adapter: the app's sqlite namespace, memory, @keyv/postgres).

import type Keyv from "keyv";
import type { ThreadRef } from "./contract.ts";

/** One message the outbox sent or is sending. */
export type OutboxEntry = {
  /** "sending": the intent is recorded and the send may or may not have reached the platform. */
  state: "sending" | "sent";
  thread: ThreadRef;
  /** Platform ids of the parts recorded so far, by part index; the last one is the message's reference. */
  parts: string[];
  /** For edits: a digest of the content last applied, so the same edit is never sent twice. */
  applied?: string;
};

/**
 * The outbox records of one stream (an execution's follower, or a thread's conversation), written whole:
 * a message's platform id and the follower's cursor change in the same write.
 */
export type OutboxStream = {
  /** The follower's cursor: the last engine event sequence fully posted. */
  cursor: number;
  messages: Record<string, OutboxEntry>;
};

export interface OutboxStore {
  read(stream: string): Promise<OutboxStream | undefined>;
  /** Replaces the stream's records in one write; `ttlMs` lets short-lived streams expire. */
  write(stream: string, value: OutboxStream, ttlMs?: number): Promise<void>;
  delete(stream: string): Promise<void>;
}

export class KeyvOutboxStore implements OutboxStore {
  constructor(
    private readonly keyv: Keyv,
    private readonly prefix = "chat:outbox:",
  ) {}

  async read(stream: string): Promise<OutboxStream | undefined> {
    return (await this.keyv.get<OutboxStream>(this.prefix + stream)) ?? undefined;
  }

  async write(stream: string, value: OutboxStream, ttlMs?: number): Promise<void> {
    await this.keyv.set(this.prefix + stream, value, ttlMs);
  }

  async delete(stream: string): Promise<void> {
    await this.keyv.delete(this.prefix + stream);
  }
}
