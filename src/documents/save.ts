// Saves a finished document into a folder as Word and Markdown files (the console's documents folder),
// never overwriting an earlier one: a second "plan.docx" becomes "plan-2.docx".
import { access, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { RenderedDocument } from "../templates/types.ts";
import { type ExportFormat, exportDocument, withExtension } from "./export.ts";

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** A file name in `dir` not yet taken by any of the formats, so a document's .md and .docx keep one name. */
async function freeName(dir: string, filename: string, formats: readonly ExportFormat[]): Promise<string> {
  const base = filename.replace(/\.[a-z]+$/i, "");
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? base : `${base}-${n}`;
    const taken = await Promise.all(formats.map((f) => exists(join(dir, `${candidate}.${f}`))));
    if (!taken.some(Boolean)) return candidate;
  }
}

/** Word files already built for the document (OutDocument.files), main document first. */
type Built = { filename: string; bytes: Uint8Array }[];

/**
 * Writes the document (and its companions) in each format; returns the paths written, main document first.
 * Word files the chat core already built (`doc.files`, one per part) are written as they are, under their
 * names (which carry no student name), rather than built again.
 */
export async function saveDocumentFiles(
  dir: string,
  doc: RenderedDocument & { files?: Built },
  formats: readonly ExportFormat[] = ["docx", "md"],
  /** Told the paths before any is written (SavedDocuments lists them under the teacher first). */
  beforeWrite?: (paths: string[]) => Promise<void>,
): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const paths: string[] = [];
  const parts = [doc, ...(doc.companions ?? [])].map((d) => ({ doc: d }));
  const built = doc.files?.length === parts.length ? doc.files : undefined;
  const names: string[] = [];
  for (const [i, p] of parts.entries()) names.push(await freeName(dir, built?.[i]?.filename ?? p.doc.filename, formats));
  await beforeWrite?.(formats.flatMap((format) => parts.map((_, i) => join(dir, withExtension(names[i]!, format)))));
  for (const format of formats) {
    for (const [i, p] of parts.entries()) {
      const path = join(dir, withExtension(names[i]!, format));
      const bytes = format === "docx" && built ? built[i]!.bytes : (await exportDocument(p.doc, format)).bytes;
      await writeFile(path, bytes);
      paths.push(path);
    }
  }
  return paths;
}
