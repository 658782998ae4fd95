// Pure rendering: Markdown → mrkdwn, splitting within Slack's limits at headings, action encoding round trips,
// and the manifest's promises (commands, scopes, events) checked as data.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Outbox } from "../../src/adapters/slack/outbox.ts";
import {
  chunkMrkdwn,
  decodeAction,
  limitProblems,
  markdownToMrkdwn,
  renderActions,
  renderDocument,
  renderMessage,
  renderSingle,
  slackTextToPlain,
} from "../../src/adapters/slack/render.ts";
import { repoRoot } from "./helpers.ts";

const words = fc.stringMatching(/^[A-Za-z0-9 ,.&<>*_`'()#-]{0,80}$/);
const markdownLine = fc.oneof(
  words,
  words.map((w) => `# ${w}`),
  words.map((w) => `## ${w}`),
  words.map((w) => `### ${w}`),
  words.map((w) => `- ${w}`),
  words.map((w) => `**${w.trim() || "x"}** ${w}`),
  fc.constant("```"),
  fc.constant(""),
  fc.string({ minLength: 0, maxLength: 4000 }),
);
const markdownDoc = fc.array(markdownLine, { maxLength: 400 }).map((lines) => lines.join("\n"));

describe("markdownToMrkdwn", () => {
  it("converts headings, emphasis, links and bullets, and escapes Slack's control characters", () => {
    const md = "# Plan\n\n**Goal:** learn *orbits* & <stars>\n- [NASA](https://nasa.gov)\n  - nested\n~~old~~ `a < b`";
    expect(markdownToMrkdwn(md)).toBe(
      "*Plan*\n\n*Goal:* learn _orbits_ &amp; &lt;stars&gt;\n• <https://nasa.gov|NASA>\n    ◦ nested\n~old~ `a &lt; b`",
    );
  });

  it("leaves code blocks alone apart from escaping", () => {
    expect(markdownToMrkdwn("```ts\nconst a = **b** < c;\n```")).toBe("```\nconst a = **b** &lt; c;\n```");
  });

  it("turns Slack message text back into what the teacher typed", () => {
    expect(slackTextToPlain("make it &lt;warmer&gt; &amp; shorter <@U123> <#C1|lessons> <https://x.org|the doc>")).toBe(
      "make it <warmer> & shorter @U123 #lessons the doc",
    );
  });
});

describe("splitting within limits", () => {
  it("never produces a piece over the limit and keeps every character of text", () => {
    fc.assert(
      fc.property(markdownDoc, fc.integer({ min: 50, max: 3000 }), (md, max) => {
        const text = markdownToMrkdwn(md);
        const pieces = chunkMrkdwn(text, max);
        for (const p of pieces) expect(p.length).toBeLessThanOrEqual(max);
        const squash = (s: string) => s.replace(/```/g, "").replace(/\s+/g, "");
        expect(squash(pieces.join(""))).toBe(squash(text));
      }),
      { numRuns: 150 },
    );
  });

  it("renders any document and any message within every Slack limit", () => {
    fc.assert(
      fc.property(markdownDoc, words, (md, title) => {
        const doc = renderDocument({ title, markdown: md, filename: "x.md", actions: [{ id: "approve", label: "Approve", value: "1" }] });
        for (const p of doc) expect(limitProblems(p)).toEqual([]);
        expect(doc.at(-1)?.blocks.at(-1)?.type).toBe("actions");
        for (const p of renderMessage({ text: md, role: "result" })) expect(limitProblems(p)).toEqual([]);
        expect(limitProblems(renderSingle({ text: md, role: "progress" }))).toEqual([]);
      }),
      { numRuns: 60 },
    );
  });

  it("splits a long document into messages that start at headings, with the title once", () => {
    const sections = Array.from({ length: 20 }, (_, i) => `## Section ${i}\n\n${"Sentence about the moon. ".repeat(200)}`);
    const parts = renderDocument({ title: "Moon unit", markdown: sections.join("\n\n"), filename: "moon.md" });
    expect(parts.length).toBeGreaterThan(1);
    expect(parts[0]?.blocks[0]).toMatchObject({ type: "header", text: { text: "Moon unit" } });
    for (const p of parts.slice(1)) expect(p.blocks[0]?.type).toBe("header");
    expect(parts.map((p) => p.text)).toEqual(parts.map((_, i) => `Moon unit (${i + 1}/${parts.length})`));
    const headers = parts.flatMap((p) => p.blocks.filter((b) => b.type === "header").map((b) => (b.text as { text: string }).text));
    expect(headers).toEqual(["Moon unit", ...sections.map((_, i) => `Section ${i}`)]);
  });
});

describe("actions", () => {
  const many = Array.from({ length: 8 }, (_, i) => ({ id: "answer", label: `Grade ${i + 1}`, value: String(i + 1) }));

  it("shows few choices as buttons and many as a select, keeping Cancel a button", () => {
    const few = renderActions([...many.slice(0, 3), { id: "cancel", label: "Cancel", value: "", style: "danger" }]);
    expect((few[0] as unknown as { elements: { type: string }[] }).elements.map((e) => e.type)).toEqual([
      "button",
      "button",
      "button",
      "button",
    ]);
    const lots = renderActions([...many, { id: "cancel", label: "Cancel", value: "", style: "danger" }]);
    const els = (lots[0] as unknown as { elements: { type: string; options?: unknown[] }[] }).elements;
    expect(els.map((e) => e.type)).toEqual(["static_select", "button"]);
    expect(els[0]?.options).toHaveLength(8);
  });

  it("round-trips any action id and value through Slack's payloads", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 60 }),
        fc.string({ maxLength: 60 }),
        fc.integer({ min: 1, max: 12 }),
        (id, value, n) => {
          const actions = Array.from({ length: n }, (_, i) => ({ id, label: `L${i}`, value: `${value}${i}` }));
          for (const block of renderActions(actions)) {
            for (const el of (block as unknown as { elements: Record<string, unknown>[] }).elements) {
              if (el.type === "button") {
                expect(decodeAction({ action_id: String(el.action_id), type: "button", value: el.value as string | undefined })).toEqual({
                  id,
                  value: actions[Number(/^sr:(\d+):/.exec(String(el.action_id))?.[1])]?.value,
                });
              } else {
                for (const [i, o] of (el.options as { value: string }[]).entries()) {
                  expect(decodeAction({ action_id: String(el.action_id), type: "static_select", selected_option: o })).toEqual({
                    id,
                    value: actions[i]?.value,
                  });
                }
              }
            }
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it("ignores elements that are not ours", () => {
    expect(decodeAction({ action_id: "quick_action", type: "static_select", selected_option: { value: "greet" } })).toBeUndefined();
    expect(decodeAction({ action_id: "sr:select", type: "static_select", selected_option: { value: "not json" } })).toBeUndefined();
  });
});

describe("outbox", () => {
  it("collapses queued edits of one message into the latest and keeps posts in order", async () => {
    const box = new Outbox({ burst: 100, intervalMs: 1 });
    const sent: string[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const first = box.edit("m", async () => {
      await gate;
      sent.push("edit 1");
    });
    await new Promise((r) => setTimeout(r, 0)); // edit 1 is now in flight, held at the gate
    const queued = [2, 3, 4].map((n) => box.edit("m", async () => void sent.push(`edit ${n}`)));
    const posts = [1, 2, 3].map((n) => box.post("C1", async () => void sent.push(`post ${n}`)));
    await Promise.all(posts);
    release();
    await Promise.all([first, ...queued]);
    expect(sent).toEqual(["post 1", "post 2", "post 3", "edit 1", "edit 4"]);
  });
});

describe("manifest.json", () => {
  const manifest = JSON.parse(readFileSync(resolve(repoRoot, "manifest.json"), "utf8"));

  it("declares every command with a description and usage hint", () => {
    const commands = manifest.features.slash_commands as { command: string; description: string; usage_hint: string }[];
    expect(commands.map((c) => c.command)).toEqual(["/lesson-plan", "/assessment", "/feedback", "/parent-message", "/staffroom"]);
    for (const c of commands) {
      expect(c.description.length).toBeGreaterThan(10);
      expect(c.description.length).toBeLessThanOrEqual(100);
      expect(c.usage_hint.length).toBeGreaterThan(5);
    }
    const staffroom = commands.find((c) => c.command === "/staffroom");
    for (const sub of ["help", "history", "open <number>", "status <number>", "stats", "profile", "forget", "cancel <number>"])
      expect(staffroom?.usage_hint).toContain(sub);
  });

  it("asks for only the scopes and events the adapter uses, with interactivity and Socket Mode on", () => {
    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual(
      ["channels:history", "chat:write", "commands", "files:write", "groups:history", "im:history", "im:write"].sort(),
    );
    expect(manifest.settings.event_subscriptions.bot_events).toEqual(["message.channels", "message.groups", "message.im"]);
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
    expect(manifest.settings.socket_mode_enabled).toBe(true);
    expect(manifest.display_information.description.length).toBeLessThanOrEqual(140);
    expect(manifest.display_information.long_description.length).toBeGreaterThanOrEqual(175);
  });
});
