// Every built-in template end to end through the real engine with the offline provider: the document a
// teacher gets without a key has the stable headings, timing that adds up, grounded codes and no names lost.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOfflineProvider } from "../../src/model/offline.ts";
import {
  builtinTemplates,
  EMPTY_STANDARDS,
  loadStandards,
  offlineDrafters,
  SAMPLE_STANDARDS_DIR,
  type StandardsSet,
  type Template,
} from "../../src/templates/index.ts";
import { type Harness, harness, headings, timingTable } from "./helpers.ts";

const LESSON_HEADINGS = [
  "Standards addressed",
  "Learning objectives",
  "Key vocabulary",
  "Common misconceptions",
  "Materials",
  "Timing",
  "Warm-up",
  "Direct instruction",
  "Guided practice",
  "Independent practice",
  "Assessment / exit ticket",
  "Differentiation",
  "English learners",
  "Additional support",
  "Extension",
];
const CODE_LIKE = /(?<![A-Za-z0-9.-])(?:[A-Z0-9]{1,12}[.-]){2,}[A-Z0-9]{1,12}(?![A-Za-z0-9-])/g;

let standards: StandardsSet;
let templates: Template[];
let h: Harness;
const template = (id: string) => templates.find((t) => t.id === id)!;

beforeAll(async () => {
  standards = (await loadStandards(SAMPLE_STANDARDS_DIR)).set;
  templates = builtinTemplates(standards);
  h = await harness(templates, createOfflineProvider({ drafters: offlineDrafters(templates) }));
});
afterAll(async () => {
  await h.close();
});

describe("lesson plan (offline)", () => {
  it("grounds standards in the loaded set, fits the timing and renders every heading", async () => {
    const view = await h.run("lesson-plan", {
      grade: "5th grade",
      subject: "Science",
      topic: "Why shadows change length during the day",
      duration: "37 min",
      classProfile: "3 English learners (Spanish, Arabic); 2 students with IEPs; a few advanced learners",
      materials: "Flashlights; globes",
    });
    expect(view.status).toBe("completed");
    expect(view.provider).toBe("offline");
    const doc = template("lesson-plan").render(view);
    expect(doc.filename).toBe("lesson-plan-why-shadows-change-length-during-the-day.md");
    expect(headings(doc.markdown)).toEqual([...LESSON_HEADINGS, "Quality checks"]);
    expect(doc.markdown).toContain("**Offline draft.**");

    const { rows, total } = timingTable(doc.markdown);
    expect(rows).toHaveLength(5);
    expect(rows.reduce((a, m) => a + m, 0)).toBe(37);
    expect(total).toBe(37);

    // Every code in the document exists in the loaded set, quoted with the set's own text.
    const cited = [...new Set(doc.markdown.match(CODE_LIKE) ?? [])];
    expect(cited).toContain("5-ESS1-2");
    for (const code of cited) expect(standards.byCode.has(code.toUpperCase()), code).toBe(true);
    expect(doc.markdown).toContain(`**5-ESS1-2** (NGSS): ${standards.byCode.get("5-ESS1-2")!.description}`);

    expect(doc.markdown).toMatch(/Offer a glossary of key terms in Spanish, Arabic\./);
    expect(doc.markdown).toMatch(/IEP\/504/);
    expect(doc.markdown).toMatch(/- Flashlights\n- Globes|- Flashlights\n- globes/);

    const steps = view.nodes
      .map((n) => (n.status === "completed" ? template("lesson-plan").renderStep?.(n.nodeId, n.output) : undefined))
      .filter(Boolean);
    expect(steps).toContain("Standards: **5-ESS1-2** (from the loaded set).");
    expect(steps.some((s) => /^Outline \(5E inquiry: Engage \d+ min · Explore \d+ min/.test(s!))).toBe(true);
    expect(steps.some((s) => /^Differentiation: 4 ideas for English learners, 4 for support, 3 for extension\.$/.test(s!))).toBe(true);
    // Differentiation names the content's own tasks.
    expect(doc.markdown).toMatch(/independent practice \("Complete the practice tasks, showing their reasoning\."\)/);
  });

  it("differentiation runs after content (it adapts the actual tasks)", () => {
    const def = template("lesson-plan").workflow.definition;
    expect(def.nodes.find((n) => n.id === "timing")?.next).toEqual(["content"]);
    expect(def.nodes.find((n) => n.id === "content")?.next).toEqual(["differentiation"]);
    const diff = def.nodes.find((n) => n.id === "differentiation");
    expect(diff?.kind === "agent" && diff.in).toMatchObject({ content: "nodes.content", classProfile: "inputs.classProfile" });
  });

  it("picks a structure that fits the subject: 5E for science, a workshop for writing, worked examples for math", async () => {
    const runs = await Promise.all([
      h.run("lesson-plan", { grade: "5", subject: "Science", topic: "Why shadows change", duration: "45" }),
      h.run("lesson-plan", { grade: "5", subject: "ELA", topic: "Writing a persuasive paragraph", duration: "45" }),
      h.run("lesson-plan", { grade: "5", subject: "Math", topic: "Adding fractions", duration: "45" }),
    ]);
    const docs = runs.map((v) => template("lesson-plan").render(v).markdown);
    expect(docs[0]).toContain("**Structure:** 5E inquiry");
    expect(docs[0]).toContain("| Warm-up | 5 | **Engage:**");
    expect(docs[1]).toContain("**Structure:** Workshop");
    expect(docs[1]).toContain("**Mini-lesson:**");
    expect(docs[2]).toContain("**Structure:** Worked examples");
    // Every objective has success criteria and is tested by the exit ticket.
    for (const doc of docs) {
      const objectives = (
        doc
          .split("## Learning objectives\n")[1]!
          .split("\n## ")[0]!
          .match(/^\d+\. /gm) ?? []
      ).length;
      expect(objectives).toBeGreaterThan(1);
      const exit = doc.split("## Assessment / exit ticket\n")[1]!.split("\n## ")[0]!;
      const tested = new Set([...exit.matchAll(/\(objective (\d+)\)/g)].map((m) => Number(m[1])));
      expect(tested.size).toBe(objectives);
      expect(doc.match(/\*\*Check for understanding:\*\*/g)).toHaveLength(4);
    }
  });

  it("names standards to confirm in words, without any code, when no set is loaded", async () => {
    const bare = builtinTemplates(EMPTY_STANDARDS);
    const run = await harness(bare, createOfflineProvider({ drafters: offlineDrafters(bare) }));
    try {
      const view = await run.run("lesson-plan", {
        grade: "Year 7",
        subject: "Maths",
        topic: "Ratios in recipes",
        duration: "1 hour",
        language: "spanish",
      });
      expect(view.status).toBe("completed");
      const doc = bare.find((t) => t.id === "lesson-plan")!.render(view);
      expect(doc.markdown.match(CODE_LIKE)).toBeNull();
      expect(doc.markdown).toContain("No standards set is loaded, so no codes are cited.");
      expect(doc.markdown).toContain("grade 6 Maths standard that covers ratios in recipes");
      expect(doc.markdown).toContain("**Language:** Spanish");
      expect(doc.markdown).toContain("Offline drafts are written in English");
      expect(timingTable(doc.markdown).total).toBe(60);
    } finally {
      await run.close();
    }
  });
  it("cites nothing when the teacher asks for no standards", async () => {
    const view = await h.run("lesson-plan", {
      grade: "3",
      subject: "Science",
      topic: "Balanced forces",
      duration: 30,
      standardsFramework: "No standards",
    });
    expect(view.inputs.standardsFramework).toBe("none");
    const doc = template("lesson-plan").render(view);
    expect(doc.markdown).toContain("## Standards addressed\n_No standards requested._");
    expect(doc.markdown.match(CODE_LIKE)).toBeNull();
  });
});

describe("assessment (offline)", () => {
  it("writes the requested number of questions with an answer key and a rubric", async () => {
    const view = await h.run("assessment", {
      grade: "5",
      subject: "Math",
      topic: "Adding fractions with unlike denominators",
      questionCount: 7,
    });
    expect(view.status).toBe("completed");
    const doc = template("assessment").render(view);
    expect(headings(doc.markdown)).toEqual(["Standards assessed", "Questions", "Answer key", "Rubric", "Quality checks"]);
    const questions = doc.markdown.match(/^\*\*\d+\.\*\* /gm) ?? [];
    expect(questions).toHaveLength(7);
    const key = doc.markdown.split("## Answer key\n")[1]!.split("\n## ")[0]!;
    expect(key.match(/^\d+\. /gm)).toHaveLength(7);
    expect(doc.markdown).toMatch(/Multiple choice · DOK [12] · 1 point · 5\.NF\.A\.1/);
    expect(doc.markdown).toMatch(/Extended response · DOK 3 · 4 points/);
    expect(doc.markdown).toContain("| Criterion | Exceeds | Meets | Approaching | Beginning |");
    // The rubric scores the constructed-response questions, and its top levels add up to their points.
    const assembled = view.nodes.find((n) => n.nodeId === "assemble")!.output as {
      questions: { type: string; points: number }[];
      rubric: { criteria: { questions: number[]; levels: { points: number }[] }[] };
    };
    const open = assembled.questions.flatMap((q, i) => (q.type === "multiple-choice" ? [] : [i + 1]));
    const openPoints = open.reduce((a, n) => a + assembled.questions[n - 1]!.points, 0);
    const tops = assembled.rubric.criteria.map((c) => Math.max(...c.levels.map((l) => l.points)));
    expect(tops.reduce((a, t) => a + t, 0)).toBe(openPoints);
    for (const c of assembled.rubric.criteria) expect(c.questions).toEqual(open);
    expect(doc.markdown).toContain(`Rubric total: ${openPoints} points.`);
    expect(doc.markdown).toContain(`_Scores Q${open.join(", Q")}`);
    expect(doc.markdown).toMatch(/Wrong options catch: .*misconception|Wrong options catch: Holds the everyday idea/);
    expect(view.nodes.find((n) => n.nodeId === "top-up")?.status).toBe("skipped");
    expect(doc.markdown).toContain("adding fractions with unlike denominators");
    const total = /\*\*Total points:\*\* (\d+)/.exec(doc.markdown)?.[1];
    expect(Number(total)).toBe(4 * 1 + 2 * 2 + 1 * 4);
  });

  it("honours a single question type and DOK level", async () => {
    const view = await h.run("assessment", {
      grade: "8",
      subject: "Math",
      topic: "Functions",
      questionCount: "3",
      questionTypes: "short answer",
      level: "DOK 3",
    });
    const doc = template("assessment").render(view);
    expect(doc.markdown.match(/_Short answer · DOK 3 · 2 points/g)).toHaveLength(3);
    expect(doc.markdown).not.toMatch(/Multiple choice/);
  });
});

describe("student feedback (offline)", () => {
  const inputs = {
    studentName: "Maria Garcia",
    assignment: "Write a paragraph arguing whether our school should have a longer lunch break, with two reasons.",
    studentWork:
      "By Maria Garcia. I think lunch should be longer because we don't have time to eat and play. Also the line is very long, for example on Monday it took 15 minutes. maria thinks this matters!",
    tone: "formal",
  };

  // The offline model sends nothing anywhere, so names stay in its drafts; the model boundary is tested in test/privacy.
  it("addresses the student by first name", async () => {
    const view = await h.run("student-feedback", inputs);
    expect(view.status).toBe("completed");
    const doc = template("student-feedback").render(view);
    expect(headings(doc.markdown)).toEqual(["Strengths", "Next steps", "Message to the student", "Quality checks"]);
    expect(doc.markdown).toContain("Dear Maria,");
    expect(doc.markdown).not.toContain("[STUDENT]");
    expect(doc.markdown).toContain('"Also the line is very long, for example on Monday it took 15 minutes."');
    expect(doc.filename).not.toMatch(/maria/i);
    expect(view.nodes.find((n) => n.nodeId === "revise")?.status).toBe("skipped");
  });

  it("revises a draft when the chat core passes the previous draft and an instruction", async () => {
    const first = await h.run("student-feedback", { ...inputs, tone: "warm" });
    const previousDraft = template("student-feedback").render(first).markdown;
    const view = await h.run("student-feedback", {
      ...inputs,
      tone: "warm",
      previousDraft,
      revisionInstruction: "Shorter and more formal please, Maria is shy",
    });
    expect(view.status).toBe("completed");
    expect(view.nodes.filter((n) => n.status === "skipped").map((n) => n.nodeId)).toEqual([
      "analyze",
      "compose",
      "restore",
      "restore-check",
      "restore-route",
      "restore-repair",
      "restore-revision-repair",
    ]);
    const doc = template("student-feedback").render(view);
    expect(doc.markdown).toContain("**Revised draft**");
    expect(doc.markdown).toMatch(/## Message to the student\nDear Maria,/);
    expect(doc.markdown.split("## Message to the student")[1]!.length).toBeLessThan(
      previousDraft.split("## Message to the student")[1]!.length,
    );
  });

  it("without a name leaves the placeholder for the teacher to fill in", async () => {
    const view = await h.run("student-feedback", { assignment: "Quiz on fractions", studentWork: "Q1: 4/4, Q2: 1/4, Q3: 3/4" });
    const doc = template("student-feedback").render(view);
    expect(doc.markdown).toContain("Hi [STUDENT],");
    expect(doc.markdown).toContain("You are secure on Q1.");
    expect(doc.markdown).toContain("Revisit Q2.");
  });
});

describe("parent message (offline)", () => {
  it("drafts in English and adds the translation section only when asked", async () => {
    const keyPoints = "Thursday May 14, 5-7pm in the gym; students present their projects; RSVP by May 10";
    const translated = await h.run("parent-message", {
      purpose: "Invite families to the science fair on May 14",
      keyPoints,
      targetLanguage: "spanish",
    });
    expect(translated.nodes.find((n) => n.nodeId === "translate")?.status).toBe("completed");
    const doc = template("parent-message").render(translated);
    expect(headings(doc.markdown)).toEqual(["Message (English)", "Message (Spanish)", "Quality checks"]);
    expect(doc.markdown).toContain("**Subject:** You're invited: the science fair on May 14");
    expect(doc.markdown).toContain("I would like to invite you to the science fair on May 14.");
    expect(doc.markdown).toContain("- Thursday May 14, 5-7pm in the gym");
    expect(doc.markdown).toContain("was not translated into Spanish");

    const english = await h.run("parent-message", {
      purpose: "Reminder about field trip forms",
      keyPoints: "Forms due Friday",
      targetLanguage: "English",
      tone: "formal",
    });
    expect(english.status).toBe("completed");
    expect(english.nodes.find((n) => n.nodeId === "translate")?.status).toBe("skipped");
    expect(headings(template("parent-message").render(english).markdown)).toEqual(["Message (English)", "Quality checks"]);
  });
});
