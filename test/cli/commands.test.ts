import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { createRuntime, type Runtime } from "../../src/app/runtime.ts";
import { flagNumber, parseArgs, parseInputs } from "../../src/cli/args.ts";
import { type CliIO, interpretAnswer, prepareRun, runCommand } from "../../src/cli/commands.ts";
import { executionJson, progressLine } from "../../src/cli/format.ts";
import { loadConfig } from "../../src/config.ts";
import { WorkflowDefinition } from "../../src/engine/schema.ts";
import { InvalidInputError } from "../../src/errors.ts";
import type { Template } from "../../src/templates/types.ts";
import { formatDuration } from "../../src/util/duration.ts";

describe("argument parsing", () => {
  it("splits command, positionals, switches and valued flags", () => {
    expect(parseArgs(["run", "demo", "topic=a b", "--json", "--limit", "5", "--status=failed"])).toEqual({
      command: "run",
      positionals: ["demo", "topic=a b"],
      flags: { json: true, limit: "5", status: "failed" },
    });
    expect(parseArgs([]).command).toBe("help");
    expect(() => parseArgs(["executions", "--limit"])).toThrow(InvalidInputError);
    expect(flagNumber({ limit: "7" }, "limit", 50)).toBe(7);
    expect(() => flagNumber({ limit: "0" }, "limit", 50)).toThrow("--limit");
  });

  it("reads key=value inputs, keeping = inside values, and reports every malformed word", () => {
    expect(parseInputs(["topic=a=b", "grade=5", "note="])).toEqual({ topic: "a=b", grade: "5", note: "" });
    try {
      parseInputs(["topic", "grade=1", "grade=2", "=x"]);
      expect.unreachable();
    } catch (error) {
      expect((error as InvalidInputError).issues.map((i) => i.path)).toEqual(["topic", "grade", "=x"]);
    }
  });

  it("reads keys through the template's field table: names, labels and aliases; unknown keys in one sentence", async () => {
    const { loadTemplates } = await import("../../src/templates/index.ts");
    const { templates } = await loadTemplates();
    const feedback = prepareRun(
      templates,
      parseArgs(["run", "student-feedback", "student=Sam", "task=lab report", "work=Plants need light.", "next steps=explain the trend"]),
    );
    expect(feedback.inputs).toEqual({
      studentName: "Sam",
      assignment: "lab report",
      studentWork: "Plants need light.",
      focus: "explain the trend",
    });
    const plan = prepareRun(templates, parseArgs(["run", "lesson-plan", "grade=5", "subject=Science", "about=Tides", "minutes=45"]));
    expect(plan.inputs).toEqual({ grade: "5", subject: "Science", topic: "Tides", duration: "45" });
    expect(() =>
      prepareRun(templates, parseArgs(["run", "lesson-plan", "grade=5", "subject=Science", "topic=Tides", "duration=45", "colour=blue"])),
    ).toThrow(
      '"colour" is not an input of lesson-plan; its inputs are grade, subject, topic, duration, standards, objectives, class, materials, language.',
    );
  });

  it("interprets answers by number, value or label, and JSON for free-form answers", () => {
    const choices = [
      { value: "ok", label: "Looks good" },
      { value: "redo", label: "Try again" },
    ];
    expect(interpretAnswer("2", choices)).toBe("redo");
    expect(interpretAnswer(" looks good ", choices)).toBe("ok");
    expect(interpretAnswer("REDO", choices)).toBe("redo");
    expect(interpretAnswer("maybe", choices)).toBe("maybe");
    expect(interpretAnswer('{"score": 3}', [])).toEqual({ score: 3 });
    expect(interpretAnswer("{not json", [])).toBe("{not json");
  });
});

describe("formatting", () => {
  it("formats durations and progress lines", () => {
    expect(formatDuration(12.4)).toBe("0.1 s");
    expect(formatDuration(450)).toBe("0.5 s");
    expect(formatDuration(1500)).toBe("1.5 s");
    expect(formatDuration(125_000)).toBe("2 min 5 s");
    expect(formatDuration(119_600)).toBe("2 min 0 s");
    expect(formatDuration(59_990)).toBe("1 min 0 s");
    expect(formatDuration(3_780_000)).toBe("1 h 3 min");
    expect(formatDuration(undefined)).toBe("-");
    const base = { executionId: "e", seq: 1, at: 0 };
    expect(progressLine({ ...base, type: "node.completed", nodeId: "a", data: { durationMs: 20 } }, { a: "Step A" })).toBe(
      "  ✓ Step A (0.1 s)",
    );
    expect(
      progressLine({
        ...base,
        type: "node.retrying",
        nodeId: "a",
        data: { attempt: 1, delayMs: 300, error: { code: "x", message: "Busy." } },
      }),
    ).toBe("  ↻ a failed: Busy. Trying again in 0.3 s.");
    expect(progressLine({ ...base, type: "node.started", nodeId: "a", data: { attempt: 2 }, sub: { executionId: "c", nodeId: "s" } })).toBe(
      "    … a (attempt 2)",
    );
    expect(progressLine({ ...base, type: "execution.completed" })).toBeUndefined();
  });
});

/** A template with a human step: the CLI asks on stderr and reads the answer from stdin. */
const approvalTemplate: Template = (() => {
  const inputSchema = z.object({ topic: z.string().min(1).meta({ label: "Topic", question: "Topic?", help: "", example: "x" }) });
  return {
    id: "ask-length",
    command: "ask-length",
    title: "Ask length",
    description: "Asks one question.",
    inputSchema,
    workflow: {
      definition: WorkflowDefinition.parse({
        id: "ask-length",
        version: 1,
        title: "Ask length",
        inputs: ["topic"],
        nodes: [
          {
            id: "length",
            kind: "human",
            title: "Choose a length",
            prompt: "How long should it be?",
            choices: [
              { value: "short", label: "Short" },
              { value: "long", label: "Long" },
            ],
            deadline: { afterMs: 600_000, action: "cancel" },
            next: ["write"],
          },
          { id: "write", kind: "transform", fn: "ask.write", in: { topic: "inputs.topic", length: "nodes.length" } },
        ],
      }),
      inputSchema,
      transforms: { "ask.write": (input) => ({ text: `A ${String(input.length)} piece on ${String(input.topic)}` }) },
    },
    drafters: {},
    render: (view) => {
      const out = view.nodes.find((n) => n.nodeId === "write")?.output as { text: string };
      return { title: "Piece", markdown: out.text, filename: "piece.md" };
    },
    studentData: false,
  };
})();

function streams(stdinText: string): CliIO & { out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (d: Buffer) => {
    out += d.toString();
  });
  stderr.on("data", (d: Buffer) => {
    err += d.toString();
  });
  const stdin = new PassThrough();
  stdin.end(stdinText);
  return { stdout, stderr, stdin, out: () => out, err: () => err };
}

describe("run with a human step", () => {
  let rt: Runtime | undefined;
  afterEach(async () => {
    await rt?.close();
    rt = undefined;
  });

  it("asks on stderr, re-asks after an invalid answer, and finishes with the chosen value", async () => {
    rt = await createRuntime(loadConfig({ STAFFROOM_STORE_URL: "memory:", STAFFROOM_MODEL_PROVIDER: "offline" }), {
      templates: [approvalTemplate],
    });
    const io = streams("7\nlong\n");
    const args = parseArgs(["run", "ask-length", "topic=tides"]);
    const code = await runCommand(rt, prepareRun(rt.templates, args), args, io);
    expect(io.err()).toContain("? How long should it be?");
    expect(io.err()).toContain("  2. Long");
    expect(io.err().match(/\? How long should it be\?/g)).toHaveLength(2);
    expect(code).toBe(0);
    expect(io.out().trim()).toBe("A long piece on tides");
  });

  it("leaves the execution waiting and exits 1 when stdin ends without an answer", async () => {
    rt = await createRuntime(loadConfig({ STAFFROOM_STORE_URL: "memory:", STAFFROOM_MODEL_PROVIDER: "offline" }), {
      templates: [approvalTemplate],
    });
    const io = streams("");
    const args = parseArgs(["run", "ask-length", "topic=tides", "--json"]);
    const code = await runCommand(rt, prepareRun(rt.templates, args), args, io);
    expect(code).toBe(1);
    expect(io.err()).toMatch(/No answer was given, so .* is still waiting/);
    const [record] = await rt.engine.list();
    expect(record!.status).toBe("waiting");
    expect(executionJson((await rt.engine.get(record!.id))!).nodes[0]).toMatchObject({ id: "length", status: "waiting" });
  });
});
