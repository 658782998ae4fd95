// Public surface of the documents layer: exporting rendered documents as Word, printable HTML or Markdown.
export { type Block, type Line, lineText, parseMarkdown } from "./blocks.ts";
export {
  EXPORT_FORMATS,
  type ExportedFile,
  type ExportFormat,
  exportDocument,
  exportWithCompanions,
  formatOfPath,
  MIME_TYPES,
  withExtension,
} from "./export.ts";
export { escapeHtml, toHtml } from "./html.ts";
export { saveDocumentFiles } from "./save.ts";
