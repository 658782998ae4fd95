// Public surface of the templates layer: the Template type and loaders.
export type { Drafter, FieldMeta, LoadProblem, RenderedDocument, Template } from "./types.ts";
