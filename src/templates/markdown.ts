// Small pure helpers the template renderers share: node outputs from a view, lists, filenames, the offline banner.
import type { ExecutionView } from "../engine/records.ts";
import type { GroundedStandards } from "./standards/match.ts";

/** The output of a completed node, or undefined. */
export function outputOf<T>(view: ExecutionView, nodeId: string): T | undefined {
  const node = view.nodes.find((n) => n.nodeId === nodeId);
  return node && node.status === "completed" ? (node.output as T) : undefined;
}

/** One line per item; nothing when empty. */
export function bullets(items: readonly (string | undefined | null)[], empty = "_None._"): string {
  const lines = items.map((i) => oneLine(i ?? "")).filter(Boolean);
  return lines.length === 0 ? empty : lines.map((l) => `- ${l}`).join("\n");
}

export function numbered(items: readonly string[]): string {
  return items
    .map((i) => oneLine(i))
    .filter(Boolean)
    .map((l, n) => `${n + 1}. ${l}`)
    .join("\n");
}

/** "1 idea", "3 ideas": a count with its noun in the right number. */
export function plural(n: number, noun: string, many = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : many}`;
}

/** Collapses whitespace so a value cannot break list structure. */
export function oneLine(text: string): string {
  return String(text).replace(/\s+/g, " ").trim();
}

/** A file name from a title: lower-case words joined by -, with the extension. */
export function filenameFor(kind: string, title: string): string {
  const slug = title
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[^\w\s-]/g, "")
    .trim()
    .replace(/[\s_]+/g, "-")
    .replace(/-+/g, "-")
    .slice(0, 50)
    .replace(/-$/, "");
  return `${kind}${slug ? `-${slug}` : ""}.md`;
}

export const OFFLINE_BANNER =
  "> **Offline draft.** Written without an AI model (none is configured) from your answers; review and adapt it before use.";

export const PRIVACY_NOTE =
  "> **Names protected.** Names, e-mail addresses, phone numbers and id numbers were replaced by placeholders before anything reached the AI model, and put back here.";

/** How the draft was made: the offline banner, or (with a model) that names were protected at the model boundary. */
export function offlineNote(view: Pick<ExecutionView, "provider">): string[] {
  if (view.provider === undefined) return [];
  return view.provider === "offline" ? [OFFLINE_BANNER, ""] : [PRIVACY_NOTE, ""];
}

/** Table cell text: no pipes or line breaks. */
export function cell(text: string): string {
  return oneLine(text).replace(/\|/g, "\\|");
}

/** The standards section body: cited codes with the set's own text, or standards to confirm in words. */
export function standardsMarkdown(grounded: GroundedStandards | undefined): string {
  if (!grounded || grounded.mode === "none") return "_No standards requested._";
  const lines: string[] = [];
  for (const s of grounded.standards) {
    const caseId = s.caseId ? `  \n  _CASE identifier:_ \`${s.caseId}\`` : "";
    lines.push(
      `- **${s.code}** (${s.framework}): ${oneLine(s.description)}${caseId}${s.reason ? `  \n  _Why:_ ${oneLine(s.reason)}` : ""}`,
    );
  }
  if (grounded.toConfirm.length > 0) {
    if (lines.length > 0) lines.push("");
    lines.push(
      grounded.mode === "unloaded"
        ? "No standards set is loaded, so no codes are cited. Confirm these in your framework:"
        : "Also confirm:",
    );
    for (const t of grounded.toConfirm) lines.push(`- ${oneLine(t)}`);
  }
  if (lines.length === 0) {
    return grounded.mode === "unloaded"
      ? "No standards set is loaded, so no codes are cited. Confirm the matching standards in your framework."
      : "No standard in the loaded set matches this topic closely; confirm the matching standards in your framework.";
  }
  return lines.join("\n");
}

/** Upper-case codes a document may cite. */
export function allowedCodes(grounded: GroundedStandards | undefined): Set<string> {
  return new Set((grounded?.standards ?? []).map((s) => s.code.toUpperCase()));
}
