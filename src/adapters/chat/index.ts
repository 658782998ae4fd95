// Public surface of the shared chat layer: the contract surfaces implement, the core they call, and
// the pure progress/rendering helpers their own render.ts may reuse.

export type { FieldExtractor } from "../../conversation/extract.ts";
export { commandSpecs, STAFFROOM_SUBCOMMANDS } from "./commands.ts";
export type * from "./contract.ts";
export { type ChatCoreOptions, createChatCore, type StaffroomChatCore } from "./core.ts";
export { applyEvent, type Checklist, createChecklist, formatMs, renderChecklist, STEP_ICONS, Throttle, type Timers } from "./progress.ts";
export { actionId, type ParsedAction, parseActionId } from "./render.ts";
