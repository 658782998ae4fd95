// The OpenAI-compatible provider: the official SDK against OpenAI, Azure OpenAI, Ollama, vLLM or LM Studio.
// SDK retries are off (the engine owns retry policy); SDK errors become our error classes with one clear sentence.
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from "openai";
import type { ChatCompletionCreateParamsBase } from "openai/resources/chat/completions";
import {
  ModelAnswerBrokenError,
  ModelAnswerTooLargeError,
  ModelRateLimitError,
  ModelRequestError,
  ModelUnavailableError,
  StaffroomError,
} from "../errors.ts";
import type { Logger } from "../log.ts";
import { silentLogger } from "../log.ts";
import { storableAnswer } from "../util/unstorable.ts";
import { abortReason } from "./abort.ts";
import { bodyLimits, boundedFetch } from "./bounded-fetch.ts";
import type { ModelProvider, ModelRequest, ModelResponse } from "./types.ts";

export type OpenAIProviderOptions = {
  apiKey?: string;
  /** Any OpenAI-compatible endpoint, e.g. http://localhost:11434/v1 for Ollama. Defaults to OpenAI. */
  baseURL?: string;
  /** Model used when a request names none. */
  model: string;
  logger?: Logger;
  /** SDK-level safety timeout; the engine's per-node timeout normally fires first through the signal. */
  timeoutMs?: number;
  /** Largest answer read, in UTF-8 bytes of its text (STAFFROOM_MODEL_MAX_ANSWER_BYTES). */
  maxAnswerBytes?: number;
};

export const DEFAULT_MAX_ANSWER_BYTES = 256 * 1024;

const DEFAULT_BASE_URL = "https://api.openai.com/v1";

export function createOpenAIProvider(options: OpenAIProviderOptions): ModelProvider {
  const baseURL = options.baseURL ?? DEFAULT_BASE_URL;
  const logger = options.logger ?? silentLogger;
  const maxAnswerBytes = options.maxAnswerBytes ?? DEFAULT_MAX_ANSWER_BYTES;
  const client = new OpenAI({
    // Local servers (Ollama, vLLM) need no key, but the SDK insists on one.
    apiKey: options.apiKey ?? "no-key",
    baseURL,
    maxRetries: 0,
    timeout: options.timeoutMs ?? 600_000,
    // Counts the body as it arrives: a 5 MB answer is stopped at the limit, not read whole and then refused.
    fetch: boundedFetch(bodyLimits(maxAnswerBytes)),
  });
  const host = hostOf(baseURL);

  async function complete(request: ModelRequest): Promise<ModelResponse> {
    const model = request.model ?? options.model;
    const body: ChatCompletionCreateParamsBase = {
      model,
      messages: request.messages,
      ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
      ...(request.maxTokens === undefined ? {} : { max_tokens: request.maxTokens }),
      ...(request.schema
        ? {
            response_format: {
              type: "json_schema",
              json_schema: { name: schemaName(request.schema.name), schema: request.schema.jsonSchema, strict: false },
            },
          }
        : {}),
    };
    const started = Date.now();
    try {
      const answer = request.onDelta ? await streamed(body, request) : await whole(body, request);
      // NUL and lone surrogates cannot be stored (PostgreSQL refused the run's write and it stayed running).
      const result = { ...answer, text: storableAnswer(answer.text, request.schema !== undefined) };
      logger.debug(
        {
          executionId: request.meta.executionId,
          nodeId: request.meta.nodeId,
          model: result.model,
          ms: Date.now() - started,
          usage: result.usage,
        },
        "model call finished",
      );
      return result;
    } catch (error) {
      if (request.signal.aborted) throw abortReason(request.signal);
      const mapped = mapError(error, host);
      // The engine logs the attempt's failure (with retry decisions); this adds the HTTP detail at debug.
      logger.debug(
        { executionId: request.meta.executionId, nodeId: request.meta.nodeId, code: mapped.code, status: mapped.details?.status },
        "model call failed",
      );
      throw mapped;
    }
  }

  async function whole(body: ChatCompletionCreateParamsBase, request: ModelRequest): Promise<ModelResponse> {
    const completion = await client.chat.completions.create({ ...body, stream: false }, { signal: request.signal });
    // A body that parsed as JSON but is no completion (an HTML error page, a proxy's text) is a transport fault.
    if (!completion || typeof completion !== "object" || !Array.isArray(completion.choices)) throw new ModelAnswerBrokenError("garbled");
    const choice = completion.choices[0];
    const text = choice?.message?.content ?? "";
    if (Buffer.byteLength(text) > maxAnswerBytes) throw new ModelAnswerTooLargeError(maxAnswerBytes);
    return {
      text,
      usage: { inputTokens: completion.usage?.prompt_tokens ?? 0, outputTokens: completion.usage?.completion_tokens ?? 0 },
      model: completion.model || body.model,
    };
  }

  async function streamed(body: ChatCompletionCreateParamsBase, request: ModelRequest): Promise<ModelResponse> {
    const stream = await client.chat.completions.create(
      { ...body, stream: true, stream_options: { include_usage: true } },
      { signal: request.signal },
    );
    let text = "";
    let bytes = 0;
    let finished = false;
    let model = body.model;
    const usage = { inputTokens: 0, outputTokens: 0 };
    for await (const chunk of stream) {
      if (chunk.model) model = chunk.model;
      const choice = chunk.choices[0];
      if (choice?.finish_reason) finished = true;
      const delta = choice?.delta?.content;
      if (delta) {
        // Counted as it arrives; leaving the loop makes the SDK abort the request, so the rest is never read.
        bytes += Buffer.byteLength(delta);
        if (bytes > maxAnswerBytes) throw new ModelAnswerTooLargeError(maxAnswerBytes);
        text += delta;
        request.onDelta?.(delta);
      }
      if (chunk.usage) {
        usage.inputTokens = chunk.usage.prompt_tokens ?? 0;
        usage.outputTokens = chunk.usage.completion_tokens ?? 0;
      }
    }
    // The SDK ends a stream quietly when its signal aborts; a partial answer must not pass as complete.
    if (request.signal.aborted) throw abortReason(request.signal);
    // Every complete stream says why it stopped; one that ends without it was cut off in transit.
    if (!finished) throw new ModelAnswerBrokenError("incomplete");
    return { text, usage, model };
  }

  return { name: "openai", complete };
}

/** OpenAI requires schema names of letters, digits, _ and - (at most 64). */
function schemaName(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 64) || "answer";
}

function hostOf(baseURL: string): string {
  try {
    return new URL(baseURL).host;
  } catch {
    return baseURL;
  }
}

/** One clear sentence per failure; retryable for what may pass on its own (network, 5xx, 429). */
export function mapError(error: unknown, host: string): StaffroomError {
  // Our own errors thrown inside the SDK's fetch (the size limit) come back wrapped as a connection error.
  const own = ownError(error);
  if (own) return own;
  // The body stopped mid-way (undici: "terminated") or did not parse: the answer broke in transit, not its shape.
  if (error instanceof SyntaxError) return new ModelAnswerBrokenError("garbled", { cause: error });
  if (isTerminated(error)) return new ModelAnswerBrokenError("incomplete", { cause: error });
  if (error instanceof APIUserAbortError) return new ModelUnavailableError("The model request was aborted.", { cause: error });
  if (error instanceof APIConnectionTimeoutError) {
    return new ModelUnavailableError(`Could not reach the model endpoint at ${host}: the request timed out. Check OPENAI_BASE_URL.`, {
      cause: error,
    });
  }
  if (error instanceof APIConnectionError) {
    return new ModelUnavailableError(`Could not reach the model endpoint at ${host}: ${connectionReason(error)}. Check OPENAI_BASE_URL.`, {
      cause: error,
    });
  }
  if (error instanceof APIError && typeof error.status === "number") {
    const status = error.status;
    if (status === 429) {
      return new ModelRateLimitError(`The model endpoint at ${host} is rate limiting requests (HTTP 429).`, retryAfterMs(error.headers));
    }
    if (status >= 500) {
      return new ModelUnavailableError(`The model endpoint at ${host} had a server error (HTTP ${status}); trying again may help.`, {
        cause: error,
        status,
      });
    }
    const detail = apiMessage(error);
    const sentence =
      status === 401
        ? "The model endpoint rejected the API key. Check OPENAI_API_KEY."
        : status === 403
          ? "The model endpoint refused access with this API key (HTTP 403). Check the key's permissions and OPENAI_API_KEY."
          : status === 404
            ? `The model endpoint at ${host} does not know this model or path (HTTP 404). Check STAFFROOM_MODEL and OPENAI_BASE_URL.`
            : status === 400 || status === 422
              ? `The model endpoint rejected the request (HTTP ${status})${detail ? `: ${detail}` : ""}. Check STAFFROOM_MODEL supports chat and structured output.`
              : `The model endpoint answered HTTP ${status}${detail ? `: ${detail}` : ""}.`;
    return new ModelRequestError(sentence, { cause: error, status });
  }
  if (error instanceof Error && error.name === "AbortError")
    return new ModelUnavailableError("The model request was aborted.", { cause: error });
  const message = error instanceof Error ? error.message : String(error);
  return new ModelUnavailableError(`The model call to ${host} failed: ${message}.`, { cause: error });
}

function ownError(error: unknown): StaffroomError | undefined {
  let current: unknown = error;
  for (let i = 0; i < 5 && current; i++) {
    if (current instanceof StaffroomError) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function isTerminated(error: unknown): boolean {
  let current: unknown = error;
  for (let i = 0; i < 5 && current; i++) {
    // undici's word for a body whose connection closed before its end (after the headers arrived).
    if ((current as { message?: unknown }).message === "terminated") return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

function connectionReason(error: APIConnectionError): string {
  // fetch wraps the socket error: TypeError("fetch failed") with cause { code: "ECONNREFUSED" }.
  let current: unknown = error.cause;
  let deepest: string | undefined;
  for (let i = 0; i < 5 && current; i++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") {
      const known: Record<string, string> = {
        ECONNREFUSED: "the connection was refused (is the server running?)",
        ENOTFOUND: "the host name was not found",
        EAI_AGAIN: "the host name could not be resolved right now",
        ECONNRESET: "the connection was reset",
        ETIMEDOUT: "the connection timed out",
        EHOSTUNREACH: "the host is unreachable",
        CERT_HAS_EXPIRED: "its TLS certificate has expired",
        UND_ERR_SOCKET: "the connection closed unexpectedly",
      };
      return known[code] ?? code;
    }
    const message = (current as { message?: unknown }).message;
    if (typeof message === "string" && message !== "" && message !== "fetch failed") deepest = message;
    current = (current as { cause?: unknown }).cause;
  }
  // No socket code (e.g. fetch refusing a port it considers unsafe): say what the runtime said.
  return deepest ? `the connection failed (${deepest})` : "the connection failed";
}

function apiMessage(error: APIError): string | undefined {
  const body = error.error as { message?: unknown } | undefined;
  const message = typeof body?.message === "string" ? body.message : undefined;
  return message ? message.replace(/\s+/g, " ").slice(0, 200).replace(/\.$/, "") : undefined;
}

/** `retry-after-ms` (milliseconds) or `retry-after` (seconds or an HTTP date). */
export function retryAfterMs(headers: Headers | undefined, now = Date.now()): number | undefined {
  if (!headers) return undefined;
  const ms = headers.get("retry-after-ms");
  if (ms !== null && ms.trim() !== "" && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const after = headers.get("retry-after");
  if (after === null || after.trim() === "") return undefined;
  const seconds = Number(after);
  if (Number.isFinite(seconds)) return Math.max(0, Math.round(seconds * 1000));
  const date = Date.parse(after);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
