// Layering of the chat core: surfaces (console included) import only the chat contract, and the chat
// core imports no surface. Read from the sources, so a new import that crosses the line fails here.
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { imports, root, sources } from "../imports.ts";

describe("chat boundary", () => {
  const surfaces = sources(join(root, "src/adapters"));

  it("finds the surfaces and the chat core", () => {
    expect(surfaces.some((f) => f.includes("adapters/console"))).toBe(true);
    expect(sources(join(root, "src/chat")).some((f) => f.endsWith("dispatcher.ts"))).toBe(true);
  });

  it("surfaces import nothing from src/chat but the contract", () => {
    const crossings = surfaces.flatMap((file) =>
      imports(file)
        .filter((target) => target.startsWith("src/chat/") && target !== "src/chat/contract.ts")
        .map((target) => `${relative(root, file)} -> ${target}`),
    );
    expect(crossings).toEqual([]);
  });

  it("the chat core imports no surface", () => {
    const crossings = sources(join(root, "src/chat")).flatMap((file) =>
      imports(file)
        .filter((target) => target.startsWith("src/adapters/") || target.startsWith("src/http/") || target.startsWith("src/app/"))
        .map((target) => `${relative(root, file)} -> ${target}`),
    );
    expect(crossings).toEqual([]);
  });
});
