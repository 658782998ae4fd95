// Revise by reply in the console, through the same chat-core handlers as Slack and Discord: a lesson
// plan's reply prints version 2 (only the warm-up rewritten), Undo prints version 1 again, Approve marks it.
import { describe, expect, test } from "vitest";
import { Driver, openWorld } from "./harness.ts";

const alice = { id: "alice", name: "Alice" };

describe("console: revise a document by reply", () => {
  test("lesson plan: reply → v2 → Undo → v1 current again → Approve; help and history are not revisions", async () => {
    const world = await openWorld();
    try {
      const d = new Driver(world.core, alice);
      const v1 = await d.say("/lesson-plan grade 5 science Photosynthesis 45 min");
      expect(v1).toContain("===== Lesson plan: Photosynthesis");
      expect(v1).toMatch(/Draft v1\.\*?\*? Approve it/);
      expect(v1).toContain("1) Approve   2) Revise   3) Regenerate");
      const v2 = await d.say("make the warm-up shorter");
      expect(v2).toContain('Revising draft v1: "make the warm-up shorter"');
      expect(v2).toContain("===== Draft v2: Lesson plan: Photosynthesis");
      expect(v2).toContain("Changing: Warm-up.");
      expect(v2).toContain("1) Approve   2) Undo   3) Revise   4) Regenerate");
      await d.say("help");
      await d.say("history");
      expect(await world.engine.list({ userId: "alice" })).toHaveLength(2);
      const undone = await d.say("undo");
      expect(undone).toContain("Undone: draft v1 is the current version again.");
      expect(undone).toContain("===== Lesson plan: Photosynthesis");
      const approved = await d.say("approve");
      expect(approved).toContain("✅ Draft v1 approved by Alice.");
      await d.end();
      expect(await world.engine.list({ userId: "alice" })).toHaveLength(2);
    } finally {
      await world.close();
    }
  });

  test("history with short numbers; /staffroom open 1 and open 1 v1 print the document again in a new thread", async () => {
    const world = await openWorld();
    try {
      const d = new Driver(world.core, alice);
      await d.say("/lesson-plan grade 5 science Photosynthesis 45 min");
      await d.say("make the warm-up shorter");
      await d.say('/parent-message purpose:"Field trip to the science museum" keyPoints:"Bring lunch" tone:warm language:English');
      const history = await d.say("/history");
      expect(history).toMatch(/#2 · Parent message: Field trip to the science museum · .* · ✅ done/);
      expect(history).toMatch(/#1 · Lesson plan: Photosynthesis · .* · ✅ done · 2 versions/);
      expect(history.indexOf("#2 ·")).toBeLessThan(history.indexOf("#1 ·"));
      const opened = await d.say("/staffroom open 1");
      expect(opened).toMatch(/\[#3\] Lesson plan requested by Alice: Photosynthesis \(#1 v2, reopened\)/);
      expect(opened).toContain("===== Draft v2: Lesson plan: Photosynthesis");
      const version = await d.say("/staffroom open 1 v1");
      expect(version).toContain("(#1 v1, reopened)");
      expect(version).toContain("===== Lesson plan: Photosynthesis");
      // The reopened thread takes a revision like the first: version 3 of request #1.
      const v3 = await d.say("regenerate the exit ticket");
      expect(v3).toContain("===== Draft v3: Lesson plan: Photosynthesis");
      expect(await d.say("/history")).toMatch(/#1 · Lesson plan: Photosynthesis · .* · 3 versions/);
      expect(await d.say("/staffroom open 9")).toContain('None of your requests is "9".');
      await d.end();
    } finally {
      await world.close();
    }
  });
});
