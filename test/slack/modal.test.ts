// Slack modals rendered from forms stay within Block Kit's limits however long the field table's texts are
// (checked by the fake's own views.open rules), submitted state reads back into form values, and the
// errors answer lands on the blocks that exist. A recorded real view_submission of another app is not ours.
import { describe, expect, it } from "vitest";
import {
  errorsResponse,
  formOrigin,
  isFormSubmission,
  renderModal,
  SLACK_FORM_LIMITS,
  submittedValues,
  type ViewSubmission,
} from "../../src/adapters/slack/modal.ts";
import type { FormField, FormSpec } from "../../src/chat/contract.ts";
import { startBackend } from "../fakes/backend.ts";
import { submittedState, viewIssues } from "../fakes/slack/views.ts";
import { fixture } from "./helpers.ts";

const long = (n: number) => "word ".repeat(n).slice(0, n);

function hugeForm(): FormSpec {
  const fields: FormField[] = [];
  for (let i = 0; i < 130; i++) {
    const kind = i % 4;
    fields.push({
      name: `field_${i}_${long(300).replace(/ /g, "_")}`.slice(0, 300),
      label: long(2500),
      input: kind === 0 ? "select" : kind === 1 ? "number" : kind === 2 ? "paragraph" : "text",
      required: i % 2 === 0,
      hint: long(2500),
      placeholder: long(400),
      ...(kind === 0
        ? { options: Array.from({ length: 120 }, (_, n) => ({ value: `v${n}-${long(200)}`, label: long(100) })), initial: "v3" }
        : {}),
      ...(kind === 1 ? { min: 1, max: 30, integer: true, initial: "12" } : {}),
      ...(kind >= 2 ? { maxLength: 12_000, initial: long(5000) } : {}),
    });
  }
  return { command: "lesson-plan", title: long(80), fields, omitted: ["Room", "Period"] };
}

describe("Slack modal rendering", () => {
  it("keeps a huge form within Block Kit's limits", () => {
    const view = renderModal(hugeForm(), {
      channelId: "C1",
      isDirect: false,
      thread: { surface: "slack", channelId: "C1", threadId: "1.2" },
    });
    expect(viewIssues(view)).toEqual([]);
    expect((view.blocks as unknown[]).length).toBeLessThanOrEqual(100);
  });

  it("reads a submission back into values by field name, and puts errors on existing blocks", () => {
    const form: FormSpec = {
      command: "lesson-plan",
      title: "Lesson plan",
      omitted: [],
      fields: [
        { name: "grade", label: "Grade", input: "select", required: true, options: [{ value: "5", label: "Grade 5" }] },
        { name: "duration", label: "Duration", input: "number", required: true, min: 10, max: 240, integer: true },
        { name: "notes", label: "Notes", input: "paragraph", required: false, maxLength: 1000 },
      ],
    };
    const view = renderModal(form, { channelId: "C9", isDirect: false });
    const state = submittedState(view, { grade: "5", duration: "45", notes: "" });
    if ("refused" in state) throw new Error(state.refused);
    const body = { type: "view_submission", user: { id: "U1" }, view: { id: "V1", ...view, state } } as unknown as ViewSubmission;
    expect(isFormSubmission(body as unknown as Record<string, unknown>)).toBe(true);
    expect(submittedValues(body)).toEqual({ grade: "5", duration: "45" });
    expect(formOrigin(body)).toEqual({ channelId: "C9", isDirect: false });
    expect(
      errorsResponse(
        {
          ok: false,
          problems: [
            { field: "duration", label: "Duration", message: "Too long." },
            { field: "gone", label: "Gone", message: "A field no longer in the form." },
          ],
        },
        body,
      ),
    ).toEqual({ response_action: "errors", errors: { duration: "Too long.", grade: "A field no longer in the form." } });
  });

  it("renders every built-in template's form as a valid modal holding every field", async () => {
    const backend = await startBackend();
    try {
      for (const t of backend.templates) {
        const form = await backend.core.formFor?.({ id: "U1" }, t.command, {}, { limits: SLACK_FORM_LIMITS });
        if (!form) throw new Error(`no form for ${t.command}`);
        const view = renderModal(form, { channelId: "C1", isDirect: false });
        expect(viewIssues(view), t.command).toEqual([]);
        expect((view.blocks as { block_id?: string }[]).map((b) => b.block_id)).toEqual(form.fields.map((f) => f.name));
        expect(form.omitted).toEqual([]);
      }
    } finally {
      await backend.close();
    }
  });

  it("leaves another app's recorded view_submission alone", () => {
    const recorded = fixture<{ viewSubmission: Record<string, unknown> }>("modals-slack.json").viewSubmission;
    expect(isFormSubmission(recorded)).toBe(false);
  });
});
