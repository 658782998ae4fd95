// Layering of the engine and the model layer, read from the sources: the engine imports no surface,
// chat, conversation, template, http, app, driver, privacy or quality code (drivers implement the engine's
// ports, not the other way round); the model layer imports nothing from the engine; privacy sees the store only
// through the port in src/drivers/types.ts.
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
  "src/drivers/",
  "src/privacy/",
  "src/quality/",
];

describe("engine and model boundaries", () => {
  it("src/engine imports nothing from surfaces, chat, conversation, templates, http, the app, drivers, privacy or quality", () => {
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

  it("privacy imports no concrete store: only the port in src/drivers/types.ts", () => {
    expect(
      crossings(
        "src/privacy",
        (target) => (target.startsWith("src/drivers/") && target !== "src/drivers/types.ts") || target.startsWith("src/engine/store"),
      ),
    ).toEqual([]);
  });

  it("notices a crossing (the check reads real imports)", () => {
    expect(crossings("src/engine", (target) => target === "src/engine/records.ts").length).toBeGreaterThan(0);
  });
});
