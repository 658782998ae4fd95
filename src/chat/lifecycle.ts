// A thread's phase, and the only place it changes: a pure transition from the current phase and what
// happened. Handlers report events; they never assign a phase themselves.

export type ThreadPhase = "conversation" | "running" | "done" | "cancelled" | "expired";

export type LifecycleEvent =
  /** A command opened (or reopened) the thread with a guided conversation. */
  | { type: "request.opened" }
  /** The teacher typed cancel during the conversation. */
  | { type: "conversation.cancelled" }
  /** The conversation sat idle past its TTL, or its stored state is gone. */
  | { type: "conversation.expired" }
  /** An execution was started in the thread (first run, revision, regeneration). */
  | { type: "run.started" }
  /** The teacher clicked Change on a request that ran (or runs): a conversation picks what to change. */
  | { type: "change.opened" }
  /** The change was abandoned: the thread is back to its finished run. */
  | { type: "change.kept" }
  /**
   * An execution of the thread reached its end. `latest`: it is the thread's newest execution (an older
   * one ending only reports). `draft`: the thread holds a draft, which outlives a cancelled revision.
   */
  | { type: "run.ended"; status: "completed" | "failed" | "cancelled"; latest: boolean; draft: boolean };

/** The phase after `event`; a transition that does not apply leaves the phase as it is. */
export function nextPhase(phase: ThreadPhase | undefined, event: LifecycleEvent): ThreadPhase | undefined {
  switch (event.type) {
    case "request.opened":
      // One thing at a time per thread: a running request is never replaced.
      return phase === "running" ? phase : "conversation";
    case "conversation.cancelled":
      return phase === "conversation" ? "cancelled" : phase;
    case "conversation.expired":
      return phase === "conversation" ? "expired" : phase;
    case "run.started":
      return "running";
    case "change.opened":
      return phase === "running" || phase === "done" || phase === "cancelled" ? "conversation" : phase;
    case "change.kept":
      return phase === "conversation" ? "done" : phase;
    case "run.ended":
      if (phase !== "running" || !event.latest) return phase;
      return event.status === "cancelled" && !event.draft ? "cancelled" : "done";
  }
}

/** Whether a request opened by a command may take the thread (a running one keeps it). */
export function mayOpen(phase: ThreadPhase | undefined): boolean {
  return phase !== "running";
}

/** Whether the thread still expects the teacher: a conversation, a run, or a draft to revise. */
export function isActive(phase: ThreadPhase | undefined, hasDraft: boolean): boolean {
  return phase === "conversation" || phase === "running" || hasDraft;
}
