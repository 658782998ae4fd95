// Pure pieces of the HTTP layer: key checks, the per-key token bucket, and zod issues as field errors.
import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ExecutionViewCache } from "../../src/http/api/cache.ts";
import { ApiKeys, apiKeyId, RateLimiter } from "../../src/http/auth.ts";
import { describeFieldErrors, formatPath, zodFieldErrors } from "../../src/http/problem.ts";
import { lastEventId } from "../../src/http/sse.ts";

const req = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;

describe("ApiKeys", () => {
  const keys = new ApiKeys(["alpha-key-000000000001", " beta-key-000000000002 ", "", "alpha-key-000000000001"]);

  it("accepts each configured key (trimmed, deduplicated) as a Bearer token and names it by id", () => {
    expect(keys.size).toBe(2);
    expect(keys.check(req({ authorization: "Bearer alpha-key-000000000001" })).keyId).toBe(apiKeyId("alpha-key-000000000001"));
    expect(keys.check(req({ authorization: "bearer beta-key-000000000002" })).keyId).toBe(apiKeyId("beta-key-000000000002"));
    expect(apiKeyId("alpha-key-000000000001")).not.toContain("alpha");
  });

  it("refuses anything else", () => {
    for (const authorization of [
      "Bearer alpha-key-00000000000",
      "Bearer",
      "Bearer ",
      "alpha-key-000000000001",
      "Basic alpha-key-000000000001",
      "Bearer a b",
    ]) {
      expect(keys.check(req({ authorization })).keyId).toBeUndefined();
    }
    expect(keys.check(req({})).keyId).toBeUndefined();
    expect(new ApiKeys([]).check(req({ authorization: "Bearer " })).keyId).toBeUndefined();
  });
});

describe("RateLimiter", () => {
  it("allows a burst of the per-minute limit, then refills evenly and says how long to wait", () => {
    let now = 0;
    const limiter = new RateLimiter(60, () => now);
    for (let i = 0; i < 60; i++) expect(limiter.take("k").allowed).toBe(true);
    const refused = limiter.take("k");
    expect(refused).toMatchObject({ allowed: false, remaining: 0, retryAfterSeconds: 1 });
    expect(limiter.take("other").allowed).toBe(true);
    now += 1000;
    expect(limiter.take("k").allowed).toBe(true);
    expect(limiter.take("k").allowed).toBe(false);
    now += 60_000;
    expect(limiter.take("k").remaining).toBe(59);
  });

  it("rounds Retry-After up to whole seconds", () => {
    let now = 0;
    const limiter = new RateLimiter(2, () => now);
    limiter.take("k");
    limiter.take("k");
    expect(limiter.take("k").retryAfterSeconds).toBe(30);
    now += 29_500;
    expect(limiter.take("k").retryAfterSeconds).toBe(1);
  });
});

describe("zodFieldErrors", () => {
  const schema = z.strictObject({
    name: z.string().min(1),
    grade: z.enum(["K", "1", "2"]),
    count: z.number().int().max(10),
    nested: z.object({ items: z.array(z.string()).min(1) }).optional(),
    friendly: z.string().refine((v) => v.startsWith("x"), "Friendly should start with x."),
  });

  it("names every field with what to fix", () => {
    const input = { name: "", grade: "3", count: 11, nested: { items: [] }, friendly: "y", extra: true };
    const parsed = schema.safeParse(input);
    expect(parsed.success).toBe(false);
    const errors = zodFieldErrors(parsed.error!, input, { prefix: ["input_data"] });
    expect(errors).toEqual([
      { field: "input_data.name", message: "should not be empty" },
      { field: "input_data.grade", message: 'should be one of: "1", "2", "K"' },
      { field: "input_data.count", message: "should be at most 10" },
      { field: "input_data.nested.items", message: "should have at least 1 item" },
      { field: "input_data.friendly", message: "Friendly should start with x." },
      { field: "input_data.extra", message: "is not a known field; remove it" },
    ]);
    expect(describeFieldErrors(errors)).toBe("input_data.name should not be empty (and 5 more problems listed in errors).");
  });

  it("says required for a missing field (with the hint) and the wrong type otherwise", () => {
    const input = { grade: 2, count: "3", friendly: "x" };
    const errors = zodFieldErrors(schema.safeParse(input).error!, input, { hint: (f) => (f === "name" ? 'for example "Ada"' : undefined) });
    expect(errors).toEqual([
      { field: "name", message: 'is required; for example "Ada"' },
      { field: "grade", message: 'should be one of: "1", "2", "K"' },
      { field: "count", message: "should be a number, not a string" },
    ]);
    expect(describeFieldErrors([{ field: "grade", message: "Grade should be K or 1-12." }])).toBe("grade: Grade should be K or 1-12.");
  });

  it("formats paths with indexes", () => {
    expect(formatPath(["a", 2, "b"])).toBe("a[2].b");
    expect(formatPath([])).toBe("");
  });
});

describe("lastEventId", () => {
  it("reads the header or the query fallback, and refuses non-numbers", () => {
    expect(lastEventId(req({}), undefined)).toBe(0);
    expect(lastEventId(req({ "last-event-id": "7" }), undefined)).toBe(7);
    expect(lastEventId(req({}), "12")).toBe(12);
    expect(() => lastEventId(req({ "last-event-id": "-1" }), undefined)).toThrow(/whole number/);
  });
});

describe("ExecutionViewCache", () => {
  it("serves an entry until its TTL passes and keeps at most maxEntries, dropping the oldest", () => {
    let now = 0;
    const cache = new ExecutionViewCache(2, 1000, () => now);
    cache.set("a", "A");
    cache.set("b", "B");
    expect(cache.get("a")).toBe("A");
    cache.set("c", "C");
    expect(cache.get("a")).toBeUndefined();
    expect(cache.size).toBe(2);
    now += 999;
    expect(cache.get("b")).toBe("B");
    now += 1;
    expect(cache.get("b")).toBeUndefined();
    const off = new ExecutionViewCache(10, 0, () => now);
    off.set("a", "A");
    expect(off.get("a")).toBeUndefined();
  });
});
