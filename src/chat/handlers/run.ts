// Use case "run": an execution is started for a thread (first run, revision, regeneration) and followed;
// a human step's answer is checked against its choices and handed to the engine; a run is cancelled.

import type { ExecutionRecord, Origin } from "../../engine/records.ts";
import { describeError, InvalidInputError } from "../../errors.ts";
import type { Template } from "../../templates/types.ts";
import { type ChatContext, codeOf } from "../context.ts";
import type { Inbound } from "../contract.ts";
import { type ExecRecord, type ThreadRecord, threadKey } from "../records.ts";
import { startFollower } from "./follow.ts";

export async function startExecution(
  ctx: ChatContext,
  inbound: Inbound,
  rec: ThreadRecord,
  template: Template,
  inputs: Record<string, unknown>,
  purpose: ExecRecord["purpose"],
  instruction?: string,
): Promise<boolean> {
  const origin: Origin = {
    surface: rec.thread.surface,
    channelId: rec.thread.channelId,
    threadId: rec.thread.threadId,
    command: template.command,
    purpose,
    // Every later run in a thread is a version of the thread's first request (history groups by it).
    ...(rec.executionIds[0] ? { request: rec.executionIds[0] } : {}),
  };
  let record: ExecutionRecord;
  try {
    record = await ctx.engine.start(template.workflow.definition.id, {
      inputs,
      userId: rec.userId,
      origin,
      // A replayed Run (or a retry after a crash between start and saving) finds the same execution.
      idempotencyKey: `${threadKey(rec.thread)}#${rec.executionIds.length + 1}`,
    });
  } catch (error) {
    const detail =
      error instanceof InvalidInputError && error.issues.length > 0
        ? error.issues.map((i) => `${i.path}: ${i.message}`).join("; ")
        : describeError(error);
    ctx.logger.warn({ templateId: template.id, err: codeOf(error) }, "could not start execution");
    await inbound.surface.post(rec.thread, { text: `I couldn't start this request: ${detail}`, role: "error" });
    return false;
  }
  ctx.transition(rec, { type: "run.started" });
  if (!rec.executionIds.includes(record.id)) rec.executionIds.push(record.id);
  await ctx.records.putThread(rec);
  await ctx.records.indexUser(rec.userId, { executionId: record.id });
  ctx.logger.info({ executionId: record.id, templateId: template.id, surface: rec.thread.surface }, "execution started from chat");
  if (ctx.followers.has(record.id)) return true;
  const er: ExecRecord = {
    executionId: record.id,
    thread: rec.thread,
    templateId: template.id,
    userId: rec.userId,
    waits: {},
    done: false,
    purpose,
    ...(instruction ? { instruction } : {}),
  };
  await ctx.records.putExec(er);
  await startFollower(ctx, er, ctx.rawSurface(inbound.surface));
  return true;
}

/** The one check of an answer against a question's choices: the matching choice's value, or undefined. */
export function matchChoice(choices: readonly { value: string; label: string }[], raw: string): string | undefined {
  const lower = raw.trim().toLowerCase();
  return choices.find((c) => c.value.toLowerCase() === lower || c.label.toLowerCase() === lower)?.value;
}

export async function answerHuman(
  ctx: ChatContext,
  inbound: Inbound,
  rec: ThreadRecord,
  executionId: string,
  nodeId: string,
  raw: string,
): Promise<void> {
  const er = await ctx.records.exec(rec.executionIds.at(-1) ?? "");
  const wait = er?.waits[nodeId];
  let value = raw.trim();
  if (wait?.choices?.length) {
    const choice = matchChoice(wait.choices, value);
    if (choice === undefined) {
      await ctx.tell(inbound, `Please choose one of: ${wait.choices.map((c) => c.label).join(", ")}.`);
      return;
    }
    value = choice;
  }
  const result = await ctx.engine.resume(executionId, nodeId, value, { userId: inbound.user.id });
  if (result.accepted) return;
  const text =
    result.reason === "not_allowed"
      ? `Sorry, this question is for ${rec.userName}.`
      : result.reason === "already_answered" || result.reason === "not_waiting"
        ? "That question has already been answered."
        : result.reason === "invalid_answer"
          ? `That answer doesn't fit: ${result.message}`
          : "That request is no longer available.";
  await ctx.tell(inbound, text);
}

export async function cancelRun(ctx: ChatContext, inbound: Inbound, rec: ThreadRecord, executionId: string): Promise<void> {
  if (rec.userId !== inbound.user.id) {
    await ctx.tell(inbound, `Only ${rec.userName} can cancel this request.`);
    return;
  }
  const cancelled = await ctx.engine.cancel(executionId);
  if (!cancelled) await ctx.tell(inbound, "That request has already finished.");
}
