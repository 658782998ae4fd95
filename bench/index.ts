// `npm run bench`: runs every area module present (engine, slack, discord, http, conversation, privacy, quality), prints one table of
// medians against the targets, and exits 0; the table is the result (CI does not run benchmarks).
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type BenchRow, renderRows } from "./lib.ts";

const here = dirname(fileURLToPath(import.meta.url));
const areas = ["engine", "slack", "discord", "http", "conversation", "privacy", "quality", "sealing"] as const;

const rows: BenchRow[] = [];
for (const area of areas) {
  const file = join(here, `${area}.ts`);
  if (!existsSync(file)) continue;
  const started = performance.now();
  process.stderr.write(`bench: ${area}...\n`);
  try {
    const mod = (await import(`./${area}.ts`)) as { run?: () => Promise<BenchRow[]> };
    if (typeof mod.run !== "function") {
      process.stderr.write(`bench: ${area}.ts exports no run(); skipped\n`);
      continue;
    }
    rows.push(...(await mod.run()));
  } catch (error) {
    // One broken area must not hide the others' numbers; show it as a failed row.
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`bench: ${area} failed: ${message}\n`);
    rows.push({ area, metric: `error: ${message.slice(0, 80)}`, value: Number.NaN, target: "runs", ok: false });
  }
  process.stderr.write(`bench: ${area} done in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
}

process.stdout.write(`${renderRows(rows)}\n`);
process.exit(0);
