// The document structure every export format is written from: headings, paragraphs, lists, tables and
// notes, parsed (pure) from the Markdown subset the template renderers write, so one renderer decides a document.

/** A run of text with its emphasis. */
export type Span = { text: string; bold?: boolean; italic?: boolean };
/** One line of spans; a cell or paragraph may hold several (hard line breaks). */
export type Line = Span[];

export type ListItem = { line: Line; children: ListItem[] };

export type Block =
  | { kind: "heading"; level: 1 | 2 | 3; line: Line }
  | { kind: "paragraph"; lines: Line[] }
  | { kind: "note"; lines: Line[] }
  | { kind: "list"; ordered: boolean; items: ListItem[] }
  | { kind: "table"; header: Line[][]; rows: Line[][][]; numeric: boolean[] };

/** Plain text of a line (for search, alt text and tests). */
export function lineText(line: Line): string {
  return line.map((s) => s.text).join("");
}

/**
 * Inline Markdown to spans: `**bold**`, `_italic_` / `*italic*`, `\|` escapes; anything else is text.
 * Emphasis markers without a partner stay literal, so a stray `*` in a model's answer is kept.
 */
export function parseInline(text: string): Line {
  const spans: Span[] = [];
  const push = (t: string, bold = false, italic = false) => {
    if (!t) return;
    const last = spans[spans.length - 1];
    if (last && !!last.bold === bold && !!last.italic === italic) last.text += t;
    else spans.push({ text: t, ...(bold ? { bold } : {}), ...(italic ? { italic } : {}) });
  };
  // Italic content may not start or end with a space or an underscore, so a blank line "______" stays text.
  const pattern = /\*\*(.+?)\*\*|(?<![\w*\\])_(?![\s_])(.+?)(?<![\s_\\])_(?!\w)|(?<![\w*\\])\*(?![\s*])(.+?)(?<![\s\\])\*(?!\w)/g;
  let at = 0;
  for (const m of text.matchAll(pattern)) {
    push(unescapeMarkdown(text.slice(at, m.index)));
    if (m[1] !== undefined) {
      // Bold may carry italic inside it ("**_Total_**"); one level of nesting is enough for our renderers.
      for (const inner of parseInline(m[1])) push(inner.text, true, !!inner.italic);
    } else {
      for (const inner of parseInline(m[2] ?? m[3] ?? "")) push(inner.text, !!inner.bold, true);
    }
    at = m.index + m[0].length;
  }
  push(unescapeMarkdown(text.slice(at)));
  return spans;
}

function unescapeMarkdown(text: string): string {
  return text.replace(/\\([|*_\\])/g, "$1");
}

const HEADING = /^(#{1,3})\s+(.*)$/;
const BULLET = /^(\s*)[-*]\s+(.*)$/;
const ORDERED = /^(\s*)\d+[.)]\s+(.*)$/;
const TABLE_ROW = /^\s*\|.*\|\s*$/;
const TABLE_RULE = /^\s*\|(\s*:?-{3,}:?\s*\|)+\s*$/;

function splitRow(row: string): string[] {
  const inner = row.trim().replace(/^\|/, "").replace(/\|$/, "");
  return inner.split(/(?<!\\)\|/).map((c) => c.trim());
}

function cellLines(cell: string): Line[] {
  return cell.split(/<br\s*\/?>/i).map((part) => parseInline(part.trim()));
}

/** A paragraph's source lines: Markdown's trailing double space and plain newlines both break the line here. */
function paragraphLines(lines: string[]): Line[] {
  return lines.map((l) => parseInline(l.trim()));
}

/** Parses the renderers' Markdown subset into blocks. Unknown syntax is kept as paragraph text, never dropped. */
export function parseMarkdown(markdown: string): Block[] {
  const lines = markdown.replace(/\r\n?/g, "\n").split("\n");
  const blocks: Block[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (line.trim() === "") {
      i++;
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      blocks.push({ kind: "heading", level: heading[1]!.length as 1 | 2 | 3, line: parseInline(heading[2]!.trim()) });
      i++;
      continue;
    }
    if (line.startsWith(">")) {
      const quoted: string[] = [];
      while (i < lines.length && lines[i]!.startsWith(">")) quoted.push(lines[i++]!.replace(/^>\s?/, ""));
      blocks.push({ kind: "note", lines: paragraphLines(quoted.filter((q) => q.trim() !== "")) });
      continue;
    }
    if (TABLE_ROW.test(line) && i + 1 < lines.length && TABLE_RULE.test(lines[i + 1]!)) {
      const header = splitRow(line).map(cellLines);
      const numeric = splitRow(lines[i + 1]!).map((c) => /-:$/.test(c));
      i += 2;
      const rows: Line[][][] = [];
      while (i < lines.length && TABLE_ROW.test(lines[i]!)) rows.push(splitRow(lines[i++]!).map(cellLines));
      blocks.push({ kind: "table", header, rows, numeric });
      continue;
    }
    const bullet = BULLET.exec(line);
    const ordered = ORDERED.exec(line);
    if (bullet || ordered) {
      const isOrdered = !bullet;
      const items: ListItem[] = [];
      // Nesting is relative to the list's first item: options indented under a bold question line
      // ("   - A. …") are one list of siblings, not a first item with the rest nested under it (QA D7).
      const base = (bullet ?? ordered)![1]!.length;
      while (i < lines.length) {
        const b = BULLET.exec(lines[i]!);
        const o = ORDERED.exec(lines[i]!);
        const m = b ?? o;
        if (!m) {
          // A continuation line of the last item ("  _Why:_ ..." under a standard).
          const text = lines[i]!;
          const last = items[items.length - 1];
          if (text.trim() !== "" && /^\s{2,}/.test(text) && last) {
            const target = last.children[last.children.length - 1] ?? last;
            target.line.push({ text: " " }, ...parseInline(text.trim()));
            i++;
            continue;
          }
          break;
        }
        const depth = m[1]!.length - base;
        const item: ListItem = { line: parseInline(m[2]!.replace(/\s{2}$/, "")), children: [] };
        const parent = items[items.length - 1];
        if (depth >= 2 && parent) parent.children.push(item);
        else if ((!!o && !b) !== isOrdered && depth < 2) break;
        else items.push(item);
        i++;
      }
      blocks.push({ kind: "list", ordered: isOrdered, items });
      continue;
    }
    const para: string[] = [];
    while (i < lines.length) {
      const l = lines[i]!;
      if (l.trim() === "" || HEADING.test(l) || l.startsWith(">") || BULLET.test(l) || ORDERED.test(l) || TABLE_ROW.test(l)) break;
      para.push(l);
      i++;
    }
    blocks.push({ kind: "paragraph", lines: paragraphLines(para) });
  }
  return blocks;
}
