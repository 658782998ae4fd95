// Forms from the field table: every template's form holds every field of its table with an input that fits
// it, prefills from the profile for that template only, checks submissions as the conversation checks
// answers, and a submission starts one execution (twice delivered, still one).
import { afterEach, describe, expect, test } from "vitest";
import type { FormSpec } from "../../src/chat/contract.ts";
import { buildForm, checkSubmission, formFields, inputOf } from "../../src/chat/forms.ts";
import { conversationFields } from "../../src/conversation/fields.ts";
import type { ConversationSpec } from "../../src/conversation/machine.ts";
import { specOf as conversationSpecOf } from "../../src/conversation/spec.ts";
import { builtinTemplates } from "../../src/templates/index.ts";
import type { Template } from "../../src/templates/types.ts";
import { type Backend, startBackend } from "../fakes/backend.ts";
import { RecordingSurface } from "./recording-surface.ts";

const templates = builtinTemplates();
const alice = { id: "U_ALICE", name: "Alice" };
const backends: Backend[] = [];
afterEach(async () => {
  for (const b of backends.splice(0)) await b.close();
});

async function backend(): Promise<Backend> {
  const b = await startBackend();
  backends.push(b);
  return b;
}

/** The conversation's spec of a template, as the chat core builds it (fields, whole-request check). */
const specOf = (t: Template): ConversationSpec => conversationSpecOf(t);

const byName = (form: FormSpec, name: string) => form.fields.find((f) => f.name === name);

describe("a template's form is its field table", () => {
  for (const t of templates) {
    test(`${t.command}: every field of the table appears, with an input that fits it`, async () => {
      const b = await backend();
      const form = await b.core.formFor?.(alice, t.command, {});
      expect(form).toBeDefined();
      const table = conversationFields(t.inputSchema);
      expect(form?.fields.map((f) => f.name)).toEqual(table.map((f) => f.name));
      expect(form?.omitted).toEqual([]);
      for (const field of table) {
        const shown = byName(form as FormSpec, field.name);
        expect(shown?.label).toBe(field.label);
        expect(shown?.required).toBe(field.required);
        expect(shown?.input).toBe(inputOf(field));
        if (field.choices) expect(shown?.options?.map((o) => o.value)).toEqual(field.choices.map((c) => c.value));
      }
    });
  }

  test("inputs fit the fields: a select for grade, one line for topic, a number for minutes and counts, paragraphs for long text", () => {
    const formOf = (id: string) => buildForm(specOf(templates.find((t) => t.id === id) as Template), {}) as FormSpec;
    const lesson = formOf("lesson-plan");
    const assessment = formOf("assessment");
    const feedback = formOf("student-feedback");
    const parent = formOf("parent-message");
    expect(byName(lesson, "grade")?.input).toBe("select");
    expect(byName(lesson, "standardsFramework")?.input).toBe("select");
    expect(byName(lesson, "topic")?.input).toBe("text");
    expect(byName(lesson, "duration")).toMatchObject({ input: "number", integer: true, min: 10, max: 240 });
    expect(byName(lesson, "classProfile")?.input).toBe("paragraph");
    expect(byName(assessment, "questionCount")).toMatchObject({ input: "number", min: 1, max: 30 });
    expect(byName(feedback, "studentWork")?.input).toBe("paragraph");
    expect(byName(parent, "keyPoints")?.input).toBe("paragraph");
  });

  test("a field added to a template's schema is in its form", () => {
    const lesson = templates.find((t) => t.id === "lesson-plan") as Template;
    const spec = specOf(lesson);
    const extra = { ...spec.fields[1]!, name: "room", label: "Room", required: false };
    const form = buildForm({ ...spec, fields: [...spec.fields, extra] }, {});
    expect(form?.fields.map((f) => f.name)).toContain("room");
  });

  test("a small form keeps the required fields and the first optional ones; none when the required ones do not fit", () => {
    const lesson = specOf(templates.find((t) => t.id === "lesson-plan") as Template);
    expect(formFields(lesson.fields, { maxFields: 5 })?.map((f) => f.name)).toEqual([
      "grade",
      "subject",
      "topic",
      "duration",
      "standardsFramework",
    ]);
    const form = buildForm(lesson, {}, { maxFields: 5 });
    expect(form?.omitted).toEqual(["Learning objectives", "Class profile", "Materials available", "Language"]);
    expect(formFields(lesson.fields, { maxFields: 3 })).toBeUndefined();
  });
});

describe("prefill", () => {
  test("from the teacher's profile, for the fields of that template only", async () => {
    const b = await backend();
    const surface = new RecordingSurface("slack");
    await b.core.command(surface.inbound(alice, "p1"), "staffroom", {
      text: "profile grade=5 subject=Science framework=NGSS language=Spanish",
    });
    const lesson = await b.core.formFor?.(alice, "lesson-plan", {});
    expect(byName(lesson as FormSpec, "grade")?.initial).toBe("5");
    expect(byName(lesson as FormSpec, "subject")?.initial).toBe("Science");
    expect(byName(lesson as FormSpec, "standardsFramework")?.initial).toBe("NGSS");
    const parent = await b.core.formFor?.(alice, "parent-message", {});
    // A parent message has no grade, subject or framework field: nothing of those leaks into it.
    expect(parent?.fields.map((f) => f.initial).filter((v) => v === "5" || v === "Science" || v === "NGSS")).toEqual([]);
  });

  test("a reopened form shows what was typed, even when it was wrong; forget deletes it", async () => {
    const b = await backend();
    await b.core.keepRefusedForm?.(alice, "lesson-plan", { topic: "Volcanoes", duration: "900", grade: "13", notAField: "x" });
    // Another template's form does not open with it.
    expect((await b.core.formFor?.(alice, "assessment", {}, { refused: true }))?.fields.some((f) => f.initial === "Volcanoes")).toBe(false);
    const form = await b.core.formFor?.(alice, "lesson-plan", {}, { refused: true });
    expect(byName(form as FormSpec, "topic")?.initial).toBe("Volcanoes");
    expect(byName(form as FormSpec, "duration")?.initial).toBe("900");
    // A select can only open on one of its choices.
    expect(byName(form as FormSpec, "grade")?.initial).toBeUndefined();
    const surface = new RecordingSurface("discord");
    await b.core.command(surface.inbound(alice, "f1"), "staffroom", { text: "forget" });
    const asked = surface.calls.find((c) => c.op === "notify" && (c.message.actions?.length ?? 0) > 0);
    const confirm = asked?.op === "notify" ? asked.message.actions?.[0] : undefined;
    await b.core.action(
      surface.inbound(alice, "f2"),
      { surface: "discord", channelId: "C1", threadId: "C1" },
      String(confirm?.id),
      "confirm",
    );
    const after = await b.core.formFor?.(alice, "lesson-plan", {}, { refused: true });
    expect(byName(after as FormSpec, "topic")?.initial).toBeUndefined();
  });

  test("a command with text or options, or in a direct message, goes to the conversation; unknown commands and /staffroom get no form", async () => {
    const b = await backend();
    expect(await b.core.formFor?.(alice, "lesson-plan", {}, { direct: true })).toBeUndefined();
    expect(await b.core.formFor?.(alice, "lesson-plan", { text: "grade 5 volcanoes" })).toBeUndefined();
    expect(await b.core.formFor?.(alice, "lesson-plan", { fields: { grade: "5" } })).toBeUndefined();
    expect(await b.core.formFor?.(alice, "staffroom", {})).toBeUndefined();
    expect(await b.core.formFor?.(alice, "nope", {})).toBeUndefined();
    expect(await b.core.formFor?.(alice, "/lesson-plan", {})).toBeDefined();
  });
});

describe("a standards framework that fits the subject", () => {
  test("a math teacher's form offers no NGSS; a science teacher's offers no Common Core; an unknown subject offers all", async () => {
    const b = await backend();
    const surface = new RecordingSurface("slack");
    await b.core.command(surface.inbound(alice, "p1"), "staffroom", { text: "profile grade=7 subject=Math" });
    for (const command of ["lesson-plan", "assessment"]) {
      const form = (await b.core.formFor?.(alice, command, {})) as FormSpec;
      expect(byName(form, "standardsFramework")?.options?.map((o) => o.value)).toEqual(["CCSS", "state", "none"]);
    }
    await b.core.command(surface.inbound(alice, "p2"), "staffroom", { text: "profile subject=Biology" });
    const science = (await b.core.formFor?.(alice, "lesson-plan", {})) as FormSpec;
    expect(byName(science, "standardsFramework")?.options?.map((o) => o.value)).toEqual(["NGSS", "state", "none"]);
    const fresh = (await b.core.formFor?.({ id: "U_NEW" }, "lesson-plan", {})) as FormSpec;
    expect(byName(fresh, "standardsFramework")?.options?.map((o) => o.value)).toEqual(["CCSS", "NGSS", "state", "none"]);
  });

  test("a submission pairing NGSS with math is refused on the framework's field, naming the choices that fit", () => {
    const lesson = specOf(templates.find((t) => t.id === "lesson-plan") as Template);
    const result = checkSubmission(lesson, { grade: "7", subject: "Math", topic: "Ratios", duration: "50", standardsFramework: "NGSS" });
    expect(result).toEqual({
      ok: false,
      problems: [
        {
          field: "standardsFramework",
          label: "Standards framework",
          message: "NGSS has no standards for Math; choose Common Core (CCSS), My state's standards or No standards.",
        },
      ],
    });
    expect(
      checkSubmission(lesson, { grade: "7", subject: "Earth science", topic: "Rocks", duration: "50", standardsFramework: "NGSS" }).ok,
    ).toBe(true);
  });
});

describe("checking a submission", () => {
  const lesson = specOf(templates.find((t) => t.id === "lesson-plan") as Template);

  test("a valid one gives the template's values, read as the conversation reads answers", () => {
    const result = checkSubmission(lesson, { grade: "5", subject: "Science", topic: "Shadows", duration: "1 hour", classProfile: "  " });
    expect(result).toEqual({
      ok: true,
      values: expect.objectContaining({ grade: "5", subject: "Science", topic: "Shadows", duration: 60 }),
    });
    if (result.ok) expect(result.values).not.toHaveProperty("classProfile");
  });

  test("every problem is named on its field, in one sentence each", () => {
    const result = checkSubmission(lesson, { grade: "5", subject: "", topic: "Shadows", duration: "900" });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual([
      { field: "subject", label: "Subject", message: "Subject is needed." },
      { field: "duration", label: "Duration", message: expect.stringMatching(/240/) },
    ]);
    for (const p of result.problems) expect(p.message).not.toMatch(/expected|received|Too (big|small)/i);
  });

  for (const t of templates) {
    test(`${t.command}: an empty form names every required field`, () => {
      const spec = specOf(t);
      const result = checkSubmission(spec, {});
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.problems.map((p) => p.field)).toEqual(spec.fields.filter((f) => f.required).map((f) => f.name));
    });
  }

  test("the core's check is the same", async () => {
    const b = await backend();
    expect(b.core.checkForm?.("assessment", { grade: "7", subject: "Math", topic: "Ratios", questionCount: "40" })).toEqual({
      ok: false,
      problems: [{ field: "questionCount", label: "Number of questions", message: "At most 30." }],
    });
    expect(b.core.checkForm?.("assessment", { grade: "7", subject: "Math", topic: "Ratios", questionCount: "8" })).toEqual({ ok: true });
  });
});

describe("submitting", () => {
  test("a valid form opens a thread and starts one execution; the same delivery again starts nothing more", async () => {
    const b = await backend();
    const surface = new RecordingSurface("slack");
    const values = { grade: "5", subject: "Science", topic: "Shadows", duration: "45" };
    await b.core.submitForm?.(surface.inbound(alice, "slack:view:V1"), "lesson-plan", values);
    await b.core.submitForm?.(surface.inbound(alice, "slack:view:V1"), "lesson-plan", values);
    await b.core.idle();
    expect(surface.calls.filter((c) => c.op === "openThread")).toHaveLength(1);
    const runs = await b.engine.list({ limit: 10 });
    expect(runs).toHaveLength(1);
    expect(runs[0]?.inputs).toMatchObject({ grade: "5", subject: "Science", topic: "Shadows", duration: 45 });
    // The settings used are next time's prefill for this template, and for this template only.
    const next = (await b.core.formFor?.(alice, "lesson-plan", {})) as FormSpec;
    expect(byName(next, "grade")?.initial).toBe("5");
    expect(byName(next, "duration")?.initial).toBe("45");
    expect(byName((await b.core.formFor?.(alice, "assessment", {})) as FormSpec, "grade")?.initial).toBeUndefined();
    // Draft first, as after a conversation: the root names what was assumed, with Change (and Cancel while it runs).
    const roots = surface.calls.flatMap((c) => (c.op === "editRoot" ? [c.message] : []));
    expect(roots.some((m) => /Assumed: .*no class profile/i.test(m.text) && m.actions?.some((a) => a.label === "Cancel"))).toBe(true);
    expect(roots.at(-1)?.actions?.map((a) => a.label)).toContain("Change");
  });

  test("a form opened from a thread's conversation is prefilled with it and runs in that thread", async () => {
    const b = await backend();
    const surface = new RecordingSurface("slack");
    await b.core.command(surface.inbound(alice, "c1"), "lesson-plan", { text: "grade 4" });
    const thread = surface.calls.find((c) => c.op === "openThread")?.thread;
    expect(thread).toBeDefined();
    if (!thread) return;
    const form = await b.core.formFor?.(alice, "lesson-plan", {}, { thread });
    expect(form?.thread).toEqual(thread);
    expect(byName(form as FormSpec, "grade")?.initial).toBe("4");
    // Someone else's click gets no form for Alice's request.
    expect(await b.core.formFor?.({ id: "U_BOB" }, "lesson-plan", {}, { thread })).toBeUndefined();
    await b.core.submitForm?.(
      surface.inbound(alice, "v2"),
      "lesson-plan",
      { grade: "4", subject: "Math", topic: "Area", duration: "50" },
      thread,
    );
    await b.core.idle();
    expect(surface.calls.filter((c) => c.op === "openThread")).toHaveLength(1);
    const runs = await b.engine.list({ limit: 10 });
    expect(runs).toHaveLength(1);
    expect(runs[0]?.origin?.threadId).toBe(thread.threadId);
    // The conversation is over: typing in the thread no longer answers its questions.
    expect(await b.core.formFor?.(alice, "lesson-plan", {}, { thread })).toBeUndefined();
  });
});
