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
});
