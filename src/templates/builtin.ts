// The four built-in teacher templates, bound to one standards set, each with its quality checks.
import type { Logger } from "../log.ts";
import { assessmentTemplate } from "./assessment/index.ts";
import { ASSESSMENT_COUPLED, revisedCompanions } from "./assessment/revision.ts";
import { lessonPlanTemplate } from "./lesson-plan/index.ts";
import { parentMessageTemplate } from "./parent-message/index.ts";
import { withQuality } from "./quality/render.ts";
import { QUALITY_SPECS } from "./quality/specs.ts";
import { type RevisionOptions, withRevision } from "./revision/index.ts";
import { EMPTY_STANDARDS, type StandardsSet } from "./standards/load.ts";
import { studentFeedbackTemplate } from "./student-feedback/index.ts";
import type { Template } from "./types.ts";

/** How a revision treats each template's sections (see withRevision); feedback revises its own drafts. */
const REVISION: Record<string, RevisionOptions> = {
  assessment: { coupled: ASSESSMENT_COUPLED, companions: revisedCompanions },
};

export function builtinTemplates(standards: StandardsSet = EMPTY_STANDARDS, logger?: Logger): Template[] {
  return [
    lessonPlanTemplate(standards, logger),
    assessmentTemplate(standards, logger),
    studentFeedbackTemplate(),
    parentMessageTemplate(),
  ].map((t) => ({
    ...withRevision(withQuality(t, QUALITY_SPECS[t.id] ?? [], standards), REVISION[t.id]),
    source: "builtin",
  }));
}
