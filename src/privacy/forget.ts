// The one forget: every owner of a teacher's data (engine executions from every surface, chat records,
// conversations, profiles, placeholder maps, saved documents; see app/runtime.ts for the list) deletes what
// it keeps, in turn; then the teacher's data key is deleted, so any sealed copy left anywhere (dead rows,
// WAL, backups, an owner that failed) is unreadable; then the store is compacted once and the forget audited
// with the counts (never content).
import type { DataKeys, SharedStore, TeacherData } from "../drivers/types.ts";
import type { EngineApi } from "../engine/api.ts";
import { StaffroomError } from "../errors.ts";
import type { AuditLog } from "./audit.ts";
import { studentMatcher, textOf } from "./student.ts";

export type ForgetCounts = Record<string, number>;

export type ForgetDeps = {
  keys?: Pick<DataKeys, "delete">;
  store?: Pick<SharedStore, "compact">;
  /** Audited after the deletion; the entry holds who asked, whose data and the counts. */
  audit?: Pick<AuditLog, "record">;
};

/** Some owner could not delete its part; the data key is gone regardless, so nothing of it is readable. */
export class ForgetIncompleteError extends StaffroomError {
  constructor(owners: string[], cause: unknown) {
    super(
      "forget_incomplete",
      `Forget could not delete the ${owners.join(", ")} (what is left cannot be read any more: its key is deleted); try again to remove it.`,
      { cause, retryable: true },
    );
  }
}

/** Deletes everything kept about `userId`, owner by owner; returns how many records each owner deleted. */
export async function forgetTeacher(
  userId: string,
  owners: readonly TeacherData[],
  deps: ForgetDeps,
  how: { action: "forget" | "delete"; actor: string },
): Promise<ForgetCounts> {
  const counts: ForgetCounts = {};
  const failed: string[] = [];
  let firstError: unknown;
  for (const owner of owners) {
    try {
      counts[owner.name] = (counts[owner.name] ?? 0) + (await owner.forgetUser(userId));
    } catch (error) {
      failed.push(owner.name);
      firstError ??= error;
    }
  }
  if (deps.keys) counts["data key"] = (await deps.keys.delete(userId)) ? 1 : 0;
  await deps.store?.compact();
  await deps.audit?.record({ action: how.action, actor: how.actor, teacher: userId, counts });
  if (failed.length > 0) throw new ForgetIncompleteError(failed, firstError);
  return counts;
}

/** One execution that names the student: whose it is, and the form of the name found in it. */
export type StudentMatch = { executionId: string; userId: string; templateId: string; title: string; createdAt: number; found: string };

type Executions = Pick<EngineApi, "list" | "get">;

/** Every execution whose inputs or outputs (its title, node outputs, questions and answers) name the student. */
export async function findStudent(name: string, executions: Executions): Promise<StudentMatch[]> {
  const student = studentMatcher(name);
  if (student.parts.length === 0) return [];
  const matches: StudentMatch[] = [];
  for (const rec of await executions.list({ limit: 1_000_000 })) {
    const view = await executions.get(rec.id);
    if (!view) continue;
    const text = textOf([view.title, view.inputs, view.nodes.map((n) => [n.output, n.wait?.prompt])]);
    const found = student.find(text);
    if (found)
      matches.push({
        executionId: view.id,
        userId: view.userId,
        templateId: view.templateId,
        title: view.title,
        createdAt: view.createdAt,
        found,
      });
  }
  return matches;
}

/**
 * Forget by student: for each teacher with matching executions, every owner that can deletes what it keeps
 * of them (the executions, their chat threads and outbox records, their placeholder maps, saved documents
 * naming the student); one compaction, and one audit entry per teacher with the counts.
 */
export async function forgetStudent(
  name: string,
  matches: readonly StudentMatch[],
  owners: readonly TeacherData[],
  deps: ForgetDeps,
  how: { actor: string },
): Promise<ForgetCounts> {
  const student = studentMatcher(name);
  const byTeacher = new Map<string, string[]>();
  for (const m of matches) byTeacher.set(m.userId, [...(byTeacher.get(m.userId) ?? []), m.executionId]);
  const total: ForgetCounts = {};
  const failed = new Set<string>();
  let firstError: unknown;
  for (const [userId, ids] of byTeacher) {
    const counts: ForgetCounts = {};
    for (const owner of owners) {
      if (!owner.forgetStudent) continue;
      try {
        const n = await owner.forgetStudent(userId, ids, student);
        counts[owner.name] = (counts[owner.name] ?? 0) + n;
        total[owner.name] = (total[owner.name] ?? 0) + n;
      } catch (error) {
        failed.add(owner.name);
        firstError ??= error;
      }
    }
    await deps.audit?.record({ action: "delete", actor: how.actor, teacher: userId, counts });
  }
  await deps.store?.compact();
  if (failed.size > 0) throw new ForgetIncompleteError([...failed], firstError);
  return total;
}
