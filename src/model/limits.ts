// Default concurrency of model calls per provider, from what OpenAI-compatible endpoints allow.
//   Hosted OpenAI (and Azure OpenAI) limit a key by requests and tokens per minute, not by calls in
//   flight: even the first paid tier allows 500 requests/min for gpt-4o-mini, and a 429 carries
//   Retry-After (honoured: the provider's queue group pauses for it). 16 calls in flight keeps fifty
//   teachers at 8 am from queueing behind each other and stays far below those limits.
//   Self-hosted servers (Ollama, vLLM, LM Studio on localhost or a LAN address) run a few requests
//   at once per model (Ollama's OLLAMA_NUM_PARALLEL defaults to 4 or 1): more only queues there.
//   The offline model is local CPU work that finishes at once.
// Per-execution parallelism is separate: a workflow's `maxParallel` (default 8).

export const HOSTED_CONCURRENCY = 16;
export const SELF_HOSTED_CONCURRENCY = 4;
export const OFFLINE_CONCURRENCY = 32;

const LOCAL_HOST = /^(localhost|127\.|0\.0\.0\.0|\[?::1\]?|10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|[^.]+$)/;

/** Calls in flight at once for a provider, when STAFFROOM_MODEL_CONCURRENCY does not say. */
export function defaultModelConcurrency(provider: "openai" | "offline", baseUrl?: string): number {
  if (provider === "offline") return OFFLINE_CONCURRENCY;
  if (!baseUrl) return HOSTED_CONCURRENCY;
  try {
    return LOCAL_HOST.test(new URL(baseUrl).hostname) ? SELF_HOSTED_CONCURRENCY : HOSTED_CONCURRENCY;
  } catch {
    return HOSTED_CONCURRENCY;
  }
}
