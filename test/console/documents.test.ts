// The console saves every finished document in its documents folder (Word and Markdown, an assessment's
// student copy and answer key too) and prints the paths; the files open and match what was shown.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { saveDocumentFiles } from "../../src/documents/index.ts";
import { headingsOf, readDocx } from "../documents/docx-reader.ts";
import { Driver, openWorld } from "./harness.ts";

const alice = { id: "alice", name: "Alice" };
const dir = mkdtempSync(join(tmpdir(), "staffroom-docs-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("console documents folder", () => {
  test("a finished lesson plan is saved as .docx and .md, printed paths name real files, a second one gets a new name", async () => {
    const world = await openWorld();
    const folder = join(dir, "documents");
    try {
      const d = new Driver(world.core, alice, { saveDocument: (doc) => saveDocumentFiles(folder, doc) });
      await d.say("/lesson-plan 5th grade science the water cycle 45 min");
      const saved = /\[#1\] Saved: (.+)/.exec(d.transcript)?.[1]?.split(", ") ?? [];
      expect(saved).toEqual([join(folder, "lesson-plan-water-cycle.docx"), join(folder, "lesson-plan-water-cycle.md")]);
      const md = readFileSync(saved[1]!, "utf8");
      expect(d.transcript).toContain("[#1] ===== end of lesson-plan-water-cycle.md =====");
      expect(md).toContain("## Learning objectives");
      for (const line of md.split("\n").filter((l) => l.startsWith("## "))) expect(d.transcript).toContain(`[#1] ${line}`);
      const word = await readDocx(readFileSync(saved[0]!));
      expect(headingsOf(word, "Heading2")).toContain("Differentiation");

      await d.say("/assessment grade 4 math fractions 3 questions");
      const second = /\[#2\] Saved: (.+)/.exec(d.transcript)?.[1]?.split(", ") ?? [];
      expect(second.map((p) => p.slice(folder.length + 1))).toEqual([
        "assessment-fractions.docx",
        "assessment-student-copy-fractions.docx",
        "assessment-answer-key-fractions.docx",
        "assessment-fractions.md",
        "assessment-student-copy-fractions.md",
        "assessment-answer-key-fractions.md",
      ]);

      // The same topic again: saved under a new name, and the end marker names that file.
      await d.say("/lesson-plan 5th grade science the water cycle 45 min");
      expect(/\[#3\] Saved: (.+)/.exec(d.transcript)?.[1]).toBe(
        `${join(folder, "lesson-plan-water-cycle-2.docx")}, ${join(folder, "lesson-plan-water-cycle-2.md")}`,
      );
      expect(d.transcript).toContain("[#3] ===== end of lesson-plan-water-cycle-2.md =====");
    } finally {
      await world.close();
    }
  });

  test("a folder that cannot be written is one sentence, and the document is still shown", async () => {
    const world = await openWorld();
    // A file where the folder should be: fails for every user, root included.
    const blocked = join(dir, "blocked");
    writeFileSync(blocked, "not a folder");
    try {
      const d = new Driver(world.core, alice, { saveDocument: (doc) => saveDocumentFiles(join(blocked, "docs"), doc) });
      await d.say("/lesson-plan 5th grade science the water cycle 45 min");
      expect(d.transcript).toContain("===== end of lesson-plan-water-cycle.md =====");
      expect(d.transcript).toMatch(/\[#1\] Could not save the document \((ENOTDIR|EEXIST)\); it is shown above\./);
    } finally {
      await world.close();
    }
  });
});
