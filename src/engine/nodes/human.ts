// Human nodes: no attempt runs; the node asks (prompt rendered from its scope) and waits for an answer
// or its deadline (see waits.ts).
import { renderTemplate } from "../context.ts";
import type { HumanNode } from "../schema.ts";
import type { NodeExecutor } from "./types.ts";

export function humanExecutor(): NodeExecutor<HumanNode> {
  return {
    kind: "human",
    run({ node, scope, now }) {
      return Promise.resolve({
        type: "wait",
        wait: {
          prompt: renderTemplate(node.prompt, scope),
          ...(node.choices ? { choices: node.choices } : {}),
          allowed: node.allowed,
          askedAt: now,
          deadlineAt: now + node.deadline.afterMs,
          action: node.deadline.action,
          reminders: 0,
        },
      });
    },
  };
}
