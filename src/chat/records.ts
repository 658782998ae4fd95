// The chat core's persisted records in Keyv: who owns each thread and what runs in it, the follower's
// record per execution (so a restart resumes posting without repeats), draft versions, dedupe keys.

import type Keyv from "keyv";
import { MapClaims } from "../drivers/claims.ts";
import type { DeliveryClaims } from "../drivers/types.ts";
import { Mutex } from "../util/mutex.ts";
import type { MessageRef, ThreadRef } from "./contract.ts";
import type { ThreadPhase } from "./lifecycle.ts";

export type DraftVersion = {
  n: number;
  executionId: string;
  markdown: string;
  instruction?: string;
  /** The small message carrying the version's buttons. */
  ref?: MessageRef;
};

export type DraftRecord = {
  /** The request's inputs without revision fields. */
  inputs: Record<string, unknown>;
  versions: DraftVersion[];
  approved?: number;
  /** The version a revision starts from and Undo steps back from (the latest when unset). */
  current?: number;
  /** Revise was clicked: the next reply is the instruction. */
  awaitingInstruction?: boolean;
};

export type ThreadRecord = {
  thread: ThreadRef;
  userId: string;
  userName: string;
  templateId: string;
  phase: ThreadPhase;
  /** Executions started in this thread, oldest first. */
  executionIds: string[];
  createdAt: number;
  draft?: DraftRecord;
  /** What the latest run was started with, and what it assumed: the root's Change starts from it. */
  request?: { values: Record<string, unknown>; assumed: string; given?: string[] };
};

export type PendingWait = {
  executionId: string;
  prompt: string;
  choices?: { value: string; label: string }[];
  /** The question's outbox key (its event sequence); its message is found through the outbox. */
  key?: string;
  ref?: MessageRef;
};

export type ExecRecord = {
  executionId: string;
  thread: ThreadRef;
  templateId: string;
  userId: string;
  progressRef?: MessageRef;
  /** Open human questions by node id. */
  waits: Record<string, PendingWait>;
  done: boolean;
  /** For revisable templates: what this run produces. */
  purpose: "first" | "revision" | "regenerate";
  instruction?: string;
};

type UserIndex = { threads: string[]; executions: string[] };

const DEDUPE_TTL_MS = 24 * 3_600_000;

/** A refused form's values as typed (they may hold student work: kept briefly, deleted by forget). */
export type RefusedForm = { command: string; values: Record<string, string | undefined> };

export function threadKey(t: ThreadRef): string {
  return [t.surface, t.channelId, t.threadId].map(encodeURIComponent).join(":");
}

export class ChatRecords {
  private readonly lists = new Mutex();

  constructor(
    private readonly keyv: Keyv,
    // Forget builds records without claims (it only deletes): a map then, never asked.
    private readonly claims: DeliveryClaims = new MapClaims(),
  ) {}

  // ---- threads --------------------------------------------------------------------------
  async thread(ref: ThreadRef): Promise<ThreadRecord | undefined> {
    return (await this.keyv.get<ThreadRecord>(`chat:thread:${threadKey(ref)}`)) ?? undefined;
  }

  async putThread(rec: ThreadRecord): Promise<void> {
    await this.keyv.set(`chat:thread:${threadKey(rec.thread)}`, rec);
  }

  async deleteThread(ref: ThreadRef): Promise<void> {
    await this.keyv.delete(`chat:thread:${threadKey(ref)}`);
  }

  // ---- executions -----------------------------------------------------------------------
  async exec(id: string): Promise<ExecRecord | undefined> {
    return (await this.keyv.get<ExecRecord>(`chat:exec:${id}`)) ?? undefined;
  }

  async putExec(rec: ExecRecord): Promise<void> {
    await this.keyv.set(`chat:exec:${rec.executionId}`, rec);
    await this.lists.run(async () => {
      const open = (await this.keyv.get<string[]>("chat:renders")) ?? [];
      const has = open.includes(rec.executionId);
      if (rec.done && has)
        await this.keyv.set(
          "chat:renders",
          open.filter((id) => id !== rec.executionId),
        );
      else if (!rec.done && !has) await this.keyv.set("chat:renders", [...open, rec.executionId]);
    });
  }

  async deleteExec(id: string): Promise<void> {
    await this.keyv.delete(`chat:exec:${id}`);
    await this.lists.run(async () => {
      const open = (await this.keyv.get<string[]>("chat:renders")) ?? [];
      if (open.includes(id))
        await this.keyv.set(
          "chat:renders",
          open.filter((x) => x !== id),
        );
    });
  }

  /** Executions whose rendering has not reached their end. */
  async openRenders(): Promise<string[]> {
    return (await this.keyv.get<string[]>("chat:renders")) ?? [];
  }

  // ---- per user ---------------------------------------------------------------------------
  async user(userId: string): Promise<UserIndex> {
    return (await this.keyv.get<UserIndex>(`chat:user:${encodeURIComponent(userId)}`)) ?? { threads: [], executions: [] };
  }

  async indexUser(userId: string, add: { thread?: ThreadRef; executionId?: string }): Promise<void> {
    await this.lists.run(async () => {
      const index = await this.user(userId);
      if (add.thread) {
        const key = threadKey(add.thread);
        if (!index.threads.includes(key)) index.threads.push(key);
      }
      if (add.executionId && !index.executions.includes(add.executionId)) index.executions.push(add.executionId);
      await this.keyv.set(`chat:user:${encodeURIComponent(userId)}`, index);
    });
  }

  async deleteUser(userId: string): Promise<UserIndex> {
    const index = await this.user(userId);
    for (const key of index.threads) await this.keyv.delete(`chat:thread:${key}`);
    for (const id of index.executions) await this.deleteExec(id);
    await this.keyv.delete(`chat:user:${encodeURIComponent(userId)}`);
    await this.keyv.delete(`chat:last:${encodeURIComponent(userId)}`);
    await this.keyv.delete(`chat:form:${encodeURIComponent(userId)}`);
    return index;
  }

  /**
   * Deletes the records of some of a user's executions and of every thread that ran one of them (its draft
   * holds their inputs and markdown); returns the thread keys deleted.
   */
  async deleteExecutions(userId: string, executionIds: readonly string[]): Promise<string[]> {
    const ids = new Set(executionIds);
    const gone: string[] = [];
    await this.lists.run(async () => {
      const index = await this.user(userId);
      for (const key of index.threads) {
        const rec = await this.keyv.get<ThreadRecord>(`chat:thread:${key}`);
        if (rec?.executionIds.some((id) => ids.has(id))) gone.push(key);
      }
      const next = { threads: index.threads.filter((k) => !gone.includes(k)), executions: index.executions.filter((id) => !ids.has(id)) };
      await this.keyv.set(`chat:user:${encodeURIComponent(userId)}`, next);
    });
    for (const key of gone) await this.keyv.delete(`chat:thread:${key}`);
    for (const id of ids) await this.deleteExec(id);
    return gone;
  }

  /**
   * What `deleteUser` deletes, readable, for an export: the teacher's threads (drafts with their inputs and
   * markdown), the records of their executions, the last threads they opened and a refused form's values.
   */
  async exportUser(userId: string): Promise<Record<string, unknown>> {
    const index = await this.user(userId);
    const threads = [];
    for (const key of index.threads) threads.push(await this.keyv.get<ThreadRecord>(`chat:thread:${key}`));
    const executions = [];
    for (const id of index.executions) executions.push(await this.exec(id));
    return {
      threads: threads.filter(Boolean),
      executions: executions.filter(Boolean),
      last: (await this.keyv.get(`chat:last:${encodeURIComponent(userId)}`)) ?? {},
      refusedForm: (await this.refusedForm(userId)) ?? null,
    };
  }

  /** What `deleteExecutions` deletes, readable: the threads that ran one of these executions and their records. */
  async exportExecutions(userId: string, executionIds: readonly string[]): Promise<Record<string, unknown>> {
    const ids = new Set(executionIds);
    const threads: ThreadRecord[] = [];
    for (const key of (await this.user(userId)).threads) {
      const rec = await this.keyv.get<ThreadRecord>(`chat:thread:${key}`);
      if (rec?.executionIds.some((id) => ids.has(id))) threads.push(rec);
    }
    const executions = [];
    for (const id of ids) executions.push(await this.exec(id));
    return { threads, executions: executions.filter(Boolean) };
  }

  /** The thread a user last opened per surface and channel (the console continues it after a restart). */
  async setLast(userId: string, thread: ThreadRef): Promise<void> {
    await this.lists.run(async () => {
      const all = (await this.keyv.get<Record<string, ThreadRef>>(`chat:last:${encodeURIComponent(userId)}`)) ?? {};
      all[`${thread.surface}:${thread.channelId}`] = thread;
      await this.keyv.set(`chat:last:${encodeURIComponent(userId)}`, all);
    });
  }

  async last(userId: string, surface: string, channelId: string): Promise<ThreadRef | undefined> {
    const all = (await this.keyv.get<Record<string, ThreadRef>>(`chat:last:${encodeURIComponent(userId)}`)) ?? {};
    return all[`${surface}:${channelId}`];
  }

  // ---- a refused form's values, per teacher ----------------------------------------------------
  /** What a teacher typed into a form that was refused, so it can reopen with it; one per teacher, for `ttlMs`. */
  async keepRefusedForm(userId: string, form: RefusedForm, ttlMs: number): Promise<void> {
    await this.keyv.set(`chat:form:${encodeURIComponent(userId)}`, form, ttlMs);
  }

  async refusedForm(userId: string): Promise<RefusedForm | undefined> {
    return (await this.keyv.get<RefusedForm>(`chat:form:${encodeURIComponent(userId)}`)) ?? undefined;
  }

  async dropRefusedForm(userId: string): Promise<void> {
    await this.keyv.delete(`chat:form:${encodeURIComponent(userId)}`);
  }

  // ---- shortened button ids ----------------------------------------------------------------
  async rememberAction(surface: string, key: string, target: { id: string; value?: string }): Promise<void> {
    await this.keyv.set(`chat:action:${surface}:${key}`, target);
  }

  async recallAction(surface: string, key: string): Promise<{ id: string; value?: string } | undefined> {
    return (await this.keyv.get<{ id: string; value?: string }>(`chat:action:${surface}:${key}`)) ?? undefined;
  }

  // ---- dedupe -------------------------------------------------------------------------------
  /**
   * True for exactly one caller per delivery key, on any replica sharing the store: one atomic claim, never a
   * check-then-set (two replicas handed one Slack command both acted). Persisted, so a replay after a restart
   * is caught too.
   */
  async firstDelivery(surface: string, key: string | undefined): Promise<boolean> {
    if (!key) return true;
    return this.claims.claim(`chat:dedupe:${surface}:${key}`, DEDUPE_TTL_MS);
  }
}
