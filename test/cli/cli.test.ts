import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { validateWorkflowFile } from "../../src/engine/load.ts";
import { headingsOf, readDocx } from "../documents/docx-reader.ts";
import { type FakeOpenAI, startFakeOpenAI } from "../fakes/openai-server.ts";
import { runCli, spawnCli } from "./helpers.ts";

// Each spawn costs about a second (tsx start-up), so each test checks several things at once.
describe("staffroom CLI (offline model)", () => {
  let dir: string;
  let env: Record<string, string>;
  let runId = "";

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "staffroom-cli-"));
    env = { STAFFROOM_STORE_URL: `sqlite://${join(dir, "data", "x.sqlite")}` };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("lists templates with their input fields as JSON", async () => {
    const res = await runCli(["templates", "--json"], { cwd: dir, env });
    expect(res.code).toBe(0);
    const list = JSON.parse(res.stdout) as { id: string; version: number; title: string; inputs: { name: string; required: boolean }[] }[];
    const demo = list.find((t) => t.id === "demo-lesson");
    expect(demo).toMatchObject({ version: 1, title: "Demo: quick lesson sketch" });
    expect(demo!.inputs.map((f) => [f.name, f.required])).toEqual([
      ["topic", true],
      ["grade", false],
      ["minutes", false],
    ]);
  });

  it("runs a template to completion: progress on stderr, the execution record as JSON on stdout", async () => {
    const res = await runCli(["run", "demo-lesson", "topic=equivalent fractions", "grade=5", "minutes=40", "--json"], { cwd: dir, env });
    expect(res.stderr).not.toMatch(/\n\s+at /);
    expect(res.code).toBe(0);
    const record = JSON.parse(res.stdout);
    runId = record.id;
    expect(record).toMatchObject({ templateId: "demo-lesson", status: "completed", provider: "offline" });
    expect(typeof record.totalMs).toBe("number");
    expect(record.nodes.map((n: { id: string; status: string; attempts: number }) => [n.id, n.status, n.attempts])).toEqual([
      ["brief", "completed", 1],
      ["objectives", "completed", 1],
      ["activities", "completed", 1],
      ["plan", "completed", 1],
    ]);
    for (const n of record.nodes) expect(typeof n.durationMs).toBe("number");
    expect(record.outputs.brief).toEqual({ topic: "equivalent fractions", audience: "grade 5", minutes: 40 });
    expect(record.outputs.plan.markdown).toContain("# Lesson sketch: equivalent fractions");
    const minutes = record.outputs.activities.activities.reduce((s: number, a: { minutes: number }) => s + a.minutes, 0);
    expect(minutes).toBe(40);
    // Human progress per node, and the one-line offline notice.
    expect(res.stderr).toContain("✓ Draft learning objectives");
    expect(res.stderr).toContain("✓ Put the plan together");
    expect(res.stderr.match(/using the offline model/g)).toHaveLength(1);
  });

  it("turns bad input into one friendly sentence and exit code 2", async () => {
    const [missing, wrong] = await Promise.all([
      runCli(["run", "demo-lesson", "grade=5"], { cwd: dir, env }),
      runCli(["run", "demo-lesson", "topic=volcanoes", "minutes=5"], { cwd: dir, env }),
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split("\n")).toEqual([
      'Topic is missing: What is the lesson about? Add it as topic="equivalent fractions".',
    ]);
    expect(missing.stdout).toBe("");

    expect(wrong.code).toBe(2);
    const lines = wrong.stderr
      .trim()
      .split("\n")
      .filter((l) => !l.startsWith("Note:"));
    expect(lines).toEqual(["Minutes: A lesson should be at least 10 minutes."]);
    expect(wrong.stderr).not.toMatch(/\n\s+at /);
  });

  it("--output writes the document in the format its extension names, companions beside it", async () => {
    // Its own store, so the listing test below still sees only the first run.
    const env2 = { STAFFROOM_STORE_URL: `sqlite://${join(dir, "data", "output.sqlite")}` };
    const [plan, quiz, bad] = await Promise.all([
      runCli(["run", "lesson-plan", "grade=5", "subject=Science", "topic=Solar System", "duration=45", "--output", "out/plan.docx"], {
        cwd: dir,
        env: env2,
      }),
      runCli(["run", "assessment", "grade=4", "subject=Math", "topic=Fractions", "questionCount=4", "--output=quiz.html"], {
        cwd: dir,
        env: env2,
      }),
      runCli(["run", "lesson-plan", "grade=5", "subject=Science", "topic=Solar System", "duration=45", "--output", "plan.pdf"], {
        cwd: dir,
        env: env2,
      }),
    ]);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toBe("");
    expect(plan.stderr).toContain(`Saved Lesson plan: Solar System to ${join("out", "plan.docx")}`);
    const word = await readDocx(readFileSync(join(dir, "out", "plan.docx")));
    expect(headingsOf(word, "Heading2")).toContain("Timing");
    expect(word.tables[0]!.rows.at(-1)?.slice(0, 2)).toEqual(["Total", "45"]);

    expect(quiz.code).toBe(0);
    for (const name of ["quiz.html", "quiz-student-copy.html", "quiz-answer-key.html"]) {
      expect(readFileSync(join(dir, name), "utf8")).toMatch(/^<!doctype html>/);
    }
    expect(readFileSync(join(dir, "quiz-student-copy.html"), "utf8")).not.toContain("Answer key");

    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe("--output needs a file name ending in .docx, .html, .md, e.g. --output plan.docx.");
    expect(existsSync(join(dir, "plan.pdf"))).toBe(false);
  }, 90_000);

  it("validates a workflow file and lists every problem with exit code 1", async () => {
    const file = join(dir, "broken.yaml");
    writeFileSync(
      file,
      [
        "id: broken-flow",
        "version: 1",
        "title: Broken",
        "inputs: [topic]",
        "nodes:",
        "  - id: draft",
        "    kind: agent",
        "    prompt: 'Write about {{topic}}'",
        "    in: { topic: inputs.subject }",
        "    next: [missing]",
        "  - id: polish",
        "    kind: transform",
        "    fn: no.such.transform",
        "    in: { text: nodes.draft }",
      ].join("\n"),
    );
    const expected = await validateWorkflowFile(file, { transforms: new Set(["demo.brief", "demo.plan"]), schemas: new Set() });
    expect(expected.length).toBeGreaterThanOrEqual(3);
    const res = await runCli(["validate", file], { cwd: dir, env });
    expect(res.code).toBe(1);
    expect(res.stdout).toContain(`has ${expected.length} problems`);
    for (const p of expected) expect(res.stdout).toContain(`${p.path}: ${p.message}`);
  });

  it("lists, shows, counts and refuses to cancel a finished execution", async () => {
    expect(runId).not.toBe("");
    // Read-only commands: run side by side to keep the suite quick.
    const [list, show, stats, cancel, unknown] = await Promise.all([
      runCli(["executions", "--json"], { cwd: dir, env }),
      runCli(["show", runId, "--json"], { cwd: dir, env }),
      runCli(["stats", "demo-lesson", "--json"], { cwd: dir, env }),
      runCli(["cancel", runId], { cwd: dir, env }),
      runCli(["show", "nope"], { cwd: dir, env }),
    ]);
    expect(list.code).toBe(0);
    const records = JSON.parse(list.stdout) as { id: string; status: string }[];
    expect(records.map((r) => r.id)).toEqual([runId]);

    expect(show.code).toBe(0);
    const view = JSON.parse(show.stdout);
    expect(view.id).toBe(runId);
    expect(view.nodes).toHaveLength(4);

    expect(stats.code).toBe(0);
    const [s] = JSON.parse(stats.stdout);
    expect(s).toMatchObject({ templateId: "demo-lesson", runs: 1, completed: 1, successRate: 1 });
    expect(s.nodes.map((n: { nodeId: string }) => n.nodeId).sort()).toEqual(["activities", "brief", "objectives", "plan"]);

    expect(cancel.code).toBe(1);
    expect(cancel.stderr).toContain("has already finished (completed)");

    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim()).toBe('No execution with id "nope" was found.');
  });
});

describe("staffroom CLI against an OpenAI-compatible endpoint", () => {
  let dir: string;
  let fake: FakeOpenAI;
  let env: Record<string, string>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "staffroom-cli-ai-"));
    fake = await startFakeOpenAI();
    env = { STAFFROOM_STORE_URL: `sqlite://${join(dir, "x.sqlite")}`, OPENAI_BASE_URL: fake.url, STAFFROOM_MODEL: "fake-model" };
  });
  afterAll(async () => {
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("runs through the real openai SDK with structured outputs and prints the rendered plan", async () => {
    const res = await runCli(["run", "demo-lesson", "topic=photosynthesis"], { cwd: dir, env });
    expect(res.code).toBe(0);
    expect(res.stderr).not.toContain("offline");
    expect(fake.requests.map((r) => r.response_format?.json_schema?.name).sort()).toEqual(["demo_activities", "demo_objectives"]);
    expect(fake.requests.every((r) => r.model === "fake-model")).toBe(true);
    expect(fake.requests.find((r) => r.response_format?.json_schema?.name === "demo_objectives")!.messages.at(-1)!.content).toContain(
      "photosynthesis",
    );
    expect(res.stdout).toContain("# Lesson sketch: photosynthesis");
    expect(res.stdout).not.toContain("Offline draft");
  });

  it("resumes an execution a crash left running", async () => {
    // The objectives call hangs; the process is killed mid-run, then `resume` finishes the work.
    fake.enqueue({ delayMs: 60_000 }, { delayMs: 60_000 });
    const before = fake.requests.length;
    const run = spawnCli(["run", "demo-lesson", "topic=magnets", "--json"], { cwd: dir, env });
    await run.stderrIncludes("… Draft activities");
    await expect.poll(() => fake.requests.length, { timeout: 20_000 }).toBe(before + 2);
    run.child.kill("SIGKILL");
    await run.done;

    const res = await runCli(["resume", "--json"], { cwd: dir, env });
    expect(res.code).toBe(0);
    const records = JSON.parse(res.stdout) as {
      status: string;
      outputs: { plan: { markdown: string } };
      nodes: { id: string; attempts: number }[];
    }[];
    expect(records).toHaveLength(1);
    expect(records[0]!.status).toBe("completed");
    expect(records[0]!.outputs.plan.markdown).toContain("magnets");
    expect(records[0]!.nodes.find((n) => n.id === "brief")!.attempts).toBe(1);
  });
});
