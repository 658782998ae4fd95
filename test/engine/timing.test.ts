import { afterEach, describe, expect, test, vi } from "vitest";
import { systemClock } from "../../src/engine/timing.ts";

describe("systemClock.sleep", () => {
  afterEach(() => vi.useRealTimers());

  test("a sleep longer than setTimeout's limit (about 24.8 days) waits the whole time, not 1 ms", async () => {
    vi.useFakeTimers();
    const days = 30;
    let woke = false;
    const done = systemClock.sleep(days * 86_400_000).then(() => {
      woke = true;
    });
    await vi.advanceTimersByTimeAsync(1000);
    expect(woke).toBe(false);
    await vi.advanceTimersByTimeAsync(25 * 86_400_000);
    expect(woke).toBe(false);
    await vi.advanceTimersByTimeAsync(5 * 86_400_000);
    await done;
    expect(woke).toBe(true);
  });

  test("an abort during a long sleep rejects at once", async () => {
    vi.useFakeTimers();
    const controller = new AbortController();
    const sleeping = systemClock.sleep(40 * 86_400_000, controller.signal);
    await vi.advanceTimersByTimeAsync(26 * 86_400_000);
    controller.abort(new Error("stop"));
    await expect(sleeping).rejects.toThrow("stop");
  });
});
