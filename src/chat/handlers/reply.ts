// Use case "reply": a message typed (or a conversation option clicked) in a thread the bot opened, read
// according to the thread's phase: a conversation answer, a human step's answer, cancel, or a revision.

import { type Answer, answer as answerConversation } from "../../conversation/machine.ts";
import { type ChatContext, threadParts } from "../context.ts";
import type { Inbound, ThreadRef } from "../contract.ts";
import { applyTurn, expire } from "./conversation.ts";
import { onDraftAction, revise } from "./draft.ts";
import { answerHuman, cancelRun } from "./run.ts";

const CANCEL_WORD = /^\/?(cancel|stop)$/i;
const DRAFT_WORDS = /^\/?(approve|approved|revise|regenerate)[.!]?$/i;

export async function onReply(ctx: ChatContext, inbound: Inbound, thread: ThreadRef, input: Answer): Promise<void> {
  const rec = await ctx.records.thread(thread);
  if (!rec) return;
  const owner = rec.userId === inbound.user.id;
  const text = input.kind === "text" ? input.text.trim() : "";
  switch (rec.phase) {
    case "conversation": {
      if (!owner) {
        await ctx.tell(
          inbound,
          `This request belongs to ${rec.userName}, so only they can answer its questions. Start your own with /${ctx.commandOf(rec)}.`,
        );
        return;
      }
      const conv = await ctx.conversations.get({ ...threadParts(thread), userId: rec.userId });
      const template = ctx.template(rec.templateId);
      if (!conv || !template) {
        ctx.transition(rec, { type: "conversation.expired" });
        await ctx.records.putThread(rec);
        await ctx.tell(inbound, `This conversation is no longer available. Start again with /${ctx.commandOf(rec)}.`);
        return;
      }
      if (ctx.conversations.isExpired(conv, ctx.clock.now())) {
        await expire(ctx, inbound.surface, thread, conv);
        return;
      }
      const turn = answerConversation(ctx.spec(template), conv.state, input);
      await applyTurn(ctx, inbound, rec, turn, conv.createdAt);
      return;
    }
    case "running": {
      const execId = rec.executionIds.at(-1);
      const er = execId ? await ctx.records.exec(execId) : undefined;
      const waits = Object.entries(er?.waits ?? {});
      if (input.kind === "text" && waits.length > 0 && !(owner && CANCEL_WORD.test(text))) {
        const [nodeId, wait] = waits[0]!;
        await answerHuman(ctx, inbound, rec, wait.executionId, nodeId, text);
        return;
      }
      if (!owner) return;
      if (input.kind === "text" && CANCEL_WORD.test(text) && execId) {
        await cancelRun(ctx, inbound, rec, execId);
        return;
      }
      if (input.kind === "option") {
        await ctx.tell(inbound, "That button belongs to an earlier question.");
        return;
      }
      await ctx.tell(inbound, "I'm still working on this; the result will appear in this thread. Type cancel to stop it.");
      return;
    }
    case "done": {
      if (!owner) return;
      const template = ctx.template(rec.templateId);
      if (template?.revisable && rec.draft && input.kind === "text" && text !== "") {
        if (CANCEL_WORD.test(text)) {
          rec.draft.awaitingInstruction = false;
          await ctx.records.putThread(rec);
          await ctx.tell(inbound, "OK, no revision.");
          return;
        }
        // The buttons' words typed on their own act like the buttons (on the latest version).
        const verb = DRAFT_WORDS.exec(text)?.[1]?.toLowerCase();
        const latest = rec.draft.versions.at(-1);
        if (verb && latest && !rec.draft.awaitingInstruction) {
          await onDraftAction(
            ctx,
            inbound,
            rec,
            verb.startsWith("approve") ? "approve" : verb === "revise" ? "revise" : "regenerate",
            latest.n,
          );
          return;
        }
        await revise(ctx, inbound, rec, template, text);
        return;
      }
      await ctx.tell(inbound, `This request is finished. Start a new one with /${ctx.commandOf(rec)}.`);
      return;
    }
    default:
      if (owner) await ctx.tell(inbound, `This request was ${rec.phase}. Start a new one with /${ctx.commandOf(rec)}.`);
  }
}
