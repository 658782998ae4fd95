// Finding a student in what an execution holds, for forget by student: the name matches in any case, with or
// without diacritics, as the whole name or any of its parts (a given name, a surname, a hyphen part). Pure.

/** Lower case, no diacritics, compatibility forms folded (fullwidth letters), as the words of the text. */
function words(text: string): string[] {
  return text
    .normalize("NFKD")
    .replace(/\p{M}+/gu, "")
    .toLocaleLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
}

export type StudentMatcher = {
  /** The name as given, and the parts that count on their own. */
  name: string;
  parts: string[];
  /** The form of the name found in `text` (the whole name first), or undefined. */
  find(text: string): string | undefined;
};

/** A matcher for one student's name; parts of one letter are not matched on their own (initials). */
export function studentMatcher(name: string): StudentMatcher {
  const whole = words(name);
  const parts = [...new Set(whole.filter((w) => [...w].length >= 2))];
  return {
    name,
    parts,
    find(text) {
      const t = words(text);
      if (whole.length > 1)
        for (let i = 0; i + whole.length <= t.length; i++) if (whole.every((w, j) => t[i + j] === w)) return whole.join(" ");
      const set = new Set(t);
      return parts.find((p) => set.has(p));
    },
  };
}

/** Every string inside a value (inputs, outputs), joined by new lines. */
export function textOf(value: unknown): string {
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (typeof v === "string") out.push(v);
    else if (Array.isArray(v)) for (const x of v) walk(x);
    else if (v && typeof v === "object") for (const x of Object.values(v)) walk(x);
  };
  walk(value);
  return out.join("\n");
}
