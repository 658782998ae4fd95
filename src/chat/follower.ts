// Follows one execution into its thread: a progress checklist edited in place (throttled), each step's
// result as it lands, human questions as buttons, and hands the terminal event to the core. The cursor
// and message refs are persisted after every event, so after a restart following resumes without repeats.
import type { EngineApi } from "../engine/api.ts";
import type { EngineEvent, ExecutionView } from "../engine/records.ts";
import type { Logger } from "../log.ts";
import type { Template } from "../templates/types.ts";
import { applyEvent, type Checklist } from "./checklist.ts";
import type { Surface } from "./contract.ts";
import { answeredMessage, humanQuestion, progressMessage } from "./messages.ts";
import type { ChatRecords, ExecRecord } from "./records.ts";
import { Throttle, type Timers } from "./throttle.ts";

export type FollowerDeps = {
  engine: EngineApi;
  records: ChatRecords;
  logger: Logger;
  timers: Timers;
  progressIntervalMs: number;
  /** Called once with the execution's terminal event, after the final checklist is shown. */
  finished(rec: ExecRecord, event: EngineEvent, surface: Surface): Promise<void>;
  /** Called last, once everything about the execution has been rendered and saved. */
  released(executionId: string): void;
};

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
  ) {
    this.throttle = new Throttle(deps.progressIntervalMs, () => this.editProgress(), deps.timers);
  }

  get executionId(): string {
    return this.rec.executionId;
  }

  /** Posts the progress message (first time only), then replays stored events after the cursor and follows live ones. */
  async start(): Promise<void> {
    if (!this.rec.progressRef) {
      try {
        this.rec.progressRef = await this.surface.post(this.rec.thread, progressMessage(this.checklist, true, this.rec.executionId));
        await this.deps.records.putExec(this.rec);
      } catch (error) {
        this.deps.logger.warn({ executionId: this.rec.executionId, err: codeOf(error) }, "could not post progress message");
      }
    }
    this.unsubscribe = this.deps.engine.subscribe(this.rec.executionId, this.rec.cursor + 1, (event) => this.enqueue(event));
  }

  /** Resolves once every event delivered so far has been rendered. */
  async drained(): Promise<void> {
    while (this.queued > 0) await this.queue;
  }

  /** Whether the engine has events this renderer has not rendered yet. */
  async behind(): Promise<boolean> {
    if (this.queued > 0) return true;
    const events = await this.deps.engine.events(this.rec.executionId, this.rec.cursor + 1);
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
        this.deps.logger.warn({ executionId: this.rec.executionId, seq: event.seq, err: codeOf(error) }, "rendering an event failed"),
      )
      .finally(() => {
        this.queued--;
      });
  }

  private async handle(event: EngineEvent): Promise<void> {
    if (this.stopped || event.seq <= this.rec.cursor) return;
    this.checklist = applyEvent(this.checklist, event);
    const top = !event.sub;
    const terminal =
      top && (event.type === "execution.completed" || event.type === "execution.failed" || event.type === "execution.cancelled");
    if (event.type === "node.completed" && top && event.nodeId) {
      this.throttle.request();
      await this.postStep(event.nodeId);
    } else if (event.type === "execution.waiting" && event.nodeId) {
      await this.postQuestion(event);
      this.throttle.request();
    } else if (event.type === "execution.resumed" && event.nodeId) {
      await this.closeQuestion(event);
      this.throttle.request();
    } else if (terminal) {
      this.throttle.request();
      await this.throttle.flush();
      await this.closeOpenQuestions();
      this.rec.cursor = event.seq;
      this.rec.done = true;
      try {
        await this.deps.finished(this.rec, event, this.surface);
        await this.deps.records.putExec(this.rec);
      } finally {
        await this.stop();
        this.deps.released(this.rec.executionId);
      }
      return;
    } else {
      this.throttle.request();
    }
    this.rec.cursor = event.seq;
    await this.deps.records.putExec(this.rec);
  }

  private async editProgress(): Promise<void> {
    if (!this.rec.progressRef) return;
    const open = this.checklist.status === "running" || this.checklist.status === "waiting";
    try {
      await this.surface.edit(this.rec.progressRef, progressMessage(this.checklist, open, this.rec.executionId));
    } catch (error) {
      this.deps.logger.warn({ executionId: this.rec.executionId, err: codeOf(error) }, "could not edit progress message");
    }
  }

  private async postStep(nodeId: string): Promise<void> {
    if (!this.template?.renderStep) return;
    const view = await this.deps.engine.get(this.rec.executionId);
    const node = view?.nodes.find((n) => n.nodeId === nodeId);
    if (!node || node.output === undefined) return;
    let text: string | undefined;
    try {
      text = this.template.renderStep(nodeId, node.output);
    } catch (error) {
      this.deps.logger.warn({ executionId: this.rec.executionId, nodeId, err: codeOf(error) }, "renderStep failed");
    }
    if (text) await this.surface.post(this.rec.thread, { text, role: "result" });
  }

  private async postQuestion(event: EngineEvent): Promise<void> {
    const nodeId = event.nodeId!;
    const executionId = event.sub?.executionId ?? this.rec.executionId;
    const data = event.data ?? {};
    const ref = await this.surface.post(this.rec.thread, humanQuestion(executionId, nodeId, data));
    const choices = Array.isArray(data.choices) ? (data.choices as { value: string; label: string }[]) : undefined;
    this.rec.waits[nodeId] = {
      executionId,
      prompt: typeof data.prompt === "string" ? data.prompt : "",
      ref,
      ...(choices ? { choices } : {}),
    };
  }

  private async closeQuestion(event: EngineEvent): Promise<void> {
    const nodeId = event.nodeId!;
    const wait = this.rec.waits[nodeId];
    if (!wait) return;
    delete this.rec.waits[nodeId];
    if (!wait.ref) return;
    const view: ExecutionView | undefined = await this.deps.engine.get(wait.executionId);
    const node = view?.nodes.find((n) => n.nodeId === nodeId);
    const value = node?.output;
    const label =
      wait.choices?.find((c) => c.value === value)?.label ?? (value === null || value === undefined ? "(no answer)" : String(value));
    const by = typeof event.data?.by === "string" ? event.data.by : (node?.answeredBy ?? "");
    await this.surface.edit(wait.ref, answeredMessage(wait.prompt, label, by || "deadline")).catch(() => undefined);
  }

  private async closeOpenQuestions(): Promise<void> {
    for (const [nodeId, wait] of Object.entries(this.rec.waits)) {
      if (wait.ref)
        await this.surface
          .edit(wait.ref, { text: `**${wait.prompt}**\n(no longer waiting for an answer)`, role: "question" })
          .catch(() => undefined);
      delete this.rec.waits[nodeId];
    }
  }
}

function codeOf(error: unknown): string {
  return error instanceof Error ? ((error as { code?: string }).code ?? error.name) : "unknown";
}
