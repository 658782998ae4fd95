// Offline drafts for the lesson plan's agent steps: deterministic, built from the teacher's answers, and
// complete enough to teach from after review. They see the same mapped inputs the model would.
import { gradeLabel } from "../fields.ts";
import type { GroundedStandards } from "../standards/match.ts";
import { splitList, topicPhrase } from "../text.ts";
import type { Drafter } from "../types.ts";
import {
  CONTENT,
  type Content,
  DIFFERENTIATION,
  type Differentiation,
  OUTLINE,
  type Outline,
  SECTION_KEYS,
  SECTION_WEIGHTS,
} from "./schemas.ts";
import { STRUCTURES, structureFor } from "./structure.ts";
import { allocateMinutes } from "./timing.ts";

const str = (v: unknown, fallback = ""): string => (typeof v === "string" && v.trim() ? v.trim() : fallback);

/** First clause of a standard's text, lower-cased at the start, for use inside a sentence. */
function clause(text: string): string {
  const first = text.split(/(?<=[.;])\s/)[0] ?? text;
  const trimmed = first.replace(/[.;]$/, "");
  return trimmed.charAt(0).toLowerCase() + trimmed.slice(1);
}

export const draftOutline: Drafter = (vars): Outline => {
  const topic = topicPhrase(str(vars.topic, "the topic"));
  const subject = str(vars.subject, "the subject");
  const duration = typeof vars.duration === "number" ? vars.duration : 45;
  const standards = (vars.standards as GroundedStandards | undefined)?.standards ?? [];
  const given = splitList(str(vars.objectives));
  const objectives =
    given.length > 0
      ? given.slice(0, 5).map((o) => (/^students? (will|can)/i.test(o) ? o : `Students will ${o.charAt(0).toLowerCase()}${o.slice(1)}`))
      : [
          `Students will explain the key idea of ${topic} in their own words, using accurate ${subject.toLowerCase()} vocabulary.`,
          `Students will apply what they learned about ${topic} to a new example with a partner.`,
          "Students will show their understanding on a short exit ticket.",
        ];
  for (const s of standards.slice(0, 2)) objectives.push(`Students will work toward ${s.code}: ${clause(s.description)}.`);
  const materials = [
    ...splitList(str(vars.materials), true),
    `Board or slides with the lesson question, key vocabulary and one worked example on ${topic}`,
    `Practice sheet with 6-8 tasks on ${topic}, ordered from easier to harder`,
    "Exit ticket slips (or a short online form)",
  ];
  const minutes = allocateMinutes(
    duration,
    SECTION_KEYS.map((k) => SECTION_WEIGHTS[k]),
  );
  const focus: Record<(typeof SECTION_KEYS)[number], string> = {
    "warm-up": `Hook: a quick question or image about ${topic} to surface what students already know.`,
    "direct-instruction": `Introduce the key idea and vocabulary of ${topic}, then model one example thinking aloud.`,
    "guided-practice": "Work through examples together, moving from teacher-led to pairs.",
    "independent-practice": "Students apply the idea on their own, with a challenge task for early finishers.",
    "exit-ticket": "Two or three quick questions that check each objective.",
  };
  const structure = STRUCTURES[structureFor(subject, str(vars.topic))];
  return {
    title: `${str(vars.topic, "Lesson")} (${gradeLabel(vars.grade)} ${subject})`,
    structure: { name: structure.name, why: `It suits ${structure.fits}.` },
    objectives,
    successCriteria: objectives.map((o) => [`I can ${firstPerson(o.replace(/^students? will\s+/i, "").replace(/\.$/, ""))}.`]),
    vocabulary: [
      { term: topic, meaning: `The lesson's key idea; write a student-friendly definition of ${topic} on the board.` },
      { term: "evidence", meaning: "Facts, data or examples that show an idea is true." },
      { term: "explain", meaning: "Say how or why something happens, step by step." },
    ],
    misconceptions: [
      {
        misconception: `Students may hold an everyday idea about ${topic} that is only partly right.`,
        correction: "Surface it in the warm-up, test it against an example in direct instruction, and revisit it at the exit ticket.",
      },
    ],
    materials,
    sections: SECTION_KEYS.map((key, i) => ({ key, phase: structure.phases[key], minutes: minutes[i]!, focus: focus[key] })),
  };
};

/** "explain in their own words what they learned" -> "explain in my own words what I learned". */
function firstPerson(text: string): string {
  return text
    .replace(/\btheir\b/g, "my")
    .replace(/\bthey\b/g, "I")
    .replace(/\bthemselves\b/g, "myself");
}

export const draftContent: Drafter = (vars): Content => {
  const topic = topicPhrase(str(vars.topic, "the topic"));
  const subject = str(vars.subject, "the subject").toLowerCase();
  const outline = vars.outline as Outline | undefined;
  const objectives = outline?.objectives ?? [];
  return {
    warmUp: {
      summary: `Open with the lesson question about ${topic}. Students think alone, then share with a partner.`,
      teacher: [
        `Post the question: "What do you already know or wonder about ${topic}?"`,
        "Give 1 minute of silent think time before partners talk.",
        "Collect 3-4 answers and note ideas and misconceptions on the board to revisit later.",
      ],
      students: ["Write one thing they know and one question they have.", "Share with a partner, then listen for a new idea."],
      check: "Listen to three pairs: note any misconception to address in direct instruction.",
    },
    directInstruction: {
      summary: `Teach the core idea of ${topic} in short chunks, checking for understanding after each.`,
      teacher: [
        `Introduce 3-5 key ${subject} terms with a visual for each.`,
        `Model one worked example, thinking aloud about each step and why.`,
        "Pause after each chunk for a quick check (thumbs, mini whiteboards or a cold-call question).",
        "Link back to the warm-up ideas and correct misconceptions explicitly.",
      ],
      students: ["Take guided notes with the key terms.", "Answer the quick checks on mini whiteboards."],
      check:
        "Mini whiteboards: every student answers one question on the key idea; reteach with a second example if fewer than 80% are right.",
    },
    guidedPractice: {
      summary: "Practise together: I do, we do, you do with a partner.",
      teacher: [
        "Work the first example together as a class.",
        "Pairs try the next two examples while you circulate and give feedback.",
        "Stop the class to share a strong answer and one common error.",
      ],
      students: [`Solve or explain two examples with a partner, taking turns to explain their reasoning.`],
      check: "Circulate with a class list: tick who explains the second example correctly; pull the rest into the support group.",
    },
    independentPractice: {
      summary: "Students practise on their own, with tasks ordered from easier to harder.",
      teacher: [
        "Hand out the practice sheet and read the first task aloud.",
        "Meet with a small group who need more support while others work.",
        "Point early finishers to the challenge task.",
      ],
      students: ["Complete the practice tasks, showing their reasoning.", "Check answers against the success criteria before handing in."],
      check: "Check the first two tasks of each student before they go on.",
    },
    exitTicket: {
      summary: `A short exit ticket checks each objective; sort the slips into "got it", "almost" and "not yet" to plan tomorrow.`,
      // One question per objective, so every objective is tested.
      questions: (objectives.length > 0 ? objectives : [`Students will explain ${topic}.`]).slice(0, 6).map((o, i) => ({
        question:
          i === 0
            ? `In one or two sentences, explain the main idea of ${topic}.`
            : `Show that you can ${firstPerson(o.replace(/^students? will\s+/i, "").replace(/\.$/, ""))}: answer in one or two sentences.`,
        objective: i + 1,
      })),
      successCriteria:
        objectives.length > 0
          ? objectives.slice(0, 3).map((o) => `I can ${firstPerson(o.replace(/^students? will\s+/i, "").replace(/\.$/, ""))}.`)
          : [`I can explain ${topic} in my own words.`],
    },
  };
};

export const draftDifferentiation: Drafter = (vars): Differentiation => {
  const topic = topicPhrase(str(vars.topic, "the topic"));
  const profile = str(vars.classProfile).toLowerCase();
  const languages = /\(([^)]+)\)/.exec(str(vars.classProfile))?.[1];
  const ell = [
    `Pre-teach the key vocabulary for ${topic} with pictures and gestures.`,
    'Provide sentence frames for partner talk and the exit ticket, e.g. "I think ... because ...".',
    "Pair English learners with a supportive partner and allow drawing or labelled diagrams as answers.",
  ];
  if (languages) ell.push(`Offer a glossary of key terms in ${languages}.`);
  const content = vars.content as Content | undefined;
  const task = content?.independentPractice.students[0];
  const practice = task ? `the independent practice ("${task}")` : "the independent practice";
  const support = [
    "Give a partially completed example and a checklist of steps.",
    `Chunk ${practice} into smaller sets and check in after the first two tasks.`,
    "Read task directions aloud and allow extra time.",
  ];
  if (/iep|504|accommodat/.test(profile))
    support.push("Apply the accommodations in students' IEP/504 plans (e.g. read-aloud, extended time, reduced items).");
  const extension = [
    `Challenge task: create their own example or question about ${topic} and explain the answer.`,
    `Connect ${topic} to a real-world situation and justify the connection in writing.`,
  ];
  if (/advanced|gifted|high/.test(profile)) extension.push("Let advanced learners lead a short explanation for their group.");
  return { ell, support, extension };
};

export const lessonPlanDrafters: Record<string, Drafter> = {
  [OUTLINE]: draftOutline,
  [CONTENT]: draftContent,
  [DIFFERENTIATION]: draftDifferentiation,
};
