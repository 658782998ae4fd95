// WorkflowBuilder: a fluent way to write a workflow in code that compiles to the same data a JSON/YAML file gives.
import { WorkflowInvalidError } from "../errors.ts";
import type {
  AgentNode,
  ConditionNode,
  HumanNode,
  RetryPolicy,
  SubWorkflowNode,
  TransformNode,
  WorkflowDefinition,
  WorkflowNodeInput,
} from "./schema.ts";
import { WorkflowDefinition as WorkflowDefinitionSchema } from "./schema.ts";
import { type Registries, validateParsed, zodProblems } from "./validate.ts";

type Common = "id" | "kind";
type After = { after?: string | string[] };
type Cfg<T> = Omit<Partial<T>, Common> & After;

export class WorkflowBuilder {
  private readonly nodes: (WorkflowNodeInput & { next: string[] })[] = [];
  private declared: string[] = [];
  private failureNode: string | undefined;
  private parallel: number | undefined;
  private retryPolicy: Partial<RetryPolicy> | undefined;
  private desc: string | undefined;

  constructor(
    private readonly id: string,
    private readonly version: number,
    private readonly title: string,
  ) {}

  /** Declares the workflow's input fields (mappings may read only these). */
  inputs(...names: string[]): this {
    this.declared.push(...names);
    return this;
  }

  description(text: string): this {
    this.desc = text;
    return this;
  }

  agent(id: string, cfg: Cfg<AgentNode> & { prompt: string }): this {
    return this.add(id, "agent", cfg);
  }

  transform(id: string, cfg: Cfg<TransformNode> & { fn: string }): this {
    return this.add(id, "transform", cfg);
  }

  condition(id: string, cfg: Cfg<ConditionNode> & Pick<ConditionNode, "branches">): this {
    return this.add(id, "condition", cfg);
  }

  human(
    id: string,
    cfg: Omit<Cfg<HumanNode>, "deadline"> &
      Pick<HumanNode, "prompt"> & { deadline: Partial<HumanNode["deadline"]> & Pick<HumanNode["deadline"], "afterMs" | "action"> },
  ): this {
    return this.add(id, "human", cfg);
  }

  workflow(id: string, cfg: Cfg<SubWorkflowNode> & Pick<SubWorkflowNode, "workflow" | "version">): this {
    return this.add(id, "workflow", cfg);
  }

  /** Adds an edge from one node to another. */
  edge(from: string, to: string): this {
    const node = this.nodes.find((n) => n.id === from);
    if (!node) throw new WorkflowInvalidError(this.id, [{ path: `edge(${from}, ${to})`, message: `no node "${from}" has been added yet` }]);
    if (!node.next.includes(to)) node.next.push(to);
    return this;
  }

  onFailure(nodeId: string): this {
    this.failureNode = nodeId;
    return this;
  }

  maxParallel(n: number): this {
    this.parallel = n;
    return this;
  }

  retry(policy: Partial<RetryPolicy>): this {
    this.retryPolicy = policy;
    return this;
  }

  /** The definition as data (not validated): what a JSON file would hold. */
  toJSON(): Record<string, unknown> {
    return {
      id: this.id,
      version: this.version,
      title: this.title,
      ...(this.desc ? { description: this.desc } : {}),
      inputs: this.declared,
      nodes: this.nodes,
      ...(this.failureNode ? { onFailure: this.failureNode } : {}),
      ...(this.parallel ? { maxParallel: this.parallel } : {}),
      ...(this.retryPolicy ? { retry: this.retryPolicy } : {}),
    };
  }

  /** Parses and validates; throws WorkflowInvalidError listing every problem. */
  build(registries: Registries = {}): WorkflowDefinition {
    const parsed = WorkflowDefinitionSchema.safeParse(this.toJSON());
    if (!parsed.success) throw new WorkflowInvalidError(this.id, zodProblems(parsed.error));
    const problems = validateParsed(parsed.data, registries);
    if (problems.length > 0) throw new WorkflowInvalidError(this.id, problems);
    return parsed.data;
  }

  private add(id: string, kind: string, cfg: Record<string, unknown> & After): this {
    const { after, ...rest } = cfg;
    const next = Array.isArray(rest.next) ? [...(rest.next as string[])] : [];
    this.nodes.push({ ...rest, id, kind, next } as WorkflowNodeInput & { next: string[] });
    for (const from of typeof after === "string" ? [after] : (after ?? [])) this.edge(from, id);
    return this;
  }
}
