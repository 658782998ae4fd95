// A document as its `## ` sections, and back: what a revision splits, which sections an instruction names,
// and the merge that copies every section the revision did not target verbatim (pure).

export type Section = { heading: string; body: string };
export type SplitDocument = { head: string; sections: Section[] };

const HEADING = /^## (.+?)\s*$/;

/** The text before the first `## ` heading (title, facts) and each `## ` section with its body (### stays inside). */
export function splitSections(markdown: string): SplitDocument {
  const lines = markdown.replace(/\r\n/g, "\n").split("\n");
  const head: string[] = [];
  const sections: Section[] = [];
  let fenced = false;
  for (const line of lines) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    const m = fenced ? null : HEADING.exec(line);
    if (m) sections.push({ heading: m[1]!, body: "" });
    else if (sections.length === 0) head.push(line);
    else {
      const last = sections.at(-1)!;
      last.body = last.body === "" ? line : `${last.body}\n${line}`;
    }
  }
  return { head: head.join("\n"), sections: sections.map((s) => ({ heading: s.heading, body: s.body.replace(/\s+$/, "") })) };
}

export function joinSections(doc: SplitDocument): string {
  const head = doc.head.replace(/\s+$/, "");
  const parts = doc.sections.map((s) => (s.body ? `## ${s.heading}\n${s.body}` : `## ${s.heading}`));
  return `${[head, ...parts].filter((p) => p !== "").join("\n\n")}\n`;
}

const norm = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim();

/** A heading's words worth matching on ("Assessment / exit ticket" → "exit ticket", "assessment"). */
function headingKeys(heading: string): string[] {
  const parts = heading
    .split(/[/&,:]| and /i)
    .map(norm)
    .filter(Boolean);
  return [...new Set([norm(heading), ...parts])];
}

/** The section a phrase names exactly (by the whole heading or a part of it), if any. */
export function findSection(headings: readonly string[], phrase: string): string | undefined {
  const p = norm(phrase).replace(/^(the|a|an|my) /, "");
  if (!p) return undefined;
  return (
    headings.find((h) => norm(h) === p) ??
    headings.find((h) => headingKeys(h).includes(p)) ??
    headings.find((h) => headingKeys(h).some((k) => k === p.replace(/s$/, "") || `${k}s` === p))
  );
}

/**
 * "Regenerate the exit ticket", "rewrite the warm-up and the materials": the sections an instruction
 * asks to redo by name. Only these are rewritten; no model is asked to choose.
 */
export function namedSections(instruction: string, headings: readonly string[]): string[] {
  const m = /^\s*(?:please\s+)?(?:re-?generate|rewrite|re-?write|redo|re-?do|replace)\s+(.+?)\s*[.!]?\s*$/i.exec(instruction);
  if (!m) return [];
  const names = m[1]!
    .replace(/\s+section(s)?\b/gi, "")
    .split(/\s*(?:,|\band\b|&)\s*/i)
    .filter(Boolean);
  const found = names.map((n) => findSection(headings, n));
  return found.every((f) => f !== undefined) ? [...new Set(found as string[])] : [];
}

/** Sections an instruction mentions by name anywhere ("make the warm-up shorter"); the offline choice. */
export function mentionedSections(instruction: string, headings: readonly string[]): string[] {
  const text = ` ${norm(instruction)} `;
  return headings.filter((h) => headingKeys(h).some((k) => k.length >= 3 && (text.includes(` ${k} `) || text.includes(` ${k}s `))));
}

/** The targets widened by groups that must change together (an assessment's questions and its answer key). */
export function withCoupled(targets: readonly string[], coupled: readonly (readonly string[])[], headings: readonly string[]): string[] {
  const out = new Set(targets);
  for (const group of coupled) if (group.some((g) => out.has(g))) for (const g of group) if (headings.includes(g)) out.add(g);
  return headings.filter((h) => out.has(h));
}

/**
 * The next version: targeted sections take their rewritten body, every other section is copied verbatim
 * (whatever the model returned for it), and new sections (only under headings the choice announced) follow
 * the last targeted one. A targeted section the model left out keeps its text.
 */
export function mergeSections(
  current: SplitDocument,
  targets: readonly string[],
  rewritten: readonly Section[],
  newHeadings: readonly string[] = [],
): SplitDocument {
  const target = new Set(targets);
  const allowedNew = new Set(newHeadings.map(norm));
  const known = new Set(current.sections.map((s) => s.heading));
  const byHeading = new Map<string, string>();
  for (const r of rewritten) {
    const heading = findSection([...known], r.heading) ?? r.heading.trim();
    if (!byHeading.has(heading)) byHeading.set(heading, r.body.replace(/\s+$/, ""));
  }
  const added = [...byHeading.entries()]
    .filter(([h]) => !known.has(h) && allowedNew.has(norm(h)))
    .map(([heading, body]) => ({ heading, body }));
  const sections: Section[] = [];
  const lastTarget = current.sections.map((s) => s.heading).findLastIndex((h) => target.has(h));
  current.sections.forEach((s, i) => {
    const body = target.has(s.heading) ? byHeading.get(s.heading) : undefined;
    sections.push(body !== undefined && body.trim() !== "" ? { heading: s.heading, body } : s);
    if (i === lastTarget) sections.push(...added);
  });
  if (lastTarget < 0) sections.push(...added);
  return { head: current.head, sections };
}
