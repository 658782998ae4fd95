// A workflow with a human step, through Slack: the question appears in the thread with buttons, survives a
// restart of the whole process, and a click on the original message resumes the execution.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { readDocx } from "../documents/docx-reader.ts";
import { checkIn } from "../fakes/check-in-template.ts";
import { startFake } from "./helpers.ts";
import { startStack, Teacher, textOf } from "./stack.ts";

const tmp = mkdtempSync(join(tmpdir(), "staffroom-slack-human-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

it("asks a human step in the thread and resumes from a click after a restart", async () => {
  const fake = await startFake();
  const storeUrl = `sqlite://${join(tmp, "human.sqlite")}`;
  let stack = await startStack(fake, { storeUrl, extraTemplates: [checkIn] });
  try {
    const t = new Teacher(fake, () => stack.url, "U0TEACHER", "C0HUMAN");
    await t.command("check-in", 'topic:"fractions unit"');
    const root = await fake.waitFor(() => fake.messages.find((m) => m.channel === "C0HUMAN" && !m.threadTs), 5000, "root");
    // Draft first: the topic is all it needs, so it starts at once.
    const question = await fake.waitFor(
      () => fake.threadMessages("C0HUMAN", root.ts).find((m) => textOf(m).includes("Share this check-in")),
      8000,
      "human question",
    );
    expect(JSON.stringify(question.blocks)).toContain("Yes, share it");
    await stack.core.idle();
    await stack.crash();

    stack = await startStack(fake, { storeUrl, extraTemplates: [checkIn] });
    await t.click(question, /^Yes, share it$/);
    const done = await fake.waitFor(
      () => {
        const r = fake.message("C0HUMAN", root.ts);
        return r && /done in/.test(textOf(r)) ? r : undefined;
      },
      10_000,
      "root done",
    );
    expect(textOf(done)).toContain("Department check-in");
    const file = fake.files.find((f) => f.threadTs === root.ts);
    // The document is a Word file: opened with a real zip and XML parser.
    const docx = await readDocx(file!.bytes!);
    expect(docx.body.map((b) => ("rows" in b ? b.rows.flat().join(" ") : b.text)).join("\n")).toContain('"yes"');
    expect(fake.violations).toEqual([]);
  } finally {
    await stack.stop();
    await fake.stop();
  }
});
