// Token usage of a model call: what providers report and the engine adds up per node.
import { z } from "zod";

export const TokenUsage = z.object({ inputTokens: z.number().int().min(0), outputTokens: z.number().int().min(0) });
export type TokenUsage = z.infer<typeof TokenUsage>;
