// Follows one execution into its thread: a progress checklist edited in place (throttled), each step's
// result as it lands, human questions as buttons, and hands the terminal event to the core. Every post
// goes through the outbox keyed by the event's sequence, and the cursor advances in the same write as the
// platform id, so after a crash and restart following resumes without a repeat or a gap.
import type { EngineApi } from "../engine/api.ts";
import type { EngineEvent, ExecutionView } from "../engine/records.ts";
import type { Logger } from "../log.ts";
import type { Template } from "../templates/types.ts";
import { applyEvent, type Checklist } from "./checklist.ts";
import type { MessageRef, Surface } from "./contract.ts";
import { answeredMessage, humanQuestion, progressMessage } from "./messages.ts";
import type { Outbox, Slot } from "./outbox.ts";
import type { ChatRecords, ExecRecord, PendingWait } from "./records.ts";
import { Throttle, type Timers } from "./throttle.ts";

export type FollowerDeps = {
  engine: EngineApi;
  records: ChatRecords;
  outbox: Outbox;
  logger: Logger;
  timers: Timers;
  progressIntervalMs: number;
  /** Called once with the execution's terminal event, after the final checklist is shown. */
  finished(rec: ExecRecord, event: EngineEvent, surface: Surface): Promise<void>;
  /** Called last, once everything about the execution has been posted and saved. */
  released(executionId: string): void;
};

const PROGRESS_KEY = "progress";

export class Follower {
  private queue: Promise<void> = Promise.resolve();
  private queued = 0;
  private unsubscribe: (() => void) | undefined;
  private readonly throttle: Throttle;
  private stopped = false;

  constructor(
    private readonly deps: FollowerDeps,
    readonly rec: ExecRecord,
    private readonly surface: Surface,
    private readonly template: Template | undefined,
    private checklist: Checklist,
    /** The last event sequence fully posted (the outbox stream's cursor). */
    private cursor: number,
  ) {
    this.throttle = new Throttle(deps.progressIntervalMs, () => this.editProgress(), deps.timers);
  }

  get executionId(): string {
    return this.rec.executionId;
  }

  private slot(key: string, cursor?: number): Slot {
    return { stream: this.rec.executionId, key, ...(cursor !== undefined ? { cursor } : {}) };
  }

  /** Posts the progress message (once, across restarts), then replays stored events after the cursor and follows live ones. */
  async start(): Promise<void> {
    try {
      const message = progressMessage(this.checklist, true, this.rec.executionId);
      this.rec.progressRef = await this.deps.outbox.post(this.surface, this.rec.thread, message, this.slot(PROGRESS_KEY));
    } catch (error) {
      this.deps.logger.warn({ executionId: this.rec.executionId, err: codeOf(error) }, "could not post progress message");
    }
    this.unsubscribe = this.deps.engine.subscribe(this.rec.executionId, this.cursor + 1, (event) => this.enqueue(event));
  }

  /** Resolves once every event delivered so far has been posted. */
  async drained(): Promise<void> {
    while (this.queued > 0) await this.queue;
  }

  /** Whether the engine has events this follower has not posted yet. */
  async behind(): Promise<boolean> {
    if (this.queued > 0) return true;
    const events = await this.deps.engine.events(this.rec.executionId, this.cursor + 1);
    return events.length > 0;
  }

  async stop(options: { flush?: boolean } = {}): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    if (options.flush) await this.drained().catch(() => undefined);
    this.stopped = true;
    if (options.flush) await this.throttle.flush();
    this.throttle.close();
  }

  private enqueue(event: EngineEvent): void {
    this.queued++;
    this.queue = this.queue
      .then(() => this.handle(event))
      .catch((error) =>
        this.deps.logger.warn({ executionId: this.rec.executionId, seq: event.seq, err: codeOf(error) }, "following an event failed"),
      )
      .finally(() => {
        this.queued--;
      });
  }

  private async handle(event: EngineEvent): Promise<void> {
    if (this.stopped || event.seq <= this.cursor) return;
    this.checklist = applyEvent(this.checklist, event);
    const top = !event.sub;
    const terminal =
      top && (event.type === "execution.completed" || event.type === "execution.failed" || event.type === "execution.cancelled");
    let posted = false;
    if (event.type === "node.completed" && top && event.nodeId) {
      this.throttle.request();
      posted = await this.postStep(event);
    } else if (event.type === "execution.waiting" && event.nodeId) {
      await this.postQuestion(event);
      posted = true;
      this.throttle.request();
    } else if (event.type === "execution.resumed" && event.nodeId) {
      await this.closeQuestion(event);
      this.throttle.request();
    } else if (terminal) {
      this.throttle.request();
      await this.throttle.flush();
      await this.closeOpenQuestions();
      this.rec.done = true;
      try {
        await this.deps.finished(this.rec, event, this.surface);
        await this.deps.records.putExec(this.rec);
        await this.deps.outbox.advance(this.rec.executionId, event.seq);
        this.cursor = event.seq;
      } finally {
        await this.stop();
        this.deps.released(this.rec.executionId);
      }
      return;
    } else {
      this.throttle.request();
    }
    if (!posted) await this.deps.outbox.advance(this.rec.executionId, event.seq);
    this.cursor = event.seq;
  }

  private async editProgress(): Promise<void> {
    if (!this.rec.progressRef) return;
    const open = this.checklist.status === "running" || this.checklist.status === "waiting";
    try {
      const message = progressMessage(this.checklist, open, this.rec.executionId);
      await this.deps.outbox.edit(this.surface, this.rec.progressRef, message, this.slot(PROGRESS_KEY));
    } catch (error) {
      this.deps.logger.warn({ executionId: this.rec.executionId, err: codeOf(error) }, "could not edit progress message");
    }
  }

  /** A step's result, from the event's own output (or the stored node when the event has none). */
  private async postStep(event: EngineEvent): Promise<boolean> {
    const nodeId = event.nodeId!;
    if (!this.template?.renderStep) return false;
    let output = event.data?.output;
    if (output === undefined) {
      const view = await this.deps.engine.get(this.rec.executionId);
      output = view?.nodes.find((n) => n.nodeId === nodeId)?.output;
    }
    if (output === undefined) return false;
    let text: string | undefined;
    try {
      text = this.template.renderStep(nodeId, output);
    } catch (error) {
      this.deps.logger.warn({ executionId: this.rec.executionId, nodeId, err: codeOf(error) }, "renderStep failed");
    }
    if (!text) return false;
    await this.deps.outbox.post(this.surface, this.rec.thread, { text, role: "result" }, this.slot(String(event.seq), event.seq));
    return true;
  }

  private async postQuestion(event: EngineEvent): Promise<void> {
    const nodeId = event.nodeId!;
    const executionId = event.sub?.executionId ?? this.rec.executionId;
    const data = event.data ?? {};
    const choices = Array.isArray(data.choices) ? (data.choices as { value: string; label: string }[]) : undefined;
    const key = String(event.seq);
    // The wait is saved before the question goes out: an answer typed after a crash still finds its choices.
    this.rec.waits[nodeId] = {
      executionId,
      prompt: typeof data.prompt === "string" ? data.prompt : "",
      key,
      ...(choices ? { choices } : {}),
    };
    await this.deps.records.putExec(this.rec);
    const ref = await this.deps.outbox.post(
      this.surface,
      this.rec.thread,
      humanQuestion(executionId, nodeId, data),
      this.slot(key, event.seq),
    );
    const wait = this.rec.waits[nodeId];
    if (wait) wait.ref = ref;
    await this.deps.records.putExec(this.rec);
  }

  private async questionRef(wait: PendingWait): Promise<MessageRef | undefined> {
    return wait.ref ?? (wait.key ? await this.deps.outbox.ref(this.rec.executionId, wait.key) : undefined);
  }

  private async closeQuestion(event: EngineEvent): Promise<void> {
    const nodeId = event.nodeId!;
    const wait = this.rec.waits[nodeId];
    if (!wait) return;
    delete this.rec.waits[nodeId];
    await this.deps.records.putExec(this.rec);
    const ref = await this.questionRef(wait);
    if (!ref) return;
    const view: ExecutionView | undefined = await this.deps.engine.get(wait.executionId);
    const node = view?.nodes.find((n) => n.nodeId === nodeId);
    const value = node?.output;
    const label =
      wait.choices?.find((c) => c.value === value)?.label ?? (value === null || value === undefined ? "(no answer)" : String(value));
    const by = typeof event.data?.by === "string" ? event.data.by : (node?.answeredBy ?? "");
    await this.deps.outbox
      .edit(this.surface, ref, answeredMessage(wait.prompt, label, by || "deadline"), this.slot(wait.key ?? `edit:${ref.messageId}`))
      .catch(() => undefined);
  }

  private async closeOpenQuestions(): Promise<void> {
    for (const [nodeId, wait] of Object.entries(this.rec.waits)) {
      const ref = await this.questionRef(wait);
      if (ref)
        await this.deps.outbox
          .edit(
            this.surface,
            ref,
            { text: `**${wait.prompt}**\n(no longer waiting for an answer)`, role: "question" },
            this.slot(wait.key ?? `edit:${ref.messageId}`),
          )
          .catch(() => undefined);
      delete this.rec.waits[nodeId];
    }
  }
}

function codeOf(error: unknown): string {
  return error instanceof Error ? ((error as { code?: string }).code ?? error.name) : "unknown";
}
