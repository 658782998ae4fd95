// The document of a finished execution as a file: Word, printable HTML or Markdown, the main document
// or an assessment's student copy or answer key, named as the chat surfaces name it (no student name).
import { z } from "zod";
import {
  DOCUMENT_PARTS,
  type DocumentPart,
  documentParts,
  EXPORT_FORMATS,
  type ExportFormat,
  exportDocument,
  nameFreeFilename,
  namesToHide,
} from "../../documents/index.ts";
import type { ExecutionView } from "../../engine/records.ts";
import type { Template } from "../../templates/types.ts";
import { HttpProblem } from "../problem.ts";
import { type Access, checkOwner } from "./access.ts";
import { renderDocument } from "./executions.ts";
import { EXECUTION_ID, shortId } from "./params.ts";
import type { ApiDeps, Route } from "./route.ts";

export const DocumentQuery = z.strictObject({
  format: z.enum(EXPORT_FORMATS).default("docx").meta({ description: "docx (Word, default), html (printable page) or md (Markdown)." }),
  part: z
    .enum(DOCUMENT_PARTS)
    .default("document")
    .meta({ description: "document (default), or an assessment's student-copy or answer-key." }),
});

const PART_NAMES: Record<DocumentPart, string> = { document: "document", "student-copy": "student copy", "answer-key": "answer key" };

export type DocumentFileAnswer = { filename: string; contentType: string; bytes: Uint8Array };

/**
 * One part of a finished execution's document in a format, or an HttpProblem saying in one sentence why
 * there is none (unknown, not finished, not a template, no such part). Shared by the API and the print page.
 */
export async function documentFile(
  deps: Pick<ApiDeps, "engine" | "logger" | "knownNames"> & { templates: ReadonlyMap<string, Template> },
  id: string,
  format: ExportFormat,
  part: DocumentPart,
  access?: Access,
): Promise<DocumentFileAnswer> {
  const view: ExecutionView | undefined = await deps.engine.get(id);
  if (!view) throw new HttpProblem(404, "unknown_execution", `No execution with id "${shortId(id)}" exists.`);
  if (access) checkOwner(access, view);
  if (view.status !== "completed")
    throw new HttpProblem(
      409,
      "no_document_yet",
      `Execution "${shortId(id)}" is ${view.status}; its document exists once it has completed.`,
    );
  const template = deps.templates.get(view.templateId);
  const doc = renderDocument(deps as ApiDeps, template, view);
  if (!doc) throw new HttpProblem(404, "no_document", `Execution "${shortId(id)}" has no document (its workflow is not a template).`);
  const found = documentParts(doc).find((p) => p.part === part);
  if (!found)
    throw new HttpProblem(
      404,
      "no_such_part",
      `Execution "${shortId(id)}" has no ${PART_NAMES[part]}; only assessments have a student copy and an answer key.`,
    );
  const known = (await deps.knownNames?.(view.id, view.userId)) ?? [];
  const names = template?.studentData === false ? [] : await namesToHide(doc, view.inputs, known);
  const file = await exportDocument({ ...found.doc, filename: nameFreeFilename(found.doc.filename, names) }, format);
  return { filename: file.filename, contentType: file.mime, bytes: file.bytes };
}

/** Content-Disposition with an ASCII fallback and the UTF-8 name (RFC 6266). */
export function disposition(kind: "attachment" | "inline", filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, "_");
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}

export const documentRoutes: Route[] = [
  {
    method: "GET",
    path: "/api/workflows/executions/{id}/document",
    operationId: "getExecutionDocument",
    summary: "The finished document as a file",
    description:
      "A completed template run's document as Word (.docx), a printable HTML page or Markdown; `part` picks an assessment's student copy or answer key. Word and Markdown come as downloads, HTML to open in a browser.",
    tag: "executions",
    params: { id: EXECUTION_ID },
    query: DocumentQuery,
    responses: {
      200: {
        description: "The file, named from its title and topic (Content-Disposition).",
        contentTypes: ["application/vnd.openxmlformats-officedocument.wordprocessingml.document", "text/html", "text/markdown"],
        headers: {
          "content-disposition": { description: "attachment (docx, md) or inline (html), with the file name.", schema: { type: "string" } },
        },
      },
      403: { description: "A teacher key and another teacher's execution.", component: "Problem" },
      404: { description: "No such execution, no document, or no such part.", component: "Problem" },
      409: { description: "The execution has not completed.", component: "Problem" },
    },
    async handle({ deps, params, query, access }) {
      const { format, part } = query as z.infer<typeof DocumentQuery>;
      const file = await documentFile(deps, params.id ?? "", format, part, access);
      return {
        status: 200,
        bytes: file.bytes,
        headers: {
          "content-type": file.contentType,
          "content-disposition": disposition(format === "html" ? "inline" : "attachment", file.filename),
        },
      };
    },
  },
];
