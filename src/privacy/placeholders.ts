// The placeholder map of one execution: which name or contact detail "[STUDENT_1]", "[PARENT_1]",
// "[EMAIL_1]"... stands for, with the forms each is written in. Replacing and restoring are pure.
import { z } from "zod";
import type { ContactKind } from "./contacts.ts";
import { EXACT, findForms, fold, nameForms } from "./forms.ts";
import type { PersonKind } from "./people.ts";

export type PlaceholderKind = PersonKind | ContactKind;

export const MapEntry = z.object({
  placeholder: z.string(),
  kind: z.enum(["STUDENT", "PARENT", "PERSON", "EMAIL", "PHONE", "ID"]),
  /** What the placeholder is restored to. */
  value: z.string(),
  /** Every form that is replaced by this placeholder. */
  forms: z.array(z.string()),
});
export type MapEntry = z.infer<typeof MapEntry>;

/** Placeholders as the model may write them back: "[STUDENT_1]", "[student_1]", "STUDENT_1". */
const WRITTEN = /\[?\b(STUDENT|PARENT|PERSON|EMAIL|PHONE|ID)_(\d{1,4})\b\]?/giu;

const key = (form: string) =>
  fold(form)
    .replace(/[\s-]+/g, " ")
    .trim();
const isPerson = (kind: PlaceholderKind) => kind === "STUDENT" || kind === "PARENT" || kind === "PERSON";

export class PlaceholderMap {
  private readonly list: MapEntry[];
  /** Form key -> entry, first registration wins (two students called Maria: "Maria" alone is the first). */
  private readonly byForm = new Map<string, MapEntry>();
  private readonly byPlaceholder = new Map<string, MapEntry>();
  private dirty = false;

  constructor(entries: readonly MapEntry[] = []) {
    this.list = entries.map((e) => ({ ...e, forms: [...e.forms] }));
    for (const e of this.list) this.index(e);
  }

  get entries(): readonly MapEntry[] {
    return this.list;
  }

  /** True once something was added since construction or the last `saved()`. */
  get changed(): boolean {
    return this.dirty;
  }

  saved(): void {
    this.dirty = false;
  }

  private index(entry: MapEntry): void {
    this.byPlaceholder.set(entry.placeholder.toUpperCase(), entry);
    for (const f of entry.forms) if (!this.byForm.has(key(f))) this.byForm.set(key(f), entry);
  }

  /** Registers a name or contact detail; returns its placeholder (the existing one when already known). */
  add(kind: PlaceholderKind, value: string, forms: readonly string[] = isPerson(kind) ? nameForms(value) : [value]): string {
    const clean = value.trim();
    const known = this.byForm.get(key(clean));
    if (known && isPerson(known.kind) === isPerson(kind)) {
      this.extend(
        known,
        forms.filter((f) => f.startsWith(EXACT)),
      );
      return known.placeholder;
    }
    if (isPerson(kind)) {
      // "Maria" was seen alone, now "Maria Gonzalez": the same person, from now on known by the longer forms too.
      for (const f of forms) {
        const single = this.byForm.get(key(f));
        if (single && isPerson(single.kind) && key(single.value) === key(f) && !key(f).includes(" ")) {
          this.extend(single, [clean, ...forms]);
          return single.placeholder;
        }
      }
    }
    const n = this.list.filter((e) => e.kind === kind).length + 1;
    const entry: MapEntry = { placeholder: `[${kind}_${n}]`, kind, value: clean, forms: [...new Set([clean, ...forms])] };
    this.list.push(entry);
    this.index(entry);
    this.dirty = true;
    return entry.placeholder;
  }

  private extend(entry: MapEntry, forms: readonly string[]): void {
    for (const f of forms) {
      if (f.startsWith(EXACT)) {
        if (!entry.forms.includes(f)) {
          entry.forms.push(f);
          if (!this.byForm.has(key(f))) this.byForm.set(key(f), entry);
          this.dirty = true;
        }
        continue;
      }
      if (this.byForm.has(key(f)) || f.trim().length < 2) continue;
      entry.forms.push(f);
      this.byForm.set(key(f), entry);
      this.dirty = true;
    }
  }

  /** Every known form in the text replaced by its placeholder (whole words; any case; accents ignored). */
  replace(text: string): string {
    if (!text || this.list.length === 0) return text;
    const matches = findForms(
      text,
      this.list.flatMap((e) => e.forms),
    );
    let out = "";
    let at = 0;
    for (const m of matches) {
      const entry = this.byForm.get(key(m.form));
      if (!entry) continue;
      out += text.slice(at, m.start) + entry.placeholder;
      at = m.end;
    }
    return out + text.slice(at);
  }

  /** Placeholders in a model's answer put back; `json` escapes the values for use inside JSON strings. */
  restore(text: string, options: { json?: boolean } = {}): string {
    if (!text || this.list.length === 0) return text;
    return text.replace(WRITTEN, (whole, kind: string, n: string) => {
      const entry = this.byPlaceholder.get(`[${kind.toUpperCase()}_${Number(n)}]`);
      if (!entry) return whole;
      return options.json ? JSON.stringify(entry.value).slice(1, -1) : entry.value;
    });
  }
}
