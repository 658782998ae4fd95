// The thread lifecycle as a pure function: every transition, and the ones that must not happen.
import { describe, expect, it } from "vitest";
import { isActive, type LifecycleEvent, mayOpen, nextPhase, type ThreadPhase } from "../../src/chat/lifecycle.ts";

const ended = (status: "completed" | "failed" | "cancelled", latest = true, draft = false): LifecycleEvent => ({
  type: "run.ended",
  status,
  latest,
  draft,
});

describe("thread lifecycle", () => {
  it("a request opens a conversation, which runs and ends done", () => {
    let phase = nextPhase(undefined, { type: "request.opened" });
    expect(phase).toBe("conversation");
    phase = nextPhase(phase, { type: "run.started" });
    expect(phase).toBe("running");
    expect(nextPhase(phase, ended("completed"))).toBe("done");
    expect(nextPhase(phase, ended("failed"))).toBe("done");
  });

  it("a cancelled run cancels the thread, unless a draft is kept", () => {
    expect(nextPhase("running", ended("cancelled"))).toBe("cancelled");
    expect(nextPhase("running", ended("cancelled", true, true))).toBe("done");
  });

  it("an older run ending does not move the thread", () => {
    expect(nextPhase("running", ended("completed", false))).toBe("running");
    expect(nextPhase("conversation", ended("completed"))).toBe("conversation");
  });

  it("a running request is never replaced by a new one", () => {
    expect(mayOpen("running")).toBe(false);
    expect(nextPhase("running", { type: "request.opened" })).toBe("running");
    for (const phase of ["conversation", "done", "cancelled", "expired", undefined] as (ThreadPhase | undefined)[]) {
      expect(mayOpen(phase)).toBe(true);
      expect(nextPhase(phase, { type: "request.opened" })).toBe("conversation");
    }
  });

  it("only a conversation can be cancelled or expire", () => {
    expect(nextPhase("conversation", { type: "conversation.cancelled" })).toBe("cancelled");
    expect(nextPhase("conversation", { type: "conversation.expired" })).toBe("expired");
    expect(nextPhase("running", { type: "conversation.expired" })).toBe("running");
    expect(nextPhase("done", { type: "conversation.cancelled" })).toBe("done");
  });

  it("a revision runs again from done", () => {
    expect(nextPhase("done", { type: "run.started" })).toBe("running");
  });

  it("a thread is active while it talks, runs or holds a draft", () => {
    expect(isActive("conversation", false)).toBe(true);
    expect(isActive("running", false)).toBe(true);
    expect(isActive("done", true)).toBe(true);
    expect(isActive("done", false)).toBe(false);
    expect(isActive("expired", false)).toBe(false);
  });
});
