// Quality-check benchmarks: every text-taking function of src/quality on 1 MB adversarial inputs (runs of the
// characters its patterns repeat or backtrack on). Two readings per function: the slowest 1 MB single token
// (target under 50 ms), and the worst growth from 256 KB to 1 MB over all inputs: linear code grows about 4x,
// quadratic code about 16x (before the fix a 32 KB run of dots or spaces already took 0.7-2 s).
import { adversarialInputs, QUALITY_FUNCTIONS } from "../test/quality/adversarial.ts";
import { type BenchRow, median } from "./lib.ts";

const SMALL = 256 * 1024;
const LARGE = 1 << 20;
const TOKENS = new Set(["one long token", "one long upper-case token", "dots then a letter", "open brackets"]);

function timed(fn: () => unknown, runs: number): number {
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    out.push(performance.now() - t);
  }
  return median(out);
}

export async function run(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const small = adversarialInputs(SMALL);
  const large = adversarialInputs(LARGE);
  for (const [name, fn] of QUALITY_FUNCTIONS) {
    let tokenMs = 0;
    let worst = 0;
    let worstLabel = "";
    for (const [i, [label, text]] of large.entries()) {
      const smallText = small[i]?.[1] ?? "";
      fn(smallText);
      fn(text);
      const floor = timed(() => fn(smallText), 5);
      const ms = timed(() => fn(text), 5);
      if (TOKENS.has(label)) tokenMs = Math.max(tokenMs, ms);
      // Below 5 ms at 1 MB the ratio is timer noise, not growth.
      const ratio = ms < 5 ? 0 : ms / Math.max(floor, 0.01);
      if (ratio > worst) {
        worst = ratio;
        worstLabel = label;
      }
    }
    rows.push({ area: "quality", metric: `${name}: 1 MB single token`, value: tokenMs, unit: "ms", target: "< 50 ms", ok: tokenMs < 50 });
    rows.push({
      area: "quality",
      metric: `${name}: worst 1 MB / 256 KB${worstLabel ? ` (${worstLabel})` : ""}`,
      value: worst,
      unit: "x",
      target: "<= 8x",
      ok: worst <= 8,
    });
  }
  return rows;
}
