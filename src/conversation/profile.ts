// Teacher context: a per-teacher profile (default grade, subject, standards framework, language, school)
// kept in Keyv, offered for reuse instead of asked again, and set with `profile grade=5 subject=Science`.
import type Keyv from "keyv";
import { z } from "zod";
import { gradeField } from "../templates/fields.ts";
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
  language: /language/i,
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
    const existed = (await this.keyv.get(this.prefix + userId)) !== undefined;
    await this.keyv.delete(this.prefix + userId);
    return existed;
  }
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

/** The profile entries a finished request's inputs imply ("Use Grade 5 Science again?" next time). */
export function profileFromInputs(fields: ConversationField[], values: Record<string, unknown>): Profile {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(MATCH) as ProfileKey[]) {
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
      message: `I didn't understand "${clip(parsed.rest)}". Use name=value pairs, for example: profile grade=5 subject=Science framework=NGSS language=English school="Hill Elementary".`,
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

function clip(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
