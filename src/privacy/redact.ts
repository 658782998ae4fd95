// One text through the boundary: contact details, names the execution already knows (name fields, rosters,
// earlier mentions), then names found afresh, all replaced by the execution's placeholders (pure).
import { findContacts } from "./contacts.ts";
import { EXACT, findForms, fold, nameForms } from "./forms.ts";
import { findPeople, notNameSpans } from "./people.ts";
import type { PlaceholderMap } from "./placeholders.ts";

/** A roster name with its forms, built once per roster. */
export type RosterName = { name: string; forms: string[] };

export function rosterNames(names: readonly string[]): RosterName[] {
  return names.map((name) => ({ name, forms: nameForms(name) })).filter((r) => r.forms.length > 0);
}

/** Redacts one text, adding what it finds to the map. */
export function redactText(
  text: string,
  map: PlaceholderMap,
  roster: readonly RosterName[] = [],
  vocabulary: ReadonlySet<string> = new Set(),
): string {
  if (!text || !/[\p{L}\p{N}]/u.test(text)) return text;
  for (const c of findContacts(text)) map.add(c.kind, c.value);
  // School terms ("Romeo and Juliet", "Boyle's law") are never replaced, whoever shares a word with them.
  const keep = notNameSpans(text);
  if (roster.length > 0) {
    const forms = roster.flatMap((r) => r.forms);
    const owner = new Map<string, RosterName>();
    for (const r of roster) for (const f of r.forms) if (!owner.has(fold(f))) owner.set(fold(f), r);
    for (const m of findForms(text, forms)) {
      if (keep.some((k) => m.start < k.end && m.end > k.start)) continue;
      const r = owner.get(fold(m.form).replace(/\s+/g, " "));
      // Restored as the teacher wrote it here, known by every form of the roster name.
      map.add("STUDENT", m.form, r ? [m.form, r.name, ...r.forms] : [m.form]);
    }
  }
  const known = map.replace(text, keep);
  // Found in this text, so also matched exactly as written, even when it is an everyday word ("my friend grace").
  for (const person of findPeople(known, vocabulary)) {
    const aliases = (person.aliases ?? []).flatMap((a) => [a, `${EXACT}${a}`]);
    map.add(person.kind, person.value, [...nameForms(person.value), `${EXACT}${person.value}`, ...aliases]);
  }
  return map.replace(text, keep);
}

/** Registers the names given in name fields ("studentName": "Maria Gonzalez"; lists too), before any text. */
export function seedNameFields(values: Record<string, unknown>, map: PlaceholderMap): void {
  for (const [field, value] of Object.entries(values)) {
    if (typeof value !== "string" || value.length > 300 || !NAME_FIELD.test(field)) continue;
    const kind = /parent|guardian|carer|mother|father|family/i.test(field) ? "PARENT" : "STUDENT";
    for (const part of value.split(/[,;\n]+|\s+(?:and|&)\s+/)) {
      const name = part.trim();
      if (name.split(/\s+/).length <= 6 && /\p{L}{2}/u.test(name)) map.add(kind, name);
    }
  }
}

/** Field names that hold people's names: studentName, student, parent_name, guardians, children... */
const NAME_FIELD =
  /(?:^|[a-z_-])(?:name|names)$|^(?:student|students|pupil|pupils|child|children|parent|parents|guardian|guardians|learner|learners)$|(?:student|parent|guardian|child|pupil)(?:_?name|s)?$/i;
