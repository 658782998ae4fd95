// The files a finished document is handed out as: the parts (document, student copy, answer key) built
// once as Word files, named from the title and topic, never carrying a student's name.

import JSZip from "jszip";
import Keyv from "keyv";
import { describe, expect, it } from "vitest";
import { documentOf } from "../../src/chat/messages.ts";
import { documentFiles, documentParts, knownNames, nameFreeFilename, namesToHide } from "../../src/documents/index.ts";
import { PrivacyStore, SCHOOL_ROSTER } from "../../src/privacy/index.ts";
import type { RenderedDocument } from "../../src/templates/types.ts";
import { readDocx } from "./docx-reader.ts";

const quiz: RenderedDocument = {
  title: "Assessment: Fractions",
  markdown: "# Assessment: Fractions\n\n1. What is 1/2 + 1/4?",
  filename: "assessment-fractions.md",
  companions: [
    {
      title: "Student copy: Fractions",
      markdown: "# Fractions\n\n1. What is 1/2 + 1/4?",
      filename: "assessment-student-copy-fractions.md",
    },
    { title: "Answer key: Fractions", markdown: "# Answer key: Fractions\n\n1. 3/4", filename: "assessment-answer-key-fractions.md" },
  ],
};

describe("document files", () => {
  it("builds an assessment's three parts as Word files, in order, each opening with its own text", async () => {
    expect(documentParts(quiz).map((p) => p.part)).toEqual(["document", "student-copy", "answer-key"]);
    const files = await documentFiles(quiz);
    expect(files.map((f) => [f.part, f.filename, f.title])).toEqual([
      ["document", "assessment-fractions.docx", "Assessment: Fractions"],
      ["student-copy", "assessment-student-copy-fractions.docx", "Student copy: Fractions"],
      ["answer-key", "assessment-answer-key-fractions.docx", "Answer key: Fractions"],
    ]);
    for (const f of files) expect(f.contentType).toBe("application/vnd.openxmlformats-officedocument.wordprocessingml.document");
    const key = await readDocx(files[2]!.bytes);
    expect(key.paragraphs.map((p) => p.text)).toContain("3/4");
  });

  it("drops a name and its possessive from a file name, keeping the topic", () => {
    expect(nameFreeFilename("parent-message-marias-reading-progress.md", ["Maria Lopez"])).toBe("parent-message-reading-progress.md");
    expect(nameFreeFilename("feedback-essay-by-jamal-smith.md", ["Jamal Smith"])).toBe("feedback-essay-by.md");
    expect(nameFreeFilename("lesson-plan-solar-system.md", [])).toBe("lesson-plan-solar-system.md");
    expect(nameFreeFilename("maria.md", ["Maria"])).toBe("document.md");
  });

  it("finds the names to hide in a run's name inputs and, through the privacy layer, in its titles", async () => {
    const letter: RenderedDocument = {
      title: "Message to families: Maria Lopez reading progress",
      markdown: "# Message",
      filename: "parent-message-maria-lopez-reading-progress.md",
    };
    const names = await namesToHide(letter, { studentName: "Jamal Smith", purpose: "x" });
    expect(names).toEqual(expect.arrayContaining(["Jamal Smith", "Maria Lopez"]));
    const out = await documentOf(letter, undefined, { names });
    expect(out.filename).toBe("parent-message-reading-progress.md");
    expect(out.files?.map((f) => f.filename)).toEqual(["parent-message-reading-progress.docx"]);
    expect(out.link).toBeUndefined();
  });

  it("hides what the privacy layer recorded for the run: its placeholder map and the rosters", async () => {
    const privacy = new PrivacyStore(new Keyv());
    await privacy.putMap({
      executionId: "run1",
      userId: "t1",
      entries: [
        { placeholder: "[STUDENT_1]", kind: "STUDENT", value: "Maria", forms: ["Maria", "Maria's"] },
        { placeholder: "[EMAIL_1]", kind: "EMAIL", value: "a@b.org", forms: ["a@b.org"] },
      ],
      updatedAt: 0,
    });
    await privacy.putRoster({ userId: "t1", names: ["Kofi Mensah"], source: "class.csv", updatedAt: 0 });
    await privacy.putRoster({ userId: SCHOOL_ROSTER, names: ["Ana Pereira"], source: "school.csv", updatedAt: 0 });
    const known = await knownNames(privacy)("run1", "t1");
    expect(known).toEqual(expect.arrayContaining(["Maria", "Maria's", "Kofi Mensah", "Ana Pereira"]));
    expect(known).not.toContain("a@b.org");
    // "Maria's" in a title the name finder does not catch is still kept out of the file name.
    const letter: RenderedDocument = {
      title: "Message to families: Maria's reading",
      markdown: "# M",
      filename: "parent-message-marias-reading.md",
    };
    const out = await documentOf(letter, undefined, { names: await namesToHide(letter, {}, known) });
    expect(out.files?.[0]?.filename).toBe("parent-message-reading.docx");
  });

  it("lays a multiple-choice question's options out as one list of siblings, in Word and in HTML (QA D7)", async () => {
    const markdown =
      "## Questions\n**1.** Which is bigger? _(1 point)_\n   - A. 1/2\n   - B. 1/3\n   - C. 1/4\n   - D. 1/5\n\n**2.** Explain.";
    const copy: RenderedDocument = { title: "Student copy: Fractions", markdown, filename: "assessment-student-copy-fractions.md" };
    const [file] = await documentFiles(copy);
    const options = (await readDocx(file!.bytes)).paragraphs.filter((p) => p.list);
    expect(options.map((p) => [p.text, p.list?.level])).toEqual([
      ["A. 1/2", 0],
      ["B. 1/3", 0],
      ["C. 1/4", 0],
      ["D. 1/5", 0],
    ]);
    const [html] = await documentFiles(copy, { format: "html" });
    const page = Buffer.from(html!.bytes).toString("utf8");
    expect(page).toContain("<ul><li>A. 1/2</li><li>B. 1/3</li><li>C. 1/4</li><li>D. 1/5</li></ul>");
  });

  it("gives a table's columns room in proportion to what they hold, and names staffroom as the last editor (QA D7)", async () => {
    const why = "B is the accurate statement; the other options target a misconception, a true but irrelevant fact and a near-miss idea.";
    const markdown = `## Answers\n\n| # | Answer | Points | Standard | Why |\n| ---: | --- | ---: | --- | --- |\n| 1 | B | 1 |  | ${why} |\n| 2 | A | 1 |  | ${why} |`;
    const [file] = await documentFiles({ title: "Answer key: Fractions", markdown, filename: "assessment-answer-key-fractions.md" });
    const zip = await JSZip.loadAsync(file!.bytes);
    const xml = await zip.file("word/document.xml")!.async("string");
    const grid = [...xml.matchAll(/<w:gridCol w:w="(\d+)"\/>/g)].map((m) => Number(m[1]));
    expect(grid).toHaveLength(5);
    const [hash, answer, points, standard, because] = grid as [number, number, number, number, number];
    expect(because).toBeGreaterThan(3 * Math.max(hash, answer, points, standard));
    expect(grid.reduce((a, w) => a + w, 0)).toBeLessThanOrEqual(9026);
    expect(await zip.file("docProps/core.xml")!.async("string")).toContain("<cp:lastModifiedBy>staffroom</cp:lastModifiedBy>");
  });
});
