// `staffroom validate` on workflow files, admin template files and folders: the shipped example passes,
// and every problem of a file (schema, graph, references) is reported in one pass.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadTemplateList } from "../../src/app/runtime.ts";
import { fileKind, validatePaths } from "../../src/cli/validate.ts";
import { loadConfig } from "../../src/config.ts";
import { validateWorkflow } from "../../src/engine/validate.ts";
import { silentLogger } from "../../src/log.ts";
import type { Template } from "../../src/templates/types.ts";
import { repoRoot, runCli } from "./helpers.ts";

const example = resolve(repoRoot, "examples/templates/exit-ticket.yaml");

describe("staffroom validate", () => {
  let dir: string;
  let templates: Template[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "staffroom-validate-"));
    templates = await loadTemplateList(loadConfig({ STAFFROOM_STORE_URL: "memory:" }), silentLogger);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("accepts the shipped exit-ticket example through the real CLI", async () => {
    const res = await runCli(["validate", example, "--json"], { cwd: dir, env: { STAFFROOM_STORE_URL: "memory:" } });
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toEqual({ file: example, kind: "admin template", valid: true, problems: [], id: "exit-ticket" });
  });

  it("reports a workflow's schema and graph problems together, even with a node that does not parse", () => {
    const problems = validateWorkflow(
      {
        id: "Bad Id",
        version: 1,
        title: "Broken",
        inputs: ["topic"],
        nodes: [
          { id: "draft", kind: "agent", prompt: "About {{topic}}", in: { topic: "inputs.topic" }, next: ["review", "nowhere"] },
          { id: "review", kind: "agent", temperature: "hot", next: ["draft"] },
          { id: "polish", kind: "transform", fn: "no.such.fn", in: { text: "nodes.draft" } },
        ],
      },
      { transforms: new Set(["demo.brief"]) },
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        { path: "id", message: "workflow ids are lower-case words joined by -" },
        expect.objectContaining({ path: expect.stringMatching(/^nodes\[1\]/) }),
        // Graph and reference problems of the nodes that parsed, at their own indexes.
        { path: "nodes[0].next[1]", message: 'points to "nowhere", which is not a node of this workflow' },
        { path: "nodes[2].fn", message: 'transform "no.such.fn" is not registered' },
      ]),
    );
    // The node that did not parse is reported by the schema, not again as a missing edge target.
    expect(problems.some((p) => p.message.includes('"review", which is not a node'))).toBe(false);
  });

  it("checks a whole folder: each file as a workflow or an admin template, every problem with its path", async () => {
    const folder = join(dir, "mixed");
    mkdirSync(folder);
    copyFileSync(example, join(folder, "a-exit-ticket.yaml"));
    // Same id and command as the example, a bad input type, and a node naming an unknown transform.
    writeFileSync(
      join(folder, "b-clash.json"),
      JSON.stringify({
        id: "exit-ticket",
        version: 1,
        title: "Clash",
        description: "Takes an id that is already used.",
        inputs: [{ name: "topic", type: "text", question: "What topic?", help: "A phrase.", example: "fractions" }],
        nodes: [{ id: "write", kind: "transform", fn: "no.such.fn", in: { topic: "inputs.topic" } }],
      }),
    );
    writeFileSync(
      join(folder, "c-flow.yaml"),
      "id: c-flow\nversion: 1\ntitle: Flow\nnodes:\n  - id: a\n    kind: agent\n    prompt: Say hello.\n    next: [b]\n",
    );
    writeFileSync(join(folder, "d-broken.yaml"), "id: [unclosed\n");
    writeFileSync(join(folder, "notes.txt"), "not a definition");

    const reports = await validatePaths([folder, join(dir, "missing.yaml")], templates);
    const byName = Object.fromEntries(reports.map((r) => [r.file.split("/").pop(), r]));
    expect(Object.keys(byName)).toEqual(["a-exit-ticket.yaml", "b-clash.json", "c-flow.yaml", "d-broken.yaml", "missing.yaml"]);
    expect(byName["a-exit-ticket.yaml"]).toMatchObject({ kind: "admin template", valid: true });
    expect(byName["b-clash.json"]).toMatchObject({ kind: "admin template", valid: false });
    expect(byName["b-clash.json"]!.problems).toEqual(
      expect.arrayContaining([
        { path: "inputs[0].type", message: expect.stringContaining("string") },
        { path: "nodes[0].fn", message: 'transform "no.such.fn" is not registered' },
      ]),
    );
    expect(byName["c-flow.yaml"]).toMatchObject({
      kind: "workflow",
      problems: [{ path: "nodes[0].next[0]", message: 'points to "b", which is not a node of this workflow' }],
    });
    expect(byName["d-broken.yaml"]).toMatchObject({ kind: "unreadable", valid: false });
    expect(byName["d-broken.yaml"]!.problems[0]!.message).toMatch(/^is not valid YAML/);
    expect(byName["missing.yaml"]!.problems).toEqual([{ path: join(dir, "missing.yaml"), message: "cannot read the file: ENOENT" }]);

    mkdirSync(join(dir, "empty"));
    const emptyReport = await validatePaths([join(dir, "empty")], templates);
    expect(emptyReport).toEqual([
      {
        file: join(dir, "empty"),
        kind: "unreadable",
        valid: false,
        problems: [{ path: join(dir, "empty"), message: "holds no .json, .yaml or .yml files" }],
      },
    ]);
  });

  it("tells admin template files from workflow files by their inputs", () => {
    expect(fileKind({ inputs: [{ name: "topic" }] })).toBe("admin template");
    expect(fileKind({ inputs: ["topic"], nodes: [] })).toBe("workflow");
    expect(fileKind({ command: "exit-ticket" })).toBe("admin template");
  });
});
