// One attempt of a node, bounded by its timeout, and the one place a retry is decided.
import { isRetryable, NodeTimeoutError } from "../../errors.ts";
import type { RetryPolicy } from "../schema.ts";
import { backoffDelay, type Clock } from "../timing.ts";

export type RetryDecision = { retry: true; delayMs: number } | { retry: false };

/** Retry when the error says trying again may help and attempts remain; the delay honours a Retry-After. */
export function retryDecision(error: unknown, attempt: number, policy: RetryPolicy, random: () => number): RetryDecision {
  if (!isRetryable(error) || attempt >= policy.maxAttempts) return { retry: false };
  const retryAfterMs = (error as { retryAfterMs?: number }).retryAfterMs;
  return { retry: true, delayMs: backoffDelay(policy, attempt, random, retryAfterMs) };
}

const abortPromises = new WeakMap<AbortSignal, Promise<never>>();

/** One promise per signal (per run, not per attempt) that rejects with its reason once it fires. */
function rejectsOnAbort(signal: AbortSignal): Promise<never> {
  let p = abortPromises.get(signal);
  if (!p) {
    p = new Promise<never>((_, reject) => {
      if (signal.aborted) reject(signal.reason);
      else signal.addEventListener("abort", () => reject(signal.reason), { once: true });
    });
    p.catch(() => undefined);
    abortPromises.set(signal, p);
  }
  return p;
}

/**
 * Runs `fn` with the run's signal; the attempt ends as soon as that signal fires, even if `fn`
 * ignores it. Only when the node has a timeout does it build abort machinery of its own (a
 * controller, a timer): the attempt then fails at once when the timeout passes.
 */
export async function withTimeout<T>(
  fn: (signal: AbortSignal) => Promise<T>,
  run: AbortSignal,
  timeout: { ms: number; nodeId: string; clock: Clock } | undefined,
): Promise<T> {
  if (!timeout) return Promise.race([fn(run), rejectsOnAbort(run)]);
  const ctrl = new AbortController();
  const onRunAbort = () => ctrl.abort(run.reason);
  if (run.aborted) onRunAbort();
  else run.addEventListener("abort", onRunAbort, { once: true });
  const timer = new AbortController();
  timeout.clock.sleep(timeout.ms, timer.signal).then(
    () => ctrl.abort(new NodeTimeoutError(timeout.nodeId, timeout.ms)),
    () => undefined,
  );
  const aborted = new Promise<never>((_, reject) => {
    if (ctrl.signal.aborted) reject(ctrl.signal.reason);
    ctrl.signal.addEventListener("abort", () => reject(ctrl.signal.reason), { once: true });
  });
  aborted.catch(() => undefined);
  try {
    return await Promise.race([fn(ctrl.signal), aborted]);
  } finally {
    timer.abort();
    run.removeEventListener("abort", onRunAbort);
  }
}
