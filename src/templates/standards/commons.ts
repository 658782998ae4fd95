// Reads the Learning Commons knowledge-graph JSONL export (nodes.jsonl): every StandardsFrameworkItem node with
// a statementCode becomes a standard; StandardsFramework nodes name the framework. Pure: text in, items out.
import type { ImportedItem, ImportResult } from "./imported.ts";

type NodeRecord = { identifier?: unknown; labels?: unknown; properties?: Record<string, unknown> };

const str = (v: unknown): string => (typeof v === "string" ? v.trim() : typeof v === "number" ? String(v) : "");

function levels(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(str).filter(Boolean);
  const s = str(v);
  if (s.startsWith("[")) {
    try {
      return levels(JSON.parse(s));
    } catch {
      return [];
    }
  }
  return s ? [s] : [];
}

function labelsOf(node: NodeRecord): string[] {
  return Array.isArray(node.labels) ? node.labels.map(str) : [str(node.labels)];
}

/** Maps the export's lines to items; unparsable lines are problems, items without a statementCode are skipped. */
export function importCommonsJsonl(text: string): ImportResult {
  const problems: string[] = [];
  const skipped: ImportResult["skipped"] = [];
  const nodes: { line: number; node: NodeRecord }[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    try {
      const node = JSON.parse(line) as NodeRecord;
      if (node && typeof node === "object") nodes.push({ line: i + 1, node });
    } catch {
      problems.push(`line ${i + 1} is not valid JSON`);
    }
  });
  // Framework names by jurisdiction and subject, from the StandardsFramework nodes in the same file.
  const frameworks = new Map<string, string>();
  for (const { node } of nodes) {
    if (!labelsOf(node).includes("StandardsFramework")) continue;
    const p = node.properties ?? {};
    if (str(p.name)) frameworks.set(`${str(p.jurisdiction)}|${str(p.academicSubject)}`, str(p.name));
  }
  const attributions = new Set<string>();
  const items: ImportedItem[] = [];
  for (const { line, node } of nodes) {
    if (!labelsOf(node).includes("StandardsFrameworkItem")) continue;
    const p = node.properties ?? {};
    const where = `line ${line}`;
    const code = str(p.statementCode);
    if (!code) {
      skipped.push({ where, reason: `has no statementCode (${str(p.normalizedStatementType) || "no code to cite"})` });
      continue;
    }
    const jurisdiction = str(p.jurisdiction);
    const subject = str(p.academicSubject);
    const attribution = str(p.attributionStatement);
    if (attribution) attributions.add(attribution);
    items.push({
      where,
      framework: frameworks.get(`${jurisdiction}|${subject}`) ?? ([jurisdiction, subject].filter(Boolean).join(" ") || "Learning Commons"),
      code,
      levels: levels(p.gradeLevel),
      subject,
      description: str(p.description),
      caseId: str(p.caseIdentifierUUID) || undefined,
      attribution: attribution || undefined,
    });
  }
  if (nodes.length > 0 && items.length === 0 && skipped.length === 0) problems.push("holds no StandardsFrameworkItem nodes");
  return { items, skipped, problems, attribution: attributions.size > 0 ? [...attributions].join(" ") : undefined };
}
