// Privacy benchmarks: contact-detail detection on 1 MB adversarial tokens (the e-mail pattern used to retry
// from every character, 2.75 s for 64 KB), each against a floor measured in the same run: one pass reading
// every character of the same text. Linear code stays a small multiple of the floor; quadratic code is
// thousands of times it.
import { findContacts } from "../src/privacy/contacts.ts";
import { type BenchRow, median } from "./lib.ts";

const MB = 1 << 20;
const INPUTS: [string, string][] = [
  ["1 MB local part, no @", "a".repeat(MB)],
  ["1 MB local part, then @", `${"a".repeat(MB)}@`],
  ["1 MB of a@a@a@", "a@".repeat(MB / 2)],
  ["1 MB domain of one-letter labels", `a@${"b.".repeat(MB / 2)}`],
  ["1 MB of digits then a letter", `${"1".repeat(MB)}x`],
  ["1 MB of spaced digits", `${"1 ".repeat(MB / 2)}x`],
  ['"id" then 1 MB of spaces', `id${" ".repeat(MB)}!`],
];

function times(n: number, fn: () => unknown): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    fn();
    out.push(performance.now() - t);
  }
  return out;
}

/** The floor: read every character once. */
function readAll(text: string): number {
  let sum = 0;
  for (let i = 0; i < text.length; i++) sum += text.charCodeAt(i);
  return sum;
}

export async function run(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const [label, text] of INPUTS) {
    findContacts(text);
    const ms = median(times(7, () => findContacts(text)));
    const floor = median(times(7, () => readAll(text)));
    const ratio = ms / Math.max(floor, 0.01);
    rows.push({ area: "privacy", metric: `contacts: ${label}`, value: ms, unit: "ms", target: "< 50 ms", ok: ms < 50 });
    rows.push({ area: "privacy", metric: `contacts: ${label} / floor`, value: ratio, unit: "x", target: "<= 50x", ok: ratio <= 50 });
  }
  return rows;
}
