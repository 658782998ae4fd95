// `staffroom standards list|validate DIR`: one real process (the command must not start the bot or touch the
// store), then the command's outputs and exit codes in-process.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseArgs } from "../../src/cli/args.ts";
import { standardsCommand } from "../../src/cli/standards.ts";
import { runCli } from "./helpers.ts";

const FIXTURES = join(import.meta.dirname, "../fixtures/standards");

function capture() {
  let text = "";
  const write = (s: string) => {
    text += s;
    return true;
  };
  return { io: { stdout: { write } } as never, text: () => text };
}

describe("staffroom standards", () => {
  it("validates a folder in a real process: counts, attribution, skipped items, problems, exit 1", async () => {
    const res = await runCli(["standards", "validate", FIXTURES], { cwd: FIXTURES, env: { STAFFROOM_STORE_URL: "memory:" } });
    expect(res.code).toBe(1);
    expect(res.stdout).toContain("8 standards from 2 files");
    expect(res.stdout).toContain("Attribution (nodes.jsonl): Knowledge Graph is provided by Learning Commons");
    expect(res.stdout).toContain("Skipped 2 items without a code:");
    expect(res.stdout).toMatch(/1 problem:\n {2}case-math\.json CFItems\[6\] .*description is missing or too short/);
    expect(res.stderr).toBe("");
  });

  it("lists the shipped sample with its codes and exits 0 when nothing is wrong", async () => {
    const out = capture();
    const code = await standardsCommand(parseArgs(["standards", "list"]), out.io);
    expect(code).toBe(0);
    expect(out.text()).toMatch(/^CCSS:\n {2}K\.CC\.A\.1 +grade K +Math: Count to 100/);
    expect(out.text()).toContain("No problems found.");
  });

  it("prints JSON with CASE identifiers, and refuses an unknown action with a sentence", async () => {
    const out = capture();
    expect(await standardsCommand(parseArgs(["standards", "list", FIXTURES, "--json"]), out.io)).toBe(1);
    const json = JSON.parse(out.text()) as { rows: { code: string; caseId?: string }[]; skipped: unknown[] };
    expect(json.rows.find((r) => r.code === "6.RP.A.1")?.caseId).toBe("6b9f5a5e-d7cc-11e8-824f-0242ac160002");
    expect(json.skipped).toHaveLength(2);
    await expect(standardsCommand(parseArgs(["standards", "show"]), out.io)).rejects.toThrow(/standards list DIR/);
  });
});
