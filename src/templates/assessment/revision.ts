// A revised assessment's student copy and answer key, made from the revised version's own sections, so
// they follow the revised questions (pure). The student copy keeps each question's prompt, points and
// choices and drops its type, DOK and standard; the answer key copies the revised answers and rubric.

import type { ExecutionView } from "../../engine/records.ts";
import { filenameFor, oneLine } from "../markdown.ts";
import { splitSections } from "../revision/sections.ts";
import type { RenderedDocument } from "../types.ts";
import { answerKeyPage, studentCopyPage, studentQuestion } from "./render.ts";

/** Sections a revision changes together: the answer key follows the questions (and the other way round). */
export const ASSESSMENT_COUPLED = [["Questions", "Answer key"]];

type ParsedQuestion = { n: string; prompt: string; points: number; extended: boolean; choices: string[] };

/** The questions of an assessment's "Questions" section: `**n.** prompt`, an italic facts line, choices. */
export function parseQuestions(body: string): ParsedQuestion[] {
  const out: ParsedQuestion[] = [];
  for (const line of body.split("\n")) {
    const q = /^\*\*(\d+)\.\*\*\s*(.+?)\s*$/.exec(line);
    if (q) {
      out.push({ n: q[1]!, prompt: q[2]!, points: 0, extended: false, choices: [] });
      continue;
    }
    const last = out.at(-1);
    if (!last) continue;
    const facts = /^_(.+)_\s*$/.exec(line.trim());
    if (facts && last.points === 0) {
      last.points = Number(/(\d+)\s*points?/i.exec(facts[1]!)?.[1] ?? 0);
      last.extended = /extended/i.test(facts[1]!);
      continue;
    }
    const choice = /^\s*-\s+([A-F]\.\s*.+)$/.exec(line);
    if (choice) last.choices.push(choice[1]!.trim());
    else if (line.trim() && last.choices.length === 0 && last.points === 0) last.prompt = `${last.prompt} ${line.trim()}`;
  }
  return out;
}

export function revisedCompanions(markdown: string, view: ExecutionView, base: RenderedDocument | undefined): RenderedDocument[] {
  const inputs = view.inputs as Record<string, unknown>;
  const topic = oneLine(String(inputs.topic ?? /^# Assessment: (.+)$/m.exec(markdown)?.[1] ?? "Assessment"));
  const sections = splitSections(markdown).sections;
  const body = (heading: string) => sections.find((s) => s.heading === heading)?.body ?? "_Not drafted._";
  const questions = parseQuestions(body("Questions"));
  const total = questions.reduce((a, q) => a + q.points, 0);
  const student = studentCopyPage(
    topic,
    inputs,
    total,
    questions.map((q) => studentQuestion({ ...q, prompt: q.prompt.replace(/\s+$/, "") })),
  );
  const key = answerKeyPage(topic, total, {
    standards: body("Standards assessed"),
    answers: body("Answer key"),
    rubric: body("Rubric"),
  });
  const [studentBase, keyBase] = base?.companions ?? [];
  return [
    {
      title: studentBase?.title ?? `Student copy: ${topic}`,
      markdown: student,
      filename: studentBase?.filename ?? filenameFor("assessment-student-copy", topic),
    },
    {
      title: keyBase?.title ?? `Answer key: ${topic}`,
      markdown: key,
      filename: keyBase?.filename ?? filenameFor("assessment-answer-key", topic),
    },
  ];
}
