// A Word document (.docx) from document blocks with the `docx` package: real heading styles, Word lists
// (each numbered list restarts at 1) and bordered tables, so teachers can edit it like their own files.
import {
  AlignmentType,
  BorderStyle,
  Document,
  HeadingLevel,
  LevelFormat,
  Packer,
  Paragraph,
  ShadingType,
  Table,
  TableCell,
  TableRow,
  TextRun,
  WidthType,
} from "docx";
import type { Block, Line, ListItem } from "./blocks.ts";

const HEADINGS = { 1: HeadingLevel.HEADING_1, 2: HeadingLevel.HEADING_2, 3: HeadingLevel.HEADING_3 } as const;
const NUMBERED = "staffroom-numbered";

function runs(line: Line, extra: { bold?: boolean } = {}): TextRun[] {
  return line.map((s) => new TextRun({ text: s.text, bold: s.bold || extra.bold, italics: s.italic }));
}

/** Several lines in one paragraph, joined by line breaks. */
function breakRuns(lines: Line[], extra: { bold?: boolean } = {}): TextRun[] {
  return lines.flatMap((line, i) => {
    const r = runs(line, extra);
    const first = r[0];
    if (i > 0 && first) return [new TextRun({ text: "", break: 1 }), ...r];
    return r;
  });
}

function listParagraphs(items: ListItem[], ordered: boolean, instance: number, level = 0): Paragraph[] {
  return items.flatMap((item) => [
    new Paragraph({
      children: runs(item.line),
      ...(ordered && level === 0 ? { numbering: { reference: NUMBERED, level: 0, instance } } : { bullet: { level } }),
    }),
    ...listParagraphs(item.children, false, instance, level + 1),
  ]);
}

const border = { style: BorderStyle.SINGLE, size: 4, color: "777777" };
const borders = { top: border, bottom: border, left: border, right: border };

/** Text width of the page in twentieths of a point (A4 with 1-inch margins). */
const TEXT_WIDTH = 9026;

/**
 * Column widths in proportion to what each column holds (the longest line of any cell, between 4 and 60
 * characters), so a "#" or "Points" column stays narrow and a "Why" column gets the room (QA D7: five
 * equal columns wrapped an answer key's explanations one word per line).
 */
export function columnWidths(b: Extract<Block, { kind: "table" }>, columns: number, total = TEXT_WIDTH): number[] {
  const longest = Array.from({ length: columns }, (_, i) =>
    Math.max(
      ...[b.header, ...b.rows].map((row) => Math.max(0, ...(row[i] ?? []).map((line) => line.reduce((n, s) => n + s.text.length, 0)))),
    ),
  );
  const weights = longest.map((n) => Math.min(60, Math.max(4, n)));
  const sum = weights.reduce((a, w) => a + w, 0);
  return weights.map((w) => Math.floor((w / sum) * total));
}

function table(b: Extract<Block, { kind: "table" }>): Table {
  const columns = Math.max(b.header.length, ...b.rows.map((r) => r.length));
  const widths = columnWidths(b, columns);
  const cell = (lines: Line[] | undefined, i: number, head: boolean) =>
    new TableCell({
      borders,
      width: { size: widths[i] ?? 0, type: WidthType.DXA },
      ...(head ? { shading: { type: ShadingType.CLEAR, color: "auto", fill: "EEEEEE" } } : {}),
      children: [
        new Paragraph({
          children: breakRuns(lines ?? [[]], { bold: head }),
          ...(b.numeric[i] ? { alignment: AlignmentType.RIGHT } : {}),
        }),
      ],
    });
  const row = (cells: Line[][], head: boolean) =>
    new TableRow({ tableHeader: head, children: Array.from({ length: columns }, (_, i) => cell(cells[i], i, head)) });
  return new Table({
    width: { size: TEXT_WIDTH, type: WidthType.DXA },
    columnWidths: widths,
    rows: [row(b.header, true), ...b.rows.map((r) => row(r, false))],
  });
}

/** The document as .docx bytes. */
export async function toDocx(title: string, blocks: Block[]): Promise<Buffer> {
  const children: (Paragraph | Table)[] = [];
  let lists = 0;
  for (const b of blocks) {
    switch (b.kind) {
      case "heading":
        children.push(new Paragraph({ heading: HEADINGS[b.level], children: runs(b.line) }));
        break;
      case "paragraph":
        children.push(new Paragraph({ children: breakRuns(b.lines), spacing: { after: 120 } }));
        break;
      case "note":
        children.push(
          new Paragraph({
            children: breakRuns(b.lines),
            shading: { type: ShadingType.CLEAR, color: "auto", fill: "FFF8E6" },
            border: { left: { style: BorderStyle.SINGLE, size: 18, color: "CC9900", space: 6 } },
            spacing: { after: 120 },
          }),
        );
        break;
      case "list":
        lists++;
        children.push(...listParagraphs(b.items, b.ordered, lists));
        break;
      case "table":
        children.push(table(b), new Paragraph({ children: [] }));
        break;
    }
  }
  const doc = new Document({
    title,
    creator: "staffroom",
    lastModifiedBy: "staffroom",
    styles: { default: { document: { run: { font: "Calibri", size: 22 } } } },
    numbering: {
      config: [
        {
          reference: NUMBERED,
          levels: [{ level: 0, format: LevelFormat.DECIMAL, text: "%1.", alignment: AlignmentType.START }],
        },
      ],
    },
    sections: [{ children }],
  });
  return Packer.toBuffer(doc);
}
