// The intake, table-driven over the four real templates: what a teacher types (with the command, then
// as answers) and what is stored. Pastes, keys and their synonyms, unknown keys, steering words alone and
// inside content, numbers at choice questions, names that are sentences. Each row is one defect's shape.
import { beforeAll, describe, expect, test } from "vitest";
import { type Answer, answer, type ConversationSpec, startConversation, type Turn } from "../../src/conversation/machine.ts";
import { specOf } from "../../src/conversation/spec.ts";
import { loadTemplates } from "../../src/templates/index.ts";

type Row = {
  /** Template command. */
  t: "lesson-plan" | "assessment" | "feedback" | "parent-message";
  /** Text typed with the command. */
  start: string;
  /** Answers typed (or clicked, as objects) after it. */
  answers?: (string | Answer)[];
  /** Stored values the last turn must hold (the run's values when it ran). */
  values?: Record<string, unknown | RegExp>;
  /** Fields that must not be stored. */
  absent?: string[];
  /** The last turn's messages must say this... */
  says?: RegExp;
  /** ...and must not say this. */
  never?: RegExp;
  /** Where the conversation must be: a field asked, "run" (started), "cancelled". */
  at?: string;
  show?: "history";
};

const PASTE = [
  "My plants grew taller with more light. The one by the window grew 12 cm.",
  "I think light helps plants grow because they make food from it.",
  "In conclusion plants need light.",
].join("\n");

const LP_ASK_TOPIC = "grade 5 science 45 min";
const FB_ASK_WORK = 'assignment:"lab report on plant growth"';
const SENTENCE = "I think light helps plants grow because they make food from it and in conclusion plants need light";

const rows: Row[] = [
  // Lesson plan: the request line.
  {
    t: "lesson-plan",
    start: 'grade 5 science "Solar System" 45 min',
    at: "run",
    values: { grade: "5", subject: "Science", topic: "Solar System", duration: 45 },
  },
  {
    t: "lesson-plan",
    start: 'grade:5 subject:science topic:"moon phases" duration:45 colour:blue teacher:"Ms Lee"',
    at: "run",
    values: { duration: 45, topic: "moon phases" },
    says: /has no "colour" or "teacher" field; it takes grade, subject, topic, duration, standards, objectives, class, materials, language\./,
  },
  {
    t: "lesson-plan",
    start: 'grade 7 math "ratios and rates" 50 min',
    at: "run",
    values: { grade: "7", subject: "Math", topic: "ratios and rates", duration: 50 },
  },
  {
    t: "lesson-plan",
    start: 'about:"photosynthesis" grade:6 subject:biology duration:1 hour',
    at: "run",
    values: { topic: "photosynthesis", grade: "6", duration: 60 },
  },
  {
    t: "lesson-plan",
    start: "topic: water cycle, grade=3, minutes=40, subject: science",
    at: "run",
    values: { topic: "water cycle", grade: "3", duration: 40 },
  },
  { t: "lesson-plan", start: "grade 5 science water cycle 45 min standards:NGSS", at: "run", values: { standardsFramework: "NGSS" } },
  {
    t: "lesson-plan",
    start: "grade 5 science water cycle 45 min framework: common core",
    at: "run",
    values: { standardsFramework: "CCSS" },
  },
  {
    t: "lesson-plan",
    start: "grade 5 science shadows 45 min objectives: explain why shadows change; record data in a table",
    at: "run",
    values: { objectives: "explain why shadows change; record data in a table" },
  },
  {
    t: "lesson-plan",
    start: 'grade 5 science shadows 45 min class:"26 students; 4 ELL (Spanish)"',
    at: "run",
    values: { classProfile: "26 students; 4 ELL (Spanish)" },
  },
  { t: "lesson-plan", start: "grade 5 science shadows 45 min lang:Spanish", at: "run", values: { language: "Spanish" } },
  { t: "lesson-plan", start: "grade 5 science shadows 45 min https://example.com/shadows", at: "run", never: /has no/ },
  { t: "lesson-plan", start: "Year 7 science cells 1 hour", at: "run", values: { grade: "6", duration: 60 } },
  { t: "lesson-plan", start: "kindergarten art colours and shapes 30 mins", at: "run", values: { grade: "K", duration: 30 } },
  // Lesson plan: answers, steering words and content that merely contains them.
  {
    t: "lesson-plan",
    start: "",
    answers: ["5", "Science", "run"],
    at: "topic",
    absent: ["topic"],
    says: /I need topic and duration before I can start/,
  },
  { t: "lesson-plan", start: "", answers: ["13"], at: "grade", absent: ["grade"], says: /Grade should be K or 1-12/ },
  { t: "lesson-plan", start: "", answers: ["fifth grade"], at: "subject", values: { grade: "5" } },
  { t: "lesson-plan", start: "", answers: ["fifth"], at: "subject", values: { grade: "5" } },
  {
    t: "lesson-plan",
    start: "",
    answers: [{ kind: "option", key: "answer", value: "5", field: "grade" }],
    at: "subject",
    values: { grade: "5" },
  },
  { t: "lesson-plan", start: "", answers: ["5", "history"], at: "topic", values: { subject: "history" } },
  { t: "lesson-plan", start: "", answers: ["grade:6 subject:Art"], at: "topic", values: { grade: "6", subject: "Art" } },
  {
    t: "lesson-plan",
    start: LP_ASK_TOPIC,
    answers: ["Photosynthesis\nhow plants make food"],
    at: "run",
    values: { topic: "Photosynthesis\nhow plants make food", duration: 45 },
  },
  {
    t: "lesson-plan",
    start: LP_ASK_TOPIC,
    answers: ["help"],
    at: "topic",
    absent: ["topic"],
    says: /The topic or question the lesson centres on/,
  },
  { t: "lesson-plan", start: LP_ASK_TOPIC, answers: ["history"], at: "topic", absent: ["topic"], show: "history" },
  {
    t: "lesson-plan",
    start: LP_ASK_TOPIC,
    answers: ["/lesson-plan help"],
    at: "topic",
    absent: ["topic"],
    says: /Commands aren't answers/,
  },
  { t: "lesson-plan", start: LP_ASK_TOPIC, answers: ["/help"], at: "topic", absent: ["topic"], says: /\/lesson-plan\*\*: Lesson plan/ },
  { t: "lesson-plan", start: LP_ASK_TOPIC, answers: ["run a shadow experiment"], at: "run", values: { topic: "run a shadow experiment" } },
  { t: "lesson-plan", start: LP_ASK_TOPIC, answers: ["help with fractions"], at: "run", values: { topic: "help with fractions" } },
  { t: "lesson-plan", start: LP_ASK_TOPIC, answers: ["skip"], at: "topic", absent: ["topic"], says: /can't be skipped/ },
  { t: "lesson-plan", start: LP_ASK_TOPIC, answers: ["back"], at: "topic", says: /no earlier question/ },
  { t: "lesson-plan", start: "grade 5 science shadows", answers: ["1h 30m"], at: "run", values: { duration: 90 } },
  {
    t: "lesson-plan",
    start: "grade 5 science shadows",
    answers: ["run"],
    at: "duration",
    absent: ["duration"],
    says: /I need duration before I can start/,
  },
  { t: "lesson-plan", start: "grade 5 science shadows", answers: ["cancel"], at: "cancelled" },
  // Assessment.
  {
    t: "assessment",
    start: "grade 4 math fractions 8 questions",
    at: "run",
    values: { grade: "4", subject: "Math", topic: "fractions", questionCount: 8 },
  },
  {
    t: "assessment",
    start: "grade:4 subject:math topic:fractions questions:10 types:mc",
    at: "run",
    values: { questionCount: 10, questionTypes: "multiple-choice" },
  },
  { t: "assessment", start: "grade 4 math fractions 8 questions dok:3", at: "run", values: { level: "dok3" } },
  { t: "assessment", start: "grade 4 math fractions 8 questions difficulty:hard", at: "run", values: { level: "dok3" } },
  { t: "assessment", start: "grade 4 math fractions 8 questions standards:CCSS", at: "run", values: { standardsFramework: "CCSS" } },
  { t: "assessment", start: "grade 4 math fractions count=12", at: "run", values: { questionCount: 12 } },
  {
    t: "assessment",
    start: "grade 4 math topic:fractions items:6 format:short answer",
    at: "run",
    values: { questionCount: 6, questionTypes: "short-answer" },
  },
  { t: "assessment", start: "grade 4 math fractions 8 questions types: essay", at: "run", values: { questionTypes: "extended-response" } },
  { t: "assessment", start: "grade 4 math fractions", answers: ["13"], at: "run", values: { questionCount: 13 } },
  { t: "assessment", start: "", answers: ["13"], at: "grade", absent: ["grade"], says: /Grade should be K or 1-12/ },
  { t: "assessment", start: "grade 4 math fractions 40 questions", at: "questionCount", absent: ["questionCount"], says: /At most 30/ },
  { t: "assessment", start: "grade 4 math fractions", answers: ["run"], at: "questionCount", says: /I need number of questions/ },
  { t: "assessment", start: "grade 4 math fractions", answers: ["skip"], at: "questionCount", says: /can't be skipped/ },
  // Student feedback: synonyms, pastes, names that are sentences, steering words.
  {
    t: "feedback",
    start: 'student:Sam assignment:"lab report on plant growth" strengths:clear data table next steps:explain the trend',
    at: "studentWork",
    values: {
      studentName: "Sam",
      assignment: "lab report on plant growth",
      focus: "strengths: clear data table; next steps: explain the trend",
    },
    never: /has no/,
  },
  { t: "feedback", start: FB_ASK_WORK, answers: [PASTE], at: "run", values: { studentWork: PASTE }, absent: ["studentName", "rubric"] },
  {
    t: "feedback",
    start: 'name:Maria Garcia task:"persuasive paragraph" work:"I think lunch should be longer"',
    at: "run",
    values: { studentName: "Maria Garcia", assignment: "persuasive paragraph", studentWork: "I think lunch should be longer" },
  },
  {
    t: "feedback",
    start: `student:"${SENTENCE}" ${FB_ASK_WORK}`,
    at: "studentWork",
    absent: ["studentName"],
    says: /looks like a sentence rather than a name/,
  },
  {
    t: "feedback",
    start: FB_ASK_WORK,
    answers: ["help"],
    at: "studentWork",
    absent: ["studentWork"],
    says: /The text they wrote, or scores/,
  },
  { t: "feedback", start: FB_ASK_WORK, answers: ["history"], at: "studentWork", absent: ["studentWork"], show: "history" },
  { t: "feedback", start: FB_ASK_WORK, answers: ["Run"], at: "studentWork", absent: ["studentWork"], says: /I need student's work/ },
  {
    t: "feedback",
    start: FB_ASK_WORK,
    answers: ["work: my plant grew 12 cm tone: encouraging"],
    at: "run",
    values: { studentWork: "my plant grew 12 cm", tone: "encouraging" },
  },
  { t: "feedback", start: 'student:Sam assignment:"essay" work:"Recess is good" tone:direct', at: "run", values: { tone: "direct" } },
  {
    t: "feedback",
    start: 'pupil:Lee assignment:"Persuasive letter" submission:"Dear principal, we need a longer lunch."',
    at: "run",
    values: { studentName: "Lee", studentWork: "Dear principal, we need a longer lunch." },
  },
  {
    t: "feedback",
    start: `${FB_ASK_WORK} rubric:"claim; evidence; reasoning"`,
    at: "studentWork",
    values: { rubric: "claim; evidence; reasoning" },
  },
  {
    t: "feedback",
    start: FB_ASK_WORK,
    answers: ["We had to run the test twice.\nrun\nhelp\nThe plant grew."],
    at: "run",
    values: { studentWork: "We had to run the test twice.\nrun\nhelp\nThe plant grew." },
  },
  {
    t: "feedback",
    start: FB_ASK_WORK,
    answers: ["Q1: 3/4\nQ2: 1/4"],
    at: "run",
    values: { studentWork: "Q1: 3/4\nQ2: 1/4" },
    never: /has no/,
  },
  // Parent message.
  {
    t: "parent-message",
    start: 'about:"field trip on Friday" tone:warm language:Spanish',
    at: "keyPoints",
    values: { purpose: "field trip on Friday", tone: "warm", targetLanguage: "Spanish" },
  },
  {
    t: "parent-message",
    start: 'purpose:"Field trip to the museum" points:"Bus leaves 8:30; bring lunch"',
    at: "run",
    values: { keyPoints: "Bus leaves 8:30; bring lunch" },
  },
  {
    t: "parent-message",
    start: "topic: science fair, details: Thursday May 14, 5-7pm in the gym",
    at: "run",
    values: { purpose: "science fair", keyPoints: "Thursday May 14, 5-7pm in the gym" },
  },
  {
    t: "parent-message",
    start: "about: science fair",
    answers: ["Thursday May 14, 5-7pm\nIn the gym\nBring a snack"],
    at: "run",
    values: { keyPoints: "Thursday May 14, 5-7pm\nIn the gym\nBring a snack" },
  },
  {
    t: "parent-message",
    start: 'about:"conferences" points:"sign up by Friday" translate:Vietnamese',
    at: "run",
    values: { targetLanguage: "Vietnamese" },
  },
  { t: "parent-message", start: 'about:"conferences" points:"sign up by Friday" language:english', at: "run", absent: ["targetLanguage"] },
  {
    t: "parent-message",
    start: 'about:"conferences" points:"sign up by Friday" mood:happy',
    at: "run",
    says: /\/parent-message has no "mood" field; it takes purpose, points, tone, language\./,
  },
  { t: "parent-message", start: 'about:"conferences"', answers: ["cancel"], at: "cancelled" },
  { t: "parent-message", start: 'about:"conferences"', answers: ["skip"], at: "keyPoints", says: /can't be skipped/ },
  { t: "parent-message", start: "", answers: ["help"], at: "purpose", says: /The reason for writing/ },
  {
    t: "parent-message",
    start: "reminder: conferences next Thursday 4-7pm, sign up link in the folder",
    never: /has no/,
    values: { purpose: /conferences/ },
  },
  {
    t: "parent-message",
    start: 'about:"conferences"',
    answers: ["tone: formal"],
    at: "keyPoints",
    values: { tone: "formal" },
    absent: ["keyPoints"],
  },
  { t: "parent-message", start: 'about:"conferences"', answers: ["history"], at: "keyPoints", show: "history", absent: ["keyPoints"] },
];

let specs: Map<string, ConversationSpec>;
beforeAll(async () => {
  const { templates } = await loadTemplates();
  specs = new Map(templates.map((t) => [t.command, specOf(t)]));
});

function play(row: Row): Turn {
  const spec = specs.get(row.t)!;
  let turn = startConversation(spec, { text: row.start });
  for (const a of row.answers ?? []) turn = answer(spec, turn.state, typeof a === "string" ? { kind: "text", text: a } : a);
  return turn;
}

describe("intake table", () => {
  test("has at least 60 rows over the four templates", () => {
    expect(rows.length).toBeGreaterThanOrEqual(60);
    expect(new Set(rows.map((r) => r.t)).size).toBe(4);
  });

  test.each(
    rows.map((r, i) => [`${i + 1}. /${r.t} ${r.start} ${(r.answers ?? []).map((a) => JSON.stringify(a)).join(" → ")}`.slice(0, 140), r]),
  )("%s", (_name, row) => {
    const turn = play(row as Row);
    const r = row as Row;
    const stored = turn.outcome?.kind === "run" ? turn.outcome.values : turn.state.values;
    const said = turn.prompts.map((p) => p.text).join("\n");
    if (r.at === "run") expect(turn.outcome?.kind, said).toBe("run");
    else if (r.at === "cancelled") expect(turn.outcome?.kind).toBe("cancelled");
    else if (r.at) {
      expect(turn.outcome, said).toBeUndefined();
      expect(turn.state.step).toMatchObject({ kind: "ask", field: r.at });
    }
    for (const [name, want] of Object.entries(r.values ?? {})) {
      if (want instanceof RegExp) expect(String(stored[name])).toMatch(want);
      else expect(stored[name], `${name}\n${said}`).toEqual(want);
    }
    for (const name of r.absent ?? []) expect(stored[name], name).toBeUndefined();
    if (r.says) expect(said).toMatch(r.says);
    if (r.never) expect(said).not.toMatch(r.never);
    if (r.show) expect(turn.show).toBe(r.show);
    // Steering words are never stored as content (History as a subject is an answer, named in its row).
    for (const [name, value] of Object.entries(stored))
      if (!(name in (r.values ?? {}))) expect(String(value)).not.toMatch(/^(run|help|history|skip|back|cancel|\/.*)$/i);
  });
});
