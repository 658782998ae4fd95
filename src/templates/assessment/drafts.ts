// Offline drafts for the assessment: a deterministic mix of question types and DOK levels built from the
// topic and the grounded standards, an answer key with scoring notes, and a four-level rubric.
import { gradeLabel } from "../fields.ts";
import type { GroundedStandards } from "../standards/match.ts";
import { topicPhrase } from "../text.ts";
import type { Drafter } from "../types.ts";
import { type CountedQuestions, QUESTIONS, type Question, type Questions, type QuestionType, RUBRIC, type Rubric } from "./schemas.ts";

const POINTS: Record<QuestionType, number> = { "multiple-choice": 1, "short-answer": 2, "extended-response": 4 };

/** Question types in test order: about 60% multiple choice, 30% short answer, 10% extended response. */
export function typeSchedule(count: number, types: string | undefined): QuestionType[] {
  if (types && types !== "mixed") return Array.from({ length: count }, () => types as QuestionType);
  const er = count >= 4 ? Math.max(1, Math.round(count * 0.1)) : 0;
  const sa = count >= 2 ? Math.max(1, Math.round(count * 0.3)) : 0;
  const mc = Math.max(0, count - er - sa);
  return [
    ...Array.from({ length: mc }, () => "multiple-choice" as const),
    ...Array.from({ length: sa }, () => "short-answer" as const),
    ...Array.from({ length: er }, () => "extended-response" as const),
  ];
}

function dokFor(type: QuestionType, index: number, level: string | undefined): number {
  const fixed = /^dok([1-4])$/.exec(level ?? "");
  if (fixed) return Number(fixed[1]);
  if (type === "multiple-choice") return index % 2 === 0 ? 1 : 2;
  if (type === "short-answer") return index % 2 === 0 ? 2 : 3;
  return 3;
}

const LETTERS = ["A", "B", "C", "D", "E", "F"];

function firstSentence(text: string): string {
  const s = (text.split(/(?<=\.)\s/)[0] ?? text).trim();
  return s.endsWith(".") ? s : `${s}.`;
}

export const draftQuestions: Drafter = (vars): Questions => {
  const topic = topicPhrase(String(vars.topic ?? "the topic"));
  const count = Math.min(30, Math.max(1, Number(vars.count) || 5));
  const standards = (vars.standards as GroundedStandards | undefined)?.standards ?? [];
  const schedule = typeSchedule(count, typeof vars.types === "string" ? vars.types : undefined);
  const level = typeof vars.level === "string" ? vars.level : undefined;
  const seen: Record<QuestionType, number> = { "multiple-choice": 0, "short-answer": 0, "extended-response": 0 };

  const mcStems = [
    `Which statement best describes ${topic}?`,
    `Which example best shows ${topic}?`,
    `A classmate made a mistake about ${topic}. Which statement correctly fixes it?`,
    `Which word or phrase best completes this sentence about ${topic}: "The most important idea is ___"?`,
  ];
  const saStems = [
    `In 2-3 sentences, explain the key idea of ${topic}. Include one example.`,
    `Describe a common mistake people make with ${topic} and explain how to avoid it.`,
    `Compare two ideas or examples from ${topic}. How are they alike and how are they different?`,
  ];

  const questions: Question[] = schedule.map((type, i) => {
    const k = seen[type]++;
    const dok = dokFor(type, k, level);
    const standard = standards.length > 0 ? standards[(i + k) % standards.length]! : undefined;
    if (type === "multiple-choice") {
      const correct = (i * 3 + 1) % 4;
      const distractors = [
        `A common misconception about ${topic} (write the wrong idea students often hold)`,
        `A true statement that does not answer the question`,
        `A statement about a related but different idea`,
      ];
      const choices = [...distractors];
      choices.splice(correct, 0, `The accurate statement about ${topic} (write the correct answer here)`);
      return {
        type,
        dok,
        prompt: mcStems[k % mcStems.length]!,
        choices,
        answer: LETTERS[correct]!,
        explanation: `${LETTERS[correct]} is the accurate statement; the other options target a misconception, a true but irrelevant fact and a near-miss idea.`,
        misconceptions: [
          `Holds the everyday idea about ${topic} that is only partly right.`,
          "Picks a true fact without checking it answers the question.",
          "Confuses this idea with a related one.",
        ],
        points: POINTS[type],
        standard: standard?.code ?? "",
      };
    }
    if (type === "short-answer") {
      return {
        type,
        dok,
        prompt: saStems[k % saStems.length]!,
        choices: [],
        answer: `Full credit (2 points): states the key idea of ${topic} accurately, gives a correct example, and uses subject vocabulary. 1 point: the idea is partly correct or the example is missing.`,
        explanation: "Look for accurate vocabulary and an example the student chose themselves, not one copied from class notes.",
        misconceptions: [`Restates the definition of ${topic} without an example.`],
        points: POINTS[type],
        standard: standard?.code ?? "",
      };
    }
    const task = standard
      ? `${firstSentence(standard.description)} Use what you learned about ${topic}, and support your answer with evidence or worked examples.`
      : `Write a well-organised response about ${topic}: explain the main idea, apply it to a new situation, and justify your reasoning with at least two pieces of evidence or examples.`;
    return {
      type,
      dok,
      prompt: task,
      choices: [],
      answer:
        "Score with the rubric. A strong answer states a clear claim, applies the idea correctly to a new case, and explains each step of the reasoning with evidence.",
      explanation: "Use the rubric's criteria; note which criterion held the answer back when giving feedback.",
      misconceptions: ["Applies the idea to the familiar case from class instead of the new one."],
      points: POINTS[type],
      standard: standard?.code ?? "",
    };
  });
  return { questions };
};

export const draftRubric: Drafter = (vars): Rubric => {
  const topic = topicPhrase(String(vars.topic ?? "the topic"));
  const grade = gradeLabel(vars.grade);
  const counted = vars.questions as CountedQuestions | undefined;
  const scored = counted?.scored ?? [];
  const standard = counted?.questions.find((q) => q.standard)?.standard ?? "";
  const about = { questions: scored, standard };
  const levels = (best: string, meets: string, approaching: string, beginning: string) => [
    { label: "Exceeds", points: 4, descriptor: best },
    { label: "Meets", points: 3, descriptor: meets },
    { label: "Approaching", points: 2, descriptor: approaching },
    { label: "Beginning", points: 1, descriptor: beginning },
  ];
  return {
    criteria: [
      {
        ...about,
        name: "Understanding of the key ideas",
        description: `Accuracy of what the student says about ${topic}.`,
        levels: levels(
          "All ideas are accurate and connected; explains why, not only what.",
          "Key ideas are accurate with at most a minor slip.",
          "Some ideas are accurate; one important misconception remains.",
          "Ideas are mostly inaccurate or missing.",
        ),
      },
      {
        ...about,
        name: "Reasoning and evidence",
        description: "How well answers are justified with evidence, examples or steps.",
        levels: levels(
          "Every claim is supported with well-chosen evidence; reasoning is complete and clear.",
          "Claims are supported with relevant evidence; reasoning has no gaps that matter.",
          "Evidence is thin or only partly relevant; some steps are missing.",
          "Little or no evidence; reasoning is hard to follow.",
        ),
      },
      {
        ...about,
        name: "Communication and vocabulary",
        description: `Clarity of writing and use of ${grade}-appropriate subject vocabulary.`,
        levels: levels(
          "Precise vocabulary used naturally; the answer is organised and easy to follow.",
          "Correct vocabulary; the answer is clear.",
          "Vocabulary is sometimes vague or misused; the answer is partly organised.",
          "Vocabulary is missing or incorrect; the answer is hard to follow.",
        ),
      },
    ],
  };
};

export const assessmentDrafters: Record<string, Drafter> = { [QUESTIONS]: draftQuestions, [RUBRIC]: draftRubric };
