// Input schemas shaped like the real templates' (built with the templates' own field builders), so the
// conversation's pure parts are tested over any zod object schema with meta.
import { z } from "zod";
import { choiceField, countField, gradeField, minutesField, optionalTextField, textField } from "../../src/templates/fields.ts";

export const lessonSchema = z.object({
  grade: gradeField(),
  subject: textField(
    { label: "Subject", question: "Which subject?", help: "The school subject, such as Science or Math.", example: "Science" },
    { max: 60 },
  ),
  topic: textField(
    { label: "Topic", question: "What is the lesson about?", help: "The lesson's topic in a few words.", example: "the solar system" },
    { min: 2, max: 200 },
  ),
  durationMinutes: minutesField(),
  notes: optionalTextField(
    { label: "Notes", question: "Anything else I should know?", help: "Class needs, materials.", example: "two students use wheelchairs" },
    { max: 500 },
  ),
  previousDraft: z.string().optional().meta({ internal: true, label: "Previous draft", question: "", help: "", example: "" }),
});

export const assessmentSchema = z.object({
  grade: gradeField(),
  topic: textField(
    { label: "Topic", question: "What should the assessment cover?", help: "A topic.", example: "fractions" },
    { min: 2, max: 200 },
  ),
  kind: choiceField(
    ["quiz", "multiple-choice", "short-answer"] as const,
    { quiz: "Quiz", "multiple-choice": "Multiple choice", "short-answer": "Short answer" },
    { label: "Type", question: "What kind of assessment?", help: "Pick one.", example: "quiz" },
  ),
  questionCount: countField({ label: "Number of questions", question: "How many questions?", help: "1 to 30.", example: "10" }, 1, 30),
});
