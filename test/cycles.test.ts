// No import cycles in src: a cycle makes module initialisation order matter and hides which layer owns
// what. Read from the sources (static and dynamic imports, type-only ones included, since a type cycle
// is the same design smell and costs nothing to keep out).
import { relative } from "node:path";
import { describe, expect, it } from "vitest";
import { imports, root, sources } from "./imports.ts";

/** Strongly connected components of more than one module (or a module importing itself), by Tarjan. */
export function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) ?? 0, index.get(w) ?? 0));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string | undefined;
    do {
      w = stack.pop();
      if (w === undefined) break;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

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
