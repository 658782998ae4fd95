// Teacher context: a per-teacher profile (default grade, subject, standards framework, language, school)
// set with `profile grade=5 subject=Science`, and what the teacher used last time, remembered per
// template and per field (a field's `remember` in the field table): per template, or per template and
// subject, so a Spanish parent message never makes the next lesson plan Spanish and a science framework
// is never assumed for math.
import type Keyv from "keyv";
import { z } from "zod";
import { gradeField } from "../templates/fields.ts";
import { shorten } from "../util/shorten.ts";
import { type ConversationField, checkField, conversationFields, displayValue } from "./fields.ts";
import { parsePairs } from "./parse.ts";

const text = (label: string, max: number, example: string) =>
  z
    .string()
    .trim()
    .min(1, `${label} can't be blank.`)
    .max(max, `${label} should be at most ${max} characters.`)
    .optional()
    .meta({ label, question: `Your usual ${label.toLowerCase()}?`, help: `Your usual ${label.toLowerCase()}.`, example });

export const ProfileSchema = z.object({
  grade: gradeField({ question: "Your usual grade?" }).optional(),
  subject: text("Subject", 60, "Science"),
  framework: text("Standards framework", 80, "NGSS"),
  language: text("Language", 40, "English"),
  school: text("School", 120, "Hill Elementary"),
});
export type Profile = z.infer<typeof ProfileSchema>;
export type ProfileKey = keyof Profile;

const PROFILE_FIELDS = conversationFields(ProfileSchema as unknown as z.ZodObject<z.ZodRawShape>);

/** Which template fields a profile entry can fill, by field name or label. */
const MATCH: Record<ProfileKey, RegExp> = {
  grade: /^grade/i,
  subject: /^subject/i,
  framework: /standard|framework/i,
  language: /^language$/i,
  school: /school/i,
};

type StoredProfile = Profile & { updatedAt: number };

export class ProfileStore {
  constructor(
    private readonly keyv: Keyv,
    private readonly prefix = "chat:profile:",
  ) {}

  async get(userId: string): Promise<Profile> {
    const stored = await this.keyv.get<StoredProfile>(this.prefix + userId);
    if (!stored) return {};
    // What was stored earlier is checked again: a bad entry is dropped, never trusted.
    const parsed = ProfileSchema.safeParse(stored);
    return parsed.success ? parsed.data : {};
  }

  async update(userId: string, changes: Profile, now: number): Promise<Profile> {
    const merged = { ...(await this.get(userId)), ...dropUndefined(changes) };
    await this.keyv.set(this.prefix + userId, { ...merged, updatedAt: now });
    return merged;
  }

  async delete(userId: string): Promise<boolean> {
    // The profile and the remembered settings are both "your profile" to the teacher.
    const existed =
      (await this.keyv.get(this.prefix + userId)) !== undefined || (await this.keyv.get(this.memoryKey(userId))) !== undefined;
    await this.keyv.delete(this.prefix + userId);
    await this.keyv.delete(this.memoryKey(userId));
    return existed;
  }

  /** What the teacher used last time, for every template (see `rememberedFor`). */
  async memory(userId: string): Promise<Memory> {
    const stored = await this.keyv.get<Memory>(this.memoryKey(userId));
    return stored && typeof stored === "object" ? stored : {};
  }

  /** Keeps the remembered fields of a request that started, for the next request of the same template. */
  async remember(userId: string, templateId: string, fields: ConversationField[], values: Record<string, unknown>): Promise<void> {
    const memory = await this.memory(userId);
    memory[templateId] = rememberValues(memory[templateId] ?? { values: {}, bySubject: {} }, fields, values);
    await this.keyv.set(this.memoryKey(userId), memory);
  }

  private memoryKey(userId: string): string {
    return `${this.prefix}${userId}#memory`;
  }
}

/** Per template: values remembered per template, and per subject for fields remembered by subject. */
export type TemplateMemory = { values: Record<string, unknown>; bySubject: Record<string, Record<string, unknown>> };
export type Memory = Record<string, TemplateMemory>;

const subjectKey = (value: unknown) => (typeof value === "string" ? value.trim().toLowerCase() : "");

/** The memory of one template after a request with `values` started (pure). */
export function rememberValues(memory: TemplateMemory, fields: ConversationField[], values: Record<string, unknown>): TemplateMemory {
  const next: TemplateMemory = { values: { ...memory.values }, bySubject: { ...memory.bySubject } };
  const subjectField = fields.find((f) => /^subject/i.test(f.name));
  const subject = subjectField ? subjectKey(values[subjectField.name]) : "";
  for (const field of fields) {
    const value = values[field.name];
    if (!field.remember || value === undefined) continue;
    if (field.remember === "subject" && subject !== "")
      next.bySubject[subject] = { ...(next.bySubject[subject] ?? {}), [field.name]: value };
    else if (field.remember === "template") next.values[field.name] = value;
  }
  return next;
}

/**
 * The remembered values that fit a new request of one template, given what it already says: per-subject
 * fields only for the same subject, never a value equal to the field's default; every value re-checked.
 */
export function rememberedFor(
  fields: ConversationField[],
  memory: TemplateMemory | undefined,
  profile: Profile,
  request: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const subjectField = fields.find((f) => /^subject/i.test(f.name));
  const fromMemory = memory?.values ?? {};
  const subject = subjectField ? subjectKey(request[subjectField.name] ?? fromMemory[subjectField.name] ?? profile.subject) : "";
  const explicit = profileValuesFor(fields, profile);
  for (const field of fields) {
    if (field.name in request || !field.remember) continue;
    let value: unknown;
    if (field.remember === "subject") {
      value = subject ? memory?.bySubject[subject]?.[field.name] : undefined;
      // The profile's own grade or framework goes with the profile's subject only.
      if (value === undefined && (!profile.subject || subjectKey(profile.subject) === subject)) value = explicit[field.name];
    } else value = fromMemory[field.name] ?? explicit[field.name];
    if (value === undefined || value === field.default) continue;
    const check = checkField(field, value);
    if (check.ok && check.value !== undefined) out[field.name] = check.value;
  }
  return out;
}

/** Profile values that fit a template's fields, by field name (validated by each field's schema). */
export function profileValuesFor(fields: ConversationField[], profile: Profile): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(MATCH) as ProfileKey[]) {
    const value = profile[key];
    if (value === undefined) continue;
    const field = fields.find((f) => MATCH[key].test(f.name) || MATCH[key].test(f.label));
    if (!field || field.name in out) continue;
    const check = checkField(field, value);
    if (check.ok && check.value !== undefined) out[field.name] = check.value;
  }
  return out;
}

/**
 * The profile entries a request's inputs imply: grade, subject and school only. A framework or a language
 * belongs to one template (and subject), so it is remembered there (`ProfileStore.remember`), never in the
 * profile every template reads: that is how a Spanish parent message made the next lesson plan Spanish.
 * The chat core's runs use `remember`; kept for callers that set the profile from a form.
 */
export function profileFromInputs(fields: ConversationField[], values: Record<string, unknown>): Profile {
  const out: Record<string, unknown> = {};
  for (const key of ["grade", "subject", "school"] as const) {
    const field = fields.find((f) => MATCH[key].test(f.name) || MATCH[key].test(f.label));
    if (field && typeof values[field.name] === "string") out[key] = values[field.name];
  }
  const parsed = ProfileSchema.safeParse(out);
  return parsed.success ? dropUndefined(parsed.data) : {};
}

export type ProfileEdit = { ok: true; changes: Profile } | { ok: false; message: string };

/** Reads `grade=5 subject=Science school:"Hill Elementary"`; every value is checked, every problem named. */
export function parseProfileEdit(text: string): ProfileEdit {
  const parsed = parsePairs(text, PROFILE_FIELDS);
  if (parsed.issues.length > 0) return { ok: false, message: parsed.issues.map((i) => `${i.label}: ${i.message}`).join(" ") };
  if (parsed.rest !== "") {
    return {
      ok: false,
      message: `I didn't understand "${shorten(parsed.rest, 60)}". Use name=value pairs, for example: profile grade=5 subject=Science framework=NGSS language=English school="Hill Elementary".`,
    };
  }
  return { ok: true, changes: parsed.values as Profile };
}

/** Markdown listing of a profile. */
export function describeProfile(profile: Profile): string {
  const lines = PROFILE_FIELDS.map((f) => `- **${f.label}:** ${displayValue(f, profile[f.name as ProfileKey])}`);
  return `**Your profile**\n${lines.join("\n")}\nChange it with: profile grade=5 subject=Science framework=NGSS language=English school="Hill Elementary"`;
}

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
