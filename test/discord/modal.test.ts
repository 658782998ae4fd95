// Discord modals rendered from forms stay within Discord's modal rules (the fake's own checks: five labels,
// lengths, options), a MODAL_SUBMIT reads back into values from the raw packet and from discord.js's
// structures alike, and the refusal names every field and carries the reopen button.
import { describe, expect, it } from "vitest";
import {
  DISCORD_FORM_LIMITS,
  decodeModalId,
  encodeModalId,
  modalCallback,
  modalValues,
  refusalCallback,
  reopenAction,
  reopenTarget,
} from "../../src/adapters/discord/modal.ts";
import type { FormField, FormSpec } from "../../src/chat/contract.ts";
import { conversationFields } from "../../src/conversation/fields.ts";
import { startBackend } from "../fakes/backend.ts";
import { modalIssues } from "../fakes/discord/server.ts";

const long = (n: number) => "word ".repeat(n).slice(0, n);

describe("Discord modal rendering", () => {
  it("keeps a form with long texts within Discord's modal rules", () => {
    const fields: FormField[] = Array.from({ length: 8 }, (_, i) => ({
      name: `f${i}`,
      label: long(200),
      input: i % 2 === 0 ? "select" : "paragraph",
      required: i < 2,
      hint: long(300),
      placeholder: long(300),
      ...(i % 2 === 0
        ? { options: Array.from({ length: 40 }, (_, n) => ({ value: `v${n}`, label: long(150) })), initial: "v1" }
        : { maxLength: 12_000, initial: long(6000) }),
    }));
    const form: FormSpec = {
      command: "lesson-plan",
      title: long(90),
      fields,
      omitted: [],
      thread: { surface: "discord", channelId: "1".repeat(19), threadId: "2".repeat(19) },
    };
    const callback = modalCallback(form) as unknown as { type: number; data: Record<string, unknown> };
    expect(callback.type).toBe(9);
    expect(modalIssues(callback.data)).toEqual([]);
    expect(decodeModalId(String(callback.data.custom_id))).toEqual({ command: "lesson-plan", thread: form.thread });
  });

  it("renders every built-in template's form as a valid modal: every required field, then optional ones", async () => {
    const backend = await startBackend();
    try {
      for (const t of backend.templates) {
        const form = await backend.core.formFor?.({ id: "U1" }, t.command, {}, { limits: DISCORD_FORM_LIMITS });
        if (!form) throw new Error(`no form for ${t.command}`);
        const callback = modalCallback(form) as unknown as { data: Record<string, unknown> };
        expect(modalIssues(callback.data), t.command).toEqual([]);
        const shown = (callback.data.components as { component: { custom_id: string } }[]).map((c) => c.component.custom_id);
        expect(shown).toEqual(form.fields.map((f) => f.name));
        const table = conversationFields(t.inputSchema);
        expect(shown.length).toBe(Math.min(5, table.length));
        for (const f of table) if (f.required) expect(shown).toContain(f.name);
        expect(form.omitted).toEqual(table.filter((f) => !shown.includes(f.name)).map((f) => f.label));
      }
    } finally {
      await backend.close();
    }
  });

  it("reads values from the raw packet and from discord.js's structures alike", () => {
    const raw = [
      { type: 18, id: 1, component: { type: 4, id: 2, custom_id: "topic", value: "Rocks" } },
      { type: 18, id: 3, component: { type: 3, id: 4, custom_id: "grade", values: ["3"] } },
      { type: 1, id: 5, components: [{ type: 4, id: 6, custom_id: "notes", value: "" }] },
    ];
    const structures = [
      { type: 18, id: 1, component: { type: 4, id: 2, customId: "topic", value: "Rocks" } },
      { type: 18, id: 3, component: { type: 3, id: 4, customId: "grade", values: ["3"] } },
      { type: 1, id: 5, components: [{ type: 4, id: 6, customId: "notes", value: "" }] },
    ];
    const expected = { topic: "Rocks", grade: "3", notes: "" };
    expect(modalValues(raw)).toEqual(expected);
    expect(modalValues(structures)).toEqual(expected);
  });

  it("refuses privately, naming each field, with a reopen button for the same form", () => {
    const target = { command: "lesson-plan", thread: { surface: "discord" as const, channelId: "1".repeat(19), threadId: "2".repeat(19) } };
    const reopen = reopenAction(target);
    // What was typed never rides in a button id (it may be student work): the chat core keeps it.
    expect(reopenTarget(reopen.value)).toEqual(target);
    const body = refusalCallback([{ field: "duration", label: "Duration", message: "At most 240." }], reopen) as {
      type: number;
      data: { content: string; flags: number; components: { components: { label: string; custom_id: string }[] }[] };
    };
    expect(body.type).toBe(4);
    expect(body.data.flags).toBe(64);
    expect(body.data.content).toContain("**Duration**: At most 240.");
    const button = body.data.components[0]?.components[0];
    expect(button?.label).toBe("Open the form again");
    expect(button?.custom_id.length).toBeLessThanOrEqual(100);
    expect(encodeModalId(target).length).toBeLessThanOrEqual(100);
  });
});
