// Word where the teacher is, on Slack: a finished lesson plan is uploaded into its thread as a .docx
// through files.uploadV2's steps (upload URL, bytes, completion with channel_id and thread_ts), beside its
// Markdown text and an "Open / print" link; an assessment shares three files. The files are read back the
// way Slack serves them (conversations.replies, url_private_download with the bot token) and opened with
// a real zip and XML parser.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createLinkSigner } from "../../src/documents/index.ts";
import { readDocx } from "../documents/docx-reader.ts";
import type { FakeMessage, FakeSlack } from "../fakes/slack/server.ts";
import { BOT_TOKEN, startFake } from "./helpers.ts";
import { type Stack, startStack, Teacher, textOf } from "./stack.ts";

let fake: FakeSlack;
let stack: Stack | undefined;

beforeAll(async () => {
  fake = await startFake();
});
afterAll(async () => {
  await fake.stop();
});
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
  expect(fake.violations).toEqual([]);
});

const links = createLinkSigner({ secret: "a-long-test-secret-for-links", publicUrl: "https://staffroom.example.org/" });

type SlackFile = { id: string; name: string; title: string; mimetype: string; url_private_download: string; size: number };

/** The thread as the bot reads it back: conversations.replies through the fake's Web API. */
async function replies(channel: string, ts: string): Promise<{ ts: string; files?: SlackFile[] }[]> {
  const res = await fetch(`${fake.baseUrl}/api/conversations.replies`, {
    method: "POST",
    headers: { authorization: `Bearer ${BOT_TOKEN}`, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ channel, ts }),
  });
  const body = (await res.json()) as { ok: boolean; messages: { ts: string; files?: SlackFile[] }[] };
  expect(body.ok).toBe(true);
  return body.messages;
}

async function download(file: SlackFile): Promise<Uint8Array> {
  const anonymous = await fetch(file.url_private_download, { redirect: "manual" });
  expect(anonymous.status, "a private file needs the token").toBe(302);
  const res = await fetch(file.url_private_download, { headers: { authorization: `Bearer ${BOT_TOKEN}` } });
  expect(res.status).toBe(200);
  return new Uint8Array(await res.arrayBuffer());
}

async function finished(t: Teacher, channel: string, command: string, text: string): Promise<FakeMessage> {
  const before = fake.messages.filter((m) => m.channel === channel && !m.threadTs).length;
  await t.command(command, text);
  const root = await fake.waitFor(() => fake.messages.filter((m) => m.channel === channel && !m.threadTs)[before], 5000, "root");
  await fake.waitFor(() => /done in/.test(textOf(fake.message(channel, root.ts)!)) || undefined, 20_000, "done");
  await stack!.core.idle();
  return root;
}

describe("documents on Slack", () => {
  it("uploads a finished lesson plan into its thread as a Word file holding the topic, with the Markdown as text and a signed print link", async () => {
    stack = await startStack(fake, { core: { links } });
    const s = stack;
    const t = new Teacher(fake, () => s.url, "U0TEACHER", "C0WORD");
    const root = await finished(t, "C0WORD", "lesson-plan", 'grade 5 science "Solar System" 45 min');

    // files.uploadV2's steps, in order, and the completion shares into the thread.
    const methods = fake.calls.map((c) => c.method).filter((m) => m.startsWith("files."));
    // One document, one file: its upload URL and bytes, then the share.
    expect(methods).toEqual(["files.getUploadURLExternal", "files.completeUploadExternal"]);
    const complete = fake.callsOf("files.completeUploadExternal")[0]!;
    expect(complete.params).toMatchObject({ channel_id: "C0WORD", thread_ts: root.ts });

    const shares = (await replies("C0WORD", root.ts)).filter((m) => m.files?.length);
    expect(shares).toHaveLength(1);
    const [file] = shares[0]!.files!;
    expect(file!.name).toBe("lesson-plan-solar-system.docx");
    expect(file!.title).toBe("Lesson plan: Solar System");
    expect(file!.mimetype).toBe("application/vnd.openxmlformats-officedocument.wordprocessingml.document");

    const docx = await readDocx(await download(file!));
    expect(docx.paragraphs.find((p) => p.style === "Heading1")?.text).toMatch(/^Lesson plan: Solar System/);
    expect(docx.paragraphs.some((p) => /Solar System/.test(p.text) && p.style !== "Heading1")).toBe(true);
    expect(docx.tables.length).toBeGreaterThan(0);

    // The Markdown stays the message text, split at headings; the last part links the printable page.
    const thread = fake.threadMessages("C0WORD", root.ts);
    const parts = thread.filter((m) => m.blocks.some((b) => b.type === "header"));
    expect(parts.length).toBeGreaterThan(0);
    expect(parts.map(textOf).join("\n")).toMatch(/Solar System/);
    const link = /<(https:\/\/staffroom\.example\.org\/print\/[^|>]+)\|Open \/ print>/.exec(JSON.stringify(parts.at(-1)!.blocks))?.[1];
    expect(link).toBeDefined();
    // mrkdwn writes the URL's & as &amp;, which Slack's clients decode.
    expect(link).toMatch(/\?part=document&amp;exp=\d+&amp;sig=/);
    const url = new URL(link!.replace(/&amp;/g, "&"));
    const [execution] = await s.engine.list({ limit: 1 });
    expect(links.verify(url.pathname, url.searchParams)).toEqual({ ok: true, executionId: execution!.id, part: "document" });
  });

  it("shares an assessment with its student copy and answer key: three Word files in one thread message", async () => {
    stack = await startStack(fake);
    const s = stack;
    const t = new Teacher(fake, () => s.url, "U0TEACHER", "C0QUIZ");
    const root = await finished(t, "C0QUIZ", "assessment", 'grade 4 math "Fractions" 6 questions');
    const shares = (await replies("C0QUIZ", root.ts)).filter((m) => m.files?.length);
    expect(shares).toHaveLength(1);
    const files = shares[0]!.files!;
    expect(files.map((f) => f.name)).toEqual([
      "assessment-fractions.docx",
      "assessment-student-copy-fractions.docx",
      "assessment-answer-key-fractions.docx",
    ]);
    expect(files.map((f) => f.title)).toEqual([expect.stringMatching(/Fractions/), "Student copy: Fractions", "Answer key: Fractions"]);
    for (const f of files) {
      const docx = await readDocx(await download(f));
      expect(docx.paragraphs.map((p) => p.text).join("\n")).toMatch(/Fractions/i);
    }
    expect(fake.callsOf("files.getUploadURLExternal").filter((c) => /fractions/.test(String(c.params.filename)))).toHaveLength(3);
    // No print link without a configured secret.
    expect(JSON.stringify(fake.threadMessages("C0QUIZ", root.ts).map((m) => m.blocks))).not.toContain("Open / print");
  });
});
