import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { loadConfig } from "../../src/config.ts";
import { CancelledError, NodeTimeoutError } from "../../src/errors.ts";
import { createModelProvider, OFFLINE_NOTICE } from "../../src/model/index.ts";
import { createOfflineProvider, OFFLINE_PREFIX } from "../../src/model/offline.ts";
import { sampleFromPattern, synthesizeFromJsonSchema } from "../../src/model/synthesize.ts";
import type { ModelRequest } from "../../src/model/types.ts";

function request(vars: Record<string, unknown>, extra: Partial<ModelRequest> = {}): ModelRequest {
  return {
    messages: [
      { role: "system", content: "You help teachers." },
      { role: "user", content: `Write a quiz about ${String(vars.topic ?? "something")}. Keep it short.` },
    ],
    signal: new AbortController().signal,
    meta: { executionId: "ex", nodeId: "quiz", templateId: "quiz-maker", vars },
    ...extra,
  };
}

const schemas = {
  quiz: z.object({
    title: z.string().min(5).max(60),
    level: z.enum(["easy", "medium", "hard"]),
    questions: z
      .array(
        z.object({
          prompt: z.string().min(1),
          choices: z.array(z.string()).length(4),
          answerIndex: z.number().int().min(0).max(3),
          explanation: z.string().optional(),
        }),
      )
      .min(2)
      .max(10),
  }),
  mixed: z.object({
    id: z.uuid(),
    contact: z.email(),
    link: z.url(),
    when: z.iso.datetime(),
    day: z.iso.date(),
    code: z.string().regex(/^[A-Z]{3}-\d{2,4}$/),
    score: z.number().positive().lt(1),
    weight: z.number().multipleOf(0.25).min(1).max(2),
    note: z.string().nullable(),
    kind: z.union([z.literal("essay"), z.literal("quiz")]),
    tags: z.array(z.string()).min(3),
    pair: z.tuple([z.string(), z.number()]),
    scores: z.record(z.string(), z.number().int()),
    byTerm: z.record(z.enum(["autumn", "spring"]), z.string()),
    flag: z.boolean(),
    short: z.string().max(8),
  }),
  nested: z.object({
    units: z.array(z.object({ name: z.string(), lessons: z.array(z.object({ minutes: z.number().int().min(10).max(60) })).nonempty() })),
  }),
};

type Tree = { label: string; children: Tree[] };
const TreeSchema: z.ZodType<Tree> = z.lazy(() => z.object({ label: z.string(), children: z.array(TreeSchema) }));

function schemaOf(name: string, zod: z.ZodType) {
  return { name, zod, jsonSchema: z.toJSONSchema(zod) as Record<string, unknown> };
}

describe("offline provider", () => {
  it("drafts structured answers that fit a range of zod schemas, deterministically", async () => {
    const provider = createOfflineProvider();
    const all = { ...schemas, tree: TreeSchema };
    for (const [name, zod] of Object.entries(all)) {
      const req = request({ topic: "photosynthesis", grade: 7 }, { schema: schemaOf(name, zod) });
      const first = await provider.complete(req);
      const second = await provider.complete(request({ topic: "photosynthesis", grade: 7 }, { schema: schemaOf(name, zod) }));
      const parsed = zod.safeParse(JSON.parse(first.text));
      expect(parsed.success, `${name}: ${parsed.error?.message}`).toBe(true);
      expect(second.text).toBe(first.text);
      expect(first.model).toBe("offline-drafts");
      expect(first.usage.inputTokens).toBeGreaterThan(0);
      expect(first.usage.outputTokens).toBeGreaterThan(0);
    }
  });

  it("weaves the topic into strings and marks them as offline drafts", async () => {
    const provider = createOfflineProvider();
    const res = await provider.complete(request({ topic: "the water cycle" }, { schema: schemaOf("quiz", schemas.quiz) }));
    const quiz = schemas.quiz.parse(JSON.parse(res.text));
    expect(quiz.title.startsWith(OFFLINE_PREFIX)).toBe(true);
    expect(quiz.title).toContain("the water cycle");
    expect(quiz.questions[0]!.prompt).toContain("the water cycle");
    expect(quiz.level).toBe("easy");
  });

  it("uses a drafter named by the schema when one is given", async () => {
    const provider = createOfflineProvider({
      drafters: { quiz: (vars) => ({ title: `Quiz: ${String(vars.topic)}`, level: "hard", questions: [] }) },
    });
    const res = await provider.complete(request({ topic: "volcanoes" }, { schema: schemaOf("quiz", schemas.quiz) }));
    expect(JSON.parse(res.text)).toEqual({ title: "Quiz: volcanoes", level: "hard", questions: [] });
  });

  it("writes marked free text from the prompt, streams it as deltas, and is deterministic", async () => {
    const provider = createOfflineProvider();
    const deltas: string[] = [];
    const res = await provider.complete(request({ topic: "fractions" }, { onDelta: (d) => deltas.push(d) }));
    expect(res.text.startsWith(OFFLINE_PREFIX)).toBe(true);
    expect(res.text).toContain("fractions");
    expect(res.text).toContain('"Write a quiz about fractions."');
    expect(deltas.join("")).toBe(res.text);
    expect((await provider.complete(request({ topic: "fractions" }))).text).toBe(res.text);
  });

  it("honours the abort signal during its latency, rejecting with the signal's reason", async () => {
    const provider = createOfflineProvider({ latencyMs: 60_000 });
    const controller = new AbortController();
    const call = provider.complete(request({ topic: "x" }, { signal: controller.signal }));
    const reason = new NodeTimeoutError("quiz", 10);
    controller.abort(reason);
    await expect(call).rejects.toBe(reason);
    const aborted = new AbortController();
    aborted.abort();
    await expect(createOfflineProvider().complete(request({}, { signal: aborted.signal }))).rejects.toBeInstanceOf(Error);
    const plain = new AbortController();
    plain.abort("no error object");
    await expect(createOfflineProvider().complete(request({}, { signal: plain.signal }))).rejects.toBeInstanceOf(CancelledError);
  });
});

describe("createModelProvider", () => {
  it("falls back to offline with one notice when nothing is configured", () => {
    const notices: string[] = [];
    const provider = createModelProvider(loadConfig({}), { notice: (l) => notices.push(l) });
    expect(provider.name).toBe("offline");
    expect(notices).toEqual([OFFLINE_NOTICE]);
  });

  it("stays quiet when offline is chosen explicitly, and picks openai when a base URL is set", () => {
    const notices: string[] = [];
    expect(createModelProvider(loadConfig({ STAFFROOM_MODEL_PROVIDER: "offline" }), { notice: (l) => notices.push(l) }).name).toBe(
      "offline",
    );
    expect(createModelProvider(loadConfig({ OPENAI_BASE_URL: "http://127.0.0.1:9/v1" }), { notice: (l) => notices.push(l) }).name).toBe(
      "openai",
    );
    expect(notices).toEqual([]);
  });
});

describe("synthesizeFromJsonSchema", () => {
  const arbitraryField = fc.oneof(
    fc.record({ min: fc.integer({ min: 0, max: 30 }), extra: fc.integer({ min: 0, max: 50 }) }).map(({ min, extra }) =>
      z
        .string()
        .min(min)
        .max(min + extra),
    ),
    fc.record({ lo: fc.integer({ min: -50, max: 50 }), span: fc.integer({ min: 0, max: 20 }) }).map(({ lo, span }) =>
      z
        .number()
        .int()
        .min(lo)
        .max(lo + span),
    ),
    fc
      .record({ lo: fc.double({ min: -5, max: 5, noNaN: true }), span: fc.double({ min: 0.01, max: 5, noNaN: true }) })
      .map(({ lo, span }) =>
        z
          .number()
          .gt(lo)
          .lt(lo + span),
      ),
    fc
      .uniqueArray(fc.stringMatching(/^[a-z]{1,6}$/), { minLength: 1, maxLength: 4 })
      .map((values) => z.enum(values as [string, ...string[]])),
    fc.record({ min: fc.integer({ min: 0, max: 4 }), extra: fc.integer({ min: 0, max: 3 }) }).map(({ min, extra }) =>
      z
        .array(z.string())
        .min(min)
        .max(min + extra),
    ),
    fc.constant(z.boolean()),
    fc.constant(z.string().nullable()),
    fc.constant(z.email()),
  );

  it("produces values that fit generated object schemas (property)", () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.stringMatching(/^[a-z][a-zA-Z]{0,8}$/), arbitraryField, { maxKeys: 6 }),
        fc.string(),
        (shape, subject) => {
          const zod = z.object(shape);
          const value = synthesizeFromJsonSchema(z.toJSONSchema(zod), { subject, prefix: OFFLINE_PREFIX });
          const parsed = zod.safeParse(value);
          if (!parsed.success) throw new Error(`${JSON.stringify(value)}: ${parsed.error.message}`);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("samples strings for simple regular expressions and gives up on unsupported ones", () => {
    for (const pattern of ["^[A-Z]{3}-\\d{2,4}$", "^(?:yes|no)$", "^\\w+@school\\.org$", "^[a-f0-9]{8}$", "^Unit [0-9]+(: .+)?$"]) {
      const sample = sampleFromPattern(pattern);
      expect(sample, pattern).toBeDefined();
      expect(new RegExp(pattern).test(sample!)).toBe(true);
    }
    expect(sampleFromPattern("^(?=.*\\d).+$")).toBeUndefined();
  });
});
