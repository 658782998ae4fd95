// Use case "draft": a revisable template's result is a numbered version with Approve / Undo / Revise /
// Regenerate; a reply with an instruction runs the next version from the current one. Versions are kept:
// Undo makes the previous one current again (and posts it), Approve marks one final.

import type { Template } from "../../templates/types.ts";
import { shorten } from "../../util/shorten.ts";
import type { DraftVerb } from "../actions.ts";
import type { ChatContext } from "../context.ts";
import type { Inbound } from "../contract.ts";
import { draftActions, rootStatus } from "../messages.ts";
import type { DraftRecord, DraftVersion, ThreadRecord } from "../records.ts";
import { startExecution } from "./run.ts";
import { currentVersion, draftLabel } from "./versions.ts";

export async function revise(
  ctx: ChatContext,
  inbound: Inbound,
  rec: ThreadRecord,
  template: Template,
  instruction: string,
): Promise<void> {
  const draft = rec.draft;
  const base = draft ? currentVersion(draft) : undefined;
  if (!draft || !base) return;
  const clipped = instruction.slice(0, 1000);
  const inputs = { ...draft.inputs, previousDraft: base.markdown, revisionInstruction: clipped };
  await inbound.surface.post(rec.thread, { text: `Revising draft v${base.n}: "${shorten(clipped, 200)}"`, role: "notice" });
  draft.awaitingInstruction = false;
  await startExecution(ctx, inbound, rec, template, inputs, "revision", clipped);
}

export async function onDraftAction(
  ctx: ChatContext,
  inbound: Inbound,
  rec: ThreadRecord,
  verb: DraftVerb,
  version: number,
): Promise<void> {
  if (rec.userId !== inbound.user.id) {
    await ctx.tell(inbound, `Only ${rec.userName} can approve, undo or revise this draft; nothing was changed.`);
    return;
  }
  const template = ctx.template(rec.templateId);
  const draft = rec.draft;
  const target = draft?.versions.find((v) => v.n === version);
  if (!template || !draft || !target) {
    await ctx.tell(inbound, "That draft is no longer available.");
    return;
  }
  if (rec.phase === "running") {
    await ctx.tell(inbound, "A new version is being written; wait for it to land first.");
    return;
  }
  if (verb === "approve") {
    if (draft.approved === version) return;
    draft.approved = version;
    draft.current = version;
    await ctx.records.putThread(rec);
    if (target.ref) await inbound.surface.edit(target.ref, draftActions(version, "approved", rec.userName));
    for (const other of draft.versions) {
      if (other.n !== version && other.ref)
        await inbound.surface.edit(other.ref, draftActions(other.n, "superseded")).catch(() => undefined);
    }
    await inbound.surface
      .editRoot(rec.thread, rootStatus(template.title, rec.userName, `✅ draft v${version} approved`))
      .catch(() => undefined);
    ctx.logger.info({ templateId: template.id, version }, "draft approved");
    return;
  }
  if (verb === "undo") return undo(ctx, inbound, rec, template, draft, target);
  if (verb === "revise") {
    draft.awaitingInstruction = true;
    await ctx.records.putThread(rec);
    await inbound.surface.post(rec.thread, {
      text: `What should change in draft v${version}? Reply in this thread with your instruction.`,
      role: "question",
    });
    return;
  }
  await inbound.surface.post(rec.thread, { text: `Writing a fresh version from the original request.`, role: "notice" });
  await startExecution(ctx, inbound, rec, template, { ...draft.inputs }, "regenerate");
}

/** Undo on a version: the version before it is current again, posted again with its files and buttons. */
async function undo(
  ctx: ChatContext,
  inbound: Inbound,
  rec: ThreadRecord,
  template: Template,
  draft: DraftRecord,
  target: DraftVersion,
): Promise<void> {
  const current = currentVersion(draft);
  if (current?.n !== target.n) {
    await ctx.tell(inbound, `Draft v${target.n} is not the current version, so there is nothing to undo there.`);
    return;
  }
  const back = draft.versions.filter((v) => v.n < target.n).at(-1);
  if (!back) {
    await ctx.tell(inbound, "This is the first version; there is nothing to undo.");
    return;
  }
  const view = await ctx.engine.get(back.executionId);
  if (!view) {
    await ctx.tell(inbound, `Draft v${back.n} is no longer stored, so it cannot be restored.`);
    return;
  }
  draft.current = back.n;
  if (draft.approved === target.n) delete draft.approved;
  if (target.ref) await inbound.surface.edit(target.ref, draftActions(target.n, "undone")).catch(() => undefined);
  const doc = template.render(view);
  await inbound.surface.post(rec.thread, { text: `Undone: draft v${back.n} is the current version again.`, role: "notice" });
  await inbound.surface.postDocument(
    rec.thread,
    await ctx.documentFor(
      doc,
      { executionId: view.id, templateId: view.templateId, userId: view.userId },
      view.inputs,
      draftLabel(ctx, rec, back.n),
    ),
  );
  back.ref = await inbound.surface.post(rec.thread, draftActions(back.n, "open"));
  await ctx.records.putThread(rec);
  await inbound.surface.editRoot(rec.thread, rootStatus(template.title, rec.userName, `draft v${back.n} (undo)`)).catch(() => undefined);
  ctx.logger.info({ templateId: template.id, version: back.n }, "draft undone");
}
