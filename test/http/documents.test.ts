// A finished execution's document over HTTP: the API's file endpoint (each format and part, content types,
// Content-Disposition, 404/409/400 in one sentence, in the OpenAPI document) and the signed printable page
// (a good signature opens it; an expired, tampered or missing one is refused with nothing of it served).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLinkSigner } from "../../src/documents/index.ts";
import { printMount } from "../../src/http/index.ts";
import { silentLogger } from "../../src/log.ts";
import { readDocx } from "../documents/docx-reader.ts";
import { type Api, KEY, startApi } from "./harness.ts";

// biome-ignore lint/suspicious/noExplicitAny: response bodies are read field by field in assertions, each checked by value
type Json = Record<string, any>;

const DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
let api: Api;
let lessonId: string;
let quizId: string;
let now = Date.now();
const links = createLinkSigner({ secret: "0123456789abcdef0123456789abcdef", publicUrl: "https://staffroom.example.org", days: 7 });

async function quick(template: string, body: Record<string, unknown>): Promise<string> {
  const res = await api.call("POST", `/api/workflows/quick/${template}?wait=true&timeout=30`, { body });
  expect((res.body as Json).status).toBe("completed");
  return (res.body as Json).execution_id as string;
}

beforeAll(async () => {
  api = await startApi({ mounts: [] });
  // The print page is mounted like start.ts mounts it, on the same server.
  api.http.mount(printMount({ engine: api.engine, templates: api.templates, links, logger: silentLogger, now: () => now }));
  lessonId = await quick("lesson-plan", { grade: "5", subject: "Science", topic: "Solar System", user_id: "t1" });
  quizId = await quick("assessment", { grade: "4", subject: "Math", topic: "Fractions", user_id: "t1" });
});
afterAll(async () => {
  await api.close();
});

async function raw(path: string, key: string | null = KEY): Promise<Response> {
  return fetch(`${api.base}${path}`, key ? { headers: { authorization: `Bearer ${key}` } } : {});
}

describe("GET /api/workflows/executions/{id}/document", () => {
  it("is linked from the finished execution's view", async () => {
    const view = await api.call("GET", `/api/workflows/executions/${lessonId}`);
    expect((view.body as Json).links.document).toBe(`/api/workflows/executions/${lessonId}/document`);
  });

  it("serves Word by default, named from the title and topic, as a download that opens with the topic", async () => {
    const res = await raw(`/api/workflows/executions/${lessonId}/document`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe(DOCX);
    expect(res.headers.get("content-disposition")).toBe(
      `attachment; filename="lesson-plan-solar-system.docx"; filename*=UTF-8''lesson-plan-solar-system.docx`,
    );
    const docx = await readDocx(new Uint8Array(await res.arrayBuffer()));
    expect(docx.paragraphs.find((p) => p.style === "Heading1")?.text).toMatch(/^Lesson plan: Solar System/);
    // The same answer, checked against the OpenAPI document.
    expect((await api.call("GET", `/api/workflows/executions/${lessonId}/document?format=docx`)).status).toBe(200);
  });

  it("serves the printable HTML inline and the Markdown as a download", async () => {
    const html = await api.call("GET", `/api/workflows/executions/${lessonId}/document?format=html`);
    expect(html.status).toBe(200);
    expect(html.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(html.headers.get("content-disposition")).toMatch(/^inline; filename="lesson-plan-solar-system.html"/);
    expect(html.text).toMatch(/^<!doctype html>[\s\S]*<h1>Lesson plan: Solar System/);
    const md = await api.call("GET", `/api/workflows/executions/${lessonId}/document?format=md`);
    expect(md.headers.get("content-type")).toBe("text/markdown; charset=utf-8");
    expect(md.headers.get("content-disposition")).toMatch(/^attachment; filename="lesson-plan-solar-system.md"/);
    expect(md.text).toMatch(/^# Lesson plan: Solar System/);
  });

  it("serves an assessment's student copy and answer key in each format", async () => {
    for (const [part, title] of [
      ["student-copy", "Student copy: Fractions"],
      ["answer-key", "Answer key: Fractions"],
    ] as const) {
      const word = await raw(`/api/workflows/executions/${quizId}/document?part=${part}`);
      expect(word.headers.get("content-disposition")).toMatch(new RegExp(`filename="assessment-${part}-fractions.docx"`));
      expect((await readDocx(new Uint8Array(await word.arrayBuffer()))).title).toBe(title);
      const md = await api.call("GET", `/api/workflows/executions/${quizId}/document?format=md&part=${part}`);
      expect(md.status).toBe(200);
      expect(md.text.length).toBeGreaterThan(100);
      const html = await api.call("GET", `/api/workflows/executions/${quizId}/document?format=html&part=${part}`);
      expect(html.text).toContain(`<title>${title}</title>`);
    }
  });

  it("answers unknown executions, missing parts and bad queries in one sentence", async () => {
    const unknown = await api.call("GET", "/api/workflows/executions/nope123/document");
    expect(unknown.status).toBe(404);
    expect((unknown.body as Json).detail).toBe('No execution with id "nope123" exists.');
    const noPart = await api.call("GET", `/api/workflows/executions/${lessonId}/document?part=answer-key`);
    expect(noPart.status).toBe(404);
    expect((noPart.body as Json).detail).toMatch(/has no answer key; only assessments have a student copy and an answer key\.$/);
    const badFormat = await api.call("GET", `/api/workflows/executions/${lessonId}/document?format=pdf`);
    expect(badFormat.status).toBe(400);
    expect((badFormat.body as Json).errors[0].field).toBe("query.format");
    const badPart = await api.call("GET", `/api/workflows/executions/${lessonId}/document?part=teacher-copy`);
    expect(badPart.status).toBe(400);
    expect((await raw(`/api/workflows/executions/${lessonId}/document`, null)).status).toBe(401);
  });

  it("is in the OpenAPI document with its formats, parts and content types", () => {
    const op = (api.doc as Json).paths["/api/workflows/executions/{id}/document"].get;
    expect(op.operationId).toBe("getExecutionDocument");
    expect(Object.keys(op.responses["200"].content)).toEqual([DOCX, "text/html", "text/markdown"]);
    const query = Object.fromEntries((op.parameters as Json[]).filter((p) => p.in === "query").map((p) => [p.name, p.schema]));
    expect(query.format.enum).toEqual(["docx", "html", "md"]);
    expect(query.part.enum).toEqual(["document", "student-copy", "answer-key"]);
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(["200", "400", "404", "409"]));
  });
});

describe("the signed printable page", () => {
  const path = (url: string) => {
    const u = new URL(url);
    return `${u.pathname}${u.search}`;
  };

  it("opens with a good signature, without any login", async () => {
    const res = await raw(path(links.url(lessonId)), null);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("private, no-store");
    const page = await res.text();
    expect(page).toContain("<h1>Lesson plan: Solar System");
    expect(page).toContain('onclick="window.print()"');
    const key = await raw(path(links.url(quizId, "answer-key")), null);
    expect(await key.text()).toContain("<title>Answer key: Fractions</title>");
  });

  it("refuses an expired, a tampered and an unsigned link, serving nothing of the document", async () => {
    const good = new URL(links.url(lessonId));
    // Expired: the same link eight days on.
    now += 8 * 86_400_000;
    try {
      const expiredRes = await raw(path(good.href), null);
      expect(expiredRes.status).toBe(410);
      expect(await expiredRes.text()).toBe("This link has expired; ask for the document again in Slack or Discord to get a new one.");
    } finally {
      now -= 8 * 86_400_000;
    }
    const variants: [string, (u: URL) => void][] = [
      ["tampered signature", (u) => u.searchParams.set("sig", `${u.searchParams.get("sig")!.slice(0, -2)}AA`)],
      ["extended expiry", (u) => u.searchParams.set("exp", String(Number(u.searchParams.get("exp")) + 86_400))],
      ["another execution", (u) => (u.pathname = `/print/${quizId}`)],
      ["another part", (u) => u.searchParams.set("part", "answer-key")],
      ["no signature", (u) => u.searchParams.delete("sig")],
      ["no query at all", (u) => (u.search = "")],
    ];
    for (const [what, change] of variants) {
      const u = new URL(good.href);
      change(u);
      const res = await raw(path(u.href), null);
      const text = await res.text();
      expect(res.status, what).toBe(403);
      expect(text, what).toMatch(/^This link is (not valid|incomplete); open the document from its Open \/ print link in the thread\.$/);
      expect(text, what).not.toMatch(/Solar System|Fractions/);
      expect(res.headers.get("content-type"), what).toBe("text/plain; charset=utf-8");
    }
    // The page itself answers only GET and HEAD.
    expect((await fetch(`${api.base}${path(good.href)}`, { method: "POST" })).status).toBe(405);
  });

  it("signs links that carry the execution, part and expiry, and verifies each part of them", () => {
    const t = Date.UTC(2026, 11, 5);
    const url = new URL(links.url("abc", "student-copy", t));
    expect(url.origin + url.pathname).toBe("https://staffroom.example.org/print/abc");
    expect(Number(url.searchParams.get("exp"))).toBe((t + 7 * 86_400_000) / 1000);
    expect(links.verify(url.pathname, url.searchParams, t)).toEqual({ ok: true, executionId: "abc", part: "student-copy" });
    expect(links.verify(url.pathname, url.searchParams, t + 7 * 86_400_000)).toEqual({ ok: false, reason: "expired" });
    const other = createLinkSigner({ secret: "another-secret-another-secret-12345", publicUrl: "https://staffroom.example.org" });
    expect(other.verify(url.pathname, url.searchParams, t)).toEqual({ ok: false, reason: "bad_signature" });
  });
});
