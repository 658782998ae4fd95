// Layering of the chat core: surfaces (console included) import only the chat contract, and the chat
// core imports no surface. Read from the sources, so a new import that crosses the line fails here.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

/** Every module a file imports (static and dynamic), resolved to a path relative to the repo. */
function imports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specs = [...text.matchAll(/(?:from|import)\s*\(?\s*["']([^"']+)["']/g)].map((m) => m[1] ?? "");
  return specs.filter((s) => s.startsWith(".")).map((s) => relative(root, resolve(dirname(file), s)));
}

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
