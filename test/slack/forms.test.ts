// Forms on Slack, end to end with the real Bolt app, chat core, engine and offline model against the fake:
// a bare command opens a modal (views.open with the command's trigger_id) whose inputs fit the fields; a
// valid submission starts exactly one execution with progress in a thread of the command's channel; an
// invalid one is answered with errors on the right block and starts nothing; a retried submission starts
// nothing more; "Fill in a form" on a conversation's question opens the form prefilled with its answers.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { FakeMessage, FakeSlack } from "../fakes/slack/server.ts";
import type { FakeView } from "../fakes/slack/views.ts";
import { APP_TOKEN, SIGNING_SECRET, startFake } from "./helpers.ts";
import { type Stack, startStack, Teacher, textOf } from "./stack.ts";

let fake: FakeSlack;
let stack: Stack | undefined;
const tmp = mkdtempSync(join(tmpdir(), "staffroom-slack-forms-"));

beforeAll(async () => {
  fake = await startFake();
});
afterAll(async () => {
  await fake.stop();
  rmSync(tmp, { recursive: true, force: true });
});
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
  expect(fake.violations).toEqual([]);
});

type Json = Record<string, unknown>;
const roots = (channel: string) => fake.messages.filter((m) => m.channel === channel && !m.threadTs);
const blocksOf = (v: FakeView) => v.view.blocks as Json[];
const block = (v: FakeView, id: string) => blocksOf(v).find((b) => b.block_id === id) as Json & { element: Json };

async function openedView(before: number): Promise<FakeView> {
  return fake.waitFor(() => fake.views[before], 5000, "a view opened");
}

async function waitForRootStatus(channel: string, rootTs: string, status: RegExp, timeout = 15_000): Promise<FakeMessage> {
  return fake.waitFor(
    () => {
      const root = fake.message(channel, rootTs);
      return root && status.test(textOf(root)) ? root : undefined;
    },
    timeout,
    `root status ${status}`,
  );
}

describe("Slack forms", () => {
  it("opens a modal on a bare command, with an input that fits each field, prefilled from the profile", async () => {
    stack = await startStack(fake);
    const s = stack;
    const t = new Teacher(fake, () => s.url, "U0FORMS1", "C0FORMS1");
    await t.command("staffroom", "profile grade=5 subject=Science");
    await fake.waitFor(() => fake.responses.some((r) => /profile/i.test(JSON.stringify(r.body))), 5000, "profile saved");
    const before = fake.views.length;
    const ack = await t.command("lesson-plan", "");
    expect(ack).toMatchObject({ status: 200, body: "" });
    const view = await openedView(before);
    const open = fake.callsOf("views.open").at(-1);
    expect(open?.status).toBe(200);
    expect(view.userId).toBe("U0FORMS1");
    expect((view.view.title as { text: string }).text).toBe("Lesson plan");
    expect(JSON.parse(String(view.view.private_metadata))).toMatchObject({ c: "C0FORMS1" });
    // Every field of the template, each with its own kind of input.
    expect(blocksOf(view).map((b) => b.block_id)).toEqual([
      "grade",
      "subject",
      "topic",
      "duration",
      "standardsFramework",
      "objectives",
      "classProfile",
      "materials",
      "language",
    ]);
    expect(block(view, "grade").element).toMatchObject({ type: "static_select", initial_option: { value: "5" } });
    expect(block(view, "subject").element).toMatchObject({ type: "plain_text_input", initial_value: "Science", multiline: false });
    expect(block(view, "topic").element).toMatchObject({ type: "plain_text_input", multiline: false });
    expect(block(view, "duration").element).toMatchObject({
      type: "number_input",
      is_decimal_allowed: false,
      min_value: "10",
      max_value: "240",
    });
    expect(block(view, "standardsFramework").element).toMatchObject({ type: "static_select" });
    expect(block(view, "classProfile").element).toMatchObject({ type: "plain_text_input", multiline: true });
    expect(block(view, "topic").optional).toBe(false);
    expect(block(view, "classProfile").optional).toBe(true);
    // Nothing was posted: the request starts when the form is submitted.
    expect(roots("C0FORMS1")).toHaveLength(0);
    expect(await s.engine.list({ limit: 10 })).toHaveLength(0);
  });

  it("starts exactly one execution for a valid submission, with progress in a thread of the command's channel; a retry starts nothing more", async () => {
    stack = await startStack(fake);
    const s = stack;
    const t = new Teacher(fake, () => s.url, "U0FORMS2", "C0FORMS2");
    const before = fake.views.length;
    await t.command("lesson-plan", "");
    const view = await openedView(before);
    const res = await t.submitView(view.id, { grade: "4", subject: "Science", topic: "Why shadows move", duration: "45" });
    // An empty 200 closes the modal.
    expect(res.status).toBe(200);
    expect(res.body).toBe("");
    expect(res.errors).toBeUndefined();
    expect(view.state).toBe("closed");
    const root = await fake.waitFor(() => roots("C0FORMS2")[0], 5000, "root message");
    expect(textOf(root)).toContain("Lesson plan");
    expect(textOf(root)).toContain("ms.rivera");
    const done = await waitForRootStatus("C0FORMS2", root.ts, /done in/);
    expect(textOf(done)).toMatch(/✅ done in (under )?\d/);
    await s.core.idle();
    const runs = await s.engine.list({ limit: 10 });
    expect(runs).toHaveLength(1);
    expect(runs[0]?.inputs).toMatchObject({ grade: "4", subject: "Science", topic: "Why shadows move", duration: 45 });
    const thread = fake.threadMessages("C0FORMS2", root.ts);
    expect(
      thread.some((m) => m.edits > 0),
      "a progress checklist edited in place",
    ).toBe(true);
    expect(fake.files.some((f) => f.channel === "C0FORMS2" && f.threadTs === root.ts)).toBe(true);

    // Slack retries the same submission (its answer was lost): nothing more starts, nothing more is posted.
    const posted = fake.messages.length;
    const retry = await fake.resubmitView(s.url, SIGNING_SECRET, view.id);
    expect(retry.status).toBe(200);
    await s.core.idle();
    await new Promise((r) => setTimeout(r, 200));
    expect(await s.engine.list({ limit: 10 })).toHaveLength(1);
    expect(roots("C0FORMS2")).toHaveLength(1);
    expect(fake.messages.length).toBe(posted);
  });

  it("answers an invalid submission with errors on the right block, within 3 s, and starts nothing", async () => {
    stack = await startStack(fake);
    const s = stack;
    const t = new Teacher(fake, () => s.url, "U0FORMS3", "C0FORMS3");
    const before = fake.views.length;
    await t.command("lesson-plan", "");
    const view = await openedView(before);
    // Slack's client checks required inputs and number ranges; the template's own rules are ours to check.
    const res = await t.submitView(view.id, { grade: "3", subject: "Math", topic: "Fractions", duration: "30", language: "E" });
    expect(res.status).toBe(200);
    expect(res.ms).toBeLessThan(3000);
    expect(res.errors).toEqual({ language: "Name the language, e.g. English or Spanish." });
    expect(view.state).toBe("open");
    await s.core.idle();
    await new Promise((r) => setTimeout(r, 200));
    expect(roots("C0FORMS3")).toHaveLength(0);
    expect(await s.engine.list({ limit: 10 })).toHaveLength(0);

    // Fixed and submitted again: the same view now starts its request.
    const fixed = await t.submitView(view.id, { grade: "3", subject: "Math", topic: "Fractions", duration: "30", language: "English" });
    expect(fixed.errors).toBeUndefined();
    const root = await fake.waitFor(() => roots("C0FORMS3")[0], 5000, "root message");
    await waitForRootStatus("C0FORMS3", root.ts, /done in/);
    await s.core.idle();
    expect(await s.engine.list({ limit: 10 })).toHaveLength(1);
  });

  it("keeps the conversation for commands with text, and its 'Fill in a form' button opens the form prefilled with the answers so far", async () => {
    stack = await startStack(fake);
    const s = stack;
    const t = new Teacher(fake, () => s.url, "U0FORMS4", "C0FORMS4");
    const before = fake.views.length;
    await t.command("assessment", "grade 7 math");
    const root = await fake.waitFor(() => roots("C0FORMS4")[0], 5000, "root message");
    const withForm = await fake.waitFor(
      () => fake.threadMessages("C0FORMS4", root.ts).find((m) => /Fill in a form/.test(JSON.stringify(m.blocks))),
      5000,
      "a 'Fill in a form' button",
    );
    expect(fake.views.length).toBe(before);
    await t.click(withForm, /Fill in a form/);
    const view = await openedView(before);
    expect(block(view, "grade").element).toMatchObject({ initial_option: { value: "7" } });
    expect(block(view, "subject").element).toMatchObject({ initial_value: "Math" });
    await t.submitView(view.id, { grade: "7", subject: "Math", topic: "Ratios", questionCount: "5" });
    // The request runs in the conversation's own thread: no second root.
    await waitForRootStatus("C0FORMS4", root.ts, /done in/);
    await s.core.idle();
    expect(roots("C0FORMS4")).toHaveLength(1);
    const runs = await s.engine.list({ limit: 10 });
    expect(runs).toHaveLength(1);
    expect(runs[0]?.origin?.threadId).toBe(root.ts);
    // The old button, once the request has started: no form, and a sentence saying why.
    const views = fake.views.length;
    await t.click(withForm, /Fill in a form/);
    await fake.waitFor(() => fake.responses.some((r) => /form is closed/.test(JSON.stringify(r.body))) || undefined, 5000, "form closed");
    expect(fake.views.length).toBe(views);
  });

  it("over Socket Mode: the form opens, a bad submission is acked with its errors, a good one runs once", async () => {
    stack = await startStack(fake, { env: { SLACK_APP_TOKEN: APP_TOKEN } });
    const s = stack;
    expect(s.slack.mode).toBe("socket");
    await fake.waitFor(() => fake.socketCount > 0, 5000, "socket connection");
    const user = { id: "U0FORMS5", name: "ms.rivera" };
    const before = fake.views.length;
    const ack = await fake.deliver("slash_commands", {
      token: "t",
      team_id: "T0FAKE0001",
      channel_id: "C0FORMS5",
      channel_name: "lessons",
      user_id: user.id,
      user_name: user.name,
      command: "/feedback",
      text: "",
      response_url: fake.responseUrl(),
      trigger_id: fake.trigger(user.id),
      api_app_id: "A0FAKEAPP",
    });
    // Acknowledged with nothing to show: the form is the answer.
    expect(JSON.stringify(ack.payload ?? {})).toBe("{}");
    const view = await openedView(before);
    expect(block(view, "studentWork").element).toMatchObject({ type: "plain_text_input", multiline: true });
    const bad = await fake.submitViewOverSocket(view.id, { assignment: "An essay", studentWork: "ok", tone: "warm" }, user);
    expect(Object.keys(bad.errors ?? {})).toEqual(["studentWork"]);
    expect(view.state).toBe("open");
    const good = await fake.submitViewOverSocket(
      view.id,
      { assignment: "An essay on lunch breaks", studentWork: "Lunch should be longer because we have no time to eat." },
      user,
    );
    expect(good.errors).toBeUndefined();
    const root = await fake.waitFor(() => roots("C0FORMS5")[0], 5000, "root message");
    // Student data: the root names the request, never the work.
    expect(textOf(root)).not.toContain("Lunch");
    await fake.waitFor(() => fake.threadMessages("C0FORMS5", root.ts).length > 1 || undefined, 10_000, "progress in the thread");
    await s.core.idle();
    expect(await s.engine.list({ userId: user.id })).toHaveLength(1);
  });

  it("keeps the conversation for a bare command in a direct message with the bot", async () => {
    stack = await startStack(fake);
    const s = stack;
    fake.botDms.add("D0FORMS8");
    const t = new Teacher(fake, () => s.url, "U0FORMS8", "D0FORMS8");
    const before = fake.views.length;
    await t.command("lesson-plan", "");
    const root = await fake.waitFor(() => roots("D0FORMS8")[0], 5000, "root message");
    await fake.waitFor(() => fake.threadMessages("D0FORMS8", root.ts).find((m) => /grade/i.test(textOf(m))), 5000, "first question");
    expect(fake.views.length).toBe(before);
  });

  it("falls back to the conversation when Slack will not open the form (the trigger expired)", async () => {
    stack = await startStack(fake);
    const s = stack;
    const t = new Teacher(fake, () => s.url, "U0FORMS6", "C0FORMS6");
    fake.failWith({ error: "expired_trigger_id", method: "views.open", times: 1 });
    await t.command("lesson-plan", "");
    const root = await fake.waitFor(() => roots("C0FORMS6")[0], 5000, "root message");
    await fake.waitFor(() => fake.threadMessages("C0FORMS6", root.ts).find((m) => /grade/i.test(textOf(m))), 5000, "first question");
    expect(fake.callsOf("views.open").at(-1)?.error).toBe("expired_trigger_id");
  });

  it("starts nothing more when Slack redelivers a submission after a restart (the delivery key is persisted)", async () => {
    const storeUrl = `sqlite://${join(tmp, "forms.sqlite")}`;
    stack = await startStack(fake, { storeUrl });
    const first = stack;
    const t = new Teacher(fake, () => first.url, "U0FORMS7", "C0FORMS7");
    const before = fake.views.length;
    await t.command("parent-message", "");
    const view = await openedView(before);
    await t.submitView(view.id, { purpose: "Science fair", keyPoints: "Thursday 5-7pm; bring a snack" });
    const root = await fake.waitFor(() => roots("C0FORMS7")[0], 5000, "root message");
    await waitForRootStatus("C0FORMS7", root.ts, /done in/);
    await first.stop();
    stack = await startStack(fake, { storeUrl });
    const second = stack;
    const posted = fake.messages.length;
    const retry = await fake.resubmitView(second.url, SIGNING_SECRET, view.id);
    expect(retry.status).toBe(200);
    await second.core.idle();
    await new Promise((r) => setTimeout(r, 200));
    expect(await second.engine.list({ userId: "U0FORMS7" })).toHaveLength(1);
    expect(fake.messages.length).toBe(posted);
  });
});
