// Use case "reply": a message typed (or a conversation option clicked) in a thread the bot opened, read
// according to the thread's phase: a conversation answer, a human step's answer, cancel, or a revision.

import { type Answer, answer as answerConversation } from "../../conversation/machine.ts";
import { type ChatContext, threadParts } from "../context.ts";
import type { Inbound, ThreadRef } from "../contract.ts";
import { historyMessage } from "../messages.ts";
import { applyTurn, expire, openChange } from "./conversation.ts";
import { onDraftAction, revise } from "./draft.ts";
import { answerHuman, cancelRun } from "./run.ts";
import { currentVersion } from "./versions.ts";

const CANCEL_WORD = /^\/?(cancel|stop)$/i;
const DRAFT_WORDS = /^\/?(approve|approved|undo|revise|regenerate)[.!]?$/i;
const CHANGE_WORD = /^\/?(change|edit)( (it|the request|a field))?[.!]?$/i;
/** Words that steer, never an instruction for a revision: typed alone (with or without a slash). */
const HELP_WORD = /^\/?(help|\?)[.!]?$/i;
const HISTORY_WORD = /^\/?(history|my requests)[.!]?$/i;
const RUN_WORD = /^\/?(run|run it|go|start)[.!]?$/i;
/** Thanks and acknowledgements typed under a document: never an instruction to revise it. */
const THANKS_WORD = /^(thanks?( you)?( so much)?|thx|ty|ok(ay)?|great|perfect|nice|cool|good|looks good|lgtm|👍|🙏|❤️)[.! ]*$/iu;

/** A change of the request (the root's Change button, or "change" typed) once it ran or runs. */
function wantsChange(input: Answer, text: string): boolean {
  return input.kind === "option" ? input.key === "change" : CHANGE_WORD.test(text);
}

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
      // A click on Change by someone else is refused by name; typed text from others may answer a question.
      if (wantsChange(input, text) && (owner || input.kind === "option")) {
        await openChange(ctx, inbound, rec);
        return;
      }
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
      if (wantsChange(input, text) && (owner || input.kind === "option")) {
        await openChange(ctx, inbound, rec);
        return;
      }
      if (!owner) {
        // Only the requesting teacher revises; anyone else is told privately, and nothing changes.
        if (rec.draft && input.kind === "text" && text !== "")
          await ctx.tell(
            inbound,
            `Only ${rec.userName} can revise this document; your reply changed nothing. Start your own with /${ctx.commandOf(rec)}.`,
          );
        return;
      }
      const template = ctx.template(rec.templateId);
      const command = ctx.commandOf(rec);
      if (input.kind === "text" && HISTORY_WORD.test(text)) {
        await inbound.surface.post(thread, historyMessage(await ctx.history(rec.userId)));
        return;
      }
      if (input.kind === "text" && (HELP_WORD.test(text) || RUN_WORD.test(text) || THANKS_WORD.test(text) || /^\/\S/.test(text))) {
        const revise = template?.revisable && rec.draft ? "Reply with what to change in the draft (for example: make it shorter); t" : "T";
        await ctx.tell(
          inbound,
          `This request has run. ${revise}ype change (or click Change) to change what it was asked with, or start a new one with /${command}.`,
        );
        return;
      }
      if (template?.revisable && rec.draft && input.kind === "text" && text !== "") {
        if (CANCEL_WORD.test(text)) {
          rec.draft.awaitingInstruction = false;
          await ctx.records.putThread(rec);
          await ctx.tell(inbound, "OK, no revision.");
          return;
        }
        // The buttons' words typed on their own act like the buttons (on the latest version).
        const verb = DRAFT_WORDS.exec(text)?.[1]?.toLowerCase();
        const latest = currentVersion(rec.draft);
        if (verb && latest && !rec.draft.awaitingInstruction) {
          await onDraftAction(
            ctx,
            inbound,
            rec,
            verb.startsWith("approve") ? "approve" : verb === "undo" ? "undo" : verb === "revise" ? "revise" : "regenerate",
            latest.n,
          );
          return;
        }
        await revise(ctx, inbound, rec, template, text);
        return;
      }
      await ctx.tell(inbound, `This request is finished. Type change (or click Change) to change it, or start a new one with /${command}.`);
      return;
    }
    default:
      if (owner) await ctx.tell(inbound, `This request was ${rec.phase}. Start a new one with /${ctx.commandOf(rec)}.`);
  }
}
