// What every chat handler shares: the engine, templates, stores and records, the surfaces seen so far,
// the running followers, per-thread locks, and the small lookups (template, conversation spec, checklist).

import type Keyv from "keyv";
import type { FieldExtractor } from "../conversation/extract.ts";
import type { ConversationSpec } from "../conversation/machine.ts";
import { ProfileStore } from "../conversation/profile.ts";
import { specOf } from "../conversation/spec.ts";
import { ConversationStore } from "../conversation/store.ts";
import { type KnownNames, namesToHide } from "../documents/files.ts";
import type { LinkSigner } from "../documents/links.ts";
import type { DeliveryClaims, TeacherData } from "../drivers/types.ts";
import type { EngineApi } from "../engine/api.ts";
import type { ExecutionRecord, Origin } from "../engine/records.ts";
import { type Logger, silentLogger } from "../log.ts";
import { activeConversations } from "../metrics.ts";
import { executionsOwner } from "../privacy/executions.ts";
import { forgetTeacher } from "../privacy/forget.ts";
import type { RenderedDocument, Template } from "../templates/types.ts";
import { KeyedMutex } from "../util/mutex.ts";
import { type Checklist, createChecklist } from "./checklist.ts";
import type { Inbound, OutDocument, Surface, SurfaceName, ThreadRef } from "./contract.ts";
import type { Follower } from "./follower.ts";
import { chatOwners } from "./forget.ts";
import { type HistoryEntry, historyOf } from "./history.ts";
import { type LifecycleEvent, nextPhase } from "./lifecycle.ts";
import { documentOf } from "./messages.ts";
import { Outbox } from "./outbox.ts";
import { KeyvOutboxStore, type OutboxStore } from "./outbox-store.ts";
import { ChatRecords, type ThreadRecord } from "./records.ts";
import { realTimers, type Timers } from "./throttle.ts";

export type ChatCoreOptions = {
  engine: EngineApi;
  templates: Template[];
  /** A Keyv (namespace) for the core's own records: conversations, profiles, follower cursors. */
  keyv: Keyv;
  /**
   * The store's atomic delivery claims (SharedStore.claims), so two replicas handed one delivery never both
   * act, and a replay after a restart is still caught.
   */
  claims: DeliveryClaims;
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
  /** Where the outbox records what was sent (default: `keyv`). */
  outbox?: OutboxStore;
  /** Signs "Open / print" links to a document's printable page; without it no link is shown. */
  links?: LinkSigner;
  /** The names the privacy layer knows for a run (kept out of file names); see documents' knownNames. */
  knownNames?: KnownNames;
  /**
   * The app's one forget over every owner of a teacher's data (app/runtime.ts); without it, forget covers
   * the chat's own records and the engine's executions.
   */
  forgetTeacher?: (userId: string, chat: readonly TeacherData[]) => Promise<Record<string, number>>;
};

export class ChatContext {
  readonly engine: EngineApi;
  readonly templates: Template[];
  readonly logger: Logger;
  readonly clock: { now(): number };
  readonly ttlMs: number;
  readonly timers: Timers;
  readonly progressIntervalMs: number;
  readonly records: ChatRecords;
  readonly conversations: ConversationStore;
  readonly profiles: ProfileStore;
  readonly outbox: Outbox;
  readonly extract: FieldExtractor | undefined;
  readonly links: LinkSigner | undefined;
  readonly knownNames: KnownNames | undefined;
  readonly forgetTeacher: (userId: string) => Promise<Record<string, number>>;
  readonly surfaces = new Map<SurfaceName, Surface>();
  readonly followers = new Map<string, Follower>();
  readonly locks = new KeyedMutex();
  private readonly specs = new Map<string, ConversationSpec>();
  closed = false;

  constructor(options: ChatCoreOptions) {
    this.engine = options.engine;
    this.templates = options.templates;
    this.logger = options.logger ?? silentLogger;
    this.clock = options.clock ?? { now: () => Date.now() };
    this.ttlMs = (options.conversationTtlMinutes ?? 60) * 60_000;
    this.timers = options.timers ?? realTimers;
    this.progressIntervalMs = options.progressIntervalMs ?? 1000;
    this.extract = options.extract;
    this.links = options.links;
    this.knownNames = options.knownNames;
    this.records = new ChatRecords(options.keyv, options.claims);
    this.conversations = new ConversationStore(options.keyv, this.ttlMs);
    this.profiles = new ProfileStore(options.keyv);
    this.outbox = new Outbox(options.outbox ?? new KeyvOutboxStore(options.keyv));
    const engine = this.engine;
    // The core's own stores (and their in-process locks) stand for the chat's data in the app's forget.
    const chat = chatOwners(
      {
        records: this.records,
        conversations: this.conversations,
        profiles: this.profiles,
        outbox: { delete: (s) => this.outbox.forget(s) },
      },
      async (userId) => (await engine.list({ userId, limit: 1_000_000 })).map((r) => r.id),
    );
    const own = [...chat, executionsOwner(engine)];
    const port = options.forgetTeacher;
    this.forgetTeacher = port
      ? (userId) => port(userId, chat)
      : (userId) => forgetTeacher(userId, own, {}, { action: "forget", actor: userId });
  }

  /** Moves a thread to its next phase (see lifecycle.ts); the caller saves the record. */
  transition(rec: ThreadRecord, event: LifecycleEvent): void {
    const next = nextPhase(rec.phase, event);
    if (next) rec.phase = next;
  }

  template(id: string): Template | undefined {
    return this.templates.find((t) => t.id === id);
  }

  templateFor(command: string): Template | undefined {
    return this.templates.find((t) => t.command === command || t.id === command);
  }

  commandOf(rec: ThreadRecord): string {
    return this.template(rec.templateId)?.command ?? rec.templateId;
  }

  titleOf(rec: ThreadRecord): string {
    return this.template(rec.templateId)?.title ?? rec.templateId;
  }

  spec(template: Template): ConversationSpec {
    let spec = this.specs.get(template.id);
    if (!spec) {
      spec = specOf(template);
      this.specs.set(template.id, spec);
    }
    return spec;
  }

  /** An empty checklist of the workflow version the execution runs; fallback-only steps wait until they start. */
  checklistFor(view: ExecutionRecord, title: string): Checklist {
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
      // A condition only picks the path (new document or revision): it is no work to show the teacher.
      definition.nodes
        .filter((n) => n.kind !== "condition")
        .map((n) => ({ id: n.id, ...(n.title ? { title: n.title } : {}), ...(standby.has(n.id) ? { standby: true } : {}) })),
    );
  }

  /**
   * A finished run's document as the surfaces get it (documentOf): for templates that handle student data,
   * the run's name inputs and the names the privacy layer finds in the titles are kept out of file names;
   * the printable page is linked when links are configured.
   */
  async documentFor(
    doc: RenderedDocument,
    run: { executionId: string; templateId: string; userId?: string },
    inputs: Record<string, unknown>,
    label?: string,
  ): Promise<OutDocument> {
    const names =
      this.template(run.templateId)?.studentData === false
        ? []
        : await namesToHide(doc, inputs, (await this.knownNames?.(run.executionId, run.userId)) ?? []);
    const link = this.links?.url(run.executionId);
    return documentOf(doc, label, { names, ...(link ? { link } : {}) });
  }

  /** A teacher's requests, newest first, with their short numbers (see history.ts). */
  async history(userId: string): Promise<HistoryEntry[]> {
    return historyOf(await this.engine.list({ userId, limit: 100_000 }));
  }

  /** The surface itself (not an outbox-scoped view of it) a run posts through. */
  rawSurface(surface: Surface): Surface {
    return this.surfaces.get(surface.name) ?? surface;
  }

  /** A private notice to the person behind an inbound event. */
  async tell(inbound: Inbound, text: string): Promise<void> {
    await inbound.surface.notify(inbound.place, inbound.user, { text, role: "notice" });
  }

  /** The gauge is recomputed from the stored index, so it stays right across restarts. */
  async countConversations(): Promise<void> {
    try {
      const counts = await this.conversations.countBySurface();
      for (const surface of ["console", "slack", "discord"]) activeConversations.set({ surface }, counts[surface] ?? 0);
    } catch {
      // Metrics must never break a conversation.
    }
  }
}

export function threadParts(thread: ThreadRef): { surface: string; channelId: string; threadId: string } {
  return { surface: thread.surface, channelId: thread.channelId, threadId: thread.threadId };
}

export function threadFromOrigin(origin: Origin | undefined): ThreadRef | undefined {
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

export function codeOf(error: unknown): string {
  return error instanceof Error ? ((error as { code?: string }).code ?? error.name) : "unknown";
}
