// Use cases "history" and "open": a teacher's requests listed with short numbers, 10 at a time with More;
// a past request (or one of its versions) posted again with its files in a new thread, where a reply
// revises it like in its first thread.

import type { ExecutionView } from "../../engine/records.ts";
import { shorten } from "../../util/shorten.ts";
import type { ChatContext } from "../context.ts";
import type { Inbound } from "../contract.ts";
import { executionOf, resolveRef } from "../history.ts";
import { draftActions, historyMessage } from "../messages.ts";
import type { DraftVersion } from "../records.ts";
import { newThreadRecord, openRequestThread, saveNewThread } from "./thread.ts";

export async function showHistory(ctx: ChatContext, inbound: Inbound, page = 0): Promise<void> {
  await inbound.surface.notify(inbound.place, inbound.user, historyMessage(await ctx.history(inbound.user.id), page));
}

/** The one sentence for a number or id that names none of the teacher's requests. */
export function unknownRef(ref: string): string {
  return `None of your requests is "${shorten(ref, 60)}". /staffroom history lists them with their numbers.`;
}

/** The execution a short number ("7", "#7 v2") or an id names, among the teacher's own; undefined if none. */
export async function findExecution(ctx: ChatContext, userId: string, ref: string): Promise<string | undefined> {
  const found = resolveRef(await ctx.history(userId), ref);
  return found ? executionOf(found) : undefined;
}

export async function openRequest(ctx: ChatContext, inbound: Inbound, ref: string): Promise<void> {
  if (!ref.trim()) return ctx.tell(inbound, "Which request? Use /staffroom open <number> (numbers are listed by /staffroom history).");
  const found = resolveRef(await ctx.history(inbound.user.id), ref);
  if (!found) return ctx.tell(inbound, unknownRef(ref));
  const { entry } = found;
  const template = ctx.template(entry.templateId);
  if (!template) return ctx.tell(inbound, `#${entry.number} was made with a template that is no longer installed.`);
  const views = (await Promise.all(entry.versions.map((id) => ctx.engine.get(id)))).map((v, i) => ({ view: v, n: i + 1 }));
  const done = views.filter((v): v is { view: ExecutionView; n: number } => v.view?.status === "completed");
  const chosen = found.version !== undefined ? done.find((v) => v.n === found.version) : done.at(-1);
  if (!chosen) {
    const status = views[(found.version ?? views.length) - 1]?.view?.status ?? "gone";
    return ctx.tell(inbound, `#${entry.number}${found.version ? ` v${found.version}` : ""} has no finished document (${status}).`);
  }
  const label = `#${entry.number} v${chosen.n}`;
  const thread = await openRequestThread(ctx, inbound, template, `${entry.topic ? `${entry.topic} ` : ""}(${label}, reopened)`);
  if (!thread) return;
  const rec = newThreadRecord(ctx, inbound, thread, template, "done", [...entry.versions]);
  const run = (v: ExecutionView) => ({ executionId: v.id, templateId: v.templateId, userId: v.userId });
  const doc = template.render(chosen.view);
  const title = chosen.n > 1 || template.revision !== "sections" ? `Draft v${chosen.n}` : undefined;
  await inbound.surface.postDocument(thread, await ctx.documentFor(doc, run(chosen.view), chosen.view.inputs, title));
  if (template.revisable) {
    // Every finished version is kept, so Undo and the next revision work here as in the first thread.
    const versions: DraftVersion[] = done.map((v) => ({
      n: v.n,
      executionId: v.view.id,
      markdown: v.n === chosen.n ? doc.markdown : template.render(v.view).markdown,
    }));
    const current = versions.find((v) => v.n === chosen.n)!;
    current.ref = await inbound.surface.post(thread, draftActions(chosen.n, "open"));
    rec.draft = {
      inputs: Object.fromEntries(Object.entries(chosen.view.inputs).filter(([k]) => k !== "previousDraft" && k !== "revisionInstruction")),
      versions,
      current: chosen.n,
    };
  }
  await saveNewThread(ctx, rec);
  ctx.logger.info({ executionId: chosen.view.id, templateId: template.id }, "request reopened");
}
