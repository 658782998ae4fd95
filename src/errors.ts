// Error classes shared by every layer: a stable `code`, a message written for the person who reads it,
// and whether trying again may help. Nothing decides retry by matching message strings.

export class StaffroomError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  /** Extra structured detail for logs and API problem bodies (never student text). */
  readonly details: Record<string, unknown> | undefined;

  constructor(code: string, message: string, opts: { retryable?: boolean; cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = opts.retryable ?? false;
    this.details = opts.details;
  }
}

/** A teacher's or caller's input does not fit what is expected. */
export class InvalidInputError extends StaffroomError {
  readonly issues: { path: string; message: string }[];
  constructor(message: string, issues: { path: string; message: string }[] = []) {
    super("invalid_input", message, { details: { issues } });
    this.issues = issues;
  }
}

/** A workflow definition breaks one or more rules; `problems` lists every one with its path. */
export class WorkflowInvalidError extends StaffroomError {
  readonly problems: { path: string; message: string }[];
  constructor(workflowId: string, problems: { path: string; message: string }[]) {
    const first = problems[0];
    super(
      "workflow_invalid",
      `Workflow "${workflowId}" has ${problems.length} problem${problems.length === 1 ? "" : "s"}${first ? `, first at ${first.path}: ${first.message}` : ""}.`,
      { details: { problems } },
    );
    this.problems = problems;
  }
}

export class NotFoundError extends StaffroomError {
  constructor(what: string, id: string) {
    super("not_found", `No ${what} with id "${id}" was found.`);
  }
}

/** The model endpoint could not be reached or answered with a server error. */
export class ModelUnavailableError extends StaffroomError {
  constructor(message: string, opts: { cause?: unknown; status?: number } = {}) {
    super("model_unavailable", message, { retryable: true, cause: opts.cause, details: { status: opts.status } });
  }
}

/** The model endpoint asked us to slow down; `retryAfterMs` is honoured by the retry policy. */
export class ModelRateLimitError extends StaffroomError {
  readonly retryAfterMs: number | undefined;
  constructor(message: string, retryAfterMs?: number) {
    super("model_rate_limited", message, { retryable: true, details: { retryAfterMs } });
    this.retryAfterMs = retryAfterMs;
  }
}

/** The model endpoint refused the request itself (bad key, unknown model, bad request): retrying will not help. */
export class ModelRequestError extends StaffroomError {
  constructor(message: string, opts: { cause?: unknown; status?: number } = {}) {
    super("model_request_rejected", message, { cause: opts.cause, details: { status: opts.status } });
  }
}

/** The model's answer did not fit the node's output schema, even after one repair attempt. */
export class ModelOutputError extends StaffroomError {
  constructor(nodeId: string, issues: string) {
    super("model_output_invalid", `The model's answer for step "${nodeId}" did not match the expected shape: ${issues}`);
  }
}

/** The model's answer grew past the configured size limit; reading stopped there (retrying would grow it again). */
export class ModelAnswerTooLargeError extends StaffroomError {
  constructor(limitBytes: number) {
    super(
      "model_answer_too_large",
      `The model's answer grew past the ${formatBytes(limitBytes)} limit and was stopped; ask for a shorter answer (an admin can raise STAFFROOM_MODEL_MAX_ANSWER_BYTES).`,
      { details: { limitBytes } },
    );
  }
}

/** The model endpoint's answer arrived cut off or garbled (a transport fault, not the answer's shape): may pass on a retry. */
export class ModelAnswerBrokenError extends StaffroomError {
  constructor(how: "incomplete" | "garbled", opts: { cause?: unknown } = {}) {
    super(
      "model_answer_broken",
      how === "incomplete"
        ? "The model endpoint's answer arrived cut off before its end."
        : "The model endpoint's answer arrived garbled (not a valid response).",
      { retryable: true, cause: opts.cause, details: { how } },
    );
  }
}

function formatBytes(bytes: number): string {
  return bytes >= 1 << 20 && bytes % (1 << 20) === 0
    ? `${bytes / (1 << 20)} MB`
    : bytes >= 1024
      ? `${Math.round(bytes / 1024)} KB`
      : `${bytes} bytes`;
}

/** A node attempt took longer than its timeout and was aborted. */
export class NodeTimeoutError extends StaffroomError {
  constructor(nodeId: string, timeoutMs: number) {
    super("node_timeout", `Step "${nodeId}" took longer than ${timeoutMs} ms and was stopped.`, { retryable: true });
  }
}

/** The execution was cancelled while this work was in flight. */
export class CancelledError extends StaffroomError {
  constructor(message = "The request was cancelled.") {
    super("cancelled", message);
  }
}

/** Configuration from the environment is invalid; one line per problem. */
export class ConfigError extends StaffroomError {
  readonly problems: string[];
  constructor(problems: string[]) {
    super("config_invalid", `Configuration problem${problems.length === 1 ? "" : "s"}:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.problems = problems;
  }
}

/** A chat platform (or another service) could not be reached: network, DNS, timeout, a 5xx. Trying again may help. */
export class PlatformUnreachableError extends StaffroomError {
  readonly platform: string;
  constructor(platform: string, message: string, opts: { cause?: unknown } = {}) {
    super("platform_unreachable", message, { retryable: true, cause: opts.cause, details: { platform } });
    this.platform = platform;
  }
}

/** A chat platform answered and refused our credentials or settings: retrying will not help until they are fixed. */
export class PlatformRejectedError extends StaffroomError {
  readonly platform: string;
  constructor(platform: string, message: string, opts: { cause?: unknown } = {}) {
    super("platform_rejected", message, { cause: opts.cause, details: { platform } });
    this.platform = platform;
  }
}

/** Friendly one-line text for any thrown value; never a stack trace. */
export function describeError(error: unknown): string {
  if (error instanceof StaffroomError) return error.message;
  if (error instanceof Error) return `Unexpected error: ${error.message}`;
  return `Unexpected error: ${String(error)}`;
}

export function isRetryable(error: unknown): boolean {
  return error instanceof StaffroomError && error.retryable;
}

const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: "the connection was refused",
  ECONNRESET: "the connection was reset",
  ENOTFOUND: "the host name was not found (DNS)",
  EAI_AGAIN: "the host name could not be resolved right now (DNS)",
  ETIMEDOUT: "the connection timed out",
  ECONNABORTED: "the request timed out",
  EHOSTUNREACH: "there is no route to the host",
  ENETUNREACH: "the network is unreachable",
  EPIPE: "the connection was closed",
  UND_ERR_CONNECT_TIMEOUT: "the connection timed out",
  UND_ERR_SOCKET: "the connection was closed",
  UND_ERR_HEADERS_TIMEOUT: "no answer arrived in time",
};

/**
 * What went wrong on the network, in words ("the connection was refused"), when `error` (or one of its causes)
 * is a network failure; undefined for anything else, so callers can tell the network from a refusal.
 */
export function networkReason(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 5; depth++) {
    const err = e as { code?: unknown; name?: unknown; errors?: unknown[]; cause?: unknown; original?: unknown };
    if (typeof err.code === "string" && NETWORK_REASONS[err.code]) return NETWORK_REASONS[err.code];
    if (err.name === "AbortError" || err.name === "TimeoutError") return "no answer arrived in time";
    // Happy-eyeballs connects fail with an AggregateError of the per-address errors.
    const first = Array.isArray(err.errors) ? err.errors[0] : undefined;
    e = first ?? err.original ?? err.cause;
  }
  return undefined;
}
