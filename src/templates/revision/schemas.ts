// The revision steps' answers: which sections an instruction changes, and those sections rewritten.
import { z } from "zod";

export const REVISION_CHOICE = "revision_choice";
export const REVISION_SECTIONS = "revision_sections";

export const RevisionChoice = z.object({
  /** Headings of existing sections that must change, exactly as listed. */
  change: z.array(z.string().max(200)).max(40),
  /** Headings of new sections the instruction asks to add ("add a lab"); usually empty. */
  add: z.array(z.string().max(200)).max(5),
});
export type RevisionChoice = z.infer<typeof RevisionChoice>;

export const RevisionSections = z.object({
  sections: z.array(z.object({ heading: z.string().max(200), markdown: z.string().max(20_000) })).max(45),
});
export type RevisionSections = z.infer<typeof RevisionSections>;

/** What the split step hands on: the current version in sections, and what the instruction names outright. */
export type RevisionPlan = {
  head: string;
  sections: { heading: string; body: string }[];
  headings: string;
  named: string[];
};

/** The targets fixed in code from the choice (or the named sections), and their current text for the rewrite. */
export type RevisionTargets = { targets: string[]; add: string[]; current: string; list: string };

/** The merged next version. */
export type RevisedDocument = { markdown: string; changed: string[]; added: string[] };
