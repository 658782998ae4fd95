// What an aborted model call rejects with, shared by every provider.
import { CancelledError } from "../errors.ts";

/** The signal's own reason when it is an error (a timeout, a cancel), else a plain cancellation. */
export function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new CancelledError();
}
