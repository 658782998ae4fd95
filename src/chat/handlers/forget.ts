// Use case "forget": `/staffroom forget` asks for confirmation with two buttons; confirmed, everything
// kept about the teacher is deleted by the app's one forget (ctx.forgetTeacher: profile, conversations,
// thread records, executions, placeholder maps, saved documents, then the data key) and the teacher is told
// exactly what was deleted.

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

/**
 * Deletes everything kept about a teacher through the one forget (every owner of their data, then their
 * data key), after stopping the followers of their runs here, and tells them what went.
 */
export async function forget(ctx: ChatContext, inbound: Inbound): Promise<void> {
  const userId = inbound.user.id;
  const known = await ctx.records.user(userId);
  const mine = new Set([...known.executions, ...(await ctx.engine.list({ userId, limit: 1_000_000 })).map((r) => r.id)]);
  for (const id of mine) {
    const follower = ctx.followers.get(id);
    if (follower) {
      ctx.followers.delete(id);
      await follower.stop();
    }
  }
  const counts = await ctx.forgetTeacher(userId);
  await ctx.countConversations();
  ctx.logger.info({ userId, counts }, "teacher data forgotten");
  await ctx.tell(inbound, forgottenSentence(counts));
}

/** What forget tells the teacher it deleted (pure). */
export function forgottenSentence(counts: Record<string, number>): string {
  const n = (key: string) => counts[key] ?? 0;
  const plural = (count: number, one: string, many = `${one}s`) => `${count} ${count === 1 ? one : many}`;
  const documents = n("saved documents");
  return `Done: I deleted ${n("profile") > 0 ? "your profile, " : ""}${plural(n("conversations"), "conversation")}${documents > 0 ? `, ${plural(documents, "saved document file")}` : ""} and ${plural(n("executions"), "request")} (with their inputs and results).`;
}
