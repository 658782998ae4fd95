// Opens a .docx the way Word does: unzip, then parse word/document.xml, and reads back its headings,
// tables, list paragraphs and text, so tests check the real file rather than our own builder.
import { XMLParser } from "fast-xml-parser";
import JSZip from "jszip";

type Node = Record<string, unknown>;
export type DocxParagraph = { style?: string; list?: { numId: string; level: number }; text: string; bold: boolean };
export type DocxTable = { rows: string[][] };
export type DocxContent = { body: (DocxParagraph | DocxTable)[]; paragraphs: DocxParagraph[]; tables: DocxTable[]; title?: string };

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@",
  preserveOrder: true,
  trimValues: false,
  parseTagValue: false,
});

const kids = (n: Node): Node[] => {
  const key = Object.keys(n).find((k) => k !== ":@");
  return key ? ((n[key] as Node[]) ?? []) : [];
};
const tag = (n: Node) => Object.keys(n).find((k) => k !== ":@") ?? "";
const attr = (n: Node, name: string) => (n[":@"] as Record<string, string> | undefined)?.[`@${name}`];
const find = (n: Node, name: string) => kids(n).find((c) => tag(c) === name);

function textOf(n: Node): string {
  if (tag(n) === "#text") return String(n["#text"]);
  if (tag(n) === "w:br") return "\n";
  return kids(n).map(textOf).join("");
}

function paragraph(p: Node): DocxParagraph {
  const pPr = find(p, "w:pPr");
  const style = pPr ? find(pPr, "w:pStyle") : undefined;
  const numPr = pPr ? find(pPr, "w:numPr") : undefined;
  const runs = kids(p).filter((c) => tag(c) === "w:r");
  const bold =
    runs.length > 0 &&
    runs.every((r) => {
      const rPr = find(r, "w:rPr");
      return !!rPr && !!find(rPr, "w:b");
    });
  return {
    ...(style ? { style: attr(style, "w:val") } : {}),
    ...(numPr
      ? { list: { numId: attr(find(numPr, "w:numId")!, "w:val") ?? "", level: Number(attr(find(numPr, "w:ilvl")!, "w:val")) } }
      : {}),
    text: textOf(p),
    bold,
  };
}

export async function readDocx(bytes: Uint8Array): Promise<DocxContent> {
  const zip = await JSZip.loadAsync(bytes);
  const xml = await zip.file("word/document.xml")?.async("string");
  if (!xml) throw new Error("no word/document.xml in the file");
  const root = parser.parse(xml) as Node[];
  const doc = root.find((n) => tag(n) === "w:document")!;
  const body = find(doc, "w:body")!;
  const content: DocxContent = { body: [], paragraphs: [], tables: [] };
  for (const n of kids(body)) {
    if (tag(n) === "w:p") {
      const p = paragraph(n);
      content.body.push(p);
      content.paragraphs.push(p);
    } else if (tag(n) === "w:tbl") {
      const rows = kids(n)
        .filter((r) => tag(r) === "w:tr")
        .map((r) =>
          kids(r)
            .filter((c) => tag(c) === "w:tc")
            .map((c) => textOf(c)),
        );
      const t = { rows };
      content.body.push(t);
      content.tables.push(t);
    }
  }
  const core = await zip.file("docProps/core.xml")?.async("string");
  const title = core ? /<dc:title>([^<]*)<\/dc:title>/.exec(core)?.[1] : undefined;
  if (title) content.title = title;
  return content;
}

/** Heading texts at one level ("Heading2"). */
export function headingsOf(content: DocxContent, style: string): string[] {
  return content.paragraphs.filter((p) => p.style === style).map((p) => p.text);
}
