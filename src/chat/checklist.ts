// The progress checklist of a run: a workflow's steps folded from engine events (pure), rendered as
// one line per step with its icon and timing.
import type { EngineEvent, ExecutionView } from "../engine/records.ts";
import { formatDuration } from "../util/duration.ts";

export type StepStatus = "pending" | "running" | "retrying" | "waiting" | "completed" | "failed" | "skipped" | "cancelled";

export type ChecklistItem = {
  id: string;
  title: string;
  status: StepStatus;
  durationMs?: number;
  attempt?: number;
  /** The step's result came from its fallback. */
  fallback?: boolean;
};

export type Checklist = {
  title: string;
  /** Titles of steps not listed up front (fallbacks), added when they start. */
  extra?: Record<string, string>;
  status: "running" | "waiting" | "completed" | "failed" | "cancelled";
  items: ChecklistItem[];
  startedAt?: number;
  totalMs?: number;
};

export const STEP_ICONS: Record<StepStatus, string> = {
  pending: "⬜",
  running: "⏳",
  retrying: "🔁",
  waiting: "✋",
  completed: "✅",
  failed: "❌",
  skipped: "⏭️",
  cancelled: "⛔",
};

/**
 * An empty checklist for a workflow's steps, in definition order. Steps marked `standby` (fallbacks that
 * only run when another step fails) are listed only once they start.
 */
export function createChecklist(title: string, steps: { id: string; title?: string; standby?: boolean }[]): Checklist {
  const extra = Object.fromEntries(steps.filter((s) => s.standby).map((s) => [s.id, s.title ?? s.id]));
  return {
    title,
    status: "running",
    items: steps.filter((s) => !s.standby).map((s) => ({ id: s.id, title: s.title ?? s.id, status: "pending" })),
    ...(Object.keys(extra).length > 0 ? { extra } : {}),
  };
}

/** The checklist as the stored state says it is (after a restart, before replaying newer events). */
export function checklistFromView(list: Checklist, view: ExecutionView): Checklist {
  const items = list.items.map((item) => {
    const node = view.nodes.find((n) => n.nodeId === item.id);
    if (!node) return item;
    const next: ChecklistItem = { ...item, status: node.status === "pending" ? "pending" : node.status };
    if (node.durationMs !== undefined) next.durationMs = node.durationMs;
    if (node.attempts > 1) next.attempt = node.attempts;
    if (node.fallbackFrom) next.fallback = true;
    return next;
  });
  const status = view.status === "pending" ? "running" : view.status;
  const out: Checklist = { ...list, items, status };
  if (view.startedAt !== undefined) out.startedAt = view.startedAt;
  if (view.durationMs !== undefined) out.totalMs = view.durationMs;
  return out;
}

/** The checklist after one event; events of sub-workflows (copied into the parent's log) are left out. */
export function applyEvent(list: Checklist, event: EngineEvent): Checklist {
  if (event.sub) return list;
  // Only a standby step (a fallback) joins the list when it starts. A step left out on purpose (a condition
  // that only picks the path) stays out: its id ("route") means nothing to a teacher.
  const standbyTitle = event.nodeId ? list.extra?.[event.nodeId] : undefined;
  if (event.nodeId && standbyTitle !== undefined && event.type === "node.started" && !list.items.some((i) => i.id === event.nodeId)) {
    list = { ...list, items: [...list.items, { id: event.nodeId, title: standbyTitle, status: "pending" }] };
  }
  const data = event.data ?? {};
  const num = (key: string) => (typeof data[key] === "number" ? (data[key] as number) : undefined);
  const update = (patch: Partial<ChecklistItem>) => ({
    ...list,
    items: list.items.map((item) => (item.id === event.nodeId ? withoutUndefined({ ...item, ...patch }) : item)),
  });
  switch (event.type) {
    case "execution.started":
      return { ...list, status: "running", startedAt: event.at };
    case "node.started":
      return update({ status: "running", attempt: num("attempt") });
    case "node.retrying":
      return update({ status: "retrying", attempt: (num("attempt") ?? 1) + 1 });
    case "node.completed":
      return update({ status: "completed", durationMs: num("durationMs"), fallback: data.fallbackFrom !== undefined ? true : undefined });
    case "node.failed":
      return update({ status: "failed", durationMs: num("durationMs") });
    case "node.skipped":
      return update({ status: "skipped" });
    case "node.fallback":
    case "node.delta":
      return list;
    case "execution.waiting":
      return { ...update({ status: "waiting" }), status: "waiting" };
    case "execution.resumed":
      return { ...list, status: "running" };
    case "execution.completed":
      return finish(list, "completed", num("durationMs"));
    case "execution.failed":
      return finish(list, "failed", num("durationMs"));
    case "execution.cancelled":
      return finish(list, "cancelled", num("durationMs"));
  }
}

function finish(list: Checklist, status: Checklist["status"], durationMs: number | undefined): Checklist {
  const items = list.items.map((item) =>
    status !== "completed" && (item.status === "running" || item.status === "retrying" || item.status === "waiting")
      ? { ...item, status: "cancelled" as const }
      : status === "completed" && item.status === "pending"
        ? { ...item, status: "skipped" as const }
        : item,
  );
  return withoutUndefined({ ...list, items, status, totalMs: durationMs ?? list.totalMs });
}

/** Markdown of the checklist: one line per step with its icon and timing. */
export function renderChecklist(list: Checklist): string {
  // Skipped steps (a branch not taken) are neither counted nor listed, and steps of the same title on
  // other branches ("Create rubric" on both) show once: the teacher sees the work, not the graph.
  const shown = sameTitleOnce(list.items.filter((i) => i.status !== "skipped"));
  const done = shown.filter((i) => i.status === "completed").length;
  const steps = `${done}/${shown.length} step${shown.length === 1 ? "" : "s"}`;
  const head =
    list.status === "completed"
      ? `**${list.title}: done** in ${formatDuration(list.totalMs)}`
      : list.status === "failed"
        ? `**${list.title}: stopped** after ${formatDuration(list.totalMs)}`
        : list.status === "cancelled"
          ? `**${list.title}: cancelled**`
          : list.status === "waiting"
            ? `**${list.title}: waiting for your answer** (${steps})`
            : `**${list.title}: working** (${steps})`;
  return [head, ...shown.map(renderItem)].join("\n");
}

const PROGRESS: Record<StepStatus, number> = {
  skipped: 0,
  pending: 1,
  cancelled: 2,
  running: 3,
  retrying: 3,
  waiting: 3,
  failed: 4,
  completed: 5,
};

/** One item per title, at the place of its first appearance, carrying the furthest status among them. */
function sameTitleOnce(items: ChecklistItem[]): ChecklistItem[] {
  const best = new Map<string, ChecklistItem>();
  for (const item of items) {
    const seen = best.get(item.title);
    if (!seen || PROGRESS[item.status] > PROGRESS[seen.status]) best.set(item.title, item);
  }
  const out: ChecklistItem[] = [];
  for (const item of items) {
    const chosen = best.get(item.title);
    if (chosen && !out.includes(chosen)) out.push(chosen);
  }
  return out;
}

function renderItem(item: ChecklistItem): string {
  const parts = [`${STEP_ICONS[item.status]} ${item.title}`];
  // Sub-second steps show no time: "(0.2 s)" on every line would be noise.
  if (item.status === "completed" && item.durationMs !== undefined && item.durationMs >= 1000)
    parts.push(`(${formatDuration(item.durationMs)}${item.fallback ? ", fallback" : ""})`);
  else if (item.status === "completed" && item.fallback) parts.push("(fallback)");
  else if (item.status === "retrying") parts.push(`(retrying, attempt ${item.attempt ?? 2})`);
  else if (item.status === "running" && item.attempt && item.attempt > 1) parts.push(`(attempt ${item.attempt})`);
  else if (item.status === "waiting") parts.push("(waiting for an answer)");
  else if (item.status === "skipped") parts.push("(skipped)");
  else if (item.status === "failed") parts.push("(failed)");
  return parts.join(" ");
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
