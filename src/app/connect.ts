// Connecting a chat platform at start-up: bounded attempts with exponential backoff, each attempt with a
// deadline, the readiness board kept current ("slack: retrying, attempt 2: ...") and one final sentence
// that says whether the network failed or the platform refused the credentials.
import { describeError, isRetryable, PlatformUnreachableError, StaffroomError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { Readiness } from "../readiness.ts";

export type ConnectPolicy = {
  /** Attempts in all, the first included (STAFFROOM_CONNECT_ATTEMPTS). */
  attempts: number;
  /** One attempt's deadline; past it the attempt is aborted and counts as a network failure. */
  attemptTimeoutMs: number;
  /** Wait before attempt n+1 (n ≥ 1). */
  backoffMs: (attempt: number) => number;
};

/** 1 s, 2 s, 4 s, … capped at 30 s. */
export function exponentialBackoff(attempt: number, baseMs = 1_000, maxMs = 30_000): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
}

export const DEFAULT_CONNECT_POLICY: Omit<ConnectPolicy, "attempts"> = { attemptTimeoutMs: 15_000, backoffMs: exponentialBackoff };

export type ConnectOptions = {
  /** Readiness key and log field: "slack", "discord". */
  part: string;
  /** For people: "Slack", "Discord". */
  label: string;
  policy: ConnectPolicy;
  readiness: Readiness;
  logger: Logger;
  /** Shutdown: stops waiting and aborts the attempt in flight. */
  signal: AbortSignal;
};

/** The platform could not be connected: after every attempt failed on the network, or at once when it refused us. */
export class ConnectFailedError extends StaffroomError {
  constructor(message: string, opts: { cause?: unknown; retryable: boolean }) {
    super("connect_failed", message, { cause: opts.cause, retryable: opts.retryable });
  }
}

/** Runs `attempt` until it succeeds, a failure is not retryable, the attempts run out, or `signal` aborts. */
export async function connectWithRetry<T>(options: ConnectOptions, attempt: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const { part, label, policy, readiness, logger, signal } = options;
  const started = Date.now();
  let last: unknown;
  for (let n = 1; n <= policy.attempts; n++) {
    signal.throwIfAborted();
    readiness.set(part, n === 1 ? "connecting" : "retrying", {
      attempts: n,
      ...(last ? { detail: `attempt ${n} of ${policy.attempts}; the last one failed: ${describeError(last)}` } : {}),
    });
    try {
      const result = await withDeadline(attempt, policy.attemptTimeoutMs, signal, label);
      readiness.set(part, "ready", { attempts: n });
      return result;
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      last = error;
      if (!isRetryable(error)) {
        readiness.set(part, "failed", { attempts: n, detail: describeError(error) });
        throw new ConnectFailedError(describeError(error), { cause: error, retryable: false });
      }
      if (n === policy.attempts) break;
      const waitMs = policy.backoffMs(n);
      logger.warn({ surface: part, attempt: n, retryInMs: waitMs, err: describeError(error) }, `${part}: could not connect, retrying`);
      readiness.set(part, "retrying", {
        attempts: n,
        detail: `attempt ${n} of ${policy.attempts} failed (${describeError(error)}); next in ${Math.round(waitMs / 1000)} s`,
      });
      await sleep(waitMs, signal);
    }
  }
  const seconds = Math.round((Date.now() - started) / 1000);
  const message = `${label} could not be reached after ${policy.attempts} attempt${policy.attempts === 1 ? "" : "s"} over ${seconds} s. ${describeError(last)}`;
  readiness.set(part, "failed", { attempts: policy.attempts, detail: message });
  throw new ConnectFailedError(message, { cause: last, retryable: true });
}

async function withDeadline<T>(
  attempt: (signal: AbortSignal) => Promise<T>,
  timeoutMs: number,
  outer: AbortSignal,
  label: string,
): Promise<T> {
  const controller = new AbortController();
  const onAbort = () => controller.abort(outer.reason);
  outer.addEventListener("abort", onAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new PlatformUnreachableError(
        label.toLowerCase(),
        `${label} did not finish connecting within ${timeoutMs < 1_000 ? `${timeoutMs} ms` : `${Math.round(timeoutMs / 1000)} s`}; check the network, firewall or proxy.`,
      );
      controller.abort(error);
      reject(error);
    }, timeoutMs);
  });
  const aborted = new Promise<never>((_, reject) => {
    if (outer.aborted) reject(outer.reason);
    outer.addEventListener("abort", () => reject(outer.reason), { once: true });
  });
  aborted.catch(() => undefined);
  // Whatever the attempt settles to after we gave up on it must not surface as an unhandled rejection.
  const running = attempt(controller.signal);
  running.catch(() => undefined);
  try {
    return await Promise.race([running, deadline, aborted]);
  } finally {
    clearTimeout(timer);
    outer.removeEventListener("abort", onAbort);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
