import fc from "fast-check";
import { afterEach, describe, expect, test } from "vitest";
import { parseActionId } from "../../src/chat/actions.ts";
import { createChatCore, type StaffroomChatCore } from "../../src/chat/index.ts";
import { createModelExtractor, type FieldExtractor } from "../../src/conversation/extract.ts";
import { openStore, type Store } from "../../src/drivers/local/database.ts";
import { createEngine, type Engine } from "../../src/engine/index.ts";
import { ModelRequestError } from "../../src/errors.ts";
import { activeConversations } from "../../src/metrics.ts";
import { createOfflineProvider } from "../../src/model/offline.ts";
import type { ModelProvider } from "../../src/model/types.ts";
import { loadTemplates, offlineDrafters } from "../../src/templates/index.ts";
import type { Template } from "../../src/templates/types.ts";
import { RecordingSurface } from "./recording-surface.ts";
import { approvalTemplate, singleStepTemplate } from "./templates.ts";

const alice = { id: "U_ALICE", name: "Alice" };
const bob = { id: "U_BOB", name: "Bob" };

type Rig = { store: Store; engine: Engine; core: StaffroomChatCore; surface: RecordingSurface; clock: { t: number; now(): number } };
const open: Rig[] = [];

async function rig(options: { templates?: Template[]; model?: ModelProvider; store?: Store; extract?: FieldExtractor } = {}): Promise<Rig> {
  const templates = options.templates ?? [...(await loadTemplates()).templates, approvalTemplate()];
  const store = options.store ?? (await openStore("memory:"));
  const engine = createEngine({ store, model: options.model ?? createOfflineProvider({ drafters: offlineDrafters(templates) }) });
  for (const t of templates) engine.register(t.workflow);
  const clock = { t: Date.UTC(2025, 0, 6, 9), now: () => clock.t };
  const core = createChatCore({
    engine,
    templates,
    keyv: store.namespace("chat"),
    claims: store.claims,
    progressIntervalMs: 0,
    clock,
    conversationTtlMinutes: 60,
    ...(options.extract ? { extract: options.extract } : {}),
  });
  const surface = new RecordingSurface();
  const r = { store, engine, core, surface, clock };
  open.push(r);
  return r;
}

afterEach(async () => {
  for (const r of open.splice(0)) {
    await r.core.close();
    await r.engine.close();
    await r.store.close().catch(() => undefined);
  }
});

describe("chat core", () => {
  test("commands(): one per template with typed fields, plus staffroom and its subcommands", async () => {
    const { core } = await rig();
    const specs = core.commands();
    expect(specs.map((s) => s.name)).toEqual(
      expect.arrayContaining(["lesson-plan", "assessment", "feedback", "parent-message", "approval", "staffroom"]),
    );
    const lesson = specs.find((s) => s.name === "lesson-plan")!;
    expect(lesson.fields.find((f) => f.name === "grade")).toMatchObject({
      type: "string",
      required: true,
      choices: expect.arrayContaining([{ value: "5", label: "Grade 5" }]),
    });
    expect(lesson.fields.find((f) => f.name === "duration")).toMatchObject({ type: "integer", min: 10, max: 240 });
    expect(lesson.fields.find((f) => f.name === "subject")).toMatchObject({ autocomplete: true, maxLength: 60 });
    expect(specs.find((s) => s.name === "feedback")?.studentData).toBe(true);
    expect(specs.find((s) => s.name === "feedback")?.fields.map((f) => f.name)).not.toContain("previousDraft");
    expect(specs.find((s) => s.name === "staffroom")?.subcommands?.map((s) => s.name)).toEqual([
      "help",
      "status",
      "history",
      "open",
      "stats",
      "profile",
      "forget",
      "cancel",
    ]);
  });

  test("a replayed delivery never starts a second conversation, even after a restart", async () => {
    const first = await rig();
    await first.core.command(first.surface.inbound(alice, "Ev1"), "lesson-plan", { text: "grade 5" });
    await first.core.command(first.surface.inbound(alice, "Ev1"), "lesson-plan", { text: "grade 5" });
    expect(first.surface.of("openThread")).toHaveLength(1);
    await first.core.close();
    const second = await rig({ store: first.store });
    await second.core.command(second.surface.inbound(alice, "Ev1"), "lesson-plan", { text: "grade 5" });
    expect(second.surface.of("openThread")).toHaveLength(0);
  });

  test("human step: buttons, wrong user refused politely, typed answer resumes, progress edited in place, document posted", async () => {
    const { core, surface, engine } = await rig();
    await core.command(surface.inbound(alice), "approval", { text: "topic: volcanoes" });
    const thread = surface.of("openThread")[0]!.thread;
    expect(surface.of("openThread")[0]!.message.text).toBe("**Approval demo** requested by Alice: topic: volcanoes");
    // Draft first: everything required is known, so it runs at once; the root says so, with Change and Cancel.
    await core.idle();
    const root = surface.of("editRoot").find((e) => e.message.actions?.length)!;
    expect(root.message.text).toBe("**Approval demo** requested by Alice: ⏳ drafting now");
    expect(root.message.actions?.map((a) => a.label)).toEqual(["Change", "Cancel"]);
    const change = root.message.actions![0]!;
    await core.action(surface.inbound(bob), thread, change.id, change.value);
    expect(surface.of("notify").at(-1)).toMatchObject({ user: "U_BOB", message: { text: "Only Alice can change this request." } });

    const question = surface.of("post").find((p) => p.message.text.includes("Send this note about volcanoes?"))!;
    expect(question.message.actions?.map((a) => a.label)).toEqual(["Send it", "Hold it"]);
    expect(parseActionId(question.message.actions![0]!.id)).toMatchObject({ kind: "human", nodeId: "approve" });
    await core.action(surface.inbound(bob), thread, question.message.actions![0]!.id, "yes");
    expect(surface.of("notify").at(-1)?.message.text).toBe("Sorry, this question is for Alice.");
    await core.message(surface.inbound(alice), thread, "maybe");
    expect(surface.of("notify").at(-1)?.message.text).toBe("Please choose one of: Send it, Hold it.");
    await core.message(surface.inbound(alice), thread, "send it");
    await core.idle();

    const [execution] = await engine.list({ userId: alice.id });
    expect(execution).toMatchObject({
      status: "completed",
      inputs: { topic: "volcanoes" },
      userId: alice.id,
      origin: { surface: "slack", threadId: thread.threadId },
    });
    const progressPosts = surface.of("post").filter((p) => p.message.role === "progress");
    expect(progressPosts).toHaveLength(1);
    const progressEdits = surface.of("edit").filter((e) => e.ref.messageId === progressPosts[0]!.ref.messageId);
    expect(progressEdits.at(-1)?.message.text).toMatch(/^\*\*Approval demo: done\*\* in/);
    expect(progressEdits.at(-1)?.message.actions).toBeUndefined();
    expect(progressEdits.some((e) => e.message.text.includes("✋ Teacher approval (waiting for an answer)"))).toBe(true);
    expect(surface.of("edit").find((e) => e.ref.messageId === question.ref.messageId)?.message.text).toMatch(
      /✅ Send it \(answered by U_ALICE\)/,
    );
    expect(surface.texts()).toContain("Draft written.");
    expect(surface.of("postDocument")).toHaveLength(1);
    expect(surface.of("postDocument")[0]!.document.markdown).toContain("Decision: yes");
    expect(surface.of("editRoot").at(-1)?.message.text).toMatch(/Approval demo\*\* requested by Alice: ✅ done in .* \(offline draft\)/);
    // A late click on the answered question changes nothing.
    await core.action(surface.inbound(alice), thread, question.message.actions![1]!.id, "no");
    expect(surface.of("notify").at(-1)?.message.text).toMatch(/finished|already been answered|no longer/);
  });

  test("a failed run gets one friendly sentence with its id, never a stack trace", async () => {
    const refusing: ModelProvider = {
      name: "refusing",
      complete: async () => {
        throw new ModelRequestError("The model endpoint rejected the request (check the API key).", { status: 401 });
      },
    };
    const { core, surface, engine } = await rig({ templates: [singleStepTemplate()], model: refusing });
    await core.command(surface.inbound(alice), "single", { text: "topic: tides" });
    const thread = surface.of("openThread")[0]!.thread;
    await core.idle();
    const [execution] = await engine.list({ userId: alice.id });
    const failure = surface.of("post").find((p) => p.message.role === "error")!;
    expect(failure.message.text).toBe(
      `Sorry, I couldn't finish this request: The model endpoint rejected the request (check the API key). (request id ${execution!.id}). You can try again with /single.`,
    );
    expect(surface.texts().join("\n")).not.toMatch(/\n\s+at /);
    expect(surface.of("editRoot").at(-1)?.message.text).toMatch(/could not be finished/);
    await core.message(surface.inbound(alice), thread, "hello?");
    expect(surface.of("notify").at(-1)?.message.text).toMatch(/finished\. .*start a new one with \/single/);
  });

  test("an idle conversation expires with a notice; a later reply is told to start again", async () => {
    const { core, surface, clock } = await rig();
    await core.command(surface.inbound(alice), "lesson-plan", { text: "" });
    const thread = surface.of("openThread")[0]!.thread;
    const gauge = async () => (await activeConversations.get()).values.find((v) => v.labels.surface === "slack")?.value;
    expect(await gauge()).toBe(1);
    clock.t += 59 * 60_000;
    expect(await core.sweep()).toBe(0);
    clock.t += 2 * 60_000;
    expect(await core.sweep()).toBe(1);
    expect(surface.lastPost()?.text).toBe(
      "This request expired after 60 minutes without an answer; nothing was run. Start again with /lesson-plan.",
    );
    expect(surface.of("editRoot").at(-1)?.message.text).toMatch(/expired/);
    expect(await gauge()).toBe(0);
    await core.message(surface.inbound(alice), thread, "5");
    expect(surface.of("notify").at(-1)?.message.text).toBe("This request was expired. Start a new one with /lesson-plan.");
    expect(await core.sweep()).toBe(0);
  });

  test("typed command fields (Discord options) are validated like answers; a broken surface never throws", async () => {
    const { core, surface } = await rig();
    await core.command(surface.inbound(alice), "lesson-plan", {
      fields: { grade: "13", subject: "Science", duration: 45, text: "magnets" },
    });
    const texts = surface.of("post").map((p) => p.message.text);
    expect(texts[0]).toMatch(/^Grade: Grade should be K or 1-12/);
    expect(texts.at(-1)).toMatch(/Which grade/);
    surface.failing.add("openThread");
    await expect(core.command(surface.inbound(alice), "lesson-plan", { text: "grade 5" })).resolves.toBeUndefined();
    expect(surface.of("notify").at(-1)?.message.text).toMatch(/^I couldn't start a thread here \(Unexpected error: channel_not_found\)/);
    surface.failing.clear();
    surface.failing.add("post");
    await expect(core.command(surface.inbound(alice), "lesson-plan", { text: "grade 5" })).resolves.toBeUndefined();
    expect(surface.of("notify").at(-1)?.message.text).toMatch(/^Sorry, something went wrong/);
    await core.command(surface.inbound(alice), "no-such-thing", {});
    expect(surface.of("notify").at(-1)?.message.text).toBe("I don't know /no-such-thing. Try /staffroom help to see what I can do.");
    await core.action(surface.inbound(alice), { surface: "slack", channelId: "C1", threadId: "nope" }, "garbage", "x");
    expect(surface.of("notify").at(-1)?.message.text).toBe("That button is no longer in use.");
  });

  test("completions: choices filtered, subjects from the profile, history and known subjects", async () => {
    const { core, surface } = await rig();
    expect(await core.complete(alice, "lesson-plan", "grade", "5")).toEqual([{ value: "5", label: "Grade 5" }]);
    await core.command(surface.inbound(alice), "staffroom", { text: "profile subject=Chemistry" });
    const subjects = await core.complete(alice, "lesson-plan", "subject", "chem");
    expect(subjects[0]).toEqual({ value: "Chemistry", label: "Chemistry" });
    expect((await core.complete(alice, "lesson-plan", "subject", "")).length).toBeGreaterThan(5);
    expect(await core.complete(alice, "nope", "subject", "")).toEqual([]);
  });

  test("owns() knows the bot's threads; attach() resumes a waiting run into its thread without re-posting", async () => {
    const first = await rig();
    await first.core.command(first.surface.inbound(alice), "approval", { text: "topic: tides" });
    const thread = first.surface.of("openThread")[0]!.thread;
    expect(await first.core.owns(thread)).toBe(true);
    expect(await first.core.owns({ ...thread, threadId: "other" })).toBe(false);
    await first.core.idle();
    const asked = first.surface.of("post").filter((p) => p.message.text.includes("Send this note")).length;
    expect(asked).toBe(1);
    // Restart: a new engine and core on the same store.
    await first.core.close();
    await first.engine.close();
    const second = await rig({ store: first.store });
    await second.engine.recover();
    await second.core.attach(second.surface);
    await second.core.idle();
    expect(second.surface.of("post").filter((p) => p.message.text.includes("Send this note"))).toHaveLength(0);
    await second.core.message(second.surface.inbound(alice), thread, "Hold it");
    await second.core.idle();
    expect(second.surface.of("postDocument")[0]?.document.markdown).toContain("Decision: no");
    expect(second.surface.of("post").filter((p) => p.message.role === "progress")).toHaveLength(0);
    expect(second.surface.of("edit").some((e) => e.message.text.includes("Approval demo: done"))).toBe(true);
  });

  test("a configured model may extract fields, but only values that pass each field's schema are used", async () => {
    const requests: string[] = [];
    const model: ModelProvider = {
      name: "openai",
      complete: async (request) => {
        requests.push(request.messages.at(-1)!.content);
        expect(request.schema?.name).toBe("staffroom-extract");
        return {
          text: JSON.stringify({
            grade: "7",
            subject: "Science",
            topic: null,
            duration: "ninety",
            standardsFramework: "XYZ",
            objectives: null,
            classProfile: null,
            materials: null,
            language: null,
          }),
          usage: { inputTokens: 1, outputTokens: 1 },
          model: "m",
        };
      },
    };
    expect(createModelExtractor(createOfflineProvider())).toBeUndefined();
    const { core, surface } = await rig({ extract: createModelExtractor(model)! });
    await core.command(surface.inbound(alice), "lesson-plan", { text: "for my fifth graders: the phases of the moon" });
    expect(requests[0]).toContain('Request: """for my fifth graders: the phases of the moon"""');
    const texts = surface.of("post").map((p) => p.message.text);
    // The parser's grade wins over the model's; the model's subject fits and is used; "ninety" and "XYZ" are dropped.
    expect(texts[0]).toMatch(/^Got it: Grade: Grade 5 · Subject: Science · Topic: /);
    expect(texts.at(-1)).toMatch(/How long is the lesson/);

    const broken: ModelProvider = { name: "openai", complete: async () => Promise.reject(new Error("ECONNREFUSED")) };
    const second = await rig({ extract: createModelExtractor(broken)! });
    await second.core.command(second.surface.inbound(alice), "lesson-plan", { text: "something about the moon" });
    expect(second.surface.of("post").at(-1)?.message.text).toMatch(/Which grade/);
  });

  test("requests about a student are never sent to the model for extraction", async () => {
    const seen: string[] = [];
    const extract: FieldExtractor = async (text) => {
      seen.push(text);
      return {};
    };
    const { core, surface } = await rig({ extract });
    await core.command(surface.inbound(alice), "feedback", { text: "Maya Lopez wrote a persuasive essay about lunch" });
    await core.command(surface.inbound(alice), "lesson-plan", { text: "something about the moon" });
    expect(seen).toEqual(["something about the moon"]);
    expect(surface.of("openThread")).toHaveLength(2);
  });

  test("feedback drafts: regenerate makes the next version; only the requester approves; approving an older version supersedes the rest", async () => {
    const { core, surface, engine } = await rig();
    await core.command(surface.inbound(alice), "feedback", {
      fields: { assignment: "Argue for a longer lunch break", studentWork: "Lunch should be longer because we have no time to eat." },
    });
    const thread = surface.of("openThread")[0]!.thread;
    expect(surface.of("openThread")[0]!.message.text).toBe("**Student feedback** requested by Alice");
    await core.idle();
    const v1 = surface.of("post").find((p) => p.message.text.startsWith("**Draft v1.**"))!;
    const regenerate = v1.message.actions!.find((a) => a.label === "Regenerate")!;
    await core.action(surface.inbound(alice), thread, regenerate.id, regenerate.value);
    await core.idle();
    expect(surface.of("postDocument").map((d) => d.document.title.split(":")[0])).toEqual(["Draft v1", "Draft v2"]);
    const runs = await engine.list({ userId: alice.id });
    expect(runs).toHaveLength(2);
    expect(runs.every((r) => r.inputs.previousDraft === undefined)).toBe(true);
    expect(
      surface.of("edit").some((e) => e.ref.messageId === v1.ref.messageId && e.message.text === "Draft v1 (replaced by a newer version)."),
    ).toBe(true);
    const approve = v1.message.actions!.find((a) => a.label === "Approve")!;
    await core.action(surface.inbound(bob), thread, approve.id, approve.value);
    expect(surface.of("notify").at(-1)?.message.text).toBe("Only Alice can approve, undo or revise this draft; nothing was changed.");
    await core.message(surface.inbound(bob), thread, "make it longer");
    expect(await engine.list({ userId: alice.id })).toHaveLength(2);
    await core.action(surface.inbound(alice), thread, approve.id, approve.value);
    const v2 = surface.of("post").find((p) => p.message.text.startsWith("**Draft v2.**"))!;
    expect(
      surface
        .of("edit")
        .filter((e) => e.ref.messageId === v1.ref.messageId)
        .at(-1)?.message,
    ).toEqual({ text: "✅ Draft v1 approved by Alice.", role: "draft" });
    expect(
      surface
        .of("edit")
        .filter((e) => e.ref.messageId === v2.ref.messageId)
        .at(-1)?.message.actions,
    ).toBeUndefined();
    expect(surface.of("editRoot").at(-1)?.message.text).toBe("**Student feedback** requested by Alice: ✅ draft v1 approved");
  });

  test("the progress message's Cancel stops a waiting run; typed draft words act like the buttons", async () => {
    const { core, surface, engine } = await rig();
    await core.command(surface.inbound(alice), "approval", { text: "topic: tides" });
    const thread = surface.of("openThread")[0]!.thread;
    await core.idle();
    const progress = surface.of("post").find((p) => p.message.role === "progress")!;
    const cancel = progress.message.actions![0]!;
    expect(parseActionId(cancel.id)).toMatchObject({ kind: "cancel-run" });
    await core.action(surface.inbound(bob), thread, cancel.id, cancel.value);
    expect(surface.of("notify").at(-1)?.message.text).toBe("Only Alice can cancel this request.");
    await core.action(surface.inbound(alice), thread, cancel.id, cancel.value);
    await core.idle();
    const [execution] = await engine.list({ userId: alice.id });
    expect(execution?.status).toBe("cancelled");
    expect(surface.texts()).toContain(`This request was cancelled (request id ${execution!.id}).`);
    expect(surface.texts().some((t) => t.includes("(no longer waiting for an answer)"))).toBe(true);
    expect(surface.of("editRoot").at(-1)?.message.text).toMatch(/⛔ cancelled/);

    await core.command(surface.inbound(alice), "feedback", {
      fields: { assignment: "Argue for recess", studentWork: "Recess is good because we run." },
    });
    const fb = surface.of("openThread").at(-1)!.thread;
    await core.idle();
    await core.message(surface.inbound(alice), fb, "Approve");
    expect(surface.of("edit").at(-1)?.message.text).toBe("✅ Draft v1 approved by Alice.");
    expect((await engine.list({ userId: alice.id, templateId: "student-feedback" })).length).toBe(1);
  });

  test("property: random commands and replies through the core never throw and always get an answer", async () => {
    const { core, surface } = await rig();
    const line = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.string({ unit: "grapheme", maxLength: 40 }),
      fc.constantFrom(
        "run",
        "back",
        "skip",
        "help",
        "cancel",
        "change",
        "yes",
        "5",
        "45 min",
        "Science",
        "approve",
        "grade:99",
        "x".repeat(5000),
      ),
    );
    const command = fc.constantFrom("lesson-plan", "assessment", "feedback", "parent-message", "staffroom", "nope");
    let n = 0;
    await fc.assert(
      fc.asyncProperty(command, line, fc.array(line, { maxLength: 6 }), async (name, text, replies) => {
        const user = { id: `U${n++}`, name: "Prop" };
        const before = surface.calls.length;
        await core.command(surface.inbound(user), name, { text });
        expect(surface.calls.length).toBeGreaterThan(before);
        const thread = surface.of("openThread").at(-1)?.thread;
        if (!thread || name === "staffroom" || name === "nope") return;
        for (const reply of replies) await core.message(surface.inbound(user), thread, reply);
        await core.idle();
        expect(surface.texts().join("\n")).not.toMatch(/\n\s+at |Sorry, something went wrong/);
      }),
      { numRuns: 40 },
    );
  });

  test("a command typed in a thread with a running request leaves that request alone", async () => {
    const { core, surface, engine } = await rig();
    await core.command(surface.inbound(alice), "approval", { text: "topic: tides" });
    const thread = surface.of("openThread")[0]!.thread;
    await core.idle();
    // A surface may open the "thread" the command was typed in (Discord thread channels).
    surface.openThread = async () => thread;
    await core.command(surface.inbound(alice), "lesson-plan", { text: "grade 5" });
    expect(surface.lastPost()?.text).toBe(
      "A request is still running in this thread; wait for it to finish or type cancel, then try again.",
    );
    await core.message(surface.inbound(alice), thread, "Send it");
    await core.idle();
    const [execution] = await engine.list({ userId: alice.id });
    expect(execution?.status).toBe("completed");
    expect(surface.of("postDocument")).toHaveLength(1);
    await core.message(surface.inbound(alice), thread, "hello");
    expect(surface.of("notify").at(-1)?.message.text).toBe(
      "This request is finished. Type change (or click Change) to change it, or start a new one with /approval.",
    );
  });
});
