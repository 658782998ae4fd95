// The one interface every model provider implements. The engine's agent nodes talk only to this.
import type { z } from "zod";
import type { TokenUsage } from "./usage.ts";

export type { TokenUsage };

export type ChatMessage = { role: "system" | "user" | "assistant"; content: string };

export type ModelRequest = {
  messages: ChatMessage[];
  /** Structured output: the answer must be JSON fitting this schema. */
  schema?: { name: string; zod: z.ZodType; jsonSchema: Record<string, unknown> };
  model?: string;
  temperature?: number;
  maxTokens?: number;
  /** Aborts the underlying request (timeouts, cancel). Providers must honour it. */
  signal: AbortSignal;
  /** Called with text deltas while the answer streams (progress only; the result is the full text). */
  onDelta?: (delta: string) => void;
  /** Facts for deterministic drafting and logs; never sent to a remote model. */
  meta: { executionId: string; nodeId: string; templateId: string; vars: Record<string, unknown> };
};

export type ModelResponse = {
  /** The answer's text (JSON text when a schema was given). */
  text: string;
  usage: TokenUsage;
  model: string;
};

export interface ModelProvider {
  /** Provider name: "openai" or "offline"; also the key of the shared concurrency limiter. */
  readonly name: string;
  /** One model call; throws StaffroomError subclasses (ModelRateLimitError, ModelUnavailableError, ...). */
  complete(request: ModelRequest): Promise<ModelResponse>;
}

/** Writes an offline draft for one output schema from the node's variables (templates register one per schema). */
export type Drafter = (vars: Record<string, unknown>, request: ModelRequest) => unknown;
