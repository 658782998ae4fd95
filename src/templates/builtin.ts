// The four built-in teacher templates, bound to one standards set.
import type { Logger } from "../log.ts";
import { assessmentTemplate } from "./assessment/index.ts";
import { lessonPlanTemplate } from "./lesson-plan/index.ts";
import { parentMessageTemplate } from "./parent-message/index.ts";
import { EMPTY_STANDARDS, type StandardsSet } from "./standards/load.ts";
import { studentFeedbackTemplate } from "./student-feedback/index.ts";
import type { Template } from "./types.ts";

export function builtinTemplates(standards: StandardsSet = EMPTY_STANDARDS, logger?: Logger): Template[] {
  return [
    lessonPlanTemplate(standards, logger),
    assessmentTemplate(standards, logger),
    studentFeedbackTemplate(),
    parentMessageTemplate(),
  ].map((t) => ({
    ...t,
    source: "builtin",
  }));
}
