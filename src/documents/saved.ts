// Documents saved as files for a teacher (the console's STAFFROOM_DOCUMENTS_DIR): written by saveDocumentFiles,
// and listed per teacher in the store's "documents" namespace (sealed with the teacher's key, since the
// paths can carry a name), so forget finds and deletes every file. A file is overwritten before it is
// unlinked, so its text does not stay in the freed blocks of an ordinary file system.
import { open as openFile, readFile, stat, unlink } from "node:fs/promises";
import { basename, extname } from "node:path";
import type Keyv from "keyv";
import type { OwnerExport, TeacherData } from "../drivers/types.ts";
import { KeyedMutex } from "../util/mutex.ts";
import type { ExportFormat } from "./export.ts";
import { saveDocumentFiles } from "./save.ts";

type SavedIndex = { userId: string; paths: string[] };

export class SavedDocuments implements TeacherData {
  readonly name = "saved documents";
  private readonly locks = new KeyedMutex();

  constructor(
    private readonly keyv: Keyv,
    private readonly dir: string,
  ) {}

  private key = (userId: string) => `user:${encodeURIComponent(userId)}`;

  /** Writes the document's files for `userId` (see saveDocumentFiles) and lists them under the teacher. */
  async save(userId: string, doc: Parameters<typeof saveDocumentFiles>[1], formats?: readonly ExportFormat[]): Promise<string[]> {
    return this.locks.run(userId, async () => {
      // Listed before writing: a crash between the two leaves a listed path with no file, never an unlisted file.
      const planned = await saveDocumentFiles(this.dir, doc, formats, async (paths) => {
        const index = (await this.keyv.get<SavedIndex>(this.key(userId))) ?? { userId, paths: [] };
        await this.keyv.set(this.key(userId), { userId, paths: [...new Set([...index.paths, ...paths])] } satisfies SavedIndex, 0);
      });
      return planned;
    });
  }

  /** The files saved for a teacher (that still exist or were listed). */
  async paths(userId: string): Promise<string[]> {
    return ((await this.keyv.get<SavedIndex>(this.key(userId))) ?? undefined)?.paths ?? [];
  }

  /**
   * Forget by student: every file of the teacher whose name, or whose Markdown twin's text, names the student
   * (the Word file of the same document goes with it); returns how many files went.
   */
  async forgetStudent(
    userId: string,
    _executionIds: readonly string[],
    student: { find(text: string): string | undefined },
  ): Promise<number> {
    return this.locks.run(userId, async () => {
      const paths = await this.paths(userId);
      const named = await namedStems(paths, student);
      let count = 0;
      const kept: string[] = [];
      for (const path of paths) {
        if (!named.has(stem(path))) kept.push(path);
        else if (await shred(path)) count++;
      }
      await this.keyv.set(this.key(userId), { userId, paths: kept } satisfies SavedIndex, 0);
      return count;
    });
  }

  /** The teacher's saved files that still exist, for an export. */
  async exportUser(userId: string): Promise<OwnerExport> {
    const files = await existing(await this.paths(userId));
    return { records: files.map((p) => basename(p)), files };
  }

  /** The files `forgetStudent` would delete, for an export by student. */
  async exportStudent(userId: string, _executionIds: readonly string[], student: StudentFinder): Promise<OwnerExport> {
    const paths = await this.paths(userId);
    const named = await namedStems(paths, student);
    const files = await existing(paths.filter((p) => named.has(stem(p))));
    return { records: files.map((p) => basename(p)), files };
  }

  /** Overwrites and deletes every file saved for the teacher, then their list; returns how many files went. */
  async forgetUser(userId: string): Promise<number> {
    return this.locks.run(userId, async () => {
      let count = 0;
      for (const path of await this.paths(userId)) if (await shred(path)) count++;
      await this.keyv.delete(this.key(userId));
      return count;
    });
  }
}

type StudentFinder = { find(text: string): string | undefined };

const stem = (p: string) => p.slice(0, p.length - extname(p).length);

/**
 * The documents (paths without extension) that name the student in their file name or their Markdown twin's
 * text: the Word file of the same document goes with it. Forget and export by student both ask here.
 */
async function namedStems(paths: readonly string[], student: StudentFinder): Promise<Set<string>> {
  const named = new Set<string>();
  for (const path of paths) {
    const markdown = extname(path) === ".md" ? await readFile(path, "utf8").catch(() => "") : "";
    if (student.find(basename(stem(path)).replace(/-/g, " ")) || student.find(markdown)) named.add(stem(path));
  }
  return named;
}

async function existing(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths)
    if (
      await stat(p).then(
        (s) => s.isFile(),
        () => false,
      )
    )
      out.push(p);
  return out;
}

/** Overwrites a file with zeros, flushes, then unlinks it; false when it was already gone. */
export async function shred(path: string): Promise<boolean> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    return false;
  }
  const handle = await openFile(path, "r+");
  try {
    const zeros = Buffer.alloc(Math.min(size, 1 << 20));
    for (let at = 0; at < size; at += zeros.length) await handle.write(zeros, 0, Math.min(zeros.length, size - at), at);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await unlink(path);
  return true;
}
