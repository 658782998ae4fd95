// Public surface of the documents layer: exporting rendered documents as Word, printable HTML or Markdown,
// the files a finished document is handed out as, and signed links to its printable page.
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
export {
  DOCUMENT_PARTS,
  type DocumentFile,
  type DocumentPart,
  documentFiles,
  documentParts,
  type KnownNames,
  knownNames,
  nameFreeFilename,
  namesToHide,
} from "./files.ts";
export { escapeHtml, toHtml } from "./html.ts";
export { createLinkSigner, DEFAULT_LINK_DAYS, type LinkCheck, type LinkSigner, PRINT_PATH } from "./links.ts";
export { saveDocumentFiles } from "./save.ts";
export { SavedDocuments, shred } from "./saved.ts";
