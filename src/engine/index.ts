// Public surface of the workflow engine.
export type * from "./api.ts";
export { WorkflowBuilder } from "./builder.ts";
export { createEngine, Engine, type EngineOptions } from "./engine.ts";
export { canonicalJson, definitionHash, loadWorkflowFile, parseWorkflow, readWorkflowFile, validateWorkflowFile } from "./load.ts";
export { type LocalQueueOptions, LocalWorkQueue } from "./queue/local.ts";
export type * from "./queue/types.ts";
export * from "./records.ts";
export * from "./schema.ts";
export type * from "./store/types.ts";
export { type Clock, systemClock } from "./timing.ts";
export { type Problem, type Registries, validateWorkflow } from "./validate.ts";
