// A printable HTML page from document blocks (pure): one self-contained file, print styles inline, every
// text escaped so model output can never become markup.
import type { Block, Line, ListItem } from "./blocks.ts";

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

function inline(line: Line): string {
  return line
    .map((s) => {
      let t = escapeHtml(s.text);
      if (s.italic) t = `<em>${t}</em>`;
      if (s.bold) t = `<strong>${t}</strong>`;
      return t;
    })
    .join("");
}

const lines = (ls: Line[]) => ls.map(inline).join("<br>");

function list(items: ListItem[], ordered: boolean): string {
  const tag = ordered ? "ol" : "ul";
  const body = items.map((it) => `<li>${inline(it.line)}${it.children.length > 0 ? list(it.children, false) : ""}</li>`).join("");
  return `<${tag}>${body}</${tag}>`;
}

function block(b: Block): string {
  switch (b.kind) {
    case "heading":
      return `<h${b.level}>${inline(b.line)}</h${b.level}>`;
    case "paragraph":
      return `<p>${lines(b.lines)}</p>`;
    case "note":
      return `<aside class="note">${lines(b.lines)}</aside>`;
    case "list":
      return list(b.items, b.ordered);
    case "table": {
      const cls = (i: number) => (b.numeric[i] ? ' class="num"' : "");
      const head = b.header.map((c, i) => `<th${cls(i)}>${lines(c)}</th>`).join("");
      const rows = b.rows.map((r) => `<tr>${r.map((c, i) => `<td${cls(i)}>${lines(c)}</td>`).join("")}</tr>`).join("\n");
      return `<table>\n<thead><tr>${head}</tr></thead>\n<tbody>\n${rows}\n</tbody>\n</table>`;
    }
  }
}

const STYLE = `
body { font: 11pt/1.45 Georgia, "Times New Roman", serif; color: #111; max-width: 48rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin: 0 0 .5rem; } h2 { font-size: 1.2rem; margin: 1.4rem 0 .4rem; border-bottom: 1px solid #999; }
h3 { font-size: 1.05rem; margin: 1rem 0 .3rem; } table { border-collapse: collapse; width: 100%; margin: .5rem 0; }
th, td { border: 1px solid #777; padding: .3rem .45rem; text-align: left; vertical-align: top; } th { background: #eee; }
td.num, th.num { text-align: right; } aside.note { border-left: 4px solid #c90; background: #fff8e6; padding: .4rem .7rem; margin: .6rem 0; }
.print { float: right; font: 10pt system-ui, sans-serif; }
@media print { .print { display: none; } body { margin: 0; max-width: none; } h2 { break-after: avoid; } tr, li { break-inside: avoid; } }
`.trim();

/** A whole HTML page with a Print button (hidden when printed). */
export function toHtml(title: string, blocks: Block[]): string {
  return [
    "<!doctype html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${STYLE}</style>`,
    "</head>",
    "<body>",
    '<button class="print" type="button" onclick="window.print()">Print</button>',
    ...blocks.map(block),
    "</body>",
    "</html>",
    "",
  ].join("\n");
}
