// The redaction corpus: 368 teacher inputs of our own (student work, class profiles, parent messages,
// everyday-word names, names in nine scripts, ALL-CAPS and lower-case names, name fields and rosters, and
// school terms named after people, places, works and products), each sent through the real model boundary.
// Two rates are printed and held: names that reached the model (target 0) and school terms that did not
// reach it intact because they were taken for names (target under 3%).
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import type { ModelProvider, ModelRequest } from "../../src/model/types.ts";
import { fold } from "../../src/privacy/forms.ts";
import { loadNameModel, withRedaction } from "../../src/privacy/index.ts";

type Entry = { k: string; t: string; n?: string[]; s?: string[]; keep?: string[]; f?: Record<string, string>; roster?: string[] };
const corpus: Entry[] = ["a", "b", "c", "d", "e", "f"].flatMap((part) =>
  JSON.parse(readFileSync(new URL(`./fixtures/corpus-${part}.json`, import.meta.url), "utf8")),
);

/** What the model would receive for one input: the boundary's messages, as a fake provider records them. */
async function sent(entry: Entry, index: number): Promise<string> {
  let seen = "";
  const inner: ModelProvider = {
    name: "recording",
    async complete(request: ModelRequest) {
      seen = request.messages.map((m) => m.content).join("\n");
      return { text: "ok", usage: { inputTokens: 0, outputTokens: 0 }, model: "fake" };
    },
  };
  const inputs = { ...(entry.f ?? {}), work: entry.t };
  const boundary = withRedaction(inner, { roster: entry.roster ?? [], execution: async () => ({ userId: "t1", inputs }) });
  await boundary.complete({
    messages: [
      { role: "system", content: "You help a teacher." },
      { role: "user", content: `Give feedback on this.\n${entry.t}\nKeep it short.` },
    ],
    signal: new AbortController().signal,
    meta: { executionId: `corpus-${index}`, nodeId: "n", templateId: "t", vars: inputs },
  });
  return seen;
}

const cased = (s: string) => /^[\p{Script=Latin}\p{Script=Cyrillic}\p{Script=Greek}\s'’-]+$/u.test(s);
/** Is the name (or phrase) in the text? Whole words for cased scripts, any case and accents; anywhere otherwise. */
function contains(text: string, name: string): boolean {
  if (!cased(name)) return text.includes(name);
  const escaped = fold(name).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(?<![\\p{L}\\p{M}])${escaped}(?![\\p{L}\\p{M}])`, "u").test(fold(text));
}

beforeAll(async () => {
  await loadNameModel();
});

describe("redaction corpus", () => {
  it("has at least 200 inputs of many kinds", () => {
    expect(corpus.length).toBeGreaterThanOrEqual(200);
    expect(new Set(corpus.map((e) => e.k)).size).toBeGreaterThanOrEqual(8);
  });

  it("no name reaches the model and under 3% of school terms are redacted", async () => {
    const leaks: string[] = [];
    const damaged: string[] = [];
    let names = 0;
    let terms = 0;
    for (const [i, entry] of corpus.entries()) {
      const out = await sent(entry, i);
      for (const name of entry.n ?? []) {
        names++;
        if (contains(out, name)) leaks.push(`${name}  <-  ${entry.t}`);
      }
      for (const term of [...(entry.s ?? []), ...(entry.keep ?? [])]) {
        terms++;
        if (!out.includes(term)) damaged.push(`${term}  <-  ${entry.t}`);
      }
    }
    const pct = (a: number, b: number) => `${((100 * a) / b).toFixed(1)}%`;
    console.log(
      [
        `redaction corpus: ${corpus.length} inputs`,
        `leaked names: ${leaks.length} / ${names} (${pct(leaks.length, names)})`,
        `school terms redacted: ${damaged.length} / ${terms} (${pct(damaged.length, terms)})`,
        ...leaks.map((l) => `  leaked: ${l}`),
        ...damaged.map((d) => `  redacted term: ${d}`),
      ].join("\n"),
    );
    expect(names).toBeGreaterThanOrEqual(500);
    expect(terms).toBeGreaterThanOrEqual(200);
    expect(leaks).toEqual([]);
    expect(damaged.length / terms).toBeLessThan(0.03);
  }, 120_000);
});
