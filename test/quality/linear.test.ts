// Every pattern of src/quality stays linear in its input: each text-taking function on adversarial input (runs
// of what its patterns repeat or backtrack on). Loose wall-clock bounds only catch quadratic behaviour, which is
// orders of magnitude off (before the fix a 32 KB run of dots or spaces took 0.7-2 s, so 1 MB would take
// half an hour); the speed target itself (1 MB token under 50 ms) is the `quality` area of `npm run bench`.
// 64 KB runs first with a tight bound so a regression fails in seconds instead of hanging on 1 MB.
import { describe, expect, it } from "vitest";
import { adversarialInputs, QUALITY_FUNCTIONS } from "./adversarial.ts";

function ms(fn: () => unknown): number {
  const t = performance.now();
  fn();
  return performance.now() - t;
}

describe("quality patterns are linear", () => {
  const small = adversarialInputs(64 * 1024);
  const large = adversarialInputs(1 << 20);
  for (const [name, fn] of QUALITY_FUNCTIONS) {
    it(`${name}: 64 KB of each adversarial input well under a second, then 1 MB within seconds`, () => {
      for (const [label, text] of small)
        expect(
          ms(() => fn(text)),
          `${name} on 64 KB: ${label}`,
        ).toBeLessThan(1_000);
      for (const [label, text] of large)
        expect(
          ms(() => fn(text)),
          `${name} on 1 MB: ${label}`,
        ).toBeLessThan(3_000);
    }, 120_000);
  }

  it("the inputs are what they say: about the asked size", () => {
    for (const [label, text] of adversarialInputs(1 << 20)) expect(text.length, label).toBeGreaterThan(900_000);
  });
});
