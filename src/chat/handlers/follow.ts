// Use case "follow": an execution's events are followed into its thread (see follower.ts); at its end the
// document, draft, failure sentence or cancellation is posted and the root's status line updated. After a
// restart, attach() resumes following every run this surface left open.

import type { EngineEvent } from "../../engine/records.ts";
import { applyEvent } from "../checklist.ts";
import { type ChatContext, codeOf, threadFromOrigin } from "../context.ts";
import type { Surface } from "../contract.ts";
import { Follower } from "../follower.ts";
import { cancelledMessage, failureMessage, rootFinal } from "../messages.ts";
import { rootSlot, type Slot } from "../outbox.ts";
import { type ExecRecord, threadKey } from "../records.ts";
import { postDraft } from "./versions.ts";

/** Re-attaches a surface after start-up: running and waiting executions resume posting into their threads. */
export async function attach(ctx: ChatContext, surface: Surface): Promise<void> {
  ctx.surfaces.set(surface.name, surface);
  const ids = new Set(await ctx.records.openRenders());
  for (const r of await ctx.engine.list({ status: ["pending", "running", "waiting"], limit: 1000 })) {
    if (!r.parent && r.origin?.surface === surface.name) ids.add(r.id);
  }
  for (const id of ids) {
    if (ctx.followers.has(id)) continue;
    try {
      let rec = await ctx.records.exec(id);
      if (!rec) {
        const header = await ctx.engine.get(id);
        const thread = header ? threadFromOrigin(header.origin) : undefined;
        if (!header || !thread || thread.surface !== surface.name) continue;
        rec = {
          executionId: id,
          thread,
          templateId: header.templateId,
          userId: header.userId,
          waits: {},
          done: false,
          purpose: "first",
        };
      }
      if (rec.thread.surface !== surface.name || rec.done) continue;
      await startFollower(ctx, rec, surface);
    } catch (error) {
      ctx.logger.warn({ executionId: id, err: codeOf(error) }, "could not resume following");
    }
  }
}

export async function startFollower(ctx: ChatContext, er: ExecRecord, surface: Surface): Promise<void> {
  const view = await ctx.engine.get(er.executionId);
  if (!view) {
    await ctx.records.deleteExec(er.executionId);
    return;
  }
  const template = ctx.template(er.templateId);
  // The checklist is the fold of the events shown so far; newer ones replay through the follower.
  let checklist = ctx.checklistFor(view, template?.title ?? view.title);
  const cursor = await ctx.outbox.cursor(er.executionId);
  if (cursor > 0) {
    for (const event of await ctx.engine.events(er.executionId, 1)) if (event.seq <= cursor) checklist = applyEvent(checklist, event);
  }
  const follower = new Follower(
    {
      engine: ctx.engine,
      records: ctx.records,
      outbox: ctx.outbox,
      logger: ctx.logger,
      timers: ctx.timers,
      progressIntervalMs: ctx.progressIntervalMs,
      finished: (rec, event, s) => finished(ctx, rec, event, s),
      released: (id) => {
        if (ctx.followers.get(id) === follower) ctx.followers.delete(id);
      },
    },
    er,
    surface,
    template,
    checklist,
    cursor,
  );
  ctx.followers.set(er.executionId, follower);
  await follower.start();
}

/**
 * The run reached its end: post the document (or draft), a failure sentence, or the cancellation, each
 * through the outbox keyed by the terminal event, so replaying it after a crash posts nothing twice.
 */
async function finished(ctx: ChatContext, er: ExecRecord, event: EngineEvent, surface: Surface): Promise<void> {
  const thread = er.thread;
  const slot = (part: string): Slot => ({ stream: er.executionId, key: `${event.seq}:${part}` });
  await ctx.locks.run(threadKey(thread), async () => {
    const rec = await ctx.records.thread(thread);
    const view = await ctx.engine.get(er.executionId);
    const template = ctx.template(er.templateId);
    if (!rec || !view || !template) return;
    const offline = view.provider === "offline";
    // A newer run (or conversation) in the same thread owns its phase; this one only reports its end.
    const latest = rec.executionIds.at(-1) === er.executionId && rec.phase === "running";
    if (event.type === "execution.completed") {
      try {
        const doc = template.render(view);
        if (template.revisable) await postDraft(ctx, surface, rec, er, view.inputs, doc, slot);
        else await ctx.outbox.document(surface, thread, await ctx.documentFor(doc, er, view.inputs), slot("document"));
      } catch (error) {
        ctx.logger.warn({ executionId: er.executionId, err: codeOf(error) }, "rendering the document failed");
        const message = failureMessage(er.executionId, { message: "the finished document could not be laid out" }, template.command);
        await ctx.outbox.post(surface, thread, message, slot("failure"));
      }
    } else if (event.type === "execution.failed") {
      const error = (event.data?.error as { code?: string; message?: string } | undefined) ?? view.error;
      await ctx.outbox.post(surface, thread, failureMessage(er.executionId, error, template.command), slot("failure"));
    } else {
      await ctx.outbox.post(surface, thread, cancelledMessage(er.executionId), slot("cancelled"));
    }
    const status = event.type === "execution.completed" ? "completed" : event.type === "execution.failed" ? "failed" : "cancelled";
    ctx.transition(rec, { type: "run.ended", status, latest, draft: rec.draft !== undefined });
    await ctx.records.putThread(rec);
    const latestDraft = rec.draft?.versions.at(-1);
    const title =
      template.revisable && latestDraft && event.type === "execution.completed" && (latestDraft.n > 1 || template.revision !== "sections")
        ? `${template.title} (draft v${latestDraft.n})`
        : template.title;
    if (latest)
      await ctx.outbox
        .editRoot(
          surface,
          thread,
          rootFinal(title, rec.userName, view.status, view.durationMs, offline, rec.request?.assumed),
          rootSlot(thread),
        )
        .catch(() => undefined);
    ctx.logger.info({ executionId: er.executionId, status: view.status }, "execution followed to its end");
  });
}

/** Resolves once every followed execution is finished or waiting and everything it emitted is shown. */
export async function idle(ctx: ChatContext): Promise<void> {
  for (let round = 0; round < 10_000; round++) {
    let busy = false;
    for (const follower of [...ctx.followers.values()]) {
      const view = await ctx.engine.get(follower.executionId);
      if (view && (view.status === "running" || view.status === "pending")) {
        await ctx.engine.wait(follower.executionId, { untilWaiting: true }).catch(() => undefined);
        busy = true;
      }
      if (await follower.behind()) {
        busy = true;
        await follower.drained();
        await new Promise<void>((r) => setImmediate(r));
      }
    }
    if (!busy) return;
  }
}
