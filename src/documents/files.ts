// The files a finished document is handed out as (the document, and an assessment's student copy and
// answer key), built once as Word files for the chat surfaces and named so no student's name travels in
// a file name. Pure apart from docx packing.
import { findPeople, loadNameModel } from "../privacy/people.ts";
import { type PrivacyStore, SCHOOL_ROSTER } from "../privacy/store.ts";
import type { RenderedDocument } from "../templates/types.ts";
import { type ExportFormat, exportDocument } from "./export.ts";

export const DOCUMENT_PARTS = ["document", "student-copy", "answer-key"] as const;
/** Which of a run's documents: the main one, or an assessment's companions. */
export type DocumentPart = (typeof DOCUMENT_PARTS)[number];

/** One file ready to upload or attach. */
export type DocumentFile = {
  part: DocumentPart;
  /** What the file is, as a person reads it ("Student copy: Fractions"). */
  title: string;
  filename: string;
  contentType: string;
  bytes: Uint8Array;
};

/** The part a rendered document is, from the name its template gave it (companions say what they are). */
export function partOf(doc: RenderedDocument, isCompanion: boolean): DocumentPart | undefined {
  if (!isCompanion) return "document";
  if (/(^|-)student-copy(-|\.|$)/.test(doc.filename)) return "student-copy";
  if (/(^|-)answer-key(-|\.|$)/.test(doc.filename)) return "answer-key";
  return undefined;
}

/** A run's documents by part, main document first. */
export function documentParts(doc: RenderedDocument): { part: DocumentPart; doc: RenderedDocument }[] {
  const out: { part: DocumentPart; doc: RenderedDocument }[] = [{ part: "document", doc }];
  for (const c of doc.companions ?? []) {
    const part = partOf(c, true);
    if (part && !out.some((o) => o.part === part)) out.push({ part, doc: c });
  }
  return out;
}

/** Lower-case name words (and their possessive "s" slug form), the way they would appear in a slug. */
function nameWords(names: readonly string[]): Set<string> {
  const words = new Set<string>();
  for (const name of names) {
    for (const w of name
      .toLowerCase()
      .normalize("NFKD")
      .split(/[^\p{L}\p{N}']+/u)) {
      const bare = w.replace(/['’]s$/, "").replace(/['’]/g, "");
      if (bare.length < 2) continue;
      words.add(bare);
      words.add(`${bare}s`);
    }
  }
  return words;
}

/**
 * A file name without any of `names` in it: slug words that are a name (or its possessive) are dropped, so
 * "parent-message-marias-reading.md" with the name Maria becomes "parent-message-reading.md". The templates
 * name files by topic or assignment; this is the one place that makes sure a name typed there stays out.
 */
export function nameFreeFilename(filename: string, names: readonly string[]): string {
  const words = nameWords(names);
  if (words.size === 0) return filename;
  const ext = /\.[a-z0-9]+$/i.exec(filename)?.[0] ?? "";
  const base = filename.slice(0, filename.length - ext.length);
  const kept = base.split("-").filter((w) => w !== "" && !words.has(w.toLowerCase()));
  return `${kept.join("-") || "document"}${ext}`;
}

/**
 * The files of a finished document in one format (Word for the chat surfaces), each named from its title
 * and topic with `names` (the run's student names and any the privacy layer finds in the title) removed.
 */
export async function documentFiles(
  doc: RenderedDocument,
  options: { format?: ExportFormat; names?: readonly string[] } = {},
): Promise<DocumentFile[]> {
  const format = options.format ?? "docx";
  const names = options.names ?? [];
  return Promise.all(
    documentParts(doc).map(async ({ part, doc: d }) => {
      const file = await exportDocument({ ...d, filename: nameFreeFilename(d.filename, names) }, format);
      return { part, title: d.title, filename: file.filename, contentType: file.mime, bytes: new Uint8Array(file.bytes) };
    }),
  );
}

/**
 * The names to keep out of a run's file names: `known` (what the privacy layer recorded, see knownNames),
 * its name inputs (a feedback's student) and the person names the privacy layer finds in its documents'
 * titles (a parent message's purpose may name the child).
 */
export async function namesToHide(
  doc: RenderedDocument,
  inputs: Record<string, unknown>,
  known: readonly string[] = [],
): Promise<string[]> {
  const names: string[] = [...known];
  for (const [k, v] of Object.entries(inputs)) if (/name/i.test(k) && typeof v === "string") names.push(v);
  await loadNameModel();
  for (const d of [doc, ...(doc.companions ?? [])]) names.push(...findPeople(d.title).map((p) => p.value));
  return names;
}

/** Names the privacy layer knows for a run: see knownNames. */
export type KnownNames = (executionId: string, userId: string | undefined) => Promise<string[]>;

/**
 * What the privacy layer knows of a run's people: the names (every form) it replaced with placeholders
 * before the model saw the run, and the teacher's and the school's rosters.
 */
export function knownNames(privacy: PrivacyStore): KnownNames {
  return async (executionId, userId) => {
    const [map, mine, school] = await Promise.all([
      privacy.getMap(executionId),
      userId ? privacy.getRoster(userId) : undefined,
      privacy.getRoster(SCHOOL_ROSTER),
    ]);
    const people = (map?.entries ?? []).filter((e) => e.kind === "STUDENT" || e.kind === "PARENT" || e.kind === "PERSON");
    return [...people.flatMap((e) => [e.value, ...e.forms]), ...(mine?.names ?? []), ...(school?.names ?? [])];
  };
}
