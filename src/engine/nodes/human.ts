// Human nodes: no attempt runs; the node asks (prompt rendered from its scope) and waits for an answer or
// its deadline. decide() records the question built here when it dispatches the node (src/engine/run/decide.ts).
import { renderTemplate } from "../context.ts";
import type { HumanWait } from "../records.ts";
import type { HumanNode } from "../schema.ts";

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
