// The reconciler: re-adds the jobs of unfinished executions that provably no longer exist, and only
// those, so a stopped or killed replica's work resumes without a restart and a live process's work is
// never taken. "Provably gone" is the queue's word when jobs live outside processes (BullMQ:
// `exists` is false), and, for the in-process queue, either this process's own queue not holding it
// or the dispatching process's owner lease having expired (measured on the store's clock; see
// ../ownership.ts `alive` for the one same-namespace shortcut). A re-dispatched attempt gets a new
// token, so the old one, should it still be running somewhere, cannot complete the node.
import type { Logger } from "../../log.ts";
import type { WorkQueue } from "../queue/types.ts";
import type { NodeState } from "../records.ts";
import type { ExecutionStore } from "../store/types.ts";
import { attemptJobId, deadlineJob, deadlineJobId, TERMINAL } from "./decide.ts";
import type { Handlers } from "./handlers.ts";

/**
 * A job is enqueued just after the write that dispatched it. While its dispatcher may be alive (a
 * shared queue, or this process) a node dispatched less than this long ago may still be between the
 * two, so its job's absence proves nothing yet.
 */
export const DISPATCH_GRACE_MS = 5_000;

export type ReconcileDeps = {
  store: ExecutionStore;
  queue: WorkQueue;
  handlers: Handlers;
  owner: () => Promise<string>;
  now: () => number;
  log: Logger;
  graceMs?: number;
};

/** Re-adds missing work of every unfinished execution; returns the ids it re-added something for. */
export async function reconcile(d: ReconcileDeps): Promise<string[]> {
  const me = await d.owner();
  const live = new Set((await d.store.liveOwners()).map((o) => o.owner));
  const gone = async (jobId: string, st: NodeState): Promise<boolean> => {
    if (d.queue.shared || st.by === me) {
      if (st.dispatchedAt !== undefined && d.now() - st.dispatchedAt < (d.graceMs ?? DISPATCH_GRACE_MS)) return false;
      return d.queue.exists ? !(await d.queue.exists(jobId)) : false;
    }
    // The in-process queue of another process: its jobs die with it, and only with it.
    return st.by === undefined || !live.has(st.by);
  };
  const touched = new Set<string>();
  for (const { executionId } of await d.store.unfinished()) {
    try {
      const result = await reconcileOne(d, executionId, gone);
      if (!result.added) continue;
      touched.add(executionId);
      // A parent waiting on this sub-workflow resumes with it.
      if (result.parent) touched.add(result.parent);
    } catch (error) {
      d.log.warn({ executionId, err: String(error) }, "reconciling an execution failed; the next round tries again");
    }
  }
  return [...touched];
}

async function reconcileOne(
  d: ReconcileDeps,
  executionId: string,
  gone: (jobId: string, st: NodeState) => Promise<boolean>,
): Promise<{ added: boolean; parent?: string }> {
  const state = await d.handlers.load(executionId);
  if (!state || TERMINAL.has(state.rec.status)) return { added: false };
  const redispatch: string[] = [];
  let added = false;
  let inFlight = false;
  for (const st of state.nodes.values()) {
    if (st.status === "running") {
      inFlight = true;
      const node = state.graph.byId.get(st.nodeId);
      if (node?.kind === "workflow") {
        if (await childEnded(d, st)) {
          await d.handlers.childDone(executionId, st.nodeId, st.childExecutionId ?? "");
          added = true;
        }
        continue;
      }
      if (await gone(attemptJobId(executionId, st.nodeId, st.attempts), st)) redispatch.push(st.nodeId);
    } else if (st.status === "waiting" && st.wait) {
      inFlight = true;
      // A deadline job twice is harmless (its round is checked): no grace needed.
      if (await gone(deadlineJobId(executionId, st.nodeId, st.wait.reminders), { ...st, dispatchedAt: 0 })) {
        // The deadline job is idempotent (its round is checked): re-adding it needs no commit.
        await d.queue.enqueue(deadlineJob(executionId, st.nodeId, st.wait, d.now(), state.version));
        added = true;
      }
    }
  }
  if (redispatch.length > 0) {
    const decision = await d.handlers.apply(executionId, { type: "redispatch", nodeIds: redispatch });
    if (decision?.outcome === "applied") {
      d.log.info({ executionId, nodes: redispatch }, "execution resumed: dispatched its lost attempts again");
      added = true;
    }
  }
  if (!inFlight) {
    // Nothing dispatched (a crash right after start or after a commit): deciding again is harmless.
    await d.queue.enqueue({ id: `advance:${executionId}`, kind: "advance", executionId, data: { minVersion: state.version } });
    added = true;
  }
  return { added, ...(state.rec.parent ? { parent: state.rec.parent.executionId } : {}) };
}

async function childEnded(d: ReconcileDeps, st: NodeState): Promise<boolean> {
  if (st.childExecutionId === undefined) return true;
  const child = await d.store.getExecution(st.childExecutionId);
  return !child || TERMINAL.has(child.status);
}
