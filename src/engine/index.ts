// Public surface of the workflow engine.
export type * from "./api.ts";
export { WorkflowBuilder } from "./builder.ts";
export { createEngine, Engine, type EngineOptions } from "./engine.ts";
export { canonicalJson, definitionHash, loadWorkflowFile, parseWorkflow, readWorkflowFile, validateWorkflowFile } from "./load.ts";
export * from "./records.ts";
export * from "./schema.ts";
export { openStore, Store, type StoreOptions } from "./store.ts";
export { type Clock, systemClock } from "./timing.ts";
export { type Problem, type Registries, validateWorkflow } from "./validate.ts";
