// Registered workflows (every version), transforms and schemas; validation happens on register.
import type { z } from "zod";
import { InvalidInputError, NotFoundError, WorkflowInvalidError } from "../errors.ts";
import type { RegisteredWorkflow, TransformFn } from "./api.ts";
import { definitionHash } from "./load.ts";
import type { WorkflowDefinition } from "./schema.ts";
import { formatPath, validateParsed } from "./validate.ts";

export class Registry {
  readonly transforms = new Map<string, TransformFn>();
  readonly schemas = new Map<string, z.ZodType>();
  private readonly versions = new Map<string, Map<number, RegisteredWorkflow>>();
  private readonly hashes = new WeakMap<WorkflowDefinition, string>();

  constructor(transforms: Record<string, TransformFn> = {}, schemas: Record<string, z.ZodType> = {}) {
    for (const [k, v] of Object.entries(transforms)) this.transforms.set(k, v);
    for (const [k, v] of Object.entries(schemas)) this.schemas.set(k, v);
  }

  /** Adds (or replaces) a workflow version; throws WorkflowInvalidError listing every problem. */
  register(workflow: RegisteredWorkflow): void {
    for (const [k, v] of Object.entries(workflow.transforms ?? {})) this.transforms.set(k, v);
    for (const [k, v] of Object.entries(workflow.schemas ?? {})) this.schemas.set(k, v);
    const def = workflow.definition;
    const problems = validateParsed(def, {
      transforms: this.transforms,
      schemas: this.schemas,
      workflowExists: (id, version) => this.versions.get(id)?.has(version) ?? false,
    });
    if (problems.length > 0) throw new WorkflowInvalidError(def.id, problems);
    let versions = this.versions.get(def.id);
    if (!versions) {
      versions = new Map();
      this.versions.set(def.id, versions);
    }
    versions.set(def.version, workflow);
  }

  has(id: string): boolean {
    return this.versions.has(id);
  }

  latest(): RegisteredWorkflow[] {
    return [...this.versions.keys()].map((id) => this.get(id)).filter((w): w is RegisteredWorkflow => w !== undefined);
  }

  get(id: string, version?: number): RegisteredWorkflow | undefined {
    const versions = this.versions.get(id);
    if (!versions) return undefined;
    if (version !== undefined) return versions.get(version);
    return versions.get(Math.max(...versions.keys()));
  }

  /** The workflow to start, or NotFoundError naming the missing workflow or version. */
  require(id: string, version?: number): RegisteredWorkflow {
    const registered = this.get(id, version);
    if (registered) return registered;
    if (this.versions.has(id)) throw new NotFoundError(`version ${version} of workflow "${id}"`, String(version));
    throw new NotFoundError("workflow", id);
  }

  /** Computed once per definition object. */
  hash(def: WorkflowDefinition): string {
    let h = this.hashes.get(def);
    if (!h) {
      h = definitionHash(def);
      this.hashes.set(def, h);
    }
    return h;
  }

  byHash(templateId: string, hash: string): WorkflowDefinition | undefined {
    for (const reg of this.versions.get(templateId)?.values() ?? []) if (this.hash(reg.definition) === hash) return reg.definition;
    return undefined;
  }

  /** Validates and normalises inputs against the workflow's schema. */
  checkInputs(registered: RegisteredWorkflow, inputs: Record<string, unknown>): Record<string, unknown> {
    if (!registered.inputSchema) return inputs;
    const parsed = registered.inputSchema.safeParse(inputs);
    if (parsed.success) return parsed.data as Record<string, unknown>;
    const issues = parsed.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message }));
    const first = issues[0];
    throw new InvalidInputError(
      `The input for "${registered.definition.title}" is not valid${first ? `: ${first.path} ${first.message}` : ""}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ""}.`,
      issues,
    );
  }
}
