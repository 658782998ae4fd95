// Admin-added templates: the shipped example loads and runs like a built-in; bad files report every problem
// with file and path and are skipped without stopping the good ones.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createOfflineProvider } from "../../src/model/offline.ts";
import { describeFields, loadTemplates, offlineDrafters } from "../../src/templates/index.ts";
import { harness, headings } from "./helpers.ts";

const repoRoot = resolve(import.meta.dirname, "../..");
const dirs: string[] = [];
function tempDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "staffroom-templates-"));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const goodJson = {
  id: "reading-log",
  version: 2,
  title: "Reading log prompts",
  description: "Prompts for a week of reading logs.",
  inputs: [
    {
      name: "book",
      type: "string",
      question: "Which book is the class reading?",
      help: "Title and author.",
      example: "Wonder by R. J. Palacio",
      aliases: ["title", "novel"],
      absent: "no book",
    },
    { name: "days", type: "number", question: "How many days?", help: "1-7.", example: 5, min: 1, max: 7, required: false },
    {
      name: "level",
      type: "enum",
      question: "Which level?",
      help: "Pick one.",
      example: "core",
      choices: [{ value: "core", label: "Core" }, "stretch"],
    },
  ],
  nodes: [
    {
      id: "prompts",
      kind: "agent",
      in: { book: "inputs.book", days: "inputs.days" },
      prompt: "Write {{days}} reading log prompts for {{book}}.",
    },
  ],
};

describe("admin templates", () => {
  it("loads the shipped example next to the built-ins and runs it through the engine", async () => {
    const { templates, problems } = await loadTemplates({ templatesDir: join(repoRoot, "examples/templates") });
    expect(problems).toEqual([]);
    expect(templates.map((t) => t.command)).toEqual(["lesson-plan", "assessment", "feedback", "parent-message", "exit-ticket"]);
    const exit = templates.find((t) => t.id === "exit-ticket")!;
    expect(exit.source).toBe("exit-ticket.yaml");
    const fields = describeFields(exit.inputSchema);
    expect(fields.map((f) => [f.name, f.type, f.required])).toEqual([
      ["grade", "enum", true],
      ["topic", "string", true],
      ["count", "integer", false],
    ]);
    expect(fields[2]).toMatchObject({ min: 3, max: 5, question: "How many questions?" });
    expect(exit.inputSchema.safeParse({ grade: "5", topic: "Fractions", count: 9 }).error?.issues[0]?.message).toBe("At most 5.");

    const h = await harness(templates, createOfflineProvider({ drafters: offlineDrafters(templates) }));
    try {
      const view = await h.run("exit-ticket", { grade: "5", topic: "Comparing fractions", count: "4" });
      expect(view.status).toBe("completed");
      expect(view.inputs.count).toBe(4);
      const doc = exit.render(view);
      expect(doc.title).toBe("Exit ticket: Comparing fractions");
      expect(headings(doc.markdown)).toEqual(["Questions", "What to look for"]);
      expect(doc.markdown).toMatch(/## Questions\n- .*Comparing fractions/);
      expect(doc.filename).toBe("exit-ticket-comparing-fractions.md");
    } finally {
      await h.close();
    }
  });

  it("reports every problem of every bad file with its path, and still loads the good ones", async () => {
    const dir = tempDir({
      "a-good.json": JSON.stringify(goodJson),
      "b-syntax.yaml": "id: broken\ninputs: [\n  - name: x\n",
      "c-many-problems.yaml": [
        "id: Bad_Id",
        "version: 1",
        "title: Many problems",
        "command: lesson-plan",
        "description: x",
        "inputs:",
        "  - name: topic",
        "    type: enum",
        "    question: Which topic?",
        "    help: Any.",
        "    example: x",
        "  - name: topic",
        "    type: string",
        "    question: Again?",
        "    help: Twice.",
        "    example: y",
        "    colour: red",
        "nodes:",
        "  - id: write",
        "    kind: agent",
        "    in: { topic: inputs.subject }",
        "    prompt: Write about {{topic}} for {{grade}}",
        "    outputSchema: nowhere",
        "    next: [ghost]",
        "  - id: shape",
        "    kind: transform",
        "    fn: not.registered",
        "document:",
        "  sections:",
        "    - heading: Result",
        "      from: nodes.missing",
      ].join("\n"),
      "d-clash.json": JSON.stringify({ ...goodJson, id: "lesson-plan", command: "reading" }),
      "e-dup-command.json": JSON.stringify({ ...goodJson, id: "reading-log-two", command: "reading-log" }),
      "notes.md": "not a template",
    });
    const { templates, problems } = await loadTemplates({ standardsDir: "none", templatesDir: dir });
    expect(templates.filter((t) => t.source !== "builtin").map((t) => t.id)).toEqual(["reading-log"]);
    const byFile = (file: string) => problems.filter((p) => p.file === file).map((p) => `${p.path}: ${p.message}`);

    expect(byFile("b-syntax.yaml").length).toBeGreaterThan(0);
    for (const p of byFile("b-syntax.yaml")) expect(p).toMatch(/^line \d+:\d+: is not valid YAML/);

    const many = byFile("c-many-problems.yaml");
    expect(many).toEqual(
      expect.arrayContaining([
        "id: workflow ids are lower-case words joined by -",
        'inputs[0].choices: an "enum" input needs choices',
        expect.stringMatching(/^inputs\[1\]: Unrecognized key: "colour"/),
        'inputs[1].name: input "topic" is declared twice',
        'nodes[0].next[0]: points to "ghost", which is not a node of this workflow',
        'nodes[0].in.topic: reads input "subject", which the workflow does not declare in inputs',
        'nodes[0].prompt: uses {{grade}}, but "grade" is not one of this node\'s inputs (topic)',
        'nodes[0].outputSchema: schema "nowhere" is not registered',
        'nodes[1].fn: transform "not.registered" is not registered',
      ]),
    );
    expect(many.length).toBeGreaterThanOrEqual(9);

    expect(byFile("d-clash.json")).toEqual(['id: "lesson-plan" is already used by another template']);
    expect(byFile("e-dup-command.json")).toEqual(["command: the command /reading-log is already used by another template"]);
    expect(byFile("notes.md")).toEqual([]);
  });

  it("reports document sections that read unknown nodes and descriptions too long for slash commands", async () => {
    const dir = tempDir({
      "x.json": JSON.stringify({
        ...goodJson,
        description: "d".repeat(120),
        document: { sections: [{ heading: "Prompts", from: "nodes.nothing" }] },
      }),
    });
    const { problems } = await loadTemplates({ standardsDir: "none", templatesDir: dir });
    expect(problems.map((p) => `${p.file} ${p.path}: ${p.message}`)).toEqual([
      "x.json description: keep the description under 100 characters (slash commands show it)",
    ]);
    const fixed = tempDir({
      "x.json": JSON.stringify({ ...goodJson, document: { sections: [{ heading: "Prompts", from: "nodes.nothing" }] } }),
    });
    const second = await loadTemplates({ standardsDir: "none", templatesDir: fixed });
    expect(second.problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'document.sections[0].from: reads node "nothing", which is not a node of this template',
    ]);
  });

  it("reports a missing templates folder without failing the built-ins", async () => {
    const { templates, problems } = await loadTemplates({ standardsDir: "none", templatesDir: join(tmpdir(), "no-such-templates-xyz") });
    expect(templates).toHaveLength(4);
    expect(problems[0]?.message).toBe("folder not found; check STAFFROOM_TEMPLATES_DIR");
  });

  it("an admin input's aliases join the field table: the parser and the CLI accept them", async () => {
    const dir = tempDir({ "reading-log.json": JSON.stringify(goodJson) });
    const { templates, problems } = await loadTemplates({ standardsDir: "none", templatesDir: dir });
    expect(problems).toEqual([]);
    const log = templates.find((t) => t.id === "reading-log")!;
    const book = describeFields(log.inputSchema).find((f) => f.name === "book")!;
    expect(book).toMatchObject({ aliases: ["title", "novel"], absent: "no book" });
    const { conversationFields } = await import("../../src/conversation/fields.ts");
    const { parseRequest } = await import("../../src/conversation/parse.ts");
    expect(parseRequest('novel:"Wonder" level:core', conversationFields(log.inputSchema)).values).toEqual({
      book: "Wonder",
      level: "core",
    });
  });
});
