// A revisable request's versions: which one is current, and posting a finished run as the next version with
// its buttons. Following a run ends here (follow.ts); starting the next version is draft.ts's job, so this
// module starts nothing and the two never import each other.

import { REVISION_FIELDS } from "../../templates/revision/index.ts";
import type { ChatContext } from "../context.ts";
import type { Surface } from "../contract.ts";
import { draftActions } from "../messages.ts";
import { editSlot, type Slot } from "../outbox.ts";
import type { DraftRecord, DraftVersion, ExecRecord, ThreadRecord } from "../records.ts";

const isRevisionField = (k: string) => (REVISION_FIELDS as readonly string[]).includes(k);

/** The version revisions start from: the one Undo went back to, else the latest. */
export function currentVersion(draft: DraftRecord): DraftVersion | undefined {
  return draft.versions.find((v) => v.n === draft.current) ?? draft.versions.at(-1);
}

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
  doc: Parameters<ChatContext["documentFor"]>[0],
  slot: (part: string) => Slot,
): Promise<void> {
  const draft = rec.draft ?? {
    inputs: Object.fromEntries(Object.entries(inputs).filter(([k]) => !isRevisionField(k))),
    versions: [],
  };
  const known = draft.versions.find((v) => v.executionId === er.executionId);
  const previous = known ? draft.versions.filter((v) => v.n < known.n).at(-1) : currentVersion(draft);
  const n = known?.n ?? (draft.versions.at(-1)?.n ?? 0) + 1;
  await ctx.outbox.document(surface, rec.thread, await ctx.documentFor(doc, er, inputs, draftLabel(ctx, rec, n)), slot("document"));
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
  draft.current = n;
  draft.awaitingInstruction = false;
  rec.draft = draft;
}

/** "Draft vN" on a version's title; a section-revised template's first version is just the document. */
export function draftLabel(ctx: ChatContext, rec: ThreadRecord, n: number): string | undefined {
  return n === 1 && ctx.template(rec.templateId)?.revision === "sections" ? undefined : `Draft v${n}`;
}
