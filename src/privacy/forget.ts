// Forget, end to end: when the engine forgets a teacher, their placeholder maps and roster go too, the
// deletion is audited (counts only), and the store is compacted (SQLite: secure_delete is on, and the WAL is
// checkpointed and truncated) so nothing stays readable in free pages or the WAL. Callers delete their own records (conversations, profiles, threads) before engine.forgetUser.

import type { SharedStore } from "../drivers/types.ts";
import type { EngineApi } from "../engine/api.ts";
import type { AuditLog } from "./audit.ts";
import type { PrivacyStore } from "./store.ts";

export type ForgetDeps = { store: Pick<SharedStore, "compact">; privacy: PrivacyStore; audit: AuditLog };

export type ForgetCounts = { executions: number; maps: number; roster: number } & Record<string, number>;

/**
 * Deletes the teacher's executions (through the engine), placeholder maps and roster, audits it with the
 * counts (plus `counts` the caller deleted itself), then compacts the store.
 */
export async function forgetTeacher(
  engine: EngineApi,
  deps: ForgetDeps,
  userId: string,
  how: { action: "forget" | "delete"; actor: string; counts?: Record<string, number> },
): Promise<ForgetCounts> {
  const executions = await engine.forgetUser(userId);
  const { maps, roster } = await deps.privacy.deleteUser(userId);
  const counts: ForgetCounts = { ...how.counts, executions, maps, roster: roster ? 1 : 0 };
  await deps.audit.record({ action: how.action, actor: how.actor, teacher: userId, counts });
  await deps.store.compact();
  return counts;
}

/**
 * The engine with a forgetUser that also deletes the teacher's privacy records, audits and compacts, so
 * the chat's `/staffroom forget` (which deletes its own records first) leaves nothing behind.
 * A Proxy keeps every other method bound to the engine itself.
 */
export function withPrivacyForget(engine: EngineApi, deps: ForgetDeps): EngineApi {
  const forgetUser = async (userId: string): Promise<number> =>
    (await forgetTeacher(engine, deps, userId, { action: "forget", actor: userId })).executions;
  return new Proxy(engine, {
    get(target, prop, receiver) {
      if (prop === "forgetUser") return forgetUser;
      const value = Reflect.get(target, prop, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
