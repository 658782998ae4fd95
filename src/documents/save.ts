// Saves a finished document into a folder as Word and Markdown files (the console's documents folder),
// never overwriting an earlier one: a second "plan.docx" becomes "plan-2.docx".
import { access, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { RenderedDocument } from "../templates/types.ts";
import { type ExportFormat, exportWithCompanions, withExtension } from "./export.ts";

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

/** Writes the document (and its companions) in each format; returns the paths written, main document first. */
export async function saveDocumentFiles(
  dir: string,
  doc: RenderedDocument,
  formats: readonly ExportFormat[] = ["docx", "md"],
): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const paths: string[] = [];
  const all = [doc, ...(doc.companions ?? [])];
  const names = [];
  for (const d of all) names.push(await freeName(dir, d.filename, formats));
  for (const format of formats) {
    const files = await exportWithCompanions(doc, format);
    for (const [i, file] of files.entries()) {
      const path = join(dir, withExtension(names[i]!, format));
      await writeFile(path, file.bytes);
      paths.push(path);
    }
  }
  return paths;
}
