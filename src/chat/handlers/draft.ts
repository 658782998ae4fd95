// Use case "draft": a revisable template's result is a numbered draft with Approve / Revise / Regenerate;
// a reply with an instruction runs the next version from the previous one.

import type { Template } from "../../templates/types.ts";
import { type ChatContext, clip } from "../context.ts";
import type { Inbound, Surface } from "../contract.ts";
import { draftActions, rootStatus } from "../messages.ts";
import { editSlot, type Slot } from "../outbox.ts";
import type { ExecRecord, ThreadRecord } from "../records.ts";
import { startExecution } from "./run.ts";

const REVISION_FIELDS = ["previousDraft", "revisionInstruction"];

/**
 * Posts a finished draft as the thread's next version, with its buttons; the previous version's buttons
 * are retired. Replayed after a crash (same execution), it adds no second version and posts nothing twice.
 */
export async function postDraft(
  ctx: ChatContext,
  surface: Surface,
  rec: ThreadRecord,
  er: ExecRecord,
  inputs: Record<string, unknown>,
  doc: ReturnType<Template["render"]>,
  slot: (part: string) => Slot,
): Promise<void> {
  const draft = rec.draft ?? {
    inputs: Object.fromEntries(Object.entries(inputs).filter(([k]) => !REVISION_FIELDS.includes(k))),
    versions: [],
  };
  const known = draft.versions.find((v) => v.executionId === er.executionId);
  const previous = draft.versions.filter((v) => v.n < (known?.n ?? Number.POSITIVE_INFINITY)).at(-1);
  const n = known?.n ?? (draft.versions.at(-1)?.n ?? 0) + 1;
  await ctx.outbox.document(surface, rec.thread, await ctx.documentFor(doc, er, inputs, `Draft v${n}`), slot("document"));
  if (previous?.ref && draft.approved !== previous.n)
    await ctx.outbox.edit(surface, previous.ref, draftActions(previous.n, "superseded"), editSlot(previous.ref)).catch(() => undefined);
  const ref = await ctx.outbox.post(surface, rec.thread, draftActions(n, "open"), slot("draft-actions"));
  if (!known)
    draft.versions.push({
      n,
      executionId: er.executionId,
      markdown: doc.markdown,
      ref,
      ...(er.instruction ? { instruction: er.instruction } : {}),
    });
  draft.awaitingInstruction = false;
  rec.draft = draft;
}

export async function revise(
  ctx: ChatContext,
  inbound: Inbound,
  rec: ThreadRecord,
  template: Template,
  instruction: string,
): Promise<void> {
  const draft = rec.draft;
  const latest = draft?.versions.at(-1);
  if (!draft || !latest) return;
  const clipped = instruction.slice(0, 1000);
  const inputs = { ...draft.inputs, previousDraft: latest.markdown, revisionInstruction: clipped };
  await inbound.surface.post(rec.thread, { text: `Revising draft v${latest.n}: "${clip(clipped, 200)}"`, role: "notice" });
  draft.awaitingInstruction = false;
  await startExecution(ctx, inbound, rec, template, inputs, "revision", clipped);
}

export async function onDraftAction(
  ctx: ChatContext,
  inbound: Inbound,
  rec: ThreadRecord,
  verb: "approve" | "revise" | "regenerate",
  version: number,
): Promise<void> {
  if (rec.userId !== inbound.user.id) {
    await ctx.tell(inbound, `Only ${rec.userName} can approve or revise this draft.`);
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
