// Word where the teacher is, on Discord: a finished lesson plan's thread message carries its .docx
// (multipart files[n] with matching attachments), an assessment's carries three, and the printable page is
// a link button. The files are downloaded from the fake's attachment URLs and opened with a real zip and
// XML parser.
import { describe, expect, it } from "vitest";
import { createLinkSigner } from "../../src/documents/index.ts";
import { readDocx } from "../documents/docx-reader.ts";
import type { FakeDiscord, FakeMessage } from "../fakes/discord/index.ts";
import { botMessages, buttonId, type Stack, teacher, useStack } from "./helpers.ts";

const links = createLinkSigner({ secret: "a-long-test-secret-for-links", publicUrl: "https://staffroom.example.org" });

describe("documents on Discord", () => {
  let fake: FakeDiscord;
  let stack: Stack;
  useStack(
    (f, s) => {
      fake = f;
      stack = s;
    },
    { core: { links } },
  );

  /** Runs a command to its document (clicking Run if the flow asks for it); returns the message with the files. */
  async function documentMessage(name: string, options: Record<string, string | number>): Promise<FakeMessage> {
    const i = fake.slash({ name, user: teacher, options });
    await i.acked;
    const root = await fake.waitFor(() => (i.originalMessageId ? fake.messages.get(i.originalMessageId) : undefined));
    const thread = await fake.waitFor(() => fake.channels.get(root.id), 5000, "thread");
    let clicked = false;
    const message = await fake.waitFor(
      () => {
        const msgs = botMessages(fake, thread.id);
        const ready = msgs.find((m) => /ready to run/.test(m.content));
        if (ready && !clicked) {
          clicked = true;
          void fake.click({ message: ready, customId: buttonId(ready, /^Run$/) ?? "", user: teacher }).acked;
        }
        return msgs.find((m) => m.attachments.length > 0);
      },
      20_000,
      "the document's files",
    );
    await stack.core.idle();
    return message;
  }

  async function download(message: FakeMessage, index: number): Promise<{ filename: string; bytes: Uint8Array; type: string }> {
    // The message as the API returns it, and the file from the URL it gives.
    const res = await fetch(`${fake.apiUrl}/v10/channels/${message.channel_id}/messages/${message.id}`, {
      headers: { authorization: `Bot ${fake.token}` },
    });
    const body = (await res.json()) as { attachments: { filename: string; url: string; content_type?: string }[] };
    const a = body.attachments[index]!;
    const file = await fetch(a.url);
    expect(file.status).toBe(200);
    return { filename: a.filename, bytes: new Uint8Array(await file.arrayBuffer()), type: a.content_type ?? "" };
  }

  it("attaches a finished lesson plan's Word file, holding the topic, with an Open / print link button", async () => {
    const m = await documentMessage("lesson-plan", { grade: "5", subject: "Science", topic: "Photosynthesis", duration: 45 });
    expect(m.attachments.map((a) => a.filename)).toEqual(["lesson-plan-photosynthesis.docx"]);
    expect(m.content).toContain("`lesson-plan-photosynthesis.docx`");
    const file = await download(m, 0);
    expect(file.type).toBe("application/vnd.openxmlformats-officedocument.wordprocessingml.document");
    const docx = await readDocx(file.bytes);
    expect(docx.paragraphs.find((p) => p.style === "Heading1")?.text).toMatch(/^Lesson plan: Photosynthesis/);
    expect(docx.tables.length).toBeGreaterThan(0);
    // The multipart request: files[0] and its attachments entry, with the part's nonce enforced.
    const call = fake.calls
      .filter((c) => c.method === "POST" && c.path === `/channels/${m.channel_id}/messages` && c.files.length > 0)
      .at(-1)!;
    expect(call.files).toEqual([expect.objectContaining({ name: "files[0]", filename: "lesson-plan-photosynthesis.docx" })]);
    expect(call.body).toMatchObject({ attachments: [{ id: "0", filename: "lesson-plan-photosynthesis.docx" }], enforce_nonce: true });
    const button = m.components.flatMap((row) => (row.components as Record<string, unknown>[]) ?? []).find((c) => c.style === 5);
    expect(button).toMatchObject({ type: 2, label: "Open / print" });
    const url = new URL(String(button?.url));
    expect(links.verify(url.pathname, url.searchParams)).toMatchObject({ ok: true, part: "document" });
  });

  it("attaches an assessment's three Word files to one message", async () => {
    const m = await documentMessage("assessment", { grade: "4", subject: "Math", topic: "Fractions", question_count: 6 });
    expect(m.attachments.map((a) => a.filename)).toEqual([
      "assessment-fractions.docx",
      "assessment-student-copy-fractions.docx",
      "assessment-answer-key-fractions.docx",
    ]);
    const docs = await Promise.all([0, 1, 2].map(async (i) => readDocx((await download(m, i)).bytes)));
    expect(docs.map((d) => d.title)).toEqual([expect.stringMatching(/Fractions/), "Student copy: Fractions", "Answer key: Fractions"]);
    for (const d of docs) expect(d.paragraphs.map((p) => p.text).join("\n")).toMatch(/Fractions/);
  });
});
