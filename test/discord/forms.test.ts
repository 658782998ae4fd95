// Forms on Discord, end to end through the real discord.js client and the fake Discord (callbacks checked
// against the OpenAPI spec and Discord's modal rules) with the real chat core, engine and offline model: a
// bare command answers with a modal (callback type 9); a valid MODAL_SUBMIT starts exactly one execution
// with progress in a thread; a bad value is refused privately, naming the field, with a button that reopens
// the form with what was typed; "Fill in a form" on a conversation's question opens the form for its thread.
import { describe, expect, it } from "vitest";
import type { FakeDiscord, FakeMessage } from "../fakes/discord/index.ts";
import { botMessages, buttonId, componentsOf, newcomer, type Stack, teacher, textOf, useStack } from "./helpers.ts";

const EPHEMERAL = 64;
type Json = Record<string, unknown>;

const labels = (modal: Json | undefined) => ((modal?.components as Json[] | undefined) ?? []).map((c) => c as Json & { component: Json });
const input = (modal: Json | undefined, name: string) => labels(modal).find((l) => l.component.custom_id === name)?.component;
const optionsOf = (modal: Json | undefined, name: string) => (input(modal, name)?.options as Json[] | undefined) ?? [];

describe("Discord forms", () => {
  let fake: FakeDiscord;
  let stack: Stack;
  const channel = () => fake.guild.channels[0]?.id ?? "";
  useStack((f, s) => {
    fake = f;
    stack = s;
  });

  it("answers a bare command with a modal: labels holding a select for grade and text inputs, at most five", async () => {
    const i = fake.slash({ name: "lesson-plan", user: newcomer });
    const ack = await i.acked;
    expect(ack.type).toBe(9);
    const modal = i.modal;
    expect(modal?.title).toBe("Lesson plan");
    const shown = labels(modal);
    expect(shown.length).toBeLessThanOrEqual(5);
    expect(shown.every((l) => l.type === 18)).toBe(true);
    expect(shown.map((l) => l.component.custom_id)).toEqual(["grade", "subject", "topic", "duration", "standardsFramework"]);
    expect(input(modal, "grade")).toMatchObject({ type: 3, required: true });
    expect(optionsOf(modal, "grade").map((o) => o.label)).toContain("Grade 5");
    expect(input(modal, "topic")).toMatchObject({ type: 4, style: 1, required: true });
    expect(input(modal, "duration")).toMatchObject({ type: 4, style: 1 });
    expect(String(input(modal, "duration")?.placeholder)).toMatch(/10 to 240/);
    expect(input(modal, "standardsFramework")).toMatchObject({ type: 3, required: false, min_values: 0 });
    // Nothing was posted and nothing runs until the form is sent.
    expect(i.originalMessageId).toBeUndefined();
    expect(await stack.engine.list({ userId: newcomer.id })).toHaveLength(0);
  });

  it("starts exactly one execution for a valid MODAL_SUBMIT, with progress in a thread; a replayed packet starts nothing more", async () => {
    const shown = fake.slash({ name: "assessment", user: teacher });
    expect((await shown.acked).type).toBe(9);
    const values = { grade: "6", subject: "Math", topic: "Ratios and rates", questionCount: "5" };
    const submit = fake.submitModal({ shown, user: teacher, values });
    expect((await submit.acked).type).toBe(5);
    const root = await fake.waitFor(() => (submit.originalMessageId ? fake.messages.get(submit.originalMessageId) : undefined));
    const thread = await fake.waitFor(() => fake.channels.get(root.id), 5000, "thread from the reply");
    expect(thread).toMatchObject({ type: 11, parent_id: channel() });
    await fake.waitFor(() => botMessages(fake, thread.id).find((m) => m.attachments.length > 0), 15_000, "document");
    expect(
      botMessages(fake, thread.id).some((m) => m.history.length > 0),
      "progress edited in place",
    ).toBe(true);
    await fake.waitFor(() => /done in/.test(fake.messages.get(root.id)?.content ?? "") || undefined, 10_000, "root status");
    // The same packet delivered again (a Gateway resume): nothing more.
    fake.replayInteraction(submit.payload);
    await stack.core.idle();
    await new Promise((r) => setTimeout(r, 200));
    const runs = await stack.engine.list({ userId: teacher.id });
    expect(runs).toHaveLength(1);
    expect(runs[0]?.inputs).toMatchObject({ grade: "6", subject: "Math", topic: "Ratios and rates", questionCount: 5 });
    expect(fake.threads().filter((t) => t.id === root.id)).toHaveLength(1);
  });

  it("refuses a bad value privately, naming the field, and its button reopens the form with what was typed", async () => {
    const before = (await stack.engine.list({ userId: newcomer.id })).length;
    const shown = fake.slash({ name: "lesson-plan", user: newcomer });
    expect((await shown.acked).type).toBe(9);
    const submit = fake.submitModal({
      shown,
      user: newcomer,
      values: { grade: "3", subject: "Science", topic: "Rocks and soil", duration: "500" },
    });
    expect((await submit.acked).type).toBe(4);
    const refusal = fake.messages.get(submit.originalMessageId ?? "") as FakeMessage;
    expect(refusal.flags & EPHEMERAL).toBe(EPHEMERAL);
    expect(textOf(refusal)).toMatch(/\*\*Duration\*\*: .*240 minutes/);
    expect(await stack.engine.list({ userId: newcomer.id })).toHaveLength(before);

    const reopenId = buttonId(refusal, /Open the form again/);
    expect(reopenId).toBeDefined();
    const reopened = fake.click({ message: refusal, customId: String(reopenId), user: newcomer });
    expect((await reopened.acked).type).toBe(9);
    // What was typed is back, wrong value included, so only that one needs fixing.
    expect(input(reopened.modal, "topic")?.value).toBe("Rocks and soil");
    expect(input(reopened.modal, "duration")?.value).toBe("500");
    expect(optionsOf(reopened.modal, "grade").find((o) => o.default)?.value).toBe("3");
    const fixed = fake.submitModal({ shown: reopened, user: newcomer, values: { duration: "50" } });
    expect((await fixed.acked).type).toBe(5);
    const root = await fake.waitFor(() => (fixed.originalMessageId ? fake.messages.get(fixed.originalMessageId) : undefined));
    await fake.waitFor(() => /done in/.test(fake.messages.get(root.id)?.content ?? "") || undefined, 10_000, "root status");
    await stack.core.idle();
    const runs = await stack.engine.list({ userId: newcomer.id });
    expect(runs).toHaveLength(before + 1);
    expect(runs[0]?.inputs).toMatchObject({ grade: "3", topic: "Rocks and soil", duration: 50 });
    // What the refusal kept is gone once the form went through.
    const again = await stack.core.formFor?.({ id: newcomer.id }, "lesson-plan", {}, { refused: true });
    expect(again?.fields.find((f) => f.name === "topic")?.initial).toBeUndefined();
  });

  it("offers 'Fill in a form' on the conversation's first question; the form fills that thread's request", async () => {
    const i = fake.slash({ name: "parent-message", user: teacher, options: { tone: "warm" } });
    expect((await i.acked).type).toBe(5);
    const root = await fake.waitFor(() => (i.originalMessageId ? fake.messages.get(i.originalMessageId) : undefined));
    const thread = await fake.waitFor(() => fake.channels.get(root.id), 5000, "thread");
    const question = await fake.waitFor(
      () => botMessages(fake, thread.id).find((m) => componentsOf(m).some((c) => /Fill in a form/.test(String(c.label)))),
      5000,
      "a 'Fill in a form' button",
    );
    const open = fake.click({ message: question, customId: String(buttonId(question, /Fill in a form/)), user: teacher });
    expect((await open.acked).type).toBe(9);
    expect(optionsOf(open.modal, "tone").find((o) => o.default)?.value).toBe("warm");
    const submit = fake.submitModal({
      shown: open,
      user: teacher,
      values: { purpose: "Science fair on May 14", keyPoints: "Thursday 5-7pm in the gym; RSVP by May 10" },
    });
    // The form fills the thread's request: the click's message is updated, no new root.
    expect((await submit.acked).type).toBe(6);
    await fake.waitFor(() => botMessages(fake, thread.id).find((m) => m.attachments.length > 0), 15_000, "document");
    await stack.core.idle();
    const runs = (await stack.engine.list({ userId: teacher.id })).filter((r) => r.templateId === "parent-message");
    expect(runs).toHaveLength(1);
    expect(runs[0]?.origin?.threadId).toBe(thread.id);
    expect(textOf(botMessages(fake, thread.id).find((m) => /From the form/.test(m.content)) as FakeMessage)).toContain("Science fair");
    // The old button, once the request has run: no modal, a private sentence saying why.
    const late = fake.click({ message: question, customId: String(buttonId(question, /Fill in a form/)), user: teacher });
    expect((await late.acked).type).toBe(6);
    await fake.waitFor(
      () => [...fake.messages.values()].find((m) => /form is closed/.test(m.content) && (m.flags & EPHEMERAL) === EPHEMERAL),
      5000,
      "form closed",
    );
  });
});
