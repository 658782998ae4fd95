// Revise by reply through the real discord.js client against the fake Discord: a lesson plan's reply posts
// version 2 with its Word file attached, Undo makes version 1 current again (posted again), Approve marks
// it final; a colleague's reply gets a note and changes nothing.
import { describe, expect, it } from "vitest";
import type { FakeDiscord, FakeMessage } from "../fakes/discord/index.ts";
import { botMessages, buttonId, colleague, lastBot, type Stack, teacher, textOf, useStack } from "./helpers.ts";

describe("Discord: revise a document by reply", () => {
  let fake: FakeDiscord;
  let stack: Stack;
  useStack((f, s) => {
    fake = f;
    stack = s;
  });

  async function click(m: FakeMessage, label: RegExp) {
    const id = buttonId(m, label);
    if (!id) throw new Error(`no button ${label} on: ${textOf(m)}`);
    await fake.click({ message: m, customId: id, user: teacher }).acked;
  }

  it("lesson plan: reply → v2 with its .docx → Undo → v1 current again → Approve; a colleague changes nothing", async () => {
    const i = fake.slash({
      name: "lesson-plan",
      user: teacher,
      options: { grade: "5", subject: "Science", topic: "Photosynthesis", duration: 45 },
    });
    await i.acked;
    const root = await fake.waitFor(() => (i.originalMessageId ? fake.messages.get(i.originalMessageId) : undefined));
    const thread = await fake.waitFor(() => fake.channels.get(root.id), 5000, "thread");
    const buttons = (v: number, after?: string) =>
      fake.waitFor(
        () => lastBot(fake, thread.id, (m) => m.id !== after && textOf(m).includes(`Draft v${v}.`) && Boolean(buttonId(m, /Approve/))),
        15_000,
        `draft v${v} buttons`,
      );
    const docx = () => botMessages(fake, thread.id).flatMap((m) => m.attachments.filter((a) => a.filename.endsWith(".docx")));
    const v1 = await buttons(1);
    expect(buttonId(v1, /Undo/)).toBeUndefined();
    expect(docx()).toHaveLength(1);

    fake.say({ channelId: thread.id, user: colleague, content: "make it about volcanoes instead" });
    await fake.waitFor(() => lastBot(fake, thread.id, (m) => /your reply changed nothing/.test(textOf(m))), 5000, "note to the colleague");

    fake.say({ channelId: thread.id, user: teacher, content: "make the warm-up shorter" });
    const v2 = await buttons(2);
    await stack.core.idle();
    expect(docx()).toHaveLength(2);
    expect(buttonId(v2, /Undo/)).toBeDefined();

    await click(v2, /Undo/);
    await fake.waitFor(() => lastBot(fake, thread.id, (m) => /Undone: draft v1/.test(textOf(m))), 8000, "undo notice");
    const again = await buttons(1, v1.id);
    expect(docx()).toHaveLength(3);
    await click(again, /Approve/);
    await fake.waitFor(() => lastBot(fake, thread.id, (m) => /Draft v1 approved/.test(textOf(m))), 8000, "approved");
    const runs = await stack.engine.list({ templateId: "lesson-plan" });
    expect(runs.map((r) => r.userId)).toEqual([teacher.id, teacher.id]);
  });

  it("history lists #numbers; /staffroom open 1 posts the document again with its file in a new thread; open 1 v1 a version", async () => {
    const filled = (i: { originalMessageId?: string }) =>
      fake.waitFor(() => {
        const m = i.originalMessageId ? fake.messages.get(i.originalMessageId) : undefined;
        return m && m.history.length > 1 ? m : undefined;
      });
    const history = await filled(fake.slash({ name: "staffroom", subcommand: "history", user: teacher }));
    expect(textOf(history)).toMatch(/#1 · Lesson plan: Photosynthesis · .* · ✅ done · 2 versions/);
    const other = await filled(fake.slash({ name: "staffroom", subcommand: "history", user: colleague }));
    expect(textOf(other)).toBe("You have no requests yet. Try /lesson-plan.");

    for (const [number, label, title] of [
      ["1", "(#1 v2, reopened)", /Draft v2: Lesson plan/],
      ["1 v1", "(#1 v1, reopened)", /Lesson plan: Photosynthesis/],
    ] as const) {
      const i = fake.slash({ name: "staffroom", subcommand: "open", user: teacher, options: { number } });
      await i.acked;
      // A private command's reply cannot root a thread: the reopened request's root is a new channel message.
      const channel = fake.guild.channels[0]?.id ?? "";
      const root = await fake.waitFor(() => lastBot(fake, channel, (m) => textOf(m).includes(label)), 5000, `root ${label}`);
      const thread = await fake.waitFor(() => fake.channels.get(root.id), 5000, "thread of the reopened request");
      const file = await fake.waitFor(
        () => botMessages(fake, thread.id).find((m) => m.attachments.some((a) => a.filename.endsWith(".docx"))),
        8000,
        "the document's file",
      );
      expect(botMessages(fake, thread.id).some((m) => title.test(textOf(m)))).toBe(true);
      expect(file.attachments.some((a) => /photosynthesis/i.test(a.filename))).toBe(true);
    }
  });

  it("history pages 10 at a time: More shows the older requests", async () => {
    for (let i = 0; i < 10; i++) {
      const r = await stack.engine.start("parent-message", {
        inputs: { purpose: `Reminder ${i + 1} about the trip`, keyPoints: "Bring lunch", tone: "warm", language: "English" },
        userId: teacher.id,
      });
      await stack.engine.wait(r.id);
    }
    const i = fake.slash({ name: "staffroom", subcommand: "history", user: teacher });
    const page1 = await fake.waitFor(() => {
      const m = i.originalMessageId ? fake.messages.get(i.originalMessageId) : undefined;
      return m && m.history.length > 1 ? m : undefined;
    });
    expect(textOf(page1)).toContain("#11 · Parent message: Reminder 10 about the trip");
    expect(textOf(page1)).not.toContain("#1 · Lesson plan");
    const more = buttonId(page1, /More/);
    expect(more).toBeDefined();
    await fake.click({ message: page1, customId: more!, user: teacher }).acked;
    const page2 = await fake.waitFor(
      () => [...fake.messages.values()].find((m) => textOf(m).includes("page 2") && textOf(m).includes("#1 · Lesson plan: Photosynthesis")),
      8000,
      "page 2",
    );
    expect(buttonId(page2, /More/)).toBeUndefined();
  });
});
