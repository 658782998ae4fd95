// Use case "forget": `/staffroom forget` asks for confirmation with two buttons; confirmed, everything
// kept about the teacher is deleted (profile, conversations, thread records, executions) and the teacher
// is told exactly what was deleted.

import { actionId } from "../actions.ts";
import type { ChatContext } from "../context.ts";
import type { Inbound } from "../contract.ts";

/** `/staffroom forget`: what would go, and the buttons to confirm or keep it. */
export async function askForget(ctx: ChatContext, inbound: Inbound): Promise<void> {
  const userId = inbound.user.id;
  const requests = (await ctx.engine.list({ userId, limit: 10_000 })).length;
  await inbound.surface.notify(inbound.place, inbound.user, {
    text: `This deletes your profile, your conversations and your ${requests} request${requests === 1 ? "" : "s"} (with their inputs and results), for good. Delete everything?`,
    role: "question",
    actions: [
      { id: actionId({ kind: "forget", verb: "confirm" }), label: "Delete everything", value: "confirm", style: "danger" },
      { id: actionId({ kind: "forget", verb: "keep" }), label: "Keep my data", value: "keep" },
    ],
  });
}

/** A click on one of askForget's buttons. */
export async function forgetAction(ctx: ChatContext, inbound: Inbound, verb: "confirm" | "keep"): Promise<void> {
  if (verb === "keep") return ctx.tell(inbound, "Nothing was deleted.");
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
