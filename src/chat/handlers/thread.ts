// Opening a request's thread, one way for every use case that starts one (a typed command, a submitted
// form, a reopened document): post the root, claim the thread one request at a time, and keep the
// thread's record indexed for its teacher.

import { describeError } from "../../errors.ts";
import type { Template } from "../../templates/types.ts";
import { type ChatContext, codeOf, threadParts } from "../context.ts";
import type { Inbound, ThreadRef } from "../contract.ts";
import { mayOpen, nextPhase } from "../lifecycle.ts";
import { rootMessage, who } from "../messages.ts";
import { type ThreadRecord, threadKey } from "../records.ts";

/**
 * Posts a request's root where the command came from and returns its thread; when the platform refuses,
 * the teacher is told why in one sentence and nothing else happens.
 */
export async function openRequestThread(
  ctx: ChatContext,
  inbound: Inbound,
  template: Template,
  rootText: string,
): Promise<ThreadRef | undefined> {
  const { surface, user, place } = inbound;
  try {
    return await surface.openThread(place, user, rootMessage(template.title, user, rootText, template.studentData));
  } catch (error) {
    ctx.logger.warn({ surface: surface.name, err: codeOf(error) }, "could not open a thread");
    await ctx.tell(
      inbound,
      `I couldn't start a thread here (${describeError(error)}). Try again in a channel I'm a member of, or in a direct message.`,
    );
    return undefined;
  }
}

/**
 * Claims `thread` for a new request of `template` under the thread's lock and runs `start` with its saved
 * record. One thing at a time per thread (a surface may reuse the thread a command was typed in): a thread
 * still running something is told so and `start` does not run; an open conversation there is replaced.
 */
export async function claimThread(
  ctx: ChatContext,
  inbound: Inbound,
  thread: ThreadRef,
  template: Template,
  start: (rec: ThreadRecord, now: number) => Promise<void>,
): Promise<void> {
  const { surface, user } = inbound;
  await ctx.locks.run(threadKey(thread), async () => {
    const previous = await ctx.records.thread(thread);
    if (!mayOpen(previous?.phase)) {
      await surface.post(thread, {
        text: "A request is still running in this thread; wait for it to finish or type cancel, then try again.",
        role: "notice",
      });
      return;
    }
    if (previous?.phase === "conversation") {
      await ctx.conversations.delete({ ...threadParts(thread), userId: previous.userId });
      await surface.post(thread, { text: "The earlier request in this thread was replaced by this one.", role: "notice" });
    }
    const now = ctx.clock.now();
    const rec = newThreadRecord(ctx, inbound, thread, template, nextPhase(previous?.phase, { type: "request.opened" }) ?? "conversation");
    await saveNewThread(ctx, rec);
    ctx.logger.info({ surface: surface.name, templateId: template.id, userId: user.id }, "request started");
    await start(rec, now);
  });
}

/** A fresh thread record for the inbound's teacher. */
export function newThreadRecord(
  ctx: ChatContext,
  inbound: Inbound,
  thread: ThreadRef,
  template: Template,
  phase: ThreadRecord["phase"],
  executionIds: string[] = [],
): ThreadRecord {
  return {
    thread,
    userId: inbound.user.id,
    userName: who(inbound.user),
    templateId: template.id,
    phase,
    executionIds,
    createdAt: ctx.clock.now(),
  };
}

/** Saves a new thread's record and indexes it for its teacher (their history, their last active thread). */
export async function saveNewThread(ctx: ChatContext, rec: ThreadRecord): Promise<void> {
  await ctx.records.putThread(rec);
  await ctx.records.indexUser(rec.userId, { thread: rec.thread });
  await ctx.records.setLast(rec.userId, rec.thread);
}
