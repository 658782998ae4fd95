// The action-id codec: what a button click or select choice means, encoded into the id the platform
// sends back, so a click carries everything needed to act on it (after a restart too).

export const DRAFT_VERBS = ["approve", "undo", "revise", "regenerate"] as const;
export type DraftVerb = (typeof DRAFT_VERBS)[number];

/** What a button click means; encoded into action ids so a click carries everything needed. */
export type ParsedAction =
  | { kind: "conv"; key: string; field?: string }
  | { kind: "human"; executionId: string; nodeId: string }
  | { kind: "draft"; verb: DraftVerb; version: number }
  | { kind: "cancel-run"; executionId: string }
  | { kind: "forget"; verb: "confirm" | "keep" }
  | { kind: "history"; page: number };

export function actionId(action: ParsedAction, index = 0): string {
  switch (action.kind) {
    case "conv":
      return `conv:${action.key}:${action.field ?? ""}:${index}`;
    case "human":
      return `human:${action.executionId}:${action.nodeId}:${index}`;
    case "draft":
      return `draft:${action.verb}:${action.version}`;
    case "cancel-run":
      return `run:cancel:${action.executionId}`;
    case "forget":
      return `forget:${action.verb}`;
    case "history":
      return `history:more:${action.page}`;
  }
}

export function parseActionId(id: string): ParsedAction | undefined {
  const parts = id.split(":");
  const [kind, a, b] = parts;
  if (kind === "conv" && a) return b ? { kind: "conv", key: a, field: b } : { kind: "conv", key: a };
  if (kind === "human" && a && b) return { kind: "human", executionId: a, nodeId: b };
  const verb = DRAFT_VERBS.find((v) => v === a);
  if (kind === "draft" && verb && b && /^\d+$/.test(b)) {
    return { kind: "draft", verb, version: Number(b) };
  }
  if (kind === "run" && a === "cancel" && b) return { kind: "cancel-run", executionId: b };
  if (kind === "forget" && (a === "confirm" || a === "keep")) return { kind: "forget", verb: a };
  if (kind === "history" && a === "more" && b && /^\d+$/.test(b)) return { kind: "history", page: Number(b) };
  return undefined;
}
