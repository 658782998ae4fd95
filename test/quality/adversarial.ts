// Adversarial inputs for the quality checks' patterns: long runs of the characters each pattern starts,
// repeats or backtracks on, with an ending that makes the match fail (so a backtracking pattern pays in full).
import { checkCodes, describeCodes, removeCodes } from "../../src/quality/codes.ts";
import { readingCounts, simplify } from "../../src/quality/readability.ts";
import { bloomByVerbs, raiseTask } from "../../src/quality/rigor.ts";

export function adversarialInputs(size: number): [string, string][] {
  const half = Math.floor(size / 2);
  const third = Math.floor(size / 3);
  return [
    ["one long token", "a".repeat(size)],
    ["one long upper-case token", "A".repeat(size)],
    ["dots then a letter", `${".".repeat(size)}x`],
    ["open brackets", "[".repeat(size)],
    ["open bracket, spaces, no close", `(${" ".repeat(size)}x`],
    ["spaces then a letter", `x${" ".repeat(size)}x`],
    ["spaces then ; without a word", `x${" ".repeat(size)};`],
    ["a chain of code segments", `${"A1.".repeat(third)}a`],
    ["a chain of dashed segments", `${"B2-".repeat(third)}-`],
    ["commas and spaces", `, ${" ".repeat(size)}`],
    ["and, then a long word", `and ${"x".repeat(size)}`],
    ["repeated lead-ins", `${"then ".repeat(Math.floor(size / 5))}x`],
    ["a stem with a long middle", `how is ${"a ".repeat(half)}`],
    ["words without end", "word ".repeat(Math.floor(size / 5))],
  ];
}

/** Every text-taking function of src/quality, each with the text as its whole input. */
export const QUALITY_FUNCTIONS: [string, (text: string) => unknown][] = [
  ["checkCodes", (t) => checkCodes([t], () => undefined)],
  ["describeCodes", (t) => describeCodes(checkCodes([t], (c) => (c.length % 2 ? "NGSS" : undefined)))],
  ["removeCodes", (t) => removeCodes(`- (A1.B2.C3) ${t} (D4.E5.F6 ;  ) `, new Set(["A1.B2.C3", "D4.E5.F6"]))],
  ["readingCounts", (t) => readingCounts([t])],
  ["simplify", (t) => simplify(t)],
  ["bloomByVerbs", (t) => bloomByVerbs(t)],
  ["raiseTask", (t) => raiseTask(t)],
];
