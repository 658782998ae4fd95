// The shared chat core every surface calls: commands open a thread and a guided conversation, "Run"
// starts the engine, events are rendered back into the thread; human steps, feedback drafts, profile,
// history and forget live here so Slack, Discord and the console only implement `Surface`.

import type Keyv from "keyv";
import type { FieldExtractor } from "../../conversation/extract.ts";
import { checkField, conversationFields } from "../../conversation/fields.ts";
import {
  type Answer,
  answer as answerConversation,
  type ConversationSpec,
  type ConversationState,
  reprompt as repromptConversation,
  startConversation,
  type Turn,
} from "../../conversation/machine.ts";
import { KNOWN_SUBJECTS, MAX_REQUEST_CHARS, parseRequest } from "../../conversation/parse.ts";
import { describeProfile, ProfileStore, parseProfileEdit, profileFromInputs, profileValuesFor } from "../../conversation/profile.ts";
import { ConversationStore, type StoredConversation } from "../../conversation/store.ts";
import type { EngineApi } from "../../engine/api.ts";
import type { EngineEvent, ExecutionRecord, Origin } from "../../engine/records.ts";
import { describeError, InvalidInputError } from "../../errors.ts";
import { type Logger, silentLogger } from "../../log.ts";
import { activeConversations } from "../../metrics.ts";
import type { Template } from "../../templates/types.ts";
import { KeyedMutex } from "../../util/mutex.ts";
import { commandSpecs } from "./commands.ts";
import type { ChatCore, ChatUser, CommandArgs, CommandSpec, Inbound, Surface, SurfaceName, ThreadRef } from "./contract.ts";
import { applyEvent, type Checklist, checklistFromView, createChecklist, realTimers, type Timers } from "./progress.ts";
import {
  cancelledMessage,
  documentOf,
  draftActions,
  failureMessage,
  helpMessage,
  historyMessage,
  parseActionId,
  promptMessage,
  rootFinal,
  rootMessage,
  statsMessage,
  statusMessage,
  who,
} from "./render.ts";
import { ExecutionRenderer } from "./renderer.ts";
import { ChatState, type ExecRecord, type ThreadRecord, threadKey } from "./state.ts";

export type ChatCoreOptions = {
  engine: EngineApi;
  templates: Template[];
  /** A Keyv (namespace) for the core's own records: conversations, profiles, render cursors. */
  keyv: Keyv;
  logger?: Logger;
  clock?: { now(): number };
  /** Idle minutes before a conversation expires with a notice. */
  conversationTtlMinutes?: number;
  /** Most one progress edit per this many ms. */
  progressIntervalMs?: number;
  timers?: Timers;
  /** Model-backed extraction for requests the deterministic rules can't fully place (see createModelExtractor). */
  extract?: FieldExtractor;
  /** How often idle conversations are looked for (defaults to a minute, or the TTL when shorter). */
  sweepIntervalMs?: number;
};

export type StaffroomChatCore = ChatCore & {
  /** Stops timers and renderers (pending progress edits are flushed). */
  close(): Promise<void>;
  /** Resolves once every execution being rendered is finished or waiting and everything it emitted is shown. */
  idle(): Promise<void>;
  /** Posts expiry notices for idle conversations; returns how many expired. */
  sweep(): Promise<number>;
  /** The thread a user was last active in on this surface and channel, while a conversation or run is open there. */
  activeThread(surface: SurfaceName, channelId: string, userId: string): Promise<ThreadRef | undefined>;
  /** Asks the current question of the thread's conversation again (after a restart). */
  reprompt(inbound: Inbound, thread: ThreadRef): Promise<void>;
};

const CANCEL_WORD = /^\/?(cancel|stop)$/i;
const DRAFT_WORDS = /^\/?(approve|approved|revise|regenerate)[.!]?$/i;
const REVISION_FIELDS = ["previousDraft", "revisionInstruction"];

export function createChatCore(options: ChatCoreOptions): StaffroomChatCore {
  return new Core(options);
}

class Core implements StaffroomChatCore {
  private readonly engine: EngineApi;
  private readonly templates: Template[];
  private readonly logger: Logger;
  private readonly clock: { now(): number };
  private readonly ttlMs: number;
  private readonly timers: Timers;
  private readonly progressIntervalMs: number;
  private readonly state: ChatState;
  private readonly conversations: ConversationStore;
  private readonly profiles: ProfileStore;
  private readonly specs = new Map<string, ConversationSpec>();
  private readonly surfaces = new Map<SurfaceName, Surface>();
  private readonly renderers = new Map<string, ExecutionRenderer>();
  private readonly locks = new KeyedMutex();
  private readonly sweepTimer: NodeJS.Timeout;
  private readonly extract: FieldExtractor | undefined;
  private closed = false;

  constructor(options: ChatCoreOptions) {
    this.engine = options.engine;
    this.templates = options.templates;
    this.logger = options.logger ?? silentLogger;
    this.clock = options.clock ?? { now: () => Date.now() };
    this.ttlMs = (options.conversationTtlMinutes ?? 60) * 60_000;
    this.timers = options.timers ?? realTimers;
    this.progressIntervalMs = options.progressIntervalMs ?? 1000;
    this.extract = options.extract;
    this.state = new ChatState(options.keyv);
    this.conversations = new ConversationStore(options.keyv, this.ttlMs);
    this.profiles = new ProfileStore(options.keyv);
    for (const t of this.templates) {
      if (!this.engine.workflow(t.workflow.definition.id)) this.engine.register(t.workflow);
    }
    const every = options.sweepIntervalMs ?? Math.min(60_000, this.ttlMs);
    this.sweepTimer = setInterval(() => void this.sweep().catch(() => undefined), every);
    this.sweepTimer.unref();
  }

  // ---- ChatCore -------------------------------------------------------------------------------

  private commandList: CommandSpec[] | undefined;

  /** Built once: the templates are fixed for the core's lifetime, and surfaces ask on every command. */
  commands(): CommandSpec[] {
    this.commandList ??= commandSpecs(this.templates);
    return this.commandList;
  }

  async command(inbound: Inbound, name: string, args: CommandArgs): Promise<void> {
    await this.guard(inbound, async () => {
      this.surfaces.set(inbound.surface.name, inbound.surface);
      if (!(await this.state.firstDelivery(inbound.surface.name, inbound.dedupeKey))) return;
      const command = name.replace(/^\/+/, "").trim().toLowerCase();
      if (command === "staffroom") return this.staffroom(inbound, args);
      const template = this.templates.find((t) => t.command === command || t.id === command);
      if (!template) {
        await this.tell(inbound, `I don't know /${clip(command, 40)}. Try /staffroom help to see what I can do.`);
        return;
      }
      await this.startRequest(inbound, template, args);
    });
  }

  async message(inbound: Inbound, thread: ThreadRef, text: string): Promise<void> {
    await this.guard(inbound, async () => {
      this.surfaces.set(inbound.surface.name, inbound.surface);
      if (!(await this.state.firstDelivery(inbound.surface.name, inbound.dedupeKey))) return;
      await this.locks.run(threadKey(thread), () =>
        this.onReply(inbound, thread, { kind: "text", text: text.slice(0, MAX_REQUEST_CHARS * 4) }),
      );
    });
  }

  async action(inbound: Inbound, thread: ThreadRef, actionId: string, value: string): Promise<void> {
    await this.guard(inbound, async () => {
      this.surfaces.set(inbound.surface.name, inbound.surface);
      if (!(await this.state.firstDelivery(inbound.surface.name, inbound.dedupeKey))) return;
      const parsed = parseActionId(actionId);
      if (!parsed) {
        await this.tell(inbound, "That button is no longer in use.");
        return;
      }
      await this.locks.run(threadKey(thread), async () => {
        const rec = await this.state.thread(thread);
        if (!rec) {
          await this.tell(inbound, "That request is no longer available.");
          return;
        }
        switch (parsed.kind) {
          case "conv":
            return this.onReply(inbound, thread, {
              kind: "option",
              key: parsed.key,
              value,
              ...(parsed.field ? { field: parsed.field } : {}),
            });
          case "human":
            return this.answerHuman(inbound, rec, parsed.executionId, parsed.nodeId, value);
          case "draft":
            return this.onDraftAction(inbound, rec, parsed.verb, parsed.version);
          case "cancel-run":
            return this.cancelRun(inbound, rec, parsed.executionId);
        }
      });
    });
  }

  async complete(user: ChatUser, command: string, fieldName: string, partial: string): Promise<{ value: string; label: string }[]> {
    try {
      const template = this.templates.find((t) => t.command === command || t.id === command);
      const field = template ? this.spec(template).fields.find((f) => f.name === fieldName) : undefined;
      if (!template || !field) return [];
      const needle = partial.trim().toLowerCase().slice(0, 100);
      const matches = (label: string) => needle === "" || label.toLowerCase().includes(needle);
      if (field.choices) return field.choices.filter((c) => matches(c.label) || matches(c.value)).slice(0, 25);
      const seen = new Set<string>();
      const out: { value: string; label: string }[] = [];
      const add = (value: unknown) => {
        if (typeof value !== "string" || value.trim() === "" || seen.has(value.toLowerCase()) || !matches(value)) return;
        if (!checkField(field, value).ok) return;
        seen.add(value.toLowerCase());
        out.push({ value: value.slice(0, 100), label: value.slice(0, 100) });
      };
      const profile = await this.profiles.get(user.id);
      if (/subject/i.test(field.name)) add(profile.subject);
      for (const r of await this.engine.list({ userId: user.id, limit: 50 })) add(r.inputs[field.name]);
      if (/subject/i.test(field.name)) for (const s of KNOWN_SUBJECTS) add(s);
      return out.slice(0, 25);
    } catch (error) {
      this.logger.warn({ err: codeOf(error) }, "completion failed");
      return [];
    }
  }

  async attach(surface: Surface): Promise<void> {
    this.surfaces.set(surface.name, surface);
    const ids = new Set(await this.state.openRenders());
    for (const r of await this.engine.list({ status: ["pending", "running", "waiting"], limit: 1000 })) {
      if (!r.parent && r.origin?.surface === surface.name) ids.add(r.id);
    }
    for (const id of ids) {
      if (this.renderers.has(id)) continue;
      try {
        let rec = await this.state.exec(id);
        if (!rec) {
          const header = await this.engine.get(id);
          const thread = header ? threadFromOrigin(header.origin) : undefined;
          if (!header || !thread || thread.surface !== surface.name) continue;
          rec = {
            executionId: id,
            thread,
            templateId: header.templateId,
            userId: header.userId,
            cursor: 0,
            waits: {},
            done: false,
            purpose: "first",
          };
        }
        if (rec.thread.surface !== surface.name || rec.done) continue;
        await this.startRenderer(rec, surface);
      } catch (error) {
        this.logger.warn({ executionId: id, err: codeOf(error) }, "could not resume rendering");
      }
    }
  }

  async owns(thread: ThreadRef): Promise<boolean> {
    return (await this.state.thread(thread)) !== undefined;
  }

  // ---- extras -------------------------------------------------------------------------------

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweepTimer);
    const renderers = [...this.renderers.values()];
    this.renderers.clear();
    await Promise.all(renderers.map((r) => r.stop({ flush: true }).catch(() => undefined)));
  }

  async idle(): Promise<void> {
    for (let round = 0; round < 10_000; round++) {
      let busy = false;
      for (const renderer of [...this.renderers.values()]) {
        const view = await this.engine.get(renderer.executionId);
        if (view && (view.status === "running" || view.status === "pending")) {
          await this.engine.wait(renderer.executionId, { untilWaiting: true }).catch(() => undefined);
          busy = true;
        }
        if (await renderer.behind()) {
          busy = true;
          await renderer.drained();
          await new Promise<void>((r) => setImmediate(r));
        }
      }
      if (!busy) return;
    }
  }

  async sweep(): Promise<number> {
    if (this.closed) return 0;
    const now = this.clock.now();
    let count = 0;
    await this.countConversations();
    for (const conv of await this.conversations.expired(now)) {
      const surface = this.surfaces.get(conv.surface as SurfaceName);
      if (!surface) continue;
      const thread: ThreadRef = { surface: surface.name, channelId: conv.channelId, threadId: conv.threadId };
      await this.locks.run(threadKey(thread), async () => {
        const current = await this.conversations.get(conv);
        if (!current || !this.conversations.isExpired(current, this.clock.now())) return;
        await this.expire(surface, thread, current);
        count++;
      });
    }
    if (count > 0) await this.countConversations();
    return count;
  }

  async activeThread(surface: SurfaceName, channelId: string, userId: string): Promise<ThreadRef | undefined> {
    const thread = await this.state.last(userId, surface, channelId);
    if (!thread) return undefined;
    const rec = await this.state.thread(thread);
    return rec && (rec.phase === "conversation" || rec.phase === "running" || rec.draft) ? thread : undefined;
  }

  async reprompt(inbound: Inbound, thread: ThreadRef): Promise<void> {
    await this.guard(inbound, async () => {
      this.surfaces.set(inbound.surface.name, inbound.surface);
      await this.locks.run(threadKey(thread), async () => {
        const rec = await this.state.thread(thread);
        if (rec?.phase !== "conversation" || rec.userId !== inbound.user.id) return;
        const conv = await this.conversations.get({ ...threadParts(thread), userId: rec.userId });
        const template = this.template(rec.templateId);
        if (!conv || !template) return;
        if (this.conversations.isExpired(conv, this.clock.now())) {
          await this.expire(inbound.surface, thread, conv);
          return;
        }
        await inbound.surface.post(thread, { text: "Picking up where we left off:", role: "notice" });
        await this.postPrompts(inbound.surface, thread, repromptConversation(this.spec(template), conv.state));
      });
    });
  }

  // ---- requests and conversations ------------------------------------------------------------

  private async startRequest(inbound: Inbound, template: Template, args: CommandArgs): Promise<void> {
    const { surface, user, place } = inbound;
    const spec = this.spec(template);
    const fullText = `${args.text ?? ""}${typeof args.fields?.text === "string" ? ` ${args.fields.text}` : ""}`.trim();
    const text = fullText.slice(0, MAX_REQUEST_CHARS);
    const typed: Record<string, unknown> = {};
    const typedErrors: string[] = [];
    for (const [name, value] of Object.entries(args.fields ?? {})) {
      const field = spec.fields.find((f) => f.name === name);
      if (!field) continue;
      const check = checkField(field, value);
      if (check.ok && check.value !== undefined) typed[name] = check.value;
      else if (!check.ok) typedErrors.push(`${field.label}: ${check.message}`);
    }
    let thread: ThreadRef;
    try {
      thread = await surface.openThread(place, user, rootMessage(template.title, user, text, template.studentData));
    } catch (error) {
      this.logger.warn({ surface: surface.name, err: codeOf(error) }, "could not open a thread");
      await this.tell(
        inbound,
        `I couldn't start a thread here (${describeError(error)}). Try again in a channel I'm a member of, or in a direct message.`,
      );
      return;
    }
    // Requests about a student may name them, and names never go to a model: no model extraction there.
    const extracted = template.studentData ? {} : await this.extractFields(text, spec, typed);
    const profile = profileValuesFor(spec.fields, await this.profiles.get(user.id));
    const turn = startConversation(spec, { text: fullText, values: { ...extracted, ...typed }, profile });
    await this.locks.run(threadKey(thread), async () => {
      const previous = await this.state.thread(thread);
      if (previous?.phase === "running") {
        // One thing at a time per thread (a surface may reuse the thread a command was typed in).
        await surface.post(thread, {
          text: "A request is still running in this thread; wait for it to finish or type cancel, then try again.",
          role: "notice",
        });
        return;
      }
      if (previous?.phase === "conversation") {
        await this.conversations.delete({ ...threadParts(thread), userId: previous.userId });
        await surface.post(thread, { text: "The earlier request in this thread was replaced by this one.", role: "notice" });
      }
      const now = this.clock.now();
      const rec: ThreadRecord = {
        thread,
        userId: user.id,
        userName: who(user),
        templateId: template.id,
        phase: "conversation",
        executionIds: [],
        createdAt: now,
      };
      await this.state.putThread(rec);
      await this.state.indexUser(user.id, { thread });
      await this.state.setLast(user.id, thread);
      this.logger.info({ surface: surface.name, templateId: template.id, userId: user.id }, "request started");
      const prompts = [...typedErrors.map((e) => ({ kind: "error" as const, text: e })), ...turn.prompts];
      await this.applyTurn(inbound, rec, { ...turn, prompts }, now);
    });
  }

  private async extractFields(text: string, spec: ConversationSpec, typed: Record<string, unknown>): Promise<Record<string, unknown>> {
    if (!this.extract || text === "") return {};
    const parsed = parseRequest(text, spec.fields);
    const missing = spec.fields.filter((f) => f.required && !(f.name in parsed.values) && !(f.name in typed));
    if (missing.length === 0 && parsed.unused === "") return {};
    try {
      const raw = await this.extract(text, spec.fields);
      const out: Record<string, unknown> = {};
      for (const field of spec.fields) {
        if (field.name in parsed.values || raw[field.name] === undefined || raw[field.name] === null) continue;
        const check = checkField(field, raw[field.name]);
        if (check.ok && check.value !== undefined) out[field.name] = check.value;
      }
      return out;
    } catch (error) {
      this.logger.warn({ err: codeOf(error) }, "field extraction failed; using the deterministic parse only");
      return {};
    }
  }

  /** A reply (typed or clicked) in a thread the bot opened. */
  private async onReply(inbound: Inbound, thread: ThreadRef, input: Answer): Promise<void> {
    const rec = await this.state.thread(thread);
    if (!rec) return;
    const owner = rec.userId === inbound.user.id;
    const text = input.kind === "text" ? input.text.trim() : "";
    switch (rec.phase) {
      case "conversation": {
        if (!owner) {
          await this.tell(
            inbound,
            `This request belongs to ${rec.userName}, so only they can answer its questions. Start your own with /${this.commandOf(rec)}.`,
          );
          return;
        }
        const key = { ...threadParts(thread), userId: rec.userId };
        const conv = await this.conversations.get(key);
        const template = this.template(rec.templateId);
        if (!conv || !template) {
          rec.phase = "expired";
          await this.state.putThread(rec);
          await this.tell(inbound, `This conversation is no longer available. Start again with /${this.commandOf(rec)}.`);
          return;
        }
        if (this.conversations.isExpired(conv, this.clock.now())) {
          await this.expire(inbound.surface, thread, conv);
          return;
        }
        const turn = answerConversation(this.spec(template), conv.state, input);
        await this.applyTurn(inbound, rec, turn, conv.createdAt);
        return;
      }
      case "running": {
        const execId = rec.executionIds.at(-1);
        const er = execId ? await this.state.exec(execId) : undefined;
        const waits = Object.entries(er?.waits ?? {});
        if (input.kind === "text" && waits.length > 0 && !(owner && CANCEL_WORD.test(text))) {
          const [nodeId, wait] = waits[0]!;
          await this.answerHuman(inbound, rec, wait.executionId, nodeId, text);
          return;
        }
        if (!owner) return;
        if (input.kind === "text" && CANCEL_WORD.test(text) && execId) {
          await this.cancelRun(inbound, rec, execId);
          return;
        }
        if (input.kind === "option") {
          await this.tell(inbound, "That button belongs to an earlier question.");
          return;
        }
        await this.tell(inbound, "I'm still working on this; the result will appear in this thread. Type cancel to stop it.");
        return;
      }
      case "done": {
        if (!owner) return;
        const template = this.template(rec.templateId);
        if (template?.revisable && rec.draft && input.kind === "text" && text !== "") {
          if (CANCEL_WORD.test(text)) {
            rec.draft.awaitingInstruction = false;
            await this.state.putThread(rec);
            await this.tell(inbound, "OK, no revision.");
            return;
          }
          // The buttons' words typed on their own act like the buttons (on the latest version).
          const verb = DRAFT_WORDS.exec(text)?.[1]?.toLowerCase();
          const latest = rec.draft.versions.at(-1);
          if (verb && latest && !rec.draft.awaitingInstruction) {
            await this.onDraftAction(
              inbound,
              rec,
              verb.startsWith("approve") ? "approve" : verb === "revise" ? "revise" : "regenerate",
              latest.n,
            );
            return;
          }
          await this.revise(inbound, rec, template, text);
          return;
        }
        await this.tell(inbound, `This request is finished. Start a new one with /${this.commandOf(rec)}.`);
        return;
      }
      default:
        if (owner) await this.tell(inbound, `This request was ${rec.phase}. Start a new one with /${this.commandOf(rec)}.`);
    }
  }

  /** Persists a conversation turn, posts its prompts and acts on its outcome. */
  private async applyTurn(inbound: Inbound, rec: ThreadRecord, turn: Turn, createdAt: number): Promise<void> {
    try {
      await this.applyTurnInner(inbound, rec, turn, createdAt);
    } finally {
      if (turn.outcome || turn.state.asked.length === 0) await this.countConversations();
    }
  }

  private async applyTurnInner(inbound: Inbound, rec: ThreadRecord, turn: Turn, createdAt: number): Promise<void> {
    const { surface } = inbound;
    const key = { ...threadParts(rec.thread), userId: rec.userId };
    if (turn.outcome?.kind === "cancelled") {
      await this.conversations.delete(key);
      rec.phase = "cancelled";
      await this.state.putThread(rec);
      await this.postPrompts(surface, rec.thread, turn.prompts);
      await surface
        .editRoot(rec.thread, { text: `**${this.titleOf(rec)}** requested by ${rec.userName}: ⛔ cancelled`, role: "root" })
        .catch(() => undefined);
      return;
    }
    if (turn.outcome?.kind === "run") {
      const template = this.template(rec.templateId);
      if (!template) return;
      await this.postPrompts(surface, rec.thread, turn.prompts);
      const started = await this.startExecution(inbound, rec, template, turn.outcome.values, "first");
      if (started) {
        await this.conversations.delete(key);
        const spec = this.spec(template);
        const remembered = profileFromInputs(spec.fields, turn.outcome.values);
        if (Object.keys(remembered).length > 0) await this.profiles.update(rec.userId, remembered, this.clock.now());
      } else {
        // Back to the summary so the teacher can fix what the engine refused.
        const state: ConversationState = { ...turn.state, step: { kind: "summary" } };
        await this.saveConversation(rec, state, createdAt);
        await this.postPrompts(surface, rec.thread, repromptConversation(this.spec(template), state));
      }
      return;
    }
    await this.saveConversation(rec, turn.state, createdAt);
    await this.postPrompts(surface, rec.thread, turn.prompts);
  }

  /** The gauge is recomputed from the stored index, so it stays right across restarts. */
  private async countConversations(): Promise<void> {
    try {
      const counts = await this.conversations.countBySurface();
      for (const surface of ["console", "slack", "discord"]) activeConversations.set({ surface }, counts[surface] ?? 0);
    } catch {
      // Metrics must never break a conversation.
    }
  }

  private async saveConversation(rec: ThreadRecord, state: ConversationState, createdAt: number): Promise<void> {
    const conv: StoredConversation = {
      ...threadParts(rec.thread),
      userId: rec.userId,
      templateId: rec.templateId,
      state,
      createdAt,
      updatedAt: this.clock.now(),
    };
    await this.conversations.put(conv);
  }

  private async postPrompts(surface: Surface, thread: ThreadRef, prompts: Turn["prompts"]): Promise<void> {
    for (const prompt of prompts) await surface.post(thread, promptMessage(prompt));
  }

  private async expire(surface: Surface, thread: ThreadRef, conv: StoredConversation): Promise<void> {
    await this.conversations.delete(conv);
    const rec = await this.state.thread(thread);
    const command = rec ? this.commandOf(rec) : (this.template(conv.templateId)?.command ?? conv.templateId);
    if (rec) {
      rec.phase = "expired";
      await this.state.putThread(rec);
    }
    const minutes = Math.round(this.ttlMs / 60_000);
    await surface
      .post(thread, {
        text: `This request expired after ${minutes} minute${minutes === 1 ? "" : "s"} without an answer; nothing was run. Start again with /${command}.`,
        role: "notice",
      })
      .catch(() => undefined);
    if (rec)
      await surface
        .editRoot(thread, { text: `**${this.titleOf(rec)}** requested by ${rec.userName}: expired`, role: "root" })
        .catch(() => undefined);
    this.logger.info({ surface: surface.name, templateId: conv.templateId }, "conversation expired");
  }

  // ---- executions ---------------------------------------------------------------------------

  private async startExecution(
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
    };
    let record: ExecutionRecord;
    try {
      record = await this.engine.start(template.workflow.definition.id, {
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
      this.logger.warn({ templateId: template.id, err: codeOf(error) }, "could not start execution");
      await inbound.surface.post(rec.thread, { text: `I couldn't start this request: ${detail}`, role: "error" });
      return false;
    }
    rec.phase = "running";
    if (!rec.executionIds.includes(record.id)) rec.executionIds.push(record.id);
    await this.state.putThread(rec);
    await this.state.indexUser(rec.userId, { executionId: record.id });
    this.logger.info({ executionId: record.id, templateId: template.id, surface: rec.thread.surface }, "execution started from chat");
    if (this.renderers.has(record.id)) return true;
    const er: ExecRecord = {
      executionId: record.id,
      thread: rec.thread,
      templateId: template.id,
      userId: rec.userId,
      cursor: 0,
      waits: {},
      done: false,
      purpose,
      ...(instruction ? { instruction } : {}),
    };
    await this.state.putExec(er);
    await this.startRenderer(er, inbound.surface);
    return true;
  }

  private async startRenderer(er: ExecRecord, surface: Surface): Promise<void> {
    const view = await this.engine.get(er.executionId);
    if (!view) {
      await this.state.deleteExec(er.executionId);
      return;
    }
    const template = this.template(er.templateId);
    // The checklist is the fold of the events rendered so far; newer ones replay through the renderer.
    let checklist = this.checklistFor(view, template?.title ?? view.title);
    if (er.cursor > 0) {
      for (const event of await this.engine.events(er.executionId, 1)) if (event.seq <= er.cursor) checklist = applyEvent(checklist, event);
    }
    const renderer = new ExecutionRenderer(
      {
        engine: this.engine,
        state: this.state,
        logger: this.logger,
        timers: this.timers,
        progressIntervalMs: this.progressIntervalMs,
        finished: (rec, event, s) => this.finished(rec, event, s),
        released: (id) => {
          if (this.renderers.get(id) === renderer) this.renderers.delete(id);
        },
      },
      er,
      surface,
      template,
      checklist,
    );
    this.renderers.set(er.executionId, renderer);
    await renderer.start();
  }

  /** The run reached its end: post the document (or draft), a failure sentence, or the cancellation. */
  private async finished(er: ExecRecord, event: EngineEvent, surface: Surface): Promise<void> {
    const thread = er.thread;
    await this.locks.run(threadKey(thread), async () => {
      const rec = await this.state.thread(thread);
      const view = await this.engine.get(er.executionId);
      const template = this.template(er.templateId);
      if (!rec || !view || !template) return;
      const offline = view.provider === "offline";
      // A newer run (or conversation) in the same thread owns its phase; this one only reports its end.
      const latest = rec.executionIds.at(-1) === er.executionId && rec.phase === "running";
      if (event.type === "execution.completed") {
        try {
          const doc = template.render(view);
          if (template.revisable) await this.postDraft(surface, rec, er, view.inputs, doc);
          else await surface.postDocument(thread, documentOf(doc));
        } catch (error) {
          this.logger.warn({ executionId: er.executionId, err: codeOf(error) }, "rendering the document failed");
          await surface.post(
            thread,
            failureMessage(er.executionId, { message: "the finished document could not be laid out" }, template.command),
          );
        }
        if (latest) rec.phase = "done";
      } else if (event.type === "execution.failed") {
        const error = (event.data?.error as { code?: string; message?: string } | undefined) ?? view.error;
        await surface.post(thread, failureMessage(er.executionId, error, template.command));
        if (latest) rec.phase = "done";
      } else {
        await surface.post(thread, cancelledMessage(er.executionId));
        if (latest) rec.phase = rec.draft ? "done" : "cancelled";
      }
      await this.state.putThread(rec);
      const latestDraft = rec.draft?.versions.at(-1);
      const title =
        template.revisable && latestDraft && event.type === "execution.completed"
          ? `${template.title} (draft v${latestDraft.n})`
          : template.title;
      if (latest)
        await surface.editRoot(thread, rootFinal(title, rec.userName, view.status, view.durationMs, offline)).catch(() => undefined);
      this.logger.info({ executionId: er.executionId, status: view.status }, "execution rendered");
    });
  }

  private async postDraft(
    surface: Surface,
    rec: ThreadRecord,
    er: ExecRecord,
    inputs: Record<string, unknown>,
    doc: ReturnType<Template["render"]>,
  ): Promise<void> {
    const draft = rec.draft ?? {
      inputs: Object.fromEntries(Object.entries(inputs).filter(([k]) => !REVISION_FIELDS.includes(k))),
      versions: [],
    };
    const n = (draft.versions.at(-1)?.n ?? 0) + 1;
    await surface.postDocument(rec.thread, documentOf(doc, `Draft v${n}`));
    const previous = draft.versions.at(-1);
    if (previous?.ref && draft.approved !== previous.n)
      await surface.edit(previous.ref, draftActions(previous.n, "superseded")).catch(() => undefined);
    const ref = await surface.post(rec.thread, draftActions(n, "open"));
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

  private async revise(inbound: Inbound, rec: ThreadRecord, template: Template, instruction: string): Promise<void> {
    const draft = rec.draft;
    const latest = draft?.versions.at(-1);
    if (!draft || !latest) return;
    const clipped = instruction.slice(0, 1000);
    const inputs = { ...draft.inputs, previousDraft: latest.markdown, revisionInstruction: clipped };
    await inbound.surface.post(rec.thread, { text: `Revising draft v${latest.n}: "${clip(clipped, 200)}"`, role: "notice" });
    draft.awaitingInstruction = false;
    await this.startExecution(inbound, rec, template, inputs, "revision", clipped);
  }

  private async onDraftAction(
    inbound: Inbound,
    rec: ThreadRecord,
    verb: "approve" | "revise" | "regenerate",
    version: number,
  ): Promise<void> {
    if (rec.userId !== inbound.user.id) {
      await this.tell(inbound, `Only ${rec.userName} can approve or revise this draft.`);
      return;
    }
    const template = this.template(rec.templateId);
    const draft = rec.draft;
    const target = draft?.versions.find((v) => v.n === version);
    if (!template || !draft || !target) {
      await this.tell(inbound, "That draft is no longer available.");
      return;
    }
    if (rec.phase === "running") {
      await this.tell(inbound, "A new version is being written; wait for it to land first.");
      return;
    }
    if (verb === "approve") {
      if (draft.approved === version) return;
      draft.approved = version;
      await this.state.putThread(rec);
      if (target.ref) await inbound.surface.edit(target.ref, draftActions(version, "approved", rec.userName));
      for (const other of draft.versions) {
        if (other.n !== version && other.ref)
          await inbound.surface.edit(other.ref, draftActions(other.n, "superseded")).catch(() => undefined);
      }
      await inbound.surface
        .editRoot(rec.thread, { text: `**${template.title}** requested by ${rec.userName}: ✅ draft v${version} approved`, role: "root" })
        .catch(() => undefined);
      this.logger.info({ templateId: template.id, version }, "draft approved");
      return;
    }
    if (verb === "revise") {
      draft.awaitingInstruction = true;
      await this.state.putThread(rec);
      await inbound.surface.post(rec.thread, {
        text: `What should change in draft v${version}? Reply in this thread with your instruction.`,
        role: "question",
      });
      return;
    }
    await inbound.surface.post(rec.thread, { text: `Writing a fresh version from the original request.`, role: "notice" });
    await this.startExecution(inbound, rec, template, { ...draft.inputs }, "regenerate");
  }

  private async answerHuman(inbound: Inbound, rec: ThreadRecord, executionId: string, nodeId: string, raw: string): Promise<void> {
    const er = await this.state.exec(rec.executionIds.at(-1) ?? "");
    const wait = er?.waits[nodeId];
    let value = raw.trim();
    if (wait?.choices?.length) {
      const lower = value.toLowerCase();
      const choice = wait.choices.find((c) => c.value.toLowerCase() === lower || c.label.toLowerCase() === lower);
      if (!choice) {
        await this.tell(inbound, `Please choose one of: ${wait.choices.map((c) => c.label).join(", ")}.`);
        return;
      }
      value = choice.value;
    }
    const result = await this.engine.resume(executionId, nodeId, value, { userId: inbound.user.id });
    if (result.accepted) return;
    const text =
      result.reason === "not_allowed"
        ? `Sorry, this question is for ${rec.userName}.`
        : result.reason === "already_answered" || result.reason === "not_waiting"
          ? "That question has already been answered."
          : result.reason === "invalid_answer"
            ? `That answer doesn't fit: ${result.message}`
            : "That request is no longer available.";
    await this.tell(inbound, text);
  }

  private async cancelRun(inbound: Inbound, rec: ThreadRecord, executionId: string): Promise<void> {
    if (rec.userId !== inbound.user.id) {
      await this.tell(inbound, `Only ${rec.userName} can cancel this request.`);
      return;
    }
    const cancelled = await this.engine.cancel(executionId);
    if (!cancelled) await this.tell(inbound, "That request has already finished.");
  }

  // ---- /staffroom ---------------------------------------------------------------------------

  private async staffroom(inbound: Inbound, args: CommandArgs): Promise<void> {
    const text = (args.text ?? "").trim().slice(0, MAX_REQUEST_CHARS);
    const fieldSub = typeof args.fields?.subcommand === "string" ? args.fields.subcommand : undefined;
    const [first = "help", ...restWords] = text.split(/\s+/).filter(Boolean);
    const sub = (fieldSub ?? first).toLowerCase();
    const fieldArg = Object.entries(args.fields ?? {}).find(([k]) => k !== "subcommand")?.[1];
    const rest = fieldSub ? (fieldArg !== undefined ? String(fieldArg) : text) : restWords.join(" ");
    const userId = inbound.user.id;
    switch (sub) {
      case "help":
        await inbound.surface.notify(inbound.place, inbound.user, helpMessage(this.commands()));
        return;
      case "status": {
        const id = rest.trim();
        if (!id) return this.tell(inbound, "Which request? Use /staffroom status <id> (ids are listed by /staffroom history).");
        const view = await this.engine.get(id);
        if (!view || view.userId !== userId) return this.tell(inbound, `None of your requests has the id "${clip(id, 60)}".`);
        const list = checklistFromView(this.checklistFor(view, view.title), view);
        await inbound.surface.notify(inbound.place, inbound.user, statusMessage(view, list));
        return;
      }
      case "history":
        await inbound.surface.notify(inbound.place, inbound.user, historyMessage(await this.engine.list({ userId, limit: 10 })));
        return;
      case "stats":
        await inbound.surface.notify(inbound.place, inbound.user, statsMessage(await this.engine.stats()));
        return;
      case "profile": {
        if (rest === "") {
          await inbound.surface.notify(inbound.place, inbound.user, {
            text: describeProfile(await this.profiles.get(userId)),
            role: "notice",
          });
          return;
        }
        if (/^(clear|reset|delete)$/i.test(rest)) {
          await this.profiles.delete(userId);
          return this.tell(inbound, "Your profile is cleared.");
        }
        const edit = parseProfileEdit(rest);
        if (!edit.ok) return this.tell(inbound, edit.message);
        const profile = await this.profiles.update(userId, edit.changes, this.clock.now());
        await inbound.surface.notify(inbound.place, inbound.user, { text: `Saved.\n${describeProfile(profile)}`, role: "notice" });
        return;
      }
      case "forget":
        return this.forget(inbound);
      case "cancel": {
        const id = rest.trim();
        if (!id) return this.tell(inbound, "Which request? Use /staffroom cancel <id>, or type cancel in its thread.");
        const view = await this.engine.get(id);
        if (!view || view.userId !== userId) return this.tell(inbound, `None of your requests has the id "${clip(id, 60)}".`);
        const cancelled = await this.engine.cancel(id);
        return this.tell(inbound, cancelled ? `Cancelled request ${id}.` : `Request ${id} had already finished (${view.status}).`);
      }
      default:
        return this.tell(inbound, `I don't know "/staffroom ${clip(sub, 40)}". Try /staffroom help.`);
    }
  }

  /** Deletes everything kept about a teacher: profile, conversations, thread records, executions. */
  private async forget(inbound: Inbound): Promise<void> {
    const userId = inbound.user.id;
    const index = await this.state.user(userId);
    const mine = new Set([...index.executions, ...(await this.engine.list({ userId, limit: 10_000 })).map((r) => r.id)]);
    for (const id of mine) {
      const renderer = this.renderers.get(id);
      if (renderer) {
        this.renderers.delete(id);
        await renderer.stop();
      }
    }
    const conversations = await this.conversations.deleteUser(userId);
    await this.state.deleteUser(userId);
    const hadProfile = await this.profiles.delete(userId);
    const executions = await this.engine.forgetUser(userId);
    await this.countConversations();
    this.logger.info({ userId, conversations, executions }, "teacher data forgotten");
    await this.tell(
      inbound,
      `Done: I deleted ${hadProfile ? "your profile, " : ""}${conversations} conversation${conversations === 1 ? "" : "s"} and ${executions} request${executions === 1 ? "" : "s"} (with their inputs and results).`,
    );
  }

  // ---- helpers --------------------------------------------------------------------------------

  private spec(template: Template): ConversationSpec {
    let spec = this.specs.get(template.id);
    if (!spec) {
      const fields = conversationFields(template.inputSchema);
      spec = {
        templateId: template.id,
        command: template.command,
        title: template.title,
        fields,
        validate: (values) => {
          const parsed = template.inputSchema.safeParse(values);
          if (parsed.success) return { ok: true, values: parsed.data as Record<string, unknown> };
          const issue = parsed.error.issues[0];
          const name = typeof issue?.path[0] === "string" ? issue.path[0] : undefined;
          const field = fields.find((f) => f.name === name);
          return {
            ok: false,
            message: `${field ? `${field.label}: ` : ""}${issue?.message ?? "something doesn't fit"}`,
            ...(field ? { field: field.name } : {}),
          };
        },
      };
      this.specs.set(template.id, spec);
    }
    return spec;
  }

  /** An empty checklist of the workflow version the execution runs; fallback-only steps wait until they start. */
  private checklistFor(view: ExecutionRecord, title: string): Checklist {
    const definition = this.engine.workflow(view.templateId, view.version)?.definition ?? this.engine.workflow(view.templateId)?.definition;
    if (!definition)
      return createChecklist(
        title,
        view.nodeIds.map((id) => ({ id })),
      );
    const standby = new Set(definition.nodes.flatMap((n) => (n.onError ? [n.onError] : [])));
    if (definition.onFailure) standby.add(definition.onFailure);
    return createChecklist(
      title,
      definition.nodes.map((n) => ({ id: n.id, ...(n.title ? { title: n.title } : {}), ...(standby.has(n.id) ? { standby: true } : {}) })),
    );
  }

  private template(id: string): Template | undefined {
    return this.templates.find((t) => t.id === id);
  }

  private commandOf(rec: ThreadRecord): string {
    return this.template(rec.templateId)?.command ?? rec.templateId;
  }

  private titleOf(rec: ThreadRecord): string {
    return this.template(rec.templateId)?.title ?? rec.templateId;
  }

  private async tell(inbound: Inbound, text: string): Promise<void> {
    await inbound.surface.notify(inbound.place, inbound.user, { text, role: "notice" });
  }

  /** Nothing a teacher does may crash the process or show a stack trace. */
  private async guard(inbound: Inbound, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (error) {
      this.logger.error(
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

function threadParts(thread: ThreadRef): { surface: string; channelId: string; threadId: string } {
  return { surface: thread.surface, channelId: thread.channelId, threadId: thread.threadId };
}

function threadFromOrigin(origin: Origin | undefined): ThreadRef | undefined {
  if (!origin) return undefined;
  const { surface, channelId, threadId } = origin;
  if (
    (surface !== "console" && surface !== "slack" && surface !== "discord") ||
    typeof channelId !== "string" ||
    typeof threadId !== "string"
  )
    return undefined;
  return { surface, channelId, threadId };
}

function codeOf(error: unknown): string {
  return error instanceof Error ? ((error as { code?: string }).code ?? error.name) : "unknown";
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}
