// Use case "forget": everything kept about a teacher is deleted (profile, conversations, thread records,
// executions), and the teacher is told what was deleted.

import type { ChatContext } from "../context.ts";
import type { Inbound } from "../contract.ts";

/** `/staffroom forget`. */
export async function askForget(ctx: ChatContext, inbound: Inbound): Promise<void> {
  await forget(ctx, inbound);
}

/** Deletes everything kept about a teacher: profile, conversations, thread records, executions. */
export async function forget(ctx: ChatContext, inbound: Inbound): Promise<void> {
  const userId = inbound.user.id;
  const known = await ctx.records.user(userId);
  const mine = new Set([...known.executions, ...(await ctx.engine.list({ userId, limit: 10_000 })).map((r) => r.id)]);
  for (const id of mine) {
    const follower = ctx.followers.get(id);
    if (follower) {
      ctx.followers.delete(id);
      await follower.stop();
    }
  }
  const conversations = await ctx.conversations.deleteUser(userId);
  const index = await ctx.records.deleteUser(userId);
  for (const stream of [...mine, ...index.threads]) await ctx.outbox.forget(stream);
  const hadProfile = await ctx.profiles.delete(userId);
  const executions = await ctx.engine.forgetUser(userId);
  await ctx.countConversations();
  ctx.logger.info({ userId, conversations, executions }, "teacher data forgotten");
  await ctx.tell(
    inbound,
    `Done: I deleted ${hadProfile ? "your profile, " : ""}${conversations} conversation${conversations === 1 ? "" : "s"} and ${executions} request${executions === 1 ? "" : "s"} (with their inputs and results).`,
  );
}
