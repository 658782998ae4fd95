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
/** Student and parent are distinct roles: never merged, even when they share a surname. */
const sameRole = (a: PlaceholderKind, b: PlaceholderKind) =>
  isPerson(a) === isPerson(b) && !((a === "STUDENT" && b === "PARENT") || (a === "PARENT" && b === "STUDENT"));
/** Words just before a name that make it a parent's or another adult's ("Mrs. Okafor", "her mother Ada"). */
const PARENT_BEFORE =
  /(?:^|[^\p{L}])(?:(?:mr|mrs|ms|miss|mx|dr|prof|sr|sra|srta)\.?|mother|father|mom|mum|dad|parent|guardian|grandmother|grandfather|grandma|grandpa|aunt|uncle)[ \t]+$/iu;

export class PlaceholderMap {
  private readonly list: MapEntry[];
  /** Form key -> entry, first registration wins (two students called Maria: "Maria" alone is the first). */
  private readonly byForm = new Map<string, MapEntry>();
  /** Form key -> every person entry known by it: a surname shared by a student and a parent. */
  private readonly shared = new Map<string, MapEntry[]>();
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
    for (const f of entry.forms) this.indexForm(entry, f);
  }

  private indexForm(entry: MapEntry, form: string): void {
    const k = key(form);
    if (!this.byForm.has(k)) this.byForm.set(k, entry);
    if (!isPerson(entry.kind)) return;
    const list = this.shared.get(k) ?? [];
    if (!list.includes(entry)) this.shared.set(k, [...list, entry]);
  }

  /** The entry a form found at `start` stands for: a parent's after "Mrs." or "mother", else a student's first. */
  private entryAt(text: string, start: number, form: string): MapEntry | undefined {
    const k = key(form);
    const list = this.shared.get(k);
    if (!list || list.length < 2) return this.byForm.get(k);
    const parent = PARENT_BEFORE.test(text.slice(Math.max(0, start - 16), start));
    return (
      list.find((e) => e.kind === (parent ? "PARENT" : "STUDENT")) ??
      list.find((e) => e.kind !== (parent ? "STUDENT" : "PARENT")) ??
      list[0]
    );
  }

  /** Registers a name or contact detail; returns its placeholder (the existing one when already known). */
  add(kind: PlaceholderKind, value: string, forms: readonly string[] = isPerson(kind) ? nameForms(value) : [value]): string {
    const clean = value.trim();
    const known = (this.shared.get(key(clean)) ?? [this.byForm.get(key(clean))]).find((e) => e !== undefined && sameRole(e.kind, kind));
    if (known) {
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
        if (single && sameRole(single.kind, kind) && key(single.value) === key(f) && !key(f).includes(" ")) {
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
          this.indexForm(entry, f);
          this.dirty = true;
        }
        continue;
      }
      if (this.byForm.has(key(f)) || f.trim().length < 2) continue;
      entry.forms.push(f);
      this.indexForm(entry, f);
      this.dirty = true;
    }
  }

  /**
   * Every known form in the text replaced by its placeholder (whole words; any case; accents ignored),
   * except inside `keep` (school terms such as "Romeo and Juliet", where "Juliet" is not the student).
   */
  replace(text: string, keep: readonly { start: number; end: number }[] = []): string {
    if (!text || this.list.length === 0) return text;
    const matches = findForms(
      text,
      this.list.flatMap((e) => e.forms),
    );
    let out = "";
    let at = 0;
    for (const m of matches) {
      if (keep.some((k) => m.start < k.end && m.end > k.start)) continue;
      const entry = this.entryAt(text, m.start, m.form);
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
