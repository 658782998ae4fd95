// Standard-code checking over any text: find code-like tokens, look each up in the loaded set, strip the ones
// that are not in it, and summarise what is cited ("Standards cited: 3, all in NGSS"). Pure.

/**
 * Something shaped like a standard code: 3 to 16 segments joined by . or -, upper-case letters and digits, with
 * both. Real codes have at most 7 segments (CCSS.ELA-LITERACY.RL.5.1); the bound keeps a 1 MB chain of segments
 * from being matched and then backtracked segment by segment.
 */
export const CODE_LIKE = /(?<![A-Za-z0-9.-])(?:[A-Z0-9]{1,12}[.-]){2,15}[A-Z0-9]{1,12}(?![A-Za-z0-9-]|\.[A-Za-z0-9])/g;

export function looksLikeCode(token: string): boolean {
  return /[A-Z]/.test(token) && /\d/.test(token);
}

/** Every code-like token in a text, in order (repeats kept). */
export function codeTokens(text: string): string[] {
  return (text.match(CODE_LIKE) ?? []).filter(looksLikeCode);
}

/** Strings anywhere in a value (objects, arrays), for checking every step's output. */
export function stringsIn(value: unknown, out: string[] = []): string[] {
  if (typeof value === "string") out.push(value);
  else if (Array.isArray(value)) for (const v of value) stringsIn(v, out);
  else if (value && typeof value === "object") for (const v of Object.values(value)) stringsIn(v, out);
  return out;
}

export type CodeCheck = {
  /** Distinct codes found in the set, with their framework, in order of first use. */
  cited: { code: string; framework: string }[];
  /** Distinct code-like tokens not in the set. */
  unknown: string[];
};

/** Looks every code-like token of the texts up (`lookup` returns the framework, or undefined when not in the set). */
export function checkCodes(texts: readonly string[], lookup: (code: string) => string | undefined): CodeCheck {
  const cited = new Map<string, { code: string; framework: string }>();
  const unknown = new Set<string>();
  for (const text of texts) {
    for (const token of codeTokens(text)) {
      const key = token.toUpperCase();
      if (cited.has(key) || unknown.has(token)) continue;
      const framework = lookup(token);
      if (framework !== undefined) cited.set(key, { code: token, framework });
      else unknown.add(token);
    }
  }
  return { cited: [...cited.values()], unknown: [...unknown] };
}

/** "Standards cited: 3, all in NGSS." / "Standards cited: 3 (2 NGSS, 1 CCSS)." / "Standards cited: none." */
export function describeCodes(check: CodeCheck, removed: readonly string[] = []): string {
  const frameworks = new Map<string, number>();
  for (const c of check.cited) frameworks.set(c.framework, (frameworks.get(c.framework) ?? 0) + 1);
  const n = check.cited.length;
  let line: string;
  if (n === 0) line = "Standards cited: none.";
  else if (frameworks.size === 1) line = `Standards cited: ${n}, all in ${[...frameworks.keys()][0]}.`;
  else line = `Standards cited: ${n} (${[...frameworks].map(([f, k]) => `${k} ${f}`).join(", ")}).`;
  // Counted, never named: an invented code should not reappear in the document.
  const gone = new Set([...removed, ...check.unknown].map((c) => c.toUpperCase())).size;
  if (gone > 0) line += ` ${gone} code${gone === 1 ? "" : "s"} not in the loaded set ${gone === 1 ? "was" : "were"} removed.`;
  return line;
}

/** Removes the given code tokens from a line of Markdown, tidying the brackets and spaces they leave. */
export function removeCodes(line: string, codes: ReadonlySet<string>): string {
  let changed = false;
  const out = line.replace(CODE_LIKE, (token) => {
    if (!codes.has(token)) return token;
    changed = true;
    return "";
  });
  if (!changed) return line;
  const lead = /^\s*(?:[-*]|\d+\.)?\s*/.exec(out)?.[0] ?? "";
  const body = out
    .slice(lead.length)
    // Each run of spaces is tried once, from its start (two adjacent \s* or a mid-run start would be quadratic).
    .replace(/\(\s*(?:[,;]\s*)?\)|\[\s*\]|\*\*\s*\*\*/g, "")
    .replace(/(?<!\s)\s+([,.;:)])/g, "$1")
    .replace(/([(])\s+/g, "$1")
    .replace(/(\S)[ \t]{2,}(?=\S)/g, "$1 ")
    .replace(/^[\s,;:]+/, "");
  return `${lead}${body}`;
}
