// Reading the import graph from the sources, for the layering tests.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Every .ts file under `dir`. */
export function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

/** Every module a file imports (static and dynamic), resolved to a path relative to the repo. */
export function imports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specs = [...text.matchAll(/(?:from|import)\s*\(?\s*["']([^"']+)["']/g)].map((m) => m[1] ?? "");
  return specs.filter((s) => s.startsWith(".")).map((s) => relative(root, resolve(dirname(file), s)));
}

/** `file -> target` for every import of a file under `dir` that `crosses` says is out of bounds. */
export function crossings(dir: string, crosses: (target: string) => boolean): string[] {
  return sources(join(root, dir)).flatMap((file) =>
    imports(file)
      .filter(crosses)
      .map((target) => `${relative(root, file)} -> ${target}`),
  );
}
