// `npm run eval`: runs every built-in template on the fixed teacher requests (eval/requests.ts), offline and
// through the OpenAI-compatible fake with the real openai SDK, scores each document with the structural
// rubrics, prints a summary table, and exits 1 when any score falls below eval/baseline.json.
// `npm run eval -- --update` rewrites the baseline (commit it with the change that moved the scores).
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { openStore } from "../src/drivers/local/database.ts";
import { createEngine } from "../src/engine/index.ts";
import { createOfflineProvider } from "../src/model/offline.ts";
import { createOpenAIProvider } from "../src/model/openai.ts";
import type { ModelProvider } from "../src/model/types.ts";
import { storeBoundary, workflowVocabulary } from "../src/privacy/index.ts";
import { builtinTemplates, loadStandards, offlineDrafters, SAMPLE_STANDARDS_DIR } from "../src/templates/index.ts";
import { startFakeOpenAI } from "../test/fakes/openai-server.ts";
import { REQUESTS } from "./requests.ts";
import { RUBRICS, type Rubric, type Scores, scoreDocument } from "./rubrics.ts";

type Row = { template: string; mode: string; runs: number; failed: number; scores: Partial<Record<Rubric, number>> };
type Baseline = Record<string, Partial<Record<Rubric, number>>>;

const BASELINE = fileURLToPath(new URL("./baseline.json", import.meta.url));
/** Scores are means over runs; a drop smaller than this is rounding, not a regression. */
const EPSILON = 0.0005;

async function runMode(mode: "offline" | "fake", inner: ModelProvider): Promise<Row[]> {
  const standards = (await loadStandards(SAMPLE_STANDARDS_DIR)).set;
  const templates = builtinTemplates(standards);
  const store = await openStore("memory:");
  // As the runtime builds it: remote models behind the privacy boundary (the offline model passes through).
  const vocabulary = workflowVocabulary(templates.map((t) => t.workflow.definition));
  const model = storeBoundary(inner, store, { vocabulary });
  const engine = createEngine({ store, model, defaultTimeoutMs: 60_000 });
  for (const t of templates) engine.register(t.workflow);
  const rows = new Map<string, { runs: number; failed: number; sums: Record<string, number>; counts: Record<string, number> }>();
  try {
    // A few at a time: the engine and the fake are fast; this keeps the eval well under a minute.
    const queue = [...REQUESTS];
    const worker = async () => {
      for (let request = queue.shift(); request; request = queue.shift()) {
        const template = templates.find((t) => t.id === request.template)!;
        const row = rows.get(template.id) ?? { runs: 0, failed: 0, sums: {}, counts: {} };
        rows.set(template.id, row);
        row.runs++;
        const started = await engine.start(template.id, { inputs: request.inputs, userId: "eval" });
        const view = await engine.wait(started.id, { timeoutMs: 120_000 });
        if (view.status !== "completed") {
          row.failed++;
          continue;
        }
        const scores: Scores = scoreDocument(view, template.render(view).markdown, standards);
        for (const [name, value] of Object.entries(scores)) {
          row.sums[name] = (row.sums[name] ?? 0) + value;
          row.counts[name] = (row.counts[name] ?? 0) + 1;
        }
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
  } finally {
    await engine.close();
    await store.close();
  }
  return templates
    .filter((t) => rows.has(t.id))
    .map((t) => {
      const r = rows.get(t.id)!;
      const scores: Row["scores"] = {};
      // A failed run scores 0 on every rubric the template has.
      for (const name of RUBRICS) if (r.counts[name]) scores[name] = r.sums[name]! / (r.counts[name]! + r.failed);
      return { template: t.id, mode, runs: r.runs, failed: r.failed, scores };
    });
}

function table(rows: readonly Row[], baseline: Baseline): string {
  const head = ["template", "mode", "runs", ...RUBRICS];
  const lines = rows.map((r) => [
    r.template,
    r.mode,
    r.failed > 0 ? `${r.runs} (${r.failed} failed)` : String(r.runs),
    ...RUBRICS.map((name) => {
      const v = r.scores[name];
      if (v === undefined) return "-";
      const base = baseline[`${r.template}/${r.mode}`]?.[name];
      return `${v.toFixed(2)}${base !== undefined && v < base - EPSILON ? ` (< ${base.toFixed(2)})` : ""}`;
    }),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  return [fmt(head), `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`, ...lines.map(fmt)].join("\n");
}

async function main(): Promise<number> {
  const update = process.argv.includes("--update");
  const started = performance.now();
  const drafters = offlineDrafters(builtinTemplates());
  const rows = [...(await runMode("offline", createOfflineProvider({ drafters })))];
  const fake = await startFakeOpenAI();
  try {
    rows.push(...(await runMode("fake", createOpenAIProvider({ apiKey: "sk-eval", baseURL: fake.url, model: "gpt-eval" }))));
  } finally {
    await fake.close();
  }
  let baseline: Baseline = {};
  try {
    baseline = JSON.parse(readFileSync(BASELINE, "utf8")) as Baseline;
  } catch {
    if (!update) process.stderr.write("eval: no baseline yet; run `npm run eval -- --update` and commit eval/baseline.json\n");
  }
  process.stdout.write(`${table(rows, baseline)}\n`);
  process.stdout.write(`${REQUESTS.length} requests x 2 modes in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  if (update) {
    const next: Baseline = Object.fromEntries(
      rows.map((r) => [
        `${r.template}/${r.mode}`,
        Object.fromEntries(Object.entries(r.scores).map(([k, v]) => [k, Math.round(v * 1000) / 1000])),
      ]),
    );
    writeFileSync(BASELINE, `${JSON.stringify(next, null, 2)}\n`);
    process.stdout.write("eval: baseline updated\n");
    return 0;
  }
  const drops: string[] = [];
  for (const r of rows) {
    if (r.failed > 0) drops.push(`${r.template}/${r.mode}: ${r.failed} run(s) failed`);
    for (const [name, base] of Object.entries(baseline[`${r.template}/${r.mode}`] ?? {})) {
      const v = r.scores[name as Rubric];
      if (v === undefined || v < base - EPSILON)
        drops.push(`${r.template}/${r.mode} ${name}: ${v?.toFixed(3) ?? "missing"} < baseline ${base.toFixed(3)}`);
    }
  }
  if (Object.keys(baseline).length === 0 && !update) return 1;
  for (const d of drops) process.stderr.write(`eval: score dropped: ${d}\n`);
  return drops.length > 0 ? 1 : 0;
}

const code = await main();
process.stdout.write("", () => process.exit(code));
