// Reads a 1EdTech CASE v1.0 CFPackage (JSON): the CFDocument names the framework and subject, each CFItem with a
// humanCodingScheme becomes a standard, and isChildOf associations give the hierarchy. Pure: text in, items out.
import type { ImportedItem, ImportResult } from "./imported.ts";

type LinkUri = { title?: unknown; identifier?: unknown; uri?: unknown };
type CfItem = {
  identifier?: unknown;
  humanCodingScheme?: unknown;
  fullStatement?: unknown;
  educationLevel?: unknown;
  subject?: unknown;
  CFItemType?: unknown;
};
type CfAssociation = { associationType?: unknown; originNodeURI?: LinkUri; destinationNodeURI?: LinkUri };
type CfLicense = { identifier?: unknown; title?: unknown; licenseText?: unknown };

/** Whether a parsed JSON value is a CFPackage (rather than staffroom's own rows). */
export function isCfPackage(data: unknown): boolean {
  const d = data as { CFDocument?: unknown; CFItems?: unknown } | null;
  return !!d && typeof d === "object" && !Array.isArray(d) && typeof d.CFDocument === "object" && d.CFDocument !== null;
}

const str = (v: unknown): string => (typeof v === "string" ? v.trim() : "");
const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.map(str).filter(Boolean) : typeof v === "string" && v.trim() ? [v.trim()] : [];

/** Maps a CFPackage to items; items without a code are listed in `skipped`, with the reason. */
export function importCfPackage(data: unknown): ImportResult {
  const pkg = data as { CFDocument: Record<string, unknown>; CFItems?: unknown; CFAssociations?: unknown; CFDefinitions?: unknown };
  const doc = pkg.CFDocument;
  const framework = str(doc.title);
  const problems: string[] = [];
  if (!framework) problems.push("CFDocument has no title (the framework name)");
  const docSubject = strings(doc.subject)[0] ?? "";
  const items = Array.isArray(pkg.CFItems) ? (pkg.CFItems as CfItem[]) : [];
  if (!Array.isArray(pkg.CFItems)) problems.push("CFItems is missing or not an array");
  const associations = Array.isArray(pkg.CFAssociations) ? (pkg.CFAssociations as CfAssociation[]) : [];

  // isChildOf: origin is the child, destination the parent (an item or the document itself).
  const parentOf = new Map<string, string>();
  for (const a of associations) {
    if (str(a.associationType) !== "isChildOf") continue;
    const child = str(a.originNodeURI?.identifier);
    const parent = str(a.destinationNodeURI?.identifier);
    if (child && parent && !parentOf.has(child)) parentOf.set(child, parent);
  }
  const byId = new Map(items.map((i) => [str(i.identifier), i]));
  // Grade bands often sit on a grouping item ("Grade 5") rather than on each standard: inherit from ancestors.
  const levelsOf = (item: CfItem): string[] => {
    const seen = new Set<string>();
    let current: CfItem | undefined = item;
    while (current) {
      const own = strings(current.educationLevel);
      if (own.length > 0) return own;
      const id = str(current.identifier);
      if (seen.has(id)) break;
      seen.add(id);
      current = byId.get(parentOf.get(id) ?? "");
    }
    return [];
  };

  const out: ImportedItem[] = [];
  const skipped: ImportResult["skipped"] = [];
  items.forEach((item, index) => {
    const id = str(item.identifier);
    const code = str(item.humanCodingScheme);
    const where = `CFItems[${index}]${id ? ` (${id})` : ""}`;
    if (!code) {
      skipped.push({ where, reason: "has no humanCodingScheme (no code to cite)" });
      return;
    }
    const parent = byId.get(parentOf.get(id) ?? "");
    out.push({
      where,
      framework,
      code,
      levels: levelsOf(item),
      subject: strings(item.subject)[0] ?? docSubject,
      description: str(item.fullStatement),
      caseId: id || undefined,
      parentCode: parent ? str(parent.humanCodingScheme) || undefined : undefined,
    });
  });
  return { items: out, skipped, problems, attribution: attributionOf(doc, pkg.CFDefinitions) };
}

/** "<title> (<publisher or creator>). License: <text or title>. Source: <official URL>." */
function attributionOf(doc: Record<string, unknown>, definitions: unknown): string | undefined {
  const licenseRef = (doc.licenseURI ?? {}) as LinkUri;
  const licenses = ((definitions as { CFLicenses?: unknown } | undefined)?.CFLicenses ?? []) as CfLicense[];
  const license = Array.isArray(licenses) ? licenses.find((l) => str(l.identifier) === str(licenseRef.identifier)) : undefined;
  const who = str(doc.publisher) || str(doc.creator);
  const licenseText = str(license?.licenseText) || str(license?.title) || str(licenseRef.title);
  const parts = [
    `${str(doc.title)}${who ? ` (${who})` : ""}.`,
    licenseText ? `License: ${licenseText.replace(/\.$/, "")}.` : "",
    str(doc.officialSourceURL) ? `Source: ${str(doc.officialSourceURL)}.` : "",
    str(doc.notes),
  ].filter(Boolean);
  return parts.length > 1 || who ? parts.join(" ") : undefined;
}
