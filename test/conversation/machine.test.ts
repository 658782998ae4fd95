import fc from "fast-check";
import { describe, expect, test } from "vitest";
import type { z } from "zod";
import { conversationFields } from "../../src/conversation/fields.ts";
import {
  type Answer,
  answer,
  assumedLine,
  type ConversationSpec,
  type ConversationState,
  reprompt,
  startChange,
  startConversation,
  type Turn,
} from "../../src/conversation/machine.ts";
import { loadTemplates } from "../../src/templates/index.ts";
import { assessmentSchema, lessonSchema } from "./fixtures.ts";

const spec: ConversationSpec = {
  templateId: "lesson-plan",
  command: "lesson-plan",
  title: "Lesson plan",
  fields: conversationFields(lessonSchema),
  validate: (values) => {
    const parsed = lessonSchema.safeParse(values);
    return parsed.success
      ? { ok: true, values: parsed.data }
      : { ok: false, field: String(parsed.error.issues[0]?.path[0]), message: "invalid" };
  },
};

const say = (text: string): Answer => ({ kind: "text", text });
const step = (turn: Turn) => turn.state.step;
const lastText = (turn: Turn) => turn.prompts.at(-1)?.text ?? "";

/** Plays typed answers from a start turn, returning every turn. */
function play(start: Turn, ...answers: string[]): Turn[] {
  const turns = [start];
  for (const a of answers) turns.push(answer(spec, turns.at(-1)!.state, say(a)));
  return turns;
}

describe("guided conversation", () => {
  test("asks only the missing required fields, counting them exactly, then runs at once (draft first)", () => {
    const start = startConversation(spec, {});
    expect(step(start)).toEqual({ kind: "ask", field: "grade" });
    expect(lastText(start)).toMatch(/Which grade is this for\?\*\* \(4 questions left\)/);
    expect(start.prompts[0]?.options?.map((o) => o.label)).toContain("Grade 5");
    expect(start.prompts[0]?.options?.at(-1)).toMatchObject({ key: "cancel" });
    const turns = play(start, "5th", "Science", "the water cycle");
    expect(turns.map((t) => step(t))).toEqual([
      { kind: "ask", field: "grade" },
      { kind: "ask", field: "subject" },
      { kind: "ask", field: "topic" },
      { kind: "ask", field: "durationMinutes" },
    ]);
    expect(lastText(turns[1]!)).toMatch(/\(3 questions left\)/);
    expect(lastText(turns[3]!)).toMatch(/\(last question\)/);
    const run = answer(spec, turns.at(-1)!.state, say("45 min"));
    expect(run.outcome).toMatchObject({
      kind: "run",
      values: { grade: "5", subject: "Science", topic: "the water cycle", durationMinutes: 45 },
      assumed: "no notes",
    });
  });

  test("a request with every required field runs at once, saying what it assumed", () => {
    const start = startConversation(spec, { text: "5th grade science solar system 45 min" });
    expect(start.outcome).toMatchObject({ kind: "run", assumed: "no notes" });
    expect(start.prompts[0]?.text).toBe("Got it: Grade: Grade 5 · Subject: Science · Topic: solar system · Duration: 45 min.");
  });

  test("a wrong answer says why and asks again; the right one moves on", () => {
    const [, wrong, right] = play(startConversation(spec, {}), "15", "grade 4");
    expect(step(wrong!)).toEqual({ kind: "ask", field: "grade" });
    expect(wrong!.prompts[0]).toMatchObject({ kind: "error" });
    expect(wrong!.prompts[0]?.text).toMatch(/K or 1-12.*Try again, or type help, back or cancel/);
    expect(step(right!)).toEqual({ kind: "ask", field: "subject" });
    expect(right!.state.values.grade).toBe("4");
  });

  test("back returns to the previous question and forgets its answer", () => {
    const turns = play(startConversation(spec, {}), "5", "Science", "back");
    expect(step(turns[3]!)).toEqual({ kind: "ask", field: "subject" });
    expect(turns[3]!.state.values).toEqual({ grade: "5" });
    const again = play(turns[3]!, "back", "back");
    expect(step(again[1]!)).toEqual({ kind: "ask", field: "grade" });
    expect(again[2]!.prompts[0]?.text).toMatch(/no earlier question/);
  });

  test("skip works on optional fields only; help explains; cancel ends it", () => {
    const start = startConversation(spec, {});
    const skipRequired = answer(spec, start.state, say("skip"));
    expect(skipRequired.prompts[0]?.text).toMatch(/Grade is needed for this request, so it can't be skipped/);
    expect(step(skipRequired)).toEqual({ kind: "ask", field: "grade" });
    const help = answer(spec, start.state, say("help"));
    expect(help.prompts[0]?.text).toMatch(/K-12[\s\S]*Example: 5\nYou can also type back or cancel\.$/);
    expect(step(help)).toEqual({ kind: "ask", field: "grade" });
    const cancel = answer(spec, start.state, say("Cancel."));
    expect(cancel.outcome).toEqual({ kind: "cancelled" });
    expect(cancel.prompts[0]?.text).toMatch(/nothing was run.*\/lesson-plan/);
    expect(answer(spec, cancel.state, say("5")).prompts[0]?.text).toMatch(/already finished/);
  });

  test("change after a run: pick a field (by name, click or key:value), answer, rerun; nothing else is asked", () => {
    const values = { grade: "5", subject: "Science", topic: "volcanoes", durationMinutes: 45 };
    const open = startChange(spec, values);
    expect(step(open)).toEqual({ kind: "pick" });
    expect(lastText(open)).toMatch(/What should change\?[\s\S]*- Duration: 45 min/);
    const named = answer(spec, open.state, say("change topic"));
    expect(step(named)).toEqual({ kind: "ask", field: "topic", change: true });
    expect(lastText(named)).toMatch(/Now: volcanoes/);
    const rerun = answer(spec, named.state, say("earthquakes"));
    expect(rerun.outcome).toMatchObject({ kind: "run", values: { ...values, topic: "earthquakes" }, assumed: "no notes" });
    const clicked = answer(spec, open.state, { kind: "option", key: "field", value: "durationMinutes" });
    expect(step(clicked)).toEqual({ kind: "ask", field: "durationMinutes", change: true });
    expect(step(answer(spec, clicked.state, say("back")))).toEqual({ kind: "pick" });
    expect(answer(spec, clicked.state, say("55")).outcome).toMatchObject({ kind: "run", values: { durationMinutes: 55 } });
    const direct = answer(spec, open.state, say("duration: 1 hour, notes: bring rulers"));
    expect(direct.outcome).toMatchObject({ kind: "run", values: { durationMinutes: 60, notes: "bring rulers" }, assumed: "" });
    expect(answer(spec, open.state, say("50 min")).outcome).toMatchObject({ kind: "run", values: { durationMinutes: 50 } });
    expect(answer(spec, open.state, say("help")).prompts[0]?.kind).toBe("notice");
    expect(answer(spec, open.state, say("banana")).prompts[0]).toMatchObject({ kind: "error" });
    const kept = answer(spec, open.state, say("cancel"));
    expect(kept.outcome).toEqual({ kind: "kept" });
  });

  test("a click answers exactly like typing, and a click on an older question's button is stale", () => {
    const start = startConversation(spec, {});
    const clicked = answer(spec, start.state, { kind: "option", key: "answer", value: "K", field: "grade" });
    expect(clicked.state.values.grade).toBe("K");
    const stale = answer(spec, clicked.state, { kind: "option", key: "answer", value: "3", field: "grade" });
    expect(stale.prompts[0]?.text).toMatch(/earlier question/);
    expect(stale.state.values).toEqual({ grade: "K" });
  });

  test("assumedLine names what a form left out, for a run started without the conversation", () => {
    const values = { grade: "5", subject: "Science", topic: "tides", durationMinutes: 45 };
    expect(assumedLine(spec, values, ["grade", "subject", "topic", "durationMinutes"])).toBe("no notes");
    expect(assumedLine(spec, values, ["topic"])).toBe("Grade 5, Science, 45 min, no notes");
  });

  test("remembered values fill what the request leaves out and are named as assumptions", () => {
    const start = startConversation(spec, {
      text: "volcanoes",
      remembered: (values) => (values.topic === "volcanoes" ? { grade: "5", subject: "Science", durationMinutes: 45 } : {}),
    });
    expect(start.outcome).toMatchObject({
      kind: "run",
      values: { grade: "5", subject: "Science", topic: "volcanoes", durationMinutes: 45 },
      assumed: "Grade 5, Science, 45 min, no notes",
    });
    const typed = startConversation(spec, { text: "grade 6 volcanoes", remembered: () => ({ grade: "5", subject: "Science" }) });
    expect(typed.state.values.grade).toBe("6");
    expect(step(typed)).toEqual({ kind: "ask", field: "durationMinutes" });
  });

  test("reprompt repeats the current question (used after a restart)", () => {
    const turn = play(startConversation(spec, {}), "5")[1]!;
    expect(reprompt(spec, turn.state)[0]?.text).toMatch(/Which subject/);
  });

  test("a whole-request check at Run sends the teacher back to the field it names", () => {
    const strict: ConversationSpec = { ...spec, validate: () => ({ ok: false, field: "topic", message: "Topic: too vague." }) };
    const run = startConversation(strict, { text: "grade 5 science volcanoes 45 min" });
    expect(run.outcome).toBeUndefined();
    expect(run.prompts.at(-2)?.text).toBe("Topic: too vague.");
    expect(step(run)).toEqual({ kind: "ask", field: "topic" });
  });
});

describe("conversation properties", () => {
  const specs: [ConversationSpec, typeof lessonSchema | typeof assessmentSchema][] = [
    [spec, lessonSchema],
    [
      { templateId: "assessment", command: "assessment", title: "Assessment", fields: conversationFields(assessmentSchema) },
      assessmentSchema,
    ],
  ];
  const typed = fc.oneof(
    fc.string({ maxLength: 120 }),
    fc.constantFrom(
      "back",
      "skip",
      "help",
      "cancel",
      "run",
      "change",
      "change topic",
      "yes",
      "no",
      "5",
      "K",
      "45 min",
      "Science",
      "quiz",
      "10",
      "topic: x",
      "grade:99",
      "",
      " ",
    ),
    fc.string({ unit: "grapheme", maxLength: 60 }),
  );
  const input: fc.Arbitrary<Answer> = fc.oneof(
    typed.map((text) => ({ kind: "text" as const, text })),
    fc.record({
      kind: fc.constant("option" as const),
      key: fc.constantFrom("answer", "skip", "cancel", "run", "change", "field", "yes", "no", "bogus"),
      value: typed,
    }),
  );

  test("random answers never throw, always reply, and every stored or run value satisfies the schema", async () => {
    const { templates } = await loadTemplates();
    const all: [ConversationSpec, z.ZodType][] = [
      ...specs,
      ...templates.map((t): [ConversationSpec, z.ZodType] => [
        { templateId: t.id, command: t.command, title: t.title, fields: conversationFields(t.inputSchema) },
        t.inputSchema,
      ]),
    ];
    for (const [s, schema] of all) {
      fc.assert(
        fc.property(fc.string({ maxLength: 200 }), fc.array(input, { maxLength: 25 }), (text, answers) => {
          let turn = startConversation(s, { text });
          let state: ConversationState = turn.state;
          for (const a of answers) {
            turn = answer(s, state, a);
            expect(turn.prompts.length + (turn.outcome ? 1 : 0)).toBeGreaterThan(0);
            state = turn.state;
            for (const [name, value] of Object.entries(state.values)) {
              expect(s.fields.find((f) => f.name === name)!.schema.safeParse(value).success).toBe(true);
            }
            if (turn.outcome?.kind === "run") expect(schema.safeParse(turn.outcome.values).success).toBe(true);
            if (turn.outcome) break;
          }
          expect(JSON.parse(JSON.stringify(state))).toEqual(state);
        }),
        { numRuns: 120 },
      );
    }
  });
});
