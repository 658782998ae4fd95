// One rendered document into a file of the asked format (.docx, .html, .md), and the files a document
// brings along (an assessment's student copy and answer key). Pure apart from docx packing.
import type { RenderedDocument } from "../templates/types.ts";
import { parseMarkdown } from "./blocks.ts";
import { toHtml } from "./html.ts";

export const EXPORT_FORMATS = ["docx", "html", "md"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const MIME_TYPES: Record<ExportFormat, string> = {
  docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  html: "text/html; charset=utf-8",
  md: "text/markdown; charset=utf-8",
};

export type ExportedFile = { filename: string; format: ExportFormat; mime: string; bytes: Buffer };

/** The format a file name asks for by its extension (`.markdown` and `.htm` too), else undefined. */
export function formatOfPath(path: string): ExportFormat | undefined {
  const ext = /\.([a-z]+)$/i.exec(path)?.[1]?.toLowerCase();
  if (ext === "markdown") return "md";
  if (ext === "htm") return "html";
  return EXPORT_FORMATS.find((f) => f === ext);
}

/** `name.md` → `name.<format>`. */
export function withExtension(filename: string, format: ExportFormat): string {
  return `${filename.replace(/\.[a-z]+$/i, "")}.${format}`;
}

export async function exportDocument(doc: RenderedDocument, format: ExportFormat): Promise<ExportedFile> {
  const filename = withExtension(doc.filename, format);
  const bytes =
    format === "md"
      ? Buffer.from(doc.markdown, "utf8")
      : format === "html"
        ? Buffer.from(toHtml(doc.title, parseMarkdown(doc.markdown)), "utf8")
        : // The docx package is large; commands that never write Word files do not load it.
          await (await import("./docx.ts")).toDocx(doc.title, parseMarkdown(doc.markdown));
  return { filename, format, mime: MIME_TYPES[format], bytes };
}

/** The document and its companions (student copy, answer key), all in one format. */
export async function exportWithCompanions(doc: RenderedDocument, format: ExportFormat): Promise<ExportedFile[]> {
  return Promise.all([doc, ...(doc.companions ?? [])].map((d) => exportDocument(d, format)));
}
