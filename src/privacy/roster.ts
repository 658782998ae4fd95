// Class rosters: CSV files of names only (one name per row; or name / first name + last name columns),
// read from the admin's STAFFROOM_ROSTERS_DIR at start or imported with `staffroom roster import`.
import { readdir, readFile } from "node:fs/promises";
import { extname, join } from "node:path";
import { InvalidInputError } from "../errors.ts";

/** Cells of one CSV line (quotes and doubled quotes understood). */
function cells(line: string): string[] {
  const out: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line.charAt(i);
    if (quoted) {
      if (c === '"' && line.charAt(i + 1) === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === "," || c === ";" || c === "\t") {
      out.push(cell.trim());
      cell = "";
    } else cell += c;
  }
  out.push(cell.trim());
  return out;
}

const HEADER =
  /^(?:name|names|student|students|student name|full name|first|first name|firstname|given name|last|last name|lastname|surname|family name)$/i;

/** The names in a roster CSV, in file order, without duplicates. */
export function parseRoster(text: string): string[] {
  const lines = text
    .replace(/^\uFEFF/, "")
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
  if (lines.length === 0) return [];
  const head = cells(lines[0]!);
  let rows = lines.map(cells);
  let pick = (row: string[]) => row.filter(Boolean).join(" ");
  if (head.some((h) => HEADER.test(h))) {
    rows = rows.slice(1);
    const col = (re: RegExp) => head.findIndex((h) => re.test(h));
    const full = col(/^(?:name|names|student|students|student name|full name)$/i);
    const first = col(/^(?:first|first name|firstname|given name)$/i);
    const last = col(/^(?:last|last name|lastname|surname|family name)$/i);
    pick = (row) => (full >= 0 ? (row[full] ?? "") : [first >= 0 ? row[first] : "", last >= 0 ? row[last] : ""].filter(Boolean).join(" "));
  }
  const names = rows
    .map(pick)
    .map((n) => n.replace(/\s+/g, " ").trim())
    .filter((n) => /\p{L}/u.test(n));
  return [...new Set(names)];
}

/** Every name in the folder's .csv/.txt files; a missing or unreadable folder is a clear error. */
export async function loadRosterDir(dir: string): Promise<{ names: string[]; files: number }> {
  let entries: string[];
  try {
    entries = (await readdir(dir)).filter((f) => [".csv", ".txt"].includes(extname(f).toLowerCase())).sort();
  } catch (cause) {
    throw new InvalidInputError(`STAFFROOM_ROSTERS_DIR "${dir}" cannot be read: ${(cause as Error).message}.`);
  }
  const names = new Set<string>();
  for (const file of entries) for (const n of parseRoster(await readFile(join(dir, file), "utf8"))) names.add(n);
  return { names: [...names], files: entries.length };
}
