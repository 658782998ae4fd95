// History as requests with short numbers (pure), and through the chat core: /staffroom history lists title,
// topic, date, status and #numbers newest first, 10 at a time with More; open posts a document (or one of its
// versions) again with its files in a new thread where replies revise it; status takes a number too.
import { describe, expect, test } from "vitest";
import { parseActionId } from "../../src/chat/actions.ts";
import { executionOf, historyLine, historyOf, historyPage, resolveRef } from "../../src/chat/history.ts";
import type { ExecutionRecord } from "../../src/engine/records.ts";
import { useChatRigs } from "./rig.ts";

const run = (id: string, at: number, extra: Partial<ExecutionRecord> = {}): ExecutionRecord => ({
  id,
  templateId: "lesson-plan",
  version: 1,
  hash: "h",
  title: "Lesson plan",
  status: "completed",
  inputs: { topic: `Topic ${id}` },
  userId: "U1",
  createdAt: at,
  nodeIds: [],
  plan: [],
  ...extra,
});

describe("history (pure)", () => {
  const records = [
    run("c", 3000, { origin: { request: "a" }, status: "failed" }),
    run("a", 1000),
    run("b", 2000, { templateId: "assessment", title: "Assessment", inputs: { topic: "Fractions\nsecond line" } }),
    run("d", 4000, { origin: { request: "a" } }),
    run("sub", 5000, { parent: { executionId: "a", nodeId: "x" } }),
  ];

  test("requests newest first, numbered oldest first; later runs in a thread are versions; sub-workflows ignored", () => {
    const h = historyOf(records);
    expect(h.map((e) => [e.number, e.requestId, e.versions])).toEqual([
      [2, "b", ["b"]],
      [1, "a", ["a", "c", "d"]],
    ]);
    expect(h[1]!.status).toBe("completed");
    expect(h[0]!.topic).toBe("Fractions");
    // Numbers are stable: a newer request does not renumber older ones.
    expect(historyOf([...records, run("e", 6000)]).find((e) => e.requestId === "a")?.number).toBe(1);
  });

  test("references: 7, #7, 7 v2, an id; unknown ones resolve to nothing", () => {
    const h = historyOf(records);
    expect(executionOf(resolveRef(h, "1")!)).toBe("d");
    expect(executionOf(resolveRef(h, "#1 v2")!)).toBe("c");
    expect(executionOf(resolveRef(h, "1 v1")!)).toBe("a");
    expect(resolveRef(h, "1 v9")).toBeUndefined();
    expect(resolveRef(h, "3")).toBeUndefined();
    expect(executionOf(resolveRef(h, "b")!)).toBe("b");
    expect(resolveRef(h, "zzz")).toBeUndefined();
  });

  test("a line says number, title, topic, date, status and versions; pages of 10", () => {
    const [b, a] = historyOf(records);
    expect(historyLine(a!)).toBe("#1 · Lesson plan: Topic a · 1 Jan 1970 · ✅ done · 3 versions");
    expect(historyLine(b!)).toBe("#2 · Assessment: Fractions · 1 Jan 1970 · ✅ done");
    const many = historyOf(Array.from({ length: 23 }, (_, i) => run(`r${i}`, i)));
    expect(historyPage(many, 0)).toMatchObject({ more: true });
    expect(historyPage(many, 0).items.map((e) => e.number)[0]).toBe(23);
    expect(historyPage(many, 2)).toMatchObject({ more: false });
    expect(historyPage(many, 2).items.map((e) => e.number)).toEqual([3, 2, 1]);
  });
});

const alice = { id: "U_ALICE", name: "Alice" };
const bob = { id: "U_BOB", name: "Bob" };

const rig = useChatRigs();

describe("history and open through the chat core", () => {
  test("history lists #numbers; open 1 and open 1 v1 post the document again in new threads; status 2; others' numbers are not found", async () => {
    const { core, surface } = await rig();
    await core.command(surface.inbound(alice), "lesson-plan", {
      fields: { grade: "5", subject: "Science", topic: "Photosynthesis", duration: 45 },
    });
    const first = surface.of("openThread")[0]!.thread;
    await core.idle();
    await core.message(surface.inbound(alice), first, "make the warm-up shorter");
    await core.idle();
    await core.command(surface.inbound(alice), "parent-message", {
      fields: { purpose: "Field trip to the science museum on Friday", keyPoints: "Bring lunch", tone: "warm", language: "English" },
    });
    await core.idle();

    await core.command(surface.inbound(alice), "staffroom", { text: "history" });
    const history = surface.of("notify").at(-1)!.message;
    const lines = history.text.split("\n").filter((l) => l.startsWith("- #"));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^- #2 · Parent message: Field trip to the science museum on Friday · \d+ \w+ \d{4} · ✅ done$/);
    expect(lines[1]).toMatch(/^- #1 · Lesson plan: Photosynthesis · .* · ✅ done · 2 versions$/);
    expect(history.actions).toBeUndefined();

    const threads = surface.of("openThread").length;
    await core.command(surface.inbound(alice), "staffroom", { text: "open 1" });
    expect(surface.of("openThread")).toHaveLength(threads + 1);
    const reopened = surface.of("openThread").at(-1)!;
    expect(reopened.message.text).toBe("**Lesson plan** requested by Alice: Photosynthesis (#1 v2, reopened)");
    const doc = surface.of("postDocument").at(-1)!;
    expect(doc.thread).toEqual(reopened.thread);
    expect(doc.document.title).toMatch(/^Draft v2: Lesson plan/);
    expect(doc.document.files?.some((f) => f.filename.endsWith(".docx"))).toBe(true);

    // A reply in the reopened thread revises it: version 3 of the same request.
    await core.message(surface.inbound(alice), reopened.thread, "regenerate the exit ticket");
    await core.idle();
    expect(surface.of("postDocument").at(-1)!.document.title).toMatch(/^Draft v3: Lesson plan/);
    await core.command(surface.inbound(alice), "staffroom", { text: "history" });
    expect(surface.of("notify").at(-1)!.message.text).toContain("#1 · Lesson plan: Photosynthesis");
    expect(surface.of("notify").at(-1)!.message.text).toContain("3 versions");

    await core.command(surface.inbound(alice), "staffroom", { text: "open 1 v1" });
    expect(surface.of("postDocument").at(-1)!.document.title).toMatch(/^Lesson plan: Photosynthesis/);

    await core.command(surface.inbound(alice), "staffroom", { text: "status 2" });
    expect(surface.of("notify").at(-1)!.message.text).toMatch(/^\*\*Parent message\*\*/);
    await core.command(surface.inbound(bob), "staffroom", { text: "open 1" });
    expect(surface.of("notify").at(-1)!.message.text).toBe(
      'None of your requests is "1". /staffroom history lists them with their numbers.',
    );
    await core.command(surface.inbound(bob), "staffroom", { text: "history" });
    expect(surface.of("notify").at(-1)!.message.text).toBe("You have no requests yet. Try /lesson-plan.");
  });

  test("more than 10 requests: a More button shows the next page", async () => {
    const { core, surface, engine } = await rig();
    for (let i = 0; i < 12; i++) {
      const r = await engine.start("parent-message", {
        inputs: { purpose: `Reminder number ${i + 1} about the trip`, keyPoints: "Bring lunch", tone: "warm", language: "English" },
        userId: alice.id,
      });
      await engine.wait(r.id);
    }
    await core.command(surface.inbound(alice), "staffroom", { text: "history" });
    const page1 = surface.of("notify").at(-1)!.message;
    expect(page1.text.split("\n").filter((l) => l.startsWith("- #"))).toHaveLength(10);
    expect(page1.text).toContain("- #12 · Parent message: Reminder number 12 about the trip");
    const more = page1.actions?.find((a) => a.label === "More");
    expect(parseActionId(more!.id)).toEqual({ kind: "history", page: 1 });
    await core.action(surface.inbound(alice), { surface: "slack", channelId: "C1", threadId: "none" }, more!.id, more!.value);
    const page2 = surface.of("notify").at(-1)!.message;
    expect(
      page2.text
        .split("\n")
        .filter((l) => l.startsWith("- #"))
        .map((l) => l.slice(0, 5)),
    ).toEqual(["- #2 ", "- #1 "]);
    expect(page2.actions).toBeUndefined();
  });
});
