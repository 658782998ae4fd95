// Pure rendering: limits hold for any text, documents split at headings, components fit Discord's rules,
// and every command JSON fits the OpenAPI spec's request schema.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  commandJson,
  decodeCustomId,
  encodeAction,
  LIMITS,
  optionName,
  renderComponents,
  renderDocument,
  renderMessage,
  splitMarkdown,
  toDiscordMarkdown,
} from "../../src/adapters/discord/render.ts";
import { commandSpecs } from "../../src/chat/commands.ts";
import type { ChoiceAction } from "../../src/chat/contract.ts";
import { builtinTemplates } from "../../src/templates/builtin.ts";
import { discordSpec } from "../fakes/discord/index.ts";

const markdownish = fc
  .array(
    fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.constantFrom("# Title", "## Section", "#### Deep", "```ts", "```", "", "- item", "word ".repeat(120)),
    ),
    { maxLength: 80 },
  )
  .map((lines) => lines.join("\n"));

describe("splitMarkdown", () => {
  it("never exceeds the limit and loses no words", () => {
    fc.assert(
      fc.property(markdownish, fc.integer({ min: 200, max: 4096 }), (text, limit) => {
        const chunks = splitMarkdown(text, limit);
        for (const c of chunks) expect(c.length).toBeLessThanOrEqual(limit);
        const words = (s: string) => s.split(/\s+/).filter((w) => w && w !== "```");
        expect(words(chunks.join("\n")).filter((w) => !w.startsWith("```"))).toEqual(words(text).filter((w) => !w.startsWith("```")));
      }),
      { numRuns: 150 },
    );
  });

  it("splits at headings first", () => {
    const section = (n: number) => `## Part ${n}\n${"Some text here. ".repeat(40)}`;
    const chunks = splitMarkdown([1, 2, 3, 4].map(section).join("\n\n"), 1500);
    expect(chunks.every((c) => c.startsWith("## Part"))).toBe(true);
  });

  it("renders headings Discord understands, with a blank line before them", () => {
    expect(toDiscordMarkdown("Intro\n## Plan\n#### Detail")).toBe("Intro\n\n## Plan\n\n**Detail**");
  });
});

describe("messages and documents", () => {
  it("splits a long message, keeps buttons on the last part and suppresses link previews", () => {
    const actions: ChoiceAction[] = [{ id: "draft:approve:1", label: "Approve", value: "approve", style: "primary" }];
    const parts = renderMessage({ text: `# Big\n${"line of text\n".repeat(400)}`, actions });
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) expect(p.content?.length).toBeLessThanOrEqual(LIMITS.content);
    expect(parts.at(-1)?.components).toHaveLength(1);
    expect(parts.slice(0, -1).every((p) => !p.components)).toBe(true);
    expect(parts.every((p) => p.allowed_mentions.parse.length === 0)).toBe(true);
  });

  it("lays a document out as embeds per section within every limit, with the whole file", () => {
    const markdown = `# Lesson\nIntro\n${Array.from({ length: 12 }, (_, i) => `## Section ${i}\n${"Detail sentence. ".repeat(300)}`).join("\n")}`;
    const { messages, final, files } = renderDocument({
      title: "Lesson",
      markdown,
      filename: "Lesson Plan",
      actions: [{ id: "a", label: "A", value: "a" }],
    });
    const [file] = files;
    expect(file?.name).toBe("Lesson-Plan.md");
    expect(file?.data.toString("utf8")).toBe(markdown);
    for (const m of messages) {
      expect(m.embeds?.length).toBeLessThanOrEqual(10);
      const total = (m.embeds ?? []).reduce((n, e) => n + (e.title?.length ?? 0) + (e.description?.length ?? 0), 0);
      expect(total).toBeLessThanOrEqual(LIMITS.embedTotal);
      for (const e of m.embeds ?? []) expect(e.description?.length ?? 0).toBeLessThanOrEqual(LIMITS.embedDescription);
    }
    const titles = messages.flatMap((m) => m.embeds ?? []).map((e) => e.title);
    expect(titles).toContain("Section 11");
    expect(final.components).toHaveLength(1);
  });

  it("attaches a document's files within Discord's limits (10 files, 10 MiB) and names those that did not fit, with the print link as a link button", () => {
    const file = (i: number, size: number) => ({
      title: `Part ${i}`,
      filename: `part-${i}.docx`,
      contentType: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
      bytes: new Uint8Array(size),
    });
    const many = renderDocument({
      title: "Quiz",
      markdown: "# Quiz\nText",
      filename: "quiz.md",
      files: Array.from({ length: 12 }, (_, i) => file(i, 1000)),
      link: { label: "Open / print", url: "https://staffroom.example.org/print/x?sig=y" },
    });
    expect(many.files.map((f) => f.name)).toEqual(Array.from({ length: 10 }, (_, i) => `part-${i}.docx`));
    expect(many.final.content).toMatch(/`part-10.docx`, `part-11.docx` did not fit within Discord's attachment limits; use Open \/ print/);
    expect(many.final.components?.at(-1)?.components[0]).toMatchObject({
      type: 2,
      style: 5,
      label: "Open / print",
      url: "https://staffroom.example.org/print/x?sig=y",
    });
    const big = renderDocument({
      title: "Quiz",
      markdown: "# Quiz",
      filename: "quiz.md",
      files: [file(0, 6 << 20), file(1, 6 << 20), file(2, 1000)],
    });
    expect(big.files.map((f) => f.name)).toEqual(["part-0.docx", "part-2.docx"]);
    expect(big.files.reduce((n, f) => n + f.data.length, 0)).toBeLessThanOrEqual(LIMITS.attachmentBytes);
  });
});

describe("components", () => {
  it("turns a question with many choices into a select menu and keeps Cancel a button", () => {
    const grades: ChoiceAction[] = Array.from({ length: 13 }, (_, i) => ({
      id: `conv:answer:grade:${i}`,
      label: `Grade ${i}`,
      value: String(i),
    }));
    const rows = renderComponents([...grades, { id: "conv:cancel::13", label: "Cancel", value: "cancel", style: "danger" }]);
    expect(rows).toHaveLength(2);
    const select = rows[0]?.components[0] as { type: number; options: { value: string }[] };
    expect(select.type).toBe(3);
    expect(select.options).toHaveLength(13);
    expect(decodeCustomId(select.options[5]?.value ?? "")).toEqual({ id: "conv:answer:grade:5", value: "5" });
    expect(rows[1]?.components[0]).toMatchObject({ type: 2, label: "Cancel", style: 4 });
  });

  it("round-trips custom ids and hashes ones too long for 100 characters", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 120 }), fc.string({ maxLength: 120 }), (id, value) => {
        const encoded = encodeAction(id, value);
        expect(encoded.length).toBeLessThanOrEqual(LIMITS.customId);
        const decoded = decodeCustomId(encoded);
        if (encoded.startsWith("#")) expect(decoded).toEqual({ hash: encoded });
        else expect(decoded).toEqual({ id, value });
      }),
    );
  });
});

describe("commands", () => {
  const specs = commandSpecs(builtinTemplates());

  it("fit the spec's bulk-overwrite request schema", () => {
    const spec = discordSpec();
    const match = spec.match("PUT", "/applications/1457469483726668048/guilds/1457468924290662599/commands");
    if (!("operation" in match)) throw new Error(match.error);
    expect(spec.check(match, "json", specs.map(commandJson))).toEqual([]);
  });

  it("use lower-case option names and keep student data out of DMs", () => {
    expect(optionName("standardsFramework")).toBe("standards_framework");
    for (const s of specs) {
      const json = commandJson(s);
      expect(json.contexts.includes(1)).toBe(!s.studentData);
      for (const o of json.options) expect(o.name).toMatch(/^[-_\p{Ll}\p{N}]{1,32}$/u);
    }
  });
});
