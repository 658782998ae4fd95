// No import cycles in src: a cycle makes module initialisation order matter and hides which layer owns
// what. Read from the sources (static and dynamic imports, type-only ones included, since a type cycle
// is the same design smell and costs nothing to keep out).
import { relative } from "node:path";
import { describe, expect, it } from "vitest";
import { cycles, imports, root, sources } from "./imports.ts";

function sourceGraph(): Map<string, string[]> {
  return new Map(sources(`${root}/src`).map((file) => [relative(root, file), imports(file)]));
}

describe("import cycles", () => {
  it("src has none", () => {
    expect(cycles(sourceGraph()).map((c) => c.join(" -> "))).toEqual([]);
  });

  it("the check finds a cycle when there is one", () => {
    const graph = new Map([
      ["a.ts", ["b.ts"]],
      ["b.ts", ["c.ts"]],
      ["c.ts", ["a.ts"]],
      ["d.ts", ["a.ts"]],
    ]);
    expect(cycles(graph)).toEqual([["a.ts", "b.ts", "c.ts"]]);
  });

  it("reads real imports (the graph is not empty)", () => {
    const graph = sourceGraph();
    expect([...graph.values()].flat().length).toBeGreaterThan(100);
  });
});
