// The eval's fixed teacher requests: every built-in template, a spread of grades, subjects and lengths.
// Changing this list changes the baseline; add requests at the end and run `npm run eval -- --update`.

export type EvalRequest = { template: string; inputs: Record<string, unknown> };

const lesson = (grade: string, subject: string, topic: string, duration: number, extra: Record<string, unknown> = {}): EvalRequest => ({
  template: "lesson-plan",
  inputs: { grade, subject, topic, duration, ...extra },
});
const assessment = (
  grade: string,
  subject: string,
  topic: string,
  questionCount: number,
  extra: Record<string, unknown> = {},
): EvalRequest => ({
  template: "assessment",
  inputs: { grade, subject, topic, questionCount, ...extra },
});

export const REQUESTS: EvalRequest[] = [
  lesson("5", "Science", "Solar System", 45),
  lesson("5", "Science", "Why shadows change length and direction during the day", 50, {
    objectives: "Record shadow lengths in a table; explain the pattern",
  }),
  lesson("K", "Math", "Counting to 100 by tens", 30),
  lesson("1", "ELA", "Retelling a story with key details", 40),
  lesson("3", "Math", "Understanding fractions as equal parts", 45, { standardsFramework: "CCSS" }),
  lesson("4", "Science", "Energy transfer through sound, light and heat", 55, { materials: "Flashlights, tuning forks, thermometers" }),
  lesson("6", "Math", "Ratios in recipes", 60, { classProfile: "28 students; 5 English learners (Spanish); 2 IEPs for reading" }),
  lesson("7", "Science", "Photosynthesis and the flow of energy", 50, { standardsFramework: "NGSS" }),
  lesson("8", "History", "Causes of the American Revolution", 45),
  lesson("9", "ELA", "Analyzing theme in a short story", 90),
  lesson("11", "Science", "Natural selection", 75, { standardsFramework: "none" }),
  lesson("2", "Science", "Plants need water and light", 35),
  assessment("4", "Math", "Equivalent fractions", 6),
  assessment("5", "Math", "Adding fractions with unlike denominators", 8, { questionTypes: "multiple-choice" }),
  assessment("3", "Science", "Balanced and unbalanced forces", 5, { level: "dok2" }),
  assessment("7", "Science", "Cells and organisms", 10),
  assessment("8", "ELA", "Citing textual evidence", 4, { questionTypes: "extended-response" }),
  assessment("K", "Math", "Counting objects", 3),
  assessment("10", "History", "The Industrial Revolution", 12, { level: "dok3" }),
  assessment("6", "Math", "Unit rates", 7, { questionTypes: "short-answer" }),
  assessment("2", "ELA", "Main topic of a paragraph", 5),
  assessment("12", "Math", "Exponential growth", 9, { standardsFramework: "none" }),
  {
    template: "student-feedback",
    inputs: {
      studentName: "Maria Garcia",
      assignment: "Write a paragraph arguing whether our school should have a longer lunch break, with two reasons (grade 5)",
      studentWork: "I think lunch should be longer because we need time to eat and play. My friends agree.",
      focus: "Using evidence",
    },
  },
  {
    template: "student-feedback",
    inputs: {
      studentName: "Sam Lee",
      assignment: "Grade 8 lab report on density of liquids",
      studentWork: "We poured water, oil and syrup. Syrup sank. Oil floated. Density is mass over volume.",
      rubric: "Hypothesis; method; data table; conclusion linked to data",
    },
  },
  {
    template: "student-feedback",
    inputs: {
      assignment: "3rd grade narrative: a day at the beach",
      studentWork:
        "We went to the beach. It was sunny. I built a sand castle and a wave knocked it down. I was sad but then I built it again.",
      tone: "warm",
    },
  },
  {
    template: "student-feedback",
    inputs: {
      studentName: "Aisha Khan",
      assignment: "Solve five two-step equations and show your work",
      studentWork: "1) x=4 correct 2) x=7 correct 3) x=-2 wrong sign 4) x=3 correct 5) no work shown",
      focus: "Checking answers",
    },
  },
  {
    template: "student-feedback",
    inputs: {
      studentName: "Leo",
      assignment: "Grade 11 essay on the causes of World War I",
      studentWork: "The war started because of alliances, militarism, imperialism and nationalism. The assassination was the spark.",
      tone: "formal",
    },
  },
  {
    template: "parent-message",
    inputs: {
      purpose: "Invite families to the science fair",
      keyPoints: "Thursday May 14, 5-7pm in the gym; students present projects; RSVP by May 10",
    },
  },
  {
    template: "parent-message",
    inputs: {
      purpose: "Remind parents about permission slips",
      keyPoints: "Zoo trip on Friday; slips due Wednesday; $5 fee",
      targetLanguage: "Spanish",
    },
  },
  {
    template: "parent-message",
    inputs: {
      purpose: "Share progress in reading",
      keyPoints: "Class read 200 books this term; reading logs go home each Monday",
      tone: "celebratory",
    },
  },
  {
    template: "parent-message",
    inputs: {
      purpose: "Concern about missing homework",
      keyPoints: "Three assignments missing; homework club Tuesdays 3-4pm",
      tone: "concerned",
    },
  },
  {
    template: "parent-message",
    inputs: {
      purpose: "Inform families about the new grading policy",
      keyPoints: "Retakes allowed within two weeks; late work accepted with a note",
      tone: "formal",
      targetLanguage: "Vietnamese",
    },
  },
];
