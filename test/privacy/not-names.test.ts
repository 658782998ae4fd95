// Every entry of the curated not-names list (school terms, eponyms, holidays, places, works, products,
// abbreviations), in the sentence a teacher would write, passes the redaction untouched, and a student who
// shares a word with an entry is still found outside it.
import { beforeAll, describe, expect, it } from "vitest";
import { loadNameModel, PlaceholderMap, redactText, seedNameFields } from "../../src/privacy/index.ts";
import { NOT_NAMES } from "../../src/privacy/not-names.ts";

beforeAll(async () => {
  await loadNameModel();
});

describe("curated not-names", () => {
  it.each(NOT_NAMES.map((n) => [n.kind, n.term, n.example] as const))("%s: %s", (_kind, _term, example) => {
    const out = redactText(example, new PlaceholderMap());
    expect(out).toBe(example);
  });

  it("a student sharing a word with an entry is replaced everywhere else", () => {
    const map = new PlaceholderMap();
    seedNameFields({ studentName: "Juliet Venn" }, map);
    const out = redactText("Juliet drew a Venn diagram of Romeo and Juliet; Venn's was the best.", map);
    expect(out).toBe("[STUDENT_1] drew a Venn diagram of Romeo and Juliet; [STUDENT_1]'s was the best.");
  });
});
