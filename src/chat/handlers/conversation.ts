// Use case "conversation": a turn of the guided conversation is saved, its prompts posted, and its outcome
// acted on (run, cancel); idle conversations expire with a notice, and a restart asks the question again.

import { type ConversationState, reprompt as repromptConversation, startChange, type Turn } from "../../conversation/machine.ts";
import type { StoredConversation } from "../../conversation/store.ts";
import { REVISION_FIELDS } from "../../templates/revision/index.ts";
import type { Template } from "../../templates/types.ts";
import { type ChatContext, threadParts } from "../context.ts";
import type { Inbound, Surface, SurfaceName, ThreadRef } from "../contract.ts";
import { historyMessage, promptMessage, rootRunning, rootStatus } from "../messages.ts";
import { rootSlot } from "../outbox.ts";
import { type ThreadRecord, threadKey } from "../records.ts";
import { startExecution } from "./run.ts";

/** Persists a conversation turn, posts its prompts and acts on its outcome. */
export async function applyTurn(ctx: ChatContext, inbound: Inbound, rec: ThreadRecord, turn: Turn, createdAt: number): Promise<void> {
  try {
    await applyTurnInner(ctx, inbound, rec, turn, createdAt);
  } finally {
    if (turn.outcome || turn.state.asked.length === 0) await ctx.countConversations();
  }
}

async function applyTurnInner(ctx: ChatContext, inbound: Inbound, rec: ThreadRecord, turn: Turn, createdAt: number): Promise<void> {
  const { surface } = inbound;
  const key = { ...threadParts(rec.thread), userId: rec.userId };
  if (turn.show === "history") await surface.post(rec.thread, historyMessage(await ctx.history(rec.userId)));
  if (turn.outcome?.kind === "cancelled") {
    await ctx.conversations.delete(key);
    ctx.transition(rec, { type: "conversation.cancelled" });
    await ctx.records.putThread(rec);
    await postPrompts(surface, rec.thread, turn.prompts);
    await surface.editRoot(rec.thread, rootStatus(ctx.titleOf(rec), rec.userName, "⛔ cancelled")).catch(() => undefined);
    return;
  }
  if (turn.outcome?.kind === "kept") {
    // A change abandoned: the thread is back to what ran before.
    await ctx.conversations.delete(key);
    ctx.transition(rec, { type: "change.kept" });
    await ctx.records.putThread(rec);
    await postPrompts(surface, rec.thread, turn.prompts);
    return;
  }
  if (turn.outcome?.kind === "run") {
    const template = ctx.template(rec.templateId);
    if (!template) return;
    await postPrompts(surface, rec.thread, turn.prompts);
    const started = await startDraftRun(ctx, inbound, rec, template, turn.outcome);
    if (started) {
      await ctx.conversations.delete(key);
    } else {
      // Back to choosing what to change, so the teacher can fix what the engine refused.
      const state: ConversationState = { ...turn.state, step: { kind: "pick" }, change: true };
      await saveConversation(ctx, rec, state, createdAt);
      await postPrompts(surface, rec.thread, repromptConversation(ctx.spec(template), state));
    }
    return;
  }
  await saveConversation(ctx, rec, turn.state, createdAt);
  await postPrompts(surface, rec.thread, turn.prompts);
}

/**
 * Starts the first run of a request whose fields are known (from the conversation, or a platform form):
 * the execution, the teacher's remembered settings for this template, and the root naming what was
 * assumed with Change and Cancel. False when the engine refused to start (the thread was told why).
 */
export async function startDraftRun(
  ctx: ChatContext,
  inbound: Inbound,
  rec: ThreadRecord,
  template: Template,
  request: { values: Record<string, unknown>; assumed: string; given?: string[] },
): Promise<boolean> {
  const { values, assumed, given } = request;
  // A change of a revisable request starts its drafts from the new inputs.
  if (rec.draft) rec.draft.inputs = { ...values };
  const started = await startExecution(ctx, inbound, rec, template, values, "first");
  if (!started) return false;
  rec.request = { values, assumed, ...(given ? { given } : {}) };
  await ctx.records.putThread(rec);
  await ctx.profiles.remember(rec.userId, template.id, ctx.spec(template).fields, values);
  const executionId = rec.executionIds.at(-1);
  // Through the root's one outbox slot, so the final status after a rerun is never taken for a repeat.
  if (executionId)
    await ctx.outbox
      .editRoot(
        ctx.rawSurface(inbound.surface),
        rec.thread,
        rootRunning(template.title, rec.userName, assumed, executionId),
        rootSlot(rec.thread),
      )
      .catch(() => undefined);
  return true;
}

/** The root's Change (or "change" typed) on a request that ran or runs: a running draft stops, then pick a field. */
export async function openChange(ctx: ChatContext, inbound: Inbound, rec: ThreadRecord): Promise<void> {
  const template = ctx.template(rec.templateId);
  if (!template) return;
  if (rec.userId !== inbound.user.id) {
    await ctx.tell(inbound, `Only ${rec.userName} can change this request.`);
    return;
  }
  const last = rec.executionIds.at(-1);
  // A revision run's inputs carry the previous version and the instruction: never part of a changed request.
  let values = rec.request?.values ?? rec.draft?.inputs;
  if (!values && last) values = (await ctx.engine.get(last))?.inputs;
  if (values) values = Object.fromEntries(Object.entries(values).filter(([k]) => !(REVISION_FIELDS as readonly string[]).includes(k)));
  if (!values) {
    await ctx.tell(inbound, `This request can't be changed any more. Start a new one with /${template.command}.`);
    return;
  }
  if (rec.phase === "running" && last) await ctx.engine.cancel(last).catch(() => false);
  const spec = ctx.spec(template);
  const turn = startChange(spec, values, rec.request?.given);
  ctx.transition(rec, { type: "change.opened" });
  await ctx.records.putThread(rec);
  await saveConversation(ctx, rec, turn.state, ctx.clock.now());
  await postPrompts(inbound.surface, rec.thread, turn.prompts);
}

async function saveConversation(ctx: ChatContext, rec: ThreadRecord, state: ConversationState, createdAt: number): Promise<void> {
  const conv: StoredConversation = {
    ...threadParts(rec.thread),
    userId: rec.userId,
    templateId: rec.templateId,
    state,
    createdAt,
    updatedAt: ctx.clock.now(),
  };
  await ctx.conversations.put(conv);
}

export async function postPrompts(surface: Surface, thread: ThreadRef, prompts: Turn["prompts"]): Promise<void> {
  for (const prompt of prompts) await surface.post(thread, promptMessage(prompt));
}

/** Ends an idle conversation: nothing runs, the thread says so and the root shows it. */
export async function expire(ctx: ChatContext, surface: Surface, thread: ThreadRef, conv: StoredConversation): Promise<void> {
  await ctx.conversations.delete(conv);
  const rec = await ctx.records.thread(thread);
  const command = rec ? ctx.commandOf(rec) : (ctx.template(conv.templateId)?.command ?? conv.templateId);
  if (rec) {
    ctx.transition(rec, { type: "conversation.expired" });
    await ctx.records.putThread(rec);
  }
  const minutes = Math.round(ctx.ttlMs / 60_000);
  await surface
    .post(thread, {
      text: `This request expired after ${minutes} minute${minutes === 1 ? "" : "s"} without an answer; nothing was run. Start again with /${command}.`,
      role: "notice",
    })
    .catch(() => undefined);
  if (rec) await surface.editRoot(thread, rootStatus(ctx.titleOf(rec), rec.userName, "expired")).catch(() => undefined);
  ctx.logger.info({ surface: surface.name, templateId: conv.templateId }, "conversation expired");
}

/** Posts expiry notices for idle conversations; returns how many expired. */
export async function sweep(ctx: ChatContext): Promise<number> {
  if (ctx.closed) return 0;
  const now = ctx.clock.now();
  let count = 0;
  await ctx.countConversations();
  for (const conv of await ctx.conversations.expired(now)) {
    const surface = ctx.surfaces.get(conv.surface as SurfaceName);
    if (!surface) continue;
    const thread: ThreadRef = { surface: surface.name, channelId: conv.channelId, threadId: conv.threadId };
    await ctx.locks.run(threadKey(thread), async () => {
      const current = await ctx.conversations.get(conv);
      if (!current || !ctx.conversations.isExpired(current, ctx.clock.now())) return;
      await expire(ctx, surface, thread, current);
      count++;
    });
  }
  if (count > 0) await ctx.countConversations();
  return count;
}

/** Asks the current question of the thread's conversation again (the console after a restart). */
export async function reprompt(ctx: ChatContext, inbound: Inbound, thread: ThreadRef): Promise<void> {
  const rec = await ctx.records.thread(thread);
  if (rec?.phase !== "conversation" || rec.userId !== inbound.user.id) return;
  const conv = await ctx.conversations.get({ ...threadParts(thread), userId: rec.userId });
  const template = ctx.template(rec.templateId);
  if (!conv || !template) return;
  if (ctx.conversations.isExpired(conv, ctx.clock.now())) {
    await expire(ctx, inbound.surface, thread, conv);
    return;
  }
  await inbound.surface.post(thread, { text: "Picking up where we left off:", role: "notice" });
  await postPrompts(inbound.surface, thread, repromptConversation(ctx.spec(template), conv.state));
}
