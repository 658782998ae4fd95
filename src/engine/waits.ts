// Human waits: asking (the wait is durable before anyone is asked), deadlines as delayed jobs
// (remind, default, skip, cancel), and applying an answer exactly once.

import type { ResumeResult } from "./api.ts";
import { humanExecutor } from "./nodes/human.ts";
import type { Job } from "./queue/types.ts";
import type { NodeState } from "./records.ts";
import type { Run } from "./run/run.ts";
import { errorInfo, type Runner } from "./run/runner.ts";
import type { HumanNode } from "./schema.ts";

const asker = humanExecutor();

export class Waits {
  constructor(private readonly r: Runner) {
    r.beginWait = (run, node) => this.begin(run, node);
    r.rearm = (run) => {
      for (const node of run.def.nodes) if (node.kind === "human" && run.nodes.get(node.id)?.status === "waiting") this.arm(run, node);
    };
  }

  private async begin(run: Run, node: HumanNode): Promise<void> {
    const st = run.nodes.get(node.id) as NodeState;
    const now = this.r.d.clock.now();
    const result = await asker.run({
      node,
      scope: this.r.scope(run, node),
      context: { inputs: run.rec.inputs, nodes: run.outputs },
      execution: run.rec,
      state: st,
      signal: run.abort.signal,
      now,
    });
    if (result.type !== "wait") return;
    st.status = "waiting";
    st.attempts = Math.max(1, st.attempts);
    st.startedAt = now;
    st.wait = result.wait;
    run.rec.status = "waiting";
    // One write: the wait, the header and the question; nobody is asked before it is stored.
    await this.r.write(run, { nodes: [{ ...st }], header: { ...run.rec }, events: [this.waitingEvent(run, node, st)] });
    for (const w of run.waitingWaiters.splice(0)) w();
    this.arm(run, node);
  }

  private waitingEvent(run: Run, node: HumanNode, st: NodeState) {
    const wait = st.wait;
    return this.r.event(run, "execution.waiting", node.id, {
      prompt: wait?.prompt,
      ...(wait?.choices ? { choices: wait.choices } : {}),
      deadlineAt: wait?.deadlineAt,
      allowed: wait?.allowed,
      ...(wait && wait.reminders > 0 ? { reminder: wait.reminders } : {}),
    });
  }

  /** Queues the node's deadline as a delayed job (its id names the reminder round, so re-arming dedupes). */
  arm(run: Run, node: HumanNode): void {
    const st = run.nodes.get(node.id);
    if (!st?.wait) return;
    const previous = run.deadlines.get(node.id);
    if (previous) void this.r.d.queue.remove(previous);
    const id = `deadline:${run.rec.id}:${node.id}:${st.wait.reminders}`;
    run.deadlines.set(node.id, id);
    void this.r.d.queue.enqueue({
      id,
      kind: "deadline",
      executionId: run.rec.id,
      nodeId: node.id,
      data: { reminders: st.wait.reminders },
      delayMs: Math.max(0, st.wait.deadlineAt - this.r.d.clock.now()),
    });
  }

  /** The `deadline` step. */
  deadline(job: Job): Promise<void> {
    return this.r.mutex.run(`exec:${job.executionId}`, async () => {
      const run = this.r.runs.get(job.executionId);
      const node = run?.graph.byId.get(job.nodeId ?? "");
      if (!run || node?.kind !== "human") return;
      const st = run.nodes.get(node.id);
      // A deadline of an earlier reminder round, or a wait already answered: nothing to do.
      if (!st?.wait || st.status !== "waiting" || run.finishing || st.wait.reminders !== job.data?.reminders) return;
      run.deadlines.delete(node.id);
      try {
        switch (node.deadline.action) {
          case "default":
            return await this.complete(run, node, st, node.deadline.defaultAnswer, "deadline");
          case "skip":
            return await this.complete(run, node, st, null, "deadline", true);
          case "cancel":
            await this.r.cancelRun(run, `No answer to "${node.title ?? node.id}" before its deadline.`);
            return;
          case "remind":
            if (st.wait.reminders >= node.deadline.maxReminders) {
              await this.r.cancelRun(run, `No answer to "${node.title ?? node.id}" after ${st.wait.reminders} reminders.`);
              return;
            }
            st.wait.reminders++;
            st.wait.deadlineAt = this.r.d.clock.now() + node.deadline.afterMs;
            await this.r.write(run, { nodes: [{ ...st }], events: [this.waitingEvent(run, node, st)] });
            for (const w of run.waitingWaiters.splice(0)) w();
            this.arm(run, node);
            return;
        }
      } catch (error) {
        run.log.error({ err: errorInfo(error), nodeId: node.id }, "deadline handling failed");
      }
    });
  }

  private async complete(run: Run, node: HumanNode, st: NodeState, answer: unknown, by: string, skipped = false): Promise<void> {
    const deadline = run.deadlines.get(node.id);
    if (deadline) void this.r.d.queue.remove(deadline);
    run.deadlines.delete(node.id);
    const now = this.r.d.clock.now();
    st.status = "completed";
    st.output = answer;
    st.answeredBy = by;
    st.endedAt = now;
    st.durationMs = now - (st.startedAt ?? now);
    run.outputs[node.id] = answer;
    const stillWaiting = [...run.nodes.values()].some((n) => n.status === "waiting");
    const header = !stillWaiting && run.rec.status === "waiting";
    if (header) run.rec.status = "running";
    // Fenced on the node: a second answer (another process, a replayed click) changes nothing.
    await this.r.write(run, {
      node: { nodeId: node.id },
      nodes: [{ ...st }],
      ...(header ? { header: { ...run.rec } } : {}),
      events: [
        this.r.event(run, "execution.resumed", node.id, { by, ...(skipped ? { skipped: true } : {}) }),
        this.r.event(run, "node.completed", node.id, {
          attempt: st.attempts,
          durationMs: st.durationMs,
          ...(skipped ? { skipped: true } : {}),
        }),
      ],
    });
    this.r.advance(run);
  }

  /** The `answer` step: checks who may answer and what, then completes the wait once. */
  answer(executionId: string, nodeId: string, answer: unknown, by: { userId: string }): Promise<ResumeResult> {
    return this.r.mutex.run(`exec:${executionId}`, async (): Promise<ResumeResult> => {
      const stored = this.r.runs.has(executionId) ? undefined : await this.r.d.store.getExecution(executionId);
      // Only a waiting execution is handed over from another live process: nothing of it is in flight.
      const run = stored && stored.status !== "waiting" ? undefined : await this.r.load(executionId, { force: true });
      if (!run) {
        const rec = stored ?? (await this.r.d.store.getExecution(executionId));
        if (!rec) return { accepted: false, reason: "not_found", message: `No request with id ${executionId} was found.` };
        const node = (await this.r.d.store.getNodes(executionId)).get(nodeId);
        if (node?.kind === "human" && node.status === "completed")
          return { accepted: false, reason: "already_answered", message: "This question has already been answered." };
        return { accepted: false, reason: "not_waiting", message: `This request is ${rec.status} and is not waiting for an answer.` };
      }
      const node = run.graph.byId.get(nodeId);
      const st = run.nodes.get(nodeId);
      if (!node || !st || node.kind !== "human")
        return { accepted: false, reason: "not_found", message: `This request has no question "${nodeId}".` };
      if (st.status === "completed")
        return { accepted: false, reason: "already_answered", message: "This question has already been answered." };
      if (st.status !== "waiting")
        return { accepted: false, reason: "not_waiting", message: "This question is not waiting for an answer." };
      const allowed = node.allowed;
      const ok = allowed === "anyone" || (allowed === "requester" ? by.userId === run.rec.userId : allowed.includes(by.userId));
      if (!ok)
        return { accepted: false, reason: "not_allowed", message: "Only the teacher who made this request can answer this question." };
      if (node.choices && !node.choices.some((c) => c.value === String(answer)))
        return {
          accepted: false,
          reason: "invalid_answer",
          message: `Please answer with one of: ${node.choices.map((c) => c.label).join(", ")}.`,
        };
      let value = node.choices ? String(answer) : answer;
      if (node.answerSchema) {
        const parsed = this.r.d.registry.schemas.get(node.answerSchema)?.safeParse(value);
        if (parsed && !parsed.success)
          return {
            accepted: false,
            reason: "invalid_answer",
            message: `That answer does not fit: ${parsed.error.issues[0]?.message ?? "invalid"}.`,
          };
        if (parsed?.success) value = parsed.data;
      }
      await this.complete(run, node, st, value, by.userId);
      return { accepted: true, execution: { ...run.rec } };
    });
  }
}
