// The chat core's front door, what every surface calls: each inbound event is deduplicated, serialised
// per thread, guarded (nothing a teacher does may crash the process) and routed to its use-case handler.

import { MAX_REQUEST_CHARS } from "../conversation/parse.ts";
import { describeError } from "../errors.ts";
import { shorten } from "../util/shorten.ts";
import { parseActionId } from "./actions.ts";
import { commandSpecs } from "./commands.ts";
import { ChatContext, type ChatCoreOptions, codeOf } from "./context.ts";
import {
  type ActionMemory,
  type ActionTarget,
  type ChatUser,
  type CommandArgs,
  type CommandSpec,
  FORM_OPEN_ACTION,
  type FormCheck,
  type FormSpec,
  type FormValues,
  type Inbound,
  type StaffroomChatCore,
  type Surface,
  type SurfaceName,
  type ThreadRef,
} from "./contract.ts";
import { reprompt, sweep } from "./handlers/conversation.ts";
import { onDraftAction } from "./handlers/draft.ts";
import { attach, idle } from "./handlers/follow.ts";
import { forgetAction } from "./handlers/forget.ts";
import { checkForm, type FormOptions, formClosed, formFor, keepRefusedForm, offeringForm, submitForm } from "./handlers/form.ts";
import { showHistory } from "./handlers/history.ts";
import { onReply } from "./handlers/reply.ts";
import { complete, startRequest } from "./handlers/request.ts";
import { answerHuman, cancelRun } from "./handlers/run.ts";
import { staffroom } from "./handlers/staffroom.ts";
import { isActive } from "./lifecycle.ts";
import { threadKey } from "./records.ts";

export type { ChatCoreOptions } from "./context.ts";

export function createChatCore(options: ChatCoreOptions): StaffroomChatCore {
  return new Dispatcher(options);
}

class Dispatcher implements StaffroomChatCore {
  private readonly ctx: ChatContext;
  private readonly sweepTimer: NodeJS.Timeout;
  private commandList: CommandSpec[] | undefined;
  readonly actions: ActionMemory = {
    remember: async (surface: SurfaceName, entries: [string, ActionTarget][]) => {
      for (const [key, target] of entries) await this.ctx.records.rememberAction(surface, key, target);
    },
    recall: (surface: SurfaceName, key: string) => this.ctx.records.recallAction(surface, key),
  };

  constructor(options: ChatCoreOptions) {
    this.ctx = new ChatContext(options);
    for (const t of options.templates) {
      if (!options.engine.workflow(t.workflow.definition.id)) options.engine.register(t.workflow);
    }
    const every = options.sweepIntervalMs ?? Math.min(60_000, this.ctx.ttlMs);
    this.sweepTimer = setInterval(() => void this.sweep().catch(() => undefined), every);
    this.sweepTimer.unref();
  }

  /** Built once: the templates are fixed for the core's lifetime, and surfaces ask on every command. */
  commands(): CommandSpec[] {
    this.commandList ??= commandSpecs(this.ctx.templates);
    return this.commandList;
  }

  async command(inbound: Inbound, name: string, args: CommandArgs): Promise<void> {
    await this.handle(inbound, undefined, async (inbound) => {
      const command = name.replace(/^\/+/, "").trim().toLowerCase();
      if (command === "staffroom") return staffroom(this.ctx, inbound, args, this.commands());
      const template = this.ctx.templateFor(command);
      if (!template) return this.ctx.tell(inbound, `I don't know /${shorten(command, 40)}. Try /staffroom help to see what I can do.`);
      await startRequest(this.ctx, offeringForm(this.ctx, inbound, template.command), template, args);
    });
  }

  async message(inbound: Inbound, thread: ThreadRef, text: string): Promise<void> {
    await this.handle(inbound, thread, (inbound) =>
      onReply(this.ctx, inbound, thread, { kind: "text", text: text.slice(0, MAX_REQUEST_CHARS * 4) }),
    );
  }

  async action(inbound: Inbound, thread: ThreadRef, actionId: string, value: string): Promise<void> {
    // A form button is answered with a form by its surface; a click that reaches the core found none to open.
    if (actionId === FORM_OPEN_ACTION) return this.handle(inbound, undefined, (inbound) => formClosed(this.ctx, inbound));
    const parsed = parseActionId(actionId);
    // Forget's confirmation is the teacher's own, not a thread's: it needs no thread record.
    if (parsed?.kind === "forget") return this.handle(inbound, undefined, (inbound) => forgetAction(this.ctx, inbound, parsed.verb));
    // History's More is the teacher's own list, not a thread's.
    if (parsed?.kind === "history") return this.handle(inbound, undefined, (inbound) => showHistory(this.ctx, inbound, parsed.page));
    await this.handle(inbound, thread, async (inbound) => {
      if (!parsed) return this.ctx.tell(inbound, "That button is no longer in use.");
      const rec = await this.ctx.records.thread(thread);
      if (!rec) return this.ctx.tell(inbound, "That request is no longer available.");
      switch (parsed.kind) {
        case "conv":
          return onReply(this.ctx, inbound, thread, {
            kind: "option",
            key: parsed.key,
            value,
            ...(parsed.field ? { field: parsed.field } : {}),
          });
        case "human":
          return answerHuman(this.ctx, inbound, rec, parsed.executionId, parsed.nodeId, value);
        case "draft":
          return onDraftAction(this.ctx, inbound, rec, parsed.verb, parsed.version);
        case "cancel-run":
          return cancelRun(this.ctx, inbound, rec, parsed.executionId);
      }
    });
  }

  formFor(user: ChatUser, command: string, args: CommandArgs, options?: FormOptions): Promise<FormSpec | undefined> {
    return formFor(this.ctx, user, command, args, options);
  }

  keepRefusedForm(user: ChatUser, command: string, values: FormValues): Promise<void> {
    return keepRefusedForm(this.ctx, user, command, values);
  }

  checkForm(command: string, values: FormValues): FormCheck {
    return checkForm(this.ctx, command, values);
  }

  async submitForm(inbound: Inbound, command: string, values: FormValues, thread?: ThreadRef): Promise<void> {
    // The handler takes the thread's turn itself (a new thread exists only once the root is posted).
    await this.handle(inbound, undefined, (inbound) => submitForm(this.ctx, inbound, command, values, thread));
  }

  complete(user: ChatUser, command: string, field: string, partial: string): Promise<{ value: string; label: string }[]> {
    return complete(this.ctx, user, command, field, partial);
  }

  attach(surface: Surface): Promise<void> {
    return attach(this.ctx, surface);
  }

  async owns(thread: ThreadRef): Promise<boolean> {
    return (await this.ctx.records.thread(thread)) !== undefined;
  }

  async close(): Promise<void> {
    this.ctx.closed = true;
    clearInterval(this.sweepTimer);
    const followers = [...this.ctx.followers.values()];
    this.ctx.followers.clear();
    await Promise.all(followers.map((f) => f.stop({ flush: true }).catch(() => undefined)));
  }

  idle(): Promise<void> {
    return idle(this.ctx);
  }

  sweep(): Promise<number> {
    return sweep(this.ctx);
  }

  async activeThread(surface: SurfaceName, channelId: string, userId: string): Promise<ThreadRef | undefined> {
    const thread = await this.ctx.records.last(userId, surface, channelId);
    if (!thread) return undefined;
    const rec = await this.ctx.records.thread(thread);
    return rec && isActive(rec.phase, rec.draft !== undefined) ? thread : undefined;
  }

  async reprompt(inbound: Inbound, thread: ThreadRef): Promise<void> {
    await this.guard(inbound, async () => {
      this.ctx.surfaces.set(inbound.surface.name, inbound.surface);
      await this.ctx.locks.run(threadKey(thread), () => reprompt(this.ctx, inbound, thread));
    });
  }

  /** Every inbound event: remember its surface, drop repeats, then run it (in its thread's turn, if any). */
  private async handle(inbound: Inbound, thread: ThreadRef | undefined, fn: (inbound: Inbound) => Promise<void>): Promise<void> {
    await this.guard(inbound, async () => {
      this.ctx.surfaces.set(inbound.surface.name, inbound.surface);
      if (!(await this.ctx.records.firstDelivery(inbound.surface.name, inbound.dedupeKey))) return;
      // What the handler sends goes through the outbox, keyed by the delivery it answers.
      const scope = inbound.dedupeKey ? `in:${inbound.dedupeKey}` : undefined;
      const scoped: Inbound = { ...inbound, surface: this.ctx.outbox.scoped(inbound.surface, scope) };
      if (thread) await this.ctx.locks.run(threadKey(thread), () => fn(scoped));
      else await fn(scoped);
    });
  }

  /** Nothing a teacher does may crash the process or show a stack trace. */
  private async guard(inbound: Inbound, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (error) {
      this.ctx.logger.error(
        { surface: inbound.surface.name, err: codeOf(error), message: error instanceof Error ? error.message : String(error) },
        "chat handler failed",
      );
      await inbound.surface
        .notify(inbound.place, inbound.user, {
          text: `Sorry, something went wrong: ${describeError(error)} Please try again.`,
          role: "error",
        })
        .catch(() => undefined);
    }
  }
}
