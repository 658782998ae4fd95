// The app's own documents go back to the model in revisions: nothing in them may be taken for a name
// ("which statement best describes", "| Little or no evidence", "Flesch-Kincaid grade 5.2"), or the model
// revises "[STUDENT_2] grade 5.2". Each template's offline draft is rendered and searched.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore, type Store } from "../../src/drivers/local/database.ts";
import { createEngine, type Engine } from "../../src/engine/index.ts";
import { createOfflineProvider } from "../../src/model/offline.ts";
import { findPeople, loadNameModel, workflowVocabulary } from "../../src/privacy/index.ts";
import { loadTemplates, offlineDrafters, type Template } from "../../src/templates/index.ts";

let store: Store;
let engine: Engine;
let templates: Template[];
let vocabulary: Set<string>;

beforeAll(async () => {
  await loadNameModel();
  templates = (await loadTemplates()).templates;
  store = await openStore("memory:");
  engine = createEngine({ store, model: createOfflineProvider({ drafters: offlineDrafters(templates) }) });
  for (const t of templates) engine.register(t.workflow);
  vocabulary = workflowVocabulary(templates.map((t) => t.workflow.definition));
});
afterAll(async () => {
  await engine.close();
  await store.close();
});

describe("the app's own documents", () => {
  it.each([
    [
      "lesson-plan",
      { grade: "5", subject: "Science", topic: "Moon phases", duration: 45, materials: "flashlights, styrofoam balls, Chromebooks" },
    ],
    ["lesson-plan", { grade: "7", subject: "Math", topic: "Ratios and rates", duration: 50 }],
    ["assessment", { grade: "4", subject: "Math", topic: "Equivalent fractions", questionCount: 8 }],
    [
      "student-feedback",
      { studentName: "Maria Lopez", assignment: "Lab report on plant growth", studentWork: "My plants grew taller with more light." },
    ],
    [
      "parent-message",
      { purpose: "Field trip to the science museum on Friday", keyPoints: "Permission slip by Wednesday; bus leaves 8:30" },
    ],
  ] as const)("%s: no word taken for a name but the student's", async (id, inputs) => {
    const started = await engine.start(id, { inputs: { ...inputs }, userId: "u" });
    const view = await engine.wait(started.id, { timeoutMs: 20_000 });
    const markdown = templates.find((t) => t.id === id)!.render(view).markdown;
    const names = findPeople(markdown, vocabulary).map((p) => p.value);
    expect(names.filter((n) => !/^(?:Maria|Lopez|Maria Lopez)$/.test(n))).toEqual([]);
  });
});
