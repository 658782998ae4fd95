// Every built-in document exported as Word, printable HTML and Markdown from a real offline run; each .docx
// is unzipped and its XML parsed to check heading styles, tables, Word lists and the words themselves.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportDocument, exportWithCompanions, formatOfPath, parseMarkdown, toHtml } from "../../src/documents/index.ts";
import { createOfflineProvider } from "../../src/model/offline.ts";
import { builtinTemplates, loadStandards, offlineDrafters, SAMPLE_STANDARDS_DIR, type Template } from "../../src/templates/index.ts";
import { type Harness, harness, headings } from "../templates/helpers.ts";
import { type DocxTable, headingsOf, readDocx } from "./docx-reader.ts";

let templates: Template[];
let h: Harness;
const template = (id: string) => templates.find((t) => t.id === id)!;

beforeAll(async () => {
  templates = builtinTemplates((await loadStandards(SAMPLE_STANDARDS_DIR)).set);
  h = await harness(templates, createOfflineProvider({ drafters: offlineDrafters(templates) }));
});
afterAll(async () => {
  await h.close();
});

const lessonInputs = {
  grade: "5",
  subject: "Science",
  topic: "Why shadows change length during the day",
  duration: "45",
  classProfile: "3 English learners (Spanish); 2 students with IEPs",
  materials: "Flashlights; globes",
};

describe("Word export", () => {
  it("a lesson plan has its headings as Word headings, the timing as a table adding up, and lists as Word lists", async () => {
    const view = await h.run("lesson-plan", lessonInputs);
    const doc = template("lesson-plan").render(view);
    const file = await exportDocument(doc, "docx");
    expect(file.filename).toBe("lesson-plan-why-shadows-change-length-during-the-day.docx");
    expect(file.mime).toContain("wordprocessingml");
    const word = await readDocx(file.bytes);
    expect(word.title).toBe(doc.title);
    expect(headingsOf(word, "Heading1")).toEqual([doc.markdown.split("\n")[0]!.replace(/^# /, "")]);
    // Every ## heading of the Markdown is a Heading2 in Word, in the same order (### likewise).
    const md = headings(doc.markdown);
    expect([...headingsOf(word, "Heading2"), ...headingsOf(word, "Heading3")].sort()).toEqual([...md].sort());
    expect(headingsOf(word, "Heading2")[5]).toBe("Timing");

    const timing = word.tables[0] as DocxTable;
    expect(timing.rows[0]).toEqual(["Section", "Minutes", "Focus"]);
    const body = timing.rows.slice(1, -1);
    expect(body.map((r) => r[0])).toContain("Warm-up");
    expect(body.reduce((a, r) => a + Number(r[1]), 0)).toBe(45);
    expect(timing.rows.at(-1)?.slice(0, 2)).toEqual(["Total", "45"]);

    // Materials are a bulleted Word list with the teacher's items; no Markdown markers leak into the text.
    const listed = word.paragraphs.filter((p) => p.list);
    expect(listed.map((p) => p.text.toLowerCase())).toEqual(expect.arrayContaining(["flashlights", "globes"]));
    expect(word.paragraphs.some((p) => /\*\*|^- |^## /.test(p.text))).toBe(false);
    expect(word.paragraphs.some((p) => p.text.includes("Offline draft."))).toBe(true);
  });

  it("an assessment comes with a student copy without answers and a separate answer key", async () => {
    const view = await h.run("assessment", { grade: "5", subject: "Math", topic: "Adding fractions", questionCount: 6 });
    const doc = template("assessment").render(view);
    const files = await exportWithCompanions(doc, "docx");
    expect(files.map((f) => f.filename)).toEqual([
      "assessment-adding-fractions.docx",
      "assessment-student-copy-adding-fractions.docx",
      "assessment-answer-key-adding-fractions.docx",
    ]);
    const [full, student, key] = await Promise.all(files.map((f) => readDocx(f.bytes)));
    const rubric = full!.tables[0]!;
    expect(rubric.rows[0]).toEqual(["Criterion", "Exceeds", "Meets", "Approaching", "Beginning"]);
    expect(rubric.rows.length).toBeGreaterThan(1);

    const studentText = student!.paragraphs.map((p) => p.text).join("\n");
    expect(headingsOf(student!, "Heading2")).toEqual(["Questions"]);
    expect(student!.tables).toHaveLength(0);
    expect(studentText).not.toMatch(/Answer key|Rubric|DOK|Why/);
    expect(studentText.match(/^\d+\. /gm)).toHaveLength(6);
    expect(studentText).toContain("Name:");

    const keyTable = key!.tables[0]!;
    expect(keyTable.rows[0]).toEqual(["#", "Answer", "Points", "Standard", "Why"]);
    expect(keyTable.rows).toHaveLength(7);
    const total = Number(/Total points: (\d+)/.exec(key!.paragraphs.map((p) => p.text).join("\n"))?.[1]);
    expect(keyTable.rows.slice(1).reduce((a, r) => a + Number(r[2]), 0)).toBe(total);
    expect(headingsOf(key!, "Heading2")).toEqual(["Standards assessed", "Answers", "Rubric"]);
    // Multiple-choice answers in the key are the letters of options the student copy shows.
    const mc = keyTable.rows.slice(1).filter((r) => /^[A-F]$/.test(r[1] ?? ""));
    expect(mc.length).toBeGreaterThan(0);
  });

  it("feedback and parent messages open as Word documents with their sections", async () => {
    const fb = await h.run("student-feedback", {
      studentName: "Maria Garcia",
      assignment: "Persuasive paragraph about lunch",
      studentWork: "I think lunch should be longer because we don't have time to eat. Also the line is long.",
    });
    const fword = await readDocx((await exportDocument(template("student-feedback").render(fb), "docx")).bytes);
    expect(headingsOf(fword, "Heading2")).toEqual(["Strengths", "Next steps", "Message to the student", "Quality checks"]);
    expect(fword.paragraphs.map((p) => p.text).join("\n")).toContain("Maria");

    const pm = await h.run("parent-message", { purpose: "Invite families to the science fair", keyPoints: "May 14, 5-7pm in the gym" });
    const pword = await readDocx((await exportDocument(template("parent-message").render(pm), "docx")).bytes);
    expect(headingsOf(pword, "Heading2")).toEqual(["Message (English)", "Quality checks"]);
    expect(pword.paragraphs.map((p) => p.text).join("\n")).toContain("May 14, 5-7pm");
  });

  it("numbered lists restart at 1 in each list, and bold labels stay bold", async () => {
    const md = "# T\n\n## A\n1. one\n2. two\n\n**Teacher**\n\n## B\n1. again\n";
    const word = await readDocx((await exportDocument({ title: "T", markdown: md, filename: "t.md" }, "docx")).bytes);
    const listed = word.paragraphs.filter((p) => p.list);
    expect(listed.map((p) => p.text)).toEqual(["one", "two", "again"]);
    expect(listed[0]!.list!.numId).toBe(listed[1]!.list!.numId);
    expect(listed[2]!.list!.numId).not.toBe(listed[0]!.list!.numId);
    expect(word.paragraphs.find((p) => p.text === "Teacher")?.bold).toBe(true);
  });
});

describe("HTML and Markdown export", () => {
  it("the printable page has the same headings and tables and escapes everything the model wrote", async () => {
    const view = await h.run("lesson-plan", { ...lessonInputs, topic: "Shadows <script>alert(1)</script> & light" });
    const doc = template("lesson-plan").render(view);
    const html = (await exportDocument(doc, "html")).bytes.toString("utf8");
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toContain("<script>");
    expect(html).toContain("&lt;script&gt;");
    expect(html).toContain("<h2>Timing</h2>");
    expect(html).toContain("<th>Section</th>");
    expect(html).toContain("@media print");
    for (const heading of headings(doc.markdown)) expect(html).toContain(`>${heading.replace("/", "/")}</h`);
    const md = await exportDocument(doc, "md");
    expect(md.bytes.toString("utf8")).toBe(doc.markdown);
    expect(md.filename.endsWith(".md")).toBe(true);
  });

  it("picks the format from the file name", () => {
    expect(formatOfPath("plan.docx")).toBe("docx");
    expect(formatOfPath("out/Plan.HTML")).toBe("html");
    expect(formatOfPath("plan.htm")).toBe("html");
    expect(formatOfPath("plan.markdown")).toBe("md");
    expect(formatOfPath("plan.pdf")).toBeUndefined();
    expect(formatOfPath("plan")).toBeUndefined();
  });

  it("parses emphasis, escaped pipes, blank answer lines and nested choices", () => {
    const blocks = parseMarkdown("**1.** Pick one _(1 point)_\n   - A. x\n   - B. y\n\n| a | b |\n| --- | ---: |\n| p\\|q | 3 |\n\n______");
    expect(blocks.map((b) => b.kind)).toEqual(["paragraph", "list", "table", "paragraph"]);
    const p = blocks[0] as Extract<(typeof blocks)[number], { kind: "paragraph" }>;
    expect(p.lines[0]).toEqual([{ text: "1.", bold: true }, { text: " Pick one " }, { text: "(1 point)", italic: true }]);
    const t = blocks[2] as Extract<(typeof blocks)[number], { kind: "table" }>;
    expect(t.rows[0]![0]).toEqual([[{ text: "p|q" }]]);
    expect(t.numeric).toEqual([false, true]);
    expect((blocks[3] as { lines: unknown[] }).lines).toEqual([[{ text: "______" }]]);
    expect(toHtml("x", blocks)).toContain('<td class="num">3</td>');
  });
});
