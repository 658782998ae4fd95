// Layering of the engine and the model layer, read from the sources: the engine imports no surface,
// chat, conversation, template, http or app code; the model layer imports nothing from the engine.
import { describe, expect, it } from "vitest";
import { crossings } from "../imports.ts";

const outside = [
  "src/adapters/",
  "src/chat/",
  "src/conversation/",
  "src/templates/",
  "src/http/",
  "src/app/",
  "src/cli/",
  "src/documents/",
];

describe("engine and model boundaries", () => {
  it("src/engine imports nothing from surfaces, chat, conversation, templates, http or the app", () => {
    expect(crossings("src/engine", (target) => outside.some((prefix) => target.startsWith(prefix)))).toEqual([]);
  });

  it("src/model imports nothing from src/engine (token usage belongs to the model layer)", () => {
    expect(crossings("src/model", (target) => target.startsWith("src/engine/"))).toEqual([]);
  });

  it("the OpenAI provider does not depend on the offline one", () => {
    expect(crossings("src/model", (target) => target === "src/model/offline.ts").filter((c) => c.startsWith("src/model/openai"))).toEqual(
      [],
    );
  });

  it("notices a crossing (the check reads real imports)", () => {
    expect(crossings("src/engine", (target) => target === "src/engine/records.ts").length).toBeGreaterThan(0);
  });
});
