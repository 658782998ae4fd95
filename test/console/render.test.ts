import { describe, expect, test } from "vitest";
import { parseLine } from "../../src/adapters/console/inbound.ts";
import { actionLines, changedLines, messageLines, pickAction, plain } from "../../src/adapters/console/render.ts";
import { ConsoleSurface } from "../../src/adapters/console/surface.ts";

const buttons = (...labels: string[]) => labels.map((label, i) => ({ id: `a${i}`, label, value: label.toLowerCase() }));

describe("console rendering", () => {
  test("messages are prefixed with their thread; emphasis markers dropped; buttons numbered and wrapped", () => {
    expect(plain("**Which grade?** _(optional)_ keep snake_case")).toBe("Which grade? (optional) keep snake_case");
    expect(messageLines("#2", { text: "**Hi**\nthere", actions: buttons("Yes", "No") })).toEqual([
      "[#2] Hi",
      "[#2] there",
      "[#2]   1) Yes   2) No",
    ]);
    const many = actionLines(buttons(...Array.from({ length: 14 }, (_, i) => `Grade ${i}`)));
    expect(many.length).toBeGreaterThan(1);
    expect(many.every((l) => l.length <= 100)).toBe(true);
    expect(changedLines(["a", "b", "c"], ["a", "B", "c", "d"])).toEqual(["B", "d"]);
  });

  test("a typed line picks a button by label, value or number, but numbers never pick control-only buttons", () => {
    const grades = [
      { id: "g0", label: "Kindergarten", value: "K" },
      { id: "g5", label: "Grade 5", value: "5" },
      { id: "c", label: "Cancel", value: "cancel" },
    ];
    expect(pickAction(grades, "5")?.id).toBe("g5");
    expect(pickAction(grades, "grade 5")?.id).toBe("g5");
    // A menu of grades is not numbered: "1" is grade 1 (not here), never the first button; "13" goes to the core.
    expect(pickAction(grades, "1")).toBeUndefined();
    expect(pickAction(grades, "13")).toBeUndefined();
    expect(pickAction(grades, "7")).toBeUndefined();
    expect(actionLines(grades)).toEqual(["  [Kindergarten]   [Grade 5]   [Cancel]"]);
    const tones = [
      { id: "w", label: "Warm", value: "warm" },
      { id: "f", label: "Formal", value: "formal" },
    ];
    expect(pickAction(tones, "2")?.id).toBe("f");
    expect(actionLines(tones)).toEqual(["  1) Warm   2) Formal"]);
    expect(
      pickAction(
        buttons("Skip", "Cancel").map((b) => ({ ...b, value: b.value })),
        "2",
      ),
    ).toBeUndefined();
    expect(pickAction(buttons("Cancel"), "1")).toBeUndefined();
    expect(pickAction(buttons("Cancel"), "cancel")?.id).toBe("a0");
    expect(pickAction(undefined, "1")).toBeUndefined();
  });

  test("input lines map to commands and replies", () => {
    expect(parseLine("/lesson-plan grade 5 science")).toEqual({ kind: "command", name: "lesson-plan", text: "grade 5 science" });
    expect(parseLine("/status abc")).toEqual({ kind: "command", name: "staffroom", text: "status abc" });
    expect(parseLine("/profile grade=5")).toEqual({ kind: "command", name: "staffroom", text: "profile grade=5" });
    expect(parseLine("/cancel")).toEqual({ kind: "reply", text: "cancel" });
    expect(parseLine("/cancel x1")).toEqual({ kind: "command", name: "staffroom", text: "cancel x1" });
    expect(parseLine("/thread 2")).toEqual({ kind: "thread", n: 2 });
    expect(parseLine("  ")).toEqual({ kind: "empty" });
    expect(parseLine("/quit")).toEqual({ kind: "quit" });
    expect(parseLine("45 min")).toEqual({ kind: "reply", text: "45 min" });
  });
});

describe("console surface", () => {
  const place = { channelId: "console", isDirect: true };
  const user = { id: "u" };

  test("piped: an edit prints only the lines that changed", async () => {
    let out = "";
    const surface = new ConsoleSurface((t) => {
      out += t;
    }, false);
    const thread = await surface.openThread(place, user, { text: "Root" });
    const ref = await surface.post(thread, { text: "Working\n⬜ A\n⬜ B", actions: buttons("Cancel") });
    expect(surface.actions(thread)?.[0]?.label).toBe("Cancel");
    out = "";
    await surface.edit(ref, { text: "Done\n✅ A\n⬜ B" });
    expect(out).toBe("[#1] Done\n[#1] ✅ A\n");
    expect(surface.actions(thread)).toBeUndefined();
  });

  test("terminal: editing the last block redraws it in place", async () => {
    let out = "";
    const surface = new ConsoleSurface((t) => {
      out += t;
    }, true);
    const thread = await surface.openThread(place, user, { text: "Root" });
    const ref = await surface.post(thread, { text: "one\ntwo" });
    out = "";
    await surface.edit(ref, { text: "one\nthree" });
    expect(out).toBe("\x1b[2F\x1b[J[#1] one\n[#1] three\n");
    await surface.notify(place, user, { text: "note" });
    out = "";
    await surface.edit(ref, { text: "one\nfour" });
    expect(out).toBe("[#1] one\n[#1] four\n");
  });
});
