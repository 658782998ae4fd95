// Student-data protection: the redacting model boundary, placeholder maps, rosters, forget, audit and export.
export {
  AUDIT_ACTIONS,
  type AuditAction,
  type AuditEntry,
  type AuditFilter,
  type AuditInput,
  AuditLog,
  auditMatches,
  auditSummary,
  parseSince,
} from "./audit.ts";
export { type BoundaryOptions, EPHEMERAL_EXECUTION, storeBoundary, withRedaction } from "./boundary.ts";
export { executionsOwner } from "./executions.ts";
export { type ExportBundle, exportStudent, exportTeacher, recordCount } from "./export.ts";
export {
  boundaryNote,
  defuse,
  fenceMarker,
  fencePrompt,
  fenceTags,
  INSTRUCTION_VAR,
  isInstruction,
  normaliseData,
  STEP_INSTRUCTION_VAR,
} from "./fence.ts";
export {
  type ForgetCounts,
  type ForgetDeps,
  ForgetIncompleteError,
  findStudent,
  forgetStudent,
  forgetTeacher,
  type StudentMatch,
} from "./forget.ts";
export { nameForms } from "./forms.ts";
export { NOT_NAMES, type NotName } from "./not-names.ts";
export { findPeople, loadNameModel, notNameSpans, vocabularyOf, workflowVocabulary } from "./people.ts";
export { PlaceholderMap } from "./placeholders.ts";
export { redactText, rosterNames, seedNameFields } from "./redact.ts";
export { loadRosterDir, parseRoster } from "./roster.ts";
export { PrivacyStore, SCHOOL_ROSTER, type StoredMap, type StoredRoster } from "./store.ts";
export { type StudentMatcher, studentMatcher, textOf } from "./student.ts";
