// Human nodes: no attempt runs; the node asks (prompt rendered from its scope) and waits for an answer or
// its deadline. `humanWait` is the one place that builds the question; decide() records it when it
// dispatches the node (src/engine/run/decide.ts), and the executor returns the same thing.
import { renderTemplate } from "../context.ts";
import type { HumanWait } from "../records.ts";
import type { HumanNode } from "../schema.ts";
import type { NodeExecutor } from "./types.ts";

/** What a human node asks and until when, rendered from its mapped inputs at `now`. */
export function humanWait(node: HumanNode, scope: Record<string, unknown>, now: number): HumanWait {
  return {
    prompt: renderTemplate(node.prompt, scope),
    ...(node.choices ? { choices: node.choices } : {}),
    allowed: node.allowed,
    askedAt: now,
    deadlineAt: now + node.deadline.afterMs,
    action: node.deadline.action,
    reminders: 0,
  };
}

export function humanExecutor(): NodeExecutor<HumanNode> {
  return {
    kind: "human",
    run({ node, scope, now }) {
      return Promise.resolve({ type: "wait", wait: humanWait(node, scope, now) });
    },
  };
}
