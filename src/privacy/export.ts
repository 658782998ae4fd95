// The export a family's request needs: everything kept about a teacher, or everything that names a student,
// gathered through the same owners the one forget deletes from (src/drivers/types.ts TeacherData), so an owner
// forget reaches cannot be missed here. Each owner's records as it holds them (opened: sealed records are
// read with the teacher's key), plus the files it keeps (saved documents). The zip is built by the caller.
import type { TeacherData } from "../drivers/types.ts";
import type { StudentMatch } from "./forget.ts";
import { studentMatcher } from "./student.ts";

/** What an export gathered: each owner's records (by owner name), the files to include, counts per owner. */
export type ExportBundle = {
  records: Record<string, unknown>;
  files: { path: string; teacher: string }[];
  counts: Record<string, number>;
};

/** How many records an owner's export holds: a list's length, else how many of its parts are not empty (pure). */
export function recordCount(records: unknown): number {
  if (Array.isArray(records)) return records.length;
  if (!records || typeof records !== "object") return records === null || records === undefined ? 0 : 1;
  return Object.values(records).filter((v) => {
    if (Array.isArray(v)) return v.length > 0;
    if (v && typeof v === "object") return Object.keys(v).length > 0;
    return v !== null && v !== undefined;
  }).length;
}

/** Everything every owner keeps about `userId`. */
export async function exportTeacher(userId: string, owners: readonly TeacherData[]): Promise<ExportBundle> {
  const bundle: ExportBundle = { records: {}, files: [], counts: {} };
  for (const owner of owners) {
    const part = await owner.exportUser(userId);
    bundle.records[owner.name] = part.records;
    bundle.counts[owner.name] = recordCount(part.records);
    for (const path of part.files ?? []) bundle.files.push({ path, teacher: userId });
  }
  return bundle;
}

/**
 * What forget by student would delete, readable: per teacher with executions naming the student (the matches
 * of findStudent, the one place that decides), each owner's part of them; records by owner, then by teacher.
 */
export async function exportStudent(name: string, matches: readonly StudentMatch[], owners: readonly TeacherData[]): Promise<ExportBundle> {
  const student = studentMatcher(name);
  const byTeacher = new Map<string, string[]>();
  for (const m of matches) byTeacher.set(m.userId, [...(byTeacher.get(m.userId) ?? []), m.executionId]);
  const bundle: ExportBundle = { records: {}, files: [], counts: {} };
  for (const owner of owners) {
    if (!owner.exportStudent) continue;
    const perTeacher: Record<string, unknown> = {};
    let count = 0;
    for (const [userId, ids] of byTeacher) {
      const part = await owner.exportStudent(userId, ids, student);
      perTeacher[userId] = part.records;
      count += recordCount(part.records);
      for (const path of part.files ?? []) bundle.files.push({ path, teacher: userId });
    }
    bundle.records[owner.name] = perTeacher;
    bundle.counts[owner.name] = count;
  }
  return bundle;
}
