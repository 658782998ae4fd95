// Model layer: picks the provider the configuration asks for (OpenAI-compatible or offline drafts).
import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";
import { silentLogger } from "../log.ts";
import { createOfflineProvider, type Drafter } from "./offline.ts";
import { createOpenAIProvider } from "./openai.ts";
import type { ModelProvider } from "./types.ts";

export { createOfflineProvider, type Drafter, OFFLINE_PREFIX, type OfflineProviderOptions } from "./offline.ts";
export { createOpenAIProvider, type OpenAIProviderOptions } from "./openai.ts";
export { synthesizeFromJsonSchema } from "./synthesize.ts";
export type { ChatMessage, ModelProvider, ModelRequest, ModelResponse } from "./types.ts";

export const OFFLINE_NOTICE = "No OPENAI_API_KEY or OPENAI_BASE_URL set: using the offline model, which writes template drafts without AI.";

export type ModelProviderOptions = {
  drafters?: Record<string, Drafter>;
  logger?: Logger;
  /** Where the one-line offline notice goes; defaults to an info log line. */
  notice?: (line: string) => void;
};

export function createModelProvider(
  config: Pick<Config, "modelProvider" | "OPENAI_API_KEY" | "OPENAI_BASE_URL" | "STAFFROOM_MODEL" | "STAFFROOM_MODEL_PROVIDER"> &
    Partial<Pick<Config, "STAFFROOM_MODEL_TIMEOUT_MS" | "STAFFROOM_MODEL_MAX_ANSWER_BYTES">>,
  options: ModelProviderOptions = {},
): ModelProvider {
  const logger = options.logger ?? silentLogger;
  if (config.modelProvider === "openai") {
    return createOpenAIProvider({
      ...(config.OPENAI_API_KEY ? { apiKey: config.OPENAI_API_KEY } : {}),
      ...(config.OPENAI_BASE_URL ? { baseURL: config.OPENAI_BASE_URL } : {}),
      model: config.STAFFROOM_MODEL,
      logger,
      // A little above the engine's per-node timeout so the engine's own timeout error wins.
      ...(config.STAFFROOM_MODEL_TIMEOUT_MS ? { timeoutMs: config.STAFFROOM_MODEL_TIMEOUT_MS + 5_000 } : {}),
      ...(config.STAFFROOM_MODEL_MAX_ANSWER_BYTES ? { maxAnswerBytes: config.STAFFROOM_MODEL_MAX_ANSWER_BYTES } : {}),
    });
  }
  // Chosen explicitly: no notice needed; chosen because nothing is configured: say so once.
  if (config.STAFFROOM_MODEL_PROVIDER !== "offline") {
    if (options.notice) options.notice(OFFLINE_NOTICE);
    else logger.info({ provider: "offline" }, OFFLINE_NOTICE);
  }
  return createOfflineProvider({ ...(options.drafters ? { drafters: options.drafters } : {}) });
}
