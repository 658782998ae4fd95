// The dashboard's sign-in pause: too many wrong keys from one address (or from everywhere at once) pauses
// sign-in, and during a pause every key is refused, the right one too, so a guesser learns nothing from the
// answer and guessing stops rather than slowing down. The decision is a pure function of the recorded
// failures and the time; the class only keeps that record in memory (a restart forgets it).

export type SignInLimits = {
  /** Wrong keys from one address within `windowMs` that pause that address. */
  perAddress: number;
  /** Wrong keys from all addresses together within `windowMs` that pause every address (a spread-out guess). */
  global: number;
  windowMs: number;
  /** How long a pause lasts from the wrong key that started it. */
  pauseMs: number;
};

export const SIGNIN_LIMITS: SignInLimits = { perAddress: 10, global: 100, windowMs: 60_000, pauseMs: 60_000 };

/** Recent wrong keys (epoch ms, oldest first) and the end of a pause, if one was started. */
export type FailureTrack = { failures: number[]; pausedUntil: number };

export type PauseDecision = { paused: false } | { paused: true; scope: "address" | "global"; retryAfterSeconds: number };

const retryAfter = (until: number, now: number) => Math.max(1, Math.ceil((until - now) / 1000));

/** Whether a sign-in at `now` is refused before its key is even looked at. The global pause wins ties. */
export function pauseDecision(address: FailureTrack | undefined, global: FailureTrack, now: number): PauseDecision {
  if (global.pausedUntil > now) return { paused: true, scope: "global", retryAfterSeconds: retryAfter(global.pausedUntil, now) };
  if (address && address.pausedUntil > now)
    return { paused: true, scope: "address", retryAfterSeconds: retryAfter(address.pausedUntil, now) };
  return { paused: false };
}

/** The track after one more wrong key: failures outside the window drop, and reaching `limit` starts a pause. */
export function recordFailure(track: FailureTrack | undefined, limit: number, limits: SignInLimits, now: number): FailureTrack {
  const failures = (track?.failures ?? []).filter((at) => at > now - limits.windowMs);
  failures.push(now);
  if (failures.length >= limit) return { failures: [], pausedUntil: now + limits.pauseMs };
  return { failures, pausedUntil: track?.pausedUntil ?? 0 };
}

export class SignInPause {
  private readonly addresses = new Map<string, FailureTrack>();
  private global: FailureTrack = { failures: [], pausedUntil: 0 };

  constructor(
    private readonly now: () => number = Date.now,
    private readonly limits: SignInLimits = SIGNIN_LIMITS,
    private readonly maxAddresses = 10_000,
  ) {}

  check(address: string): PauseDecision {
    return pauseDecision(this.addresses.get(address), this.global, this.now());
  }

  /** Records a wrong key; returns the pause it started, if any. */
  fail(address: string): PauseDecision {
    const now = this.now();
    const track = recordFailure(this.addresses.get(address), this.limits.perAddress, this.limits, now);
    // A Map keeps insertion order, so re-inserting keeps the least recently failing address first to drop.
    this.addresses.delete(address);
    this.addresses.set(address, track);
    if (this.addresses.size > this.maxAddresses) {
      const oldest = this.addresses.keys().next().value;
      if (oldest !== undefined) this.addresses.delete(oldest);
    }
    this.global = recordFailure(this.global, this.limits.global, this.limits, now);
    return pauseDecision(this.addresses.get(address), this.global, now);
  }
}
