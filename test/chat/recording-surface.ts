// A Surface that records what the core asks it to show, for asserting on the core's behaviour without a
// platform. (The console surface, tested end to end, is the real one; this keeps core tests precise.)
import type {
  ChatUser,
  Inbound,
  MessageRef,
  OutDocument,
  OutMessage,
  Place,
  Surface,
  SurfaceName,
  ThreadRef,
} from "../../src/chat/contract.ts";

export type Call =
  | { op: "openThread"; thread: ThreadRef; message: OutMessage; user: string }
  | { op: "post"; thread: ThreadRef; ref: MessageRef; message: OutMessage }
  | { op: "edit"; ref: MessageRef; message: OutMessage }
  | { op: "editRoot"; thread: ThreadRef; message: OutMessage }
  | { op: "postDocument"; thread: ThreadRef; ref: MessageRef; document: OutDocument }
  | { op: "notify"; user: string; message: OutMessage };

export class RecordingSurface implements Surface {
  readonly calls: Call[] = [];
  private n = 0;
  /** Make the next calls of this operation throw (a platform outage). */
  failing = new Set<Call["op"]>();

  constructor(readonly name: SurfaceName = "slack") {}

  async openThread(_place: Place, user: ChatUser, message: OutMessage): Promise<ThreadRef> {
    if (this.failing.has("openThread")) throw new Error("channel_not_found");
    const thread = { surface: this.name, channelId: "C1", threadId: `T${++this.n}` };
    this.calls.push({ op: "openThread", thread, message, user: user.id });
    return thread;
  }
  async post(thread: ThreadRef, message: OutMessage): Promise<MessageRef> {
    if (this.failing.has("post")) throw new Error("rate_limited");
    const ref = { thread, messageId: `M${++this.n}` };
    this.calls.push({ op: "post", thread, ref, message });
    return ref;
  }
  async edit(ref: MessageRef, message: OutMessage): Promise<void> {
    this.calls.push({ op: "edit", ref, message });
  }
  async editRoot(thread: ThreadRef, message: OutMessage): Promise<void> {
    this.calls.push({ op: "editRoot", thread, message });
  }
  async postDocument(thread: ThreadRef, document: OutDocument): Promise<MessageRef> {
    const ref = { thread, messageId: `D${++this.n}` };
    this.calls.push({ op: "postDocument", thread, ref, document });
    return ref;
  }
  async notify(_place: Place, user: ChatUser, message: OutMessage): Promise<void> {
    this.calls.push({ op: "notify", user: user.id, message });
  }

  inbound(user: ChatUser, dedupeKey?: string): Inbound {
    return { surface: this, user, place: { channelId: "C1", isDirect: false }, ...(dedupeKey ? { dedupeKey } : {}) };
  }

  of<K extends Call["op"]>(op: K): Extract<Call, { op: K }>[] {
    return this.calls.filter((c): c is Extract<Call, { op: K }> => c.op === op);
  }

  /** Every text shown (messages, edits, notices, documents) in order. */
  texts(): string[] {
    return this.calls.map((c) => ("message" in c ? c.message.text : "document" in c ? c.document.markdown : ""));
  }

  lastPost(): OutMessage | undefined {
    return this.of("post").at(-1)?.message;
  }
}
