// Every validation rule of a workflow definition, each on its own small definition, plus the ways
// definitions arrive (register, builder, JSON/YAML files): every problem at once, each with its path.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { openStore } from "../../src/drivers/local/database.ts";
import { createEngine, loadWorkflowFile, parseWorkflow, validateWorkflow, WorkflowBuilder } from "../../src/engine/index.ts";
import { InvalidInputError, NotFoundError, WorkflowInvalidError } from "../../src/errors.ts";
import { ScriptedModel, tempDir } from "./helpers.ts";

type Def = {
  id: string;
  version: number;
  title: string;
  inputs: string[];
  nodes: Record<string, unknown>[];
  onFailure?: string;
  [k: string]: unknown;
};

/** A valid workflow every case breaks in exactly one way. */
function base(): Def {
  return {
    id: "base",
    version: 1,
    title: "Base",
    inputs: ["topic"],
    nodes: [
      { id: "start", kind: "transform", fn: "t", in: { topic: "inputs.topic" }, next: ["ask"] },
      { id: "ask", kind: "agent", in: { s: "nodes.start" }, prompt: "Write {{s}}", outputSchema: "Out", next: ["check"] },
      {
        id: "check",
        kind: "condition",
        branches: [{ when: [{ path: "nodes.ask.ok", op: "truthy" }], to: "yes" }],
        otherwise: "no",
      },
      {
        id: "yes",
        kind: "human",
        prompt: "OK?",
        choices: [{ value: "a", label: "A" }],
        deadline: { afterMs: 1000, action: "default", defaultAnswer: "a" },
        next: ["end"],
      },
      { id: "no", kind: "workflow", workflow: "child", version: 1, next: ["end"] },
      { id: "end", kind: "transform", fn: "t", in: { s: "nodes.start" } },
    ],
  };
}

const registries = {
  transforms: new Set(["t"]),
  schemas: new Set(["Out"]),
  workflowExists: (id: string, version: number) => id === "child" && version === 1,
};

function nodeAt(def: Def, id: string): Record<string, unknown> {
  const node = def.nodes.find((n) => n.id === id);
  if (!node) throw new Error(`no node ${id}`);
  return node;
}

type Case = [name: string, change: (d: Def) => void, path: string, message: RegExp];

const cases: Case[] = [
  [
    "schema: a bad workflow id",
    (d) => {
      d.id = "Bad Id";
    },
    "id",
    /lower-case/,
  ],
  ["schema: an agent without a prompt", (d) => void delete nodeAt(d, "ask").prompt, "nodes[1].prompt", /./],
  [
    "schema: a malformed context path",
    (d) => {
      nodeAt(d, "start").in = { topic: "topic" };
    },
    "nodes[0].in.topic",
    /inputs\.topic/,
  ],
  [
    "schema: an unknown node kind",
    (d) => {
      nodeAt(d, "end").kind = "script";
    },
    "nodes[5].kind",
    /./,
  ],
  [
    "duplicate node ids",
    (d) => {
      nodeAt(d, "end").id = "ask";
    },
    "nodes[5].id",
    /already used by nodes\[1\]/,
  ],
  [
    "next to an unknown node",
    (d) => {
      nodeAt(d, "yes").next = ["end", "nowhere"];
    },
    "nodes[3].next[1]",
    /"nowhere", which is not a node/,
  ],
  [
    "next to itself",
    (d) => {
      nodeAt(d, "end").next = ["end"];
    },
    "nodes[5].next[0]",
    /cannot lead to itself/,
  ],
  [
    "a condition with next",
    (d) => {
      nodeAt(d, "check").next = ["end"];
    },
    "nodes[2].next",
    /branches and otherwise/,
  ],
  [
    "a branch to an unknown node",
    (d) => {
      nodeAt(d, "check").branches = [{ when: [{ path: "nodes.ask.ok", op: "truthy" }], to: "ghost" }];
    },
    "nodes[2].branches[0].to",
    /"ghost"/,
  ],
  [
    "otherwise to an unknown node",
    (d) => {
      nodeAt(d, "check").otherwise = "ghost";
    },
    "nodes[2].otherwise",
    /"ghost"/,
  ],
  [
    "onError to an unknown node",
    (d) => {
      nodeAt(d, "ask").onError = "ghost";
    },
    "nodes[1].onError",
    /fallback "ghost"/,
  ],
  [
    "onError to itself",
    (d) => {
      nodeAt(d, "ask").onError = "ask";
    },
    "nodes[1].onError",
    /own fallback/,
  ],
  [
    "onFailure to an unknown node",
    (d) => {
      d.onFailure = "ghost";
    },
    "onFailure",
    /"ghost" is not a node/,
  ],
  [
    "an edge into a fallback node",
    (d) => {
      nodeAt(d, "ask").onError = "backup";
      d.nodes.push({ id: "backup", kind: "transform", fn: "t" });
      nodeAt(d, "end").next = ["backup"];
    },
    "nodes[6]",
    /no edge may lead to it/,
  ],
  [
    "a fallback node leading on",
    (d) => {
      d.onFailure = "notify";
      d.nodes.push({ id: "notify", kind: "transform", fn: "t", next: ["end"] });
    },
    "nodes[6].next",
    /cannot lead to other nodes/,
  ],
  [
    "a cycle of fallbacks",
    (d) => {
      nodeAt(d, "ask").onError = "f1";
      d.nodes.push({ id: "f1", kind: "transform", fn: "t", onError: "f2" }, { id: "f2", kind: "transform", fn: "t", onError: "f1" });
    },
    "nodes[6].onError",
    /cycle/,
  ],
  [
    "two start nodes",
    (d) => void d.nodes.push({ id: "stray", kind: "transform", fn: "t" }),
    "nodes",
    /exactly one start node, found 2: start, stray/,
  ],
  [
    "no start node",
    (d) => {
      nodeAt(d, "end").next = ["start"];
    },
    "nodes",
    /no start node/,
  ],
  [
    "a cycle",
    (d) => {
      nodeAt(d, "end").next = ["ask"];
    },
    "nodes[5].next[0]",
    /closes a cycle/,
  ],
  [
    "a node that cannot be reached",
    // A loop of two nodes has no start of its own, so nothing leads into it from the start node.
    (d) =>
      void d.nodes.push({ id: "c1", kind: "transform", fn: "t", next: ["c2"] }, { id: "c2", kind: "transform", fn: "t", next: ["c1"] }),
    "nodes[6]",
    /cannot be reached from the start node "start"/,
  ],
  [
    "reading an undeclared input",
    (d) => {
      nodeAt(d, "start").in = { topic: "inputs.subject" };
    },
    "nodes[0].in.topic",
    /input "subject"/,
  ],
  [
    "reading an unknown node",
    (d) => {
      nodeAt(d, "end").in = { s: "nodes.ghost.x" };
    },
    "nodes[5].in.s",
    /node "ghost"/,
  ],
  [
    "reading a node that may not have run",
    (d) => {
      nodeAt(d, "end").in = { s: "nodes.yes" };
    },
    "nodes[5].in.s",
    /does not always run before "end"/,
  ],
  [
    "reading a later node",
    (d) => {
      nodeAt(d, "ask").in = { s: "nodes.end" };
    },
    "nodes[1].in.s",
    /does not always run before "ask"/,
  ],
  [
    "a prompt variable that is not an input",
    (d) => {
      nodeAt(d, "ask").prompt = "Write {{topic}}";
    },
    "nodes[1].prompt",
    /\{\{topic\}\}/,
  ],
  [
    "a system variable that is not an input",
    (d) => {
      nodeAt(d, "ask").system = "Be {{tone}}";
    },
    "nodes[1].system",
    /"tone"/,
  ],
  [
    "a prompt reading an undeclared input without a mapping",
    (d) => {
      delete nodeAt(d, "yes").in;
      nodeAt(d, "yes").prompt = "About {{inputs.grade}}?";
    },
    "nodes[3].prompt",
    /input "grade"/,
  ],
  [
    "a condition rule on a node that may not have run",
    (d) => {
      nodeAt(d, "check").branches = [{ when: [{ path: "nodes.yes.x", op: "truthy" }], to: "yes" }];
    },
    "nodes[2].branches[0].when[0].path",
    /does not always run before "check"/,
  ],
  [
    "an unregistered output schema",
    (d) => {
      nodeAt(d, "ask").outputSchema = "Missing";
    },
    "nodes[1].outputSchema",
    /"Missing" is not registered/,
  ],
  [
    "an unregistered transform",
    (d) => {
      nodeAt(d, "end").fn = "missing";
    },
    "nodes[5].fn",
    /"missing" is not registered/,
  ],
  [
    "an unregistered answer schema",
    (d) => {
      nodeAt(d, "yes").answerSchema = "Missing";
    },
    "nodes[3].answerSchema",
    /"Missing" is not registered/,
  ],
  [
    "a default deadline without a default answer",
    (d) => {
      nodeAt(d, "yes").deadline = { afterMs: 1000, action: "default" };
    },
    "nodes[3].deadline.defaultAnswer",
    /required/,
  ],
  [
    "a default answer that is not a choice",
    (d) => {
      nodeAt(d, "yes").deadline = { afterMs: 1000, action: "default", defaultAnswer: "b" };
    },
    "nodes[3].deadline.defaultAnswer",
    /one of the choices/,
  ],
  [
    "duplicate choice values",
    (d) => {
      nodeAt(d, "yes").choices = [
        { value: "a", label: "A" },
        { value: "a", label: "Again" },
      ];
    },
    "nodes[3].choices",
    /unique/,
  ],
  [
    "an unregistered sub-workflow version",
    (d) => {
      nodeAt(d, "no").version = 2;
    },
    "nodes[4].workflow",
    /"child" version 2 is not registered/,
  ],
];

describe("validateWorkflow", () => {
  it("accepts the base workflow", () => {
    expect(validateWorkflow(base(), registries)).toEqual([]);
  });

  it.each(cases)("reports %s", (_name, change, path, message) => {
    const def = base();
    change(def);
    const problems = validateWorkflow(def, registries);
    const hit = problems.find((p) => p.path === path);
    expect(hit, `expected a problem at ${path}, got ${JSON.stringify(problems)}`).toBeDefined();
    expect(hit?.message).toMatch(message);
    // Messages are sentences for a person, not stack traces or zod dumps.
    for (const p of problems) expect(p.message).not.toMatch(/\n\s+at |ZodError|\[object Object\]/);
  });

  it("reports every problem at once", () => {
    const def = base();
    nodeAt(def, "ask").outputSchema = "Missing";
    nodeAt(def, "end").fn = "missing";
    nodeAt(def, "start").in = { topic: "inputs.subject" };
    nodeAt(def, "yes").next = ["nowhere"];
    const paths = validateWorkflow(def, registries).map((p) => p.path);
    expect(paths).toEqual(expect.arrayContaining(["nodes[1].outputSchema", "nodes[5].fn", "nodes[0].in.topic", "nodes[3].next[0]"]));
  });

  it("skips registry checks for registries it was not given", () => {
    const def = base();
    nodeAt(def, "end").fn = "anything";
    expect(validateWorkflow(def)).toEqual([]);
  });
});

describe("definitions arriving at the engine", () => {
  const dirs: (() => void)[] = [];
  afterAll(() => {
    for (const c of dirs) c();
  });

  it("register checks names against the engine's registries and throws WorkflowInvalidError with every problem", async () => {
    const store = await openStore("memory:");
    const engine = createEngine({ store, model: new ScriptedModel(), transforms: { t: (i) => i } });
    try {
      const def = parseWorkflow(base());
      let error: unknown;
      try {
        engine.register({ definition: def });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(WorkflowInvalidError);
      const problems = (error as WorkflowInvalidError).problems;
      expect(problems.map((p) => p.path).sort()).toEqual(["nodes[1].outputSchema", "nodes[4].workflow"]);
      expect((error as WorkflowInvalidError).message).toMatch(/^Workflow "base" has 2 problems/);

      // With its schema and the child registered, the same definition is accepted.
      engine.register({
        definition: parseWorkflow({ id: "child", version: 1, title: "Child", nodes: [{ id: "c", kind: "transform", fn: "t" }] }),
      });
      engine.register({ definition: def, schemas: { Out: z.object({ ok: z.boolean() }) } });
      expect(engine.workflow("base", 1)?.definition.id).toBe("base");
      expect(
        engine
          .workflows()
          .map((w) => w.definition.id)
          .sort(),
      ).toEqual(["base", "child"]);

      // Inputs are validated with the registered schema, with every issue listed.
      engine.register({ definition: parseWorkflow({ ...base(), version: 2 }), inputSchema: z.object({ topic: z.string().min(2) }) });
      const bad = await engine.start("base", { inputs: { topic: "" }, userId: "U" }).catch((e: unknown) => e);
      expect(bad).toBeInstanceOf(InvalidInputError);
      expect((bad as InvalidInputError).issues[0]?.path).toBe("topic");
      const missing = await engine.start("no-such-workflow", { inputs: {}, userId: "U" }).catch((e: unknown) => e);
      expect(missing).toBeInstanceOf(NotFoundError);
    } finally {
      await engine.close();
      await store.close();
    }
  });

  it("the builder compiles to the same data as the plain definition, and throws on invalid graphs", () => {
    const built = new WorkflowBuilder("pair", 1, "Pair")
      .inputs("topic")
      .transform("a", { fn: "t", in: { topic: "inputs.topic" } })
      .agent("b", { after: "a", prompt: "{{x}}", in: { x: "nodes.a" } })
      .build();
    const plain = parseWorkflow({
      id: "pair",
      version: 1,
      title: "Pair",
      inputs: ["topic"],
      nodes: [
        { id: "a", kind: "transform", fn: "t", in: { topic: "inputs.topic" }, next: ["b"] },
        { id: "b", kind: "agent", prompt: "{{x}}", in: { x: "nodes.a" } },
      ],
    });
    expect(built).toEqual(plain);
    expect(() =>
      new WorkflowBuilder("loop", 1, "Loop")
        .transform("a", { fn: "t" })
        .transform("b", { fn: "t", after: "a", next: ["a"] })
        .build(),
    ).toThrow(WorkflowInvalidError);
  });

  it("loads JSON and YAML files and reports syntax errors as problems", async () => {
    const { dir, cleanup } = tempDir();
    dirs.push(cleanup);
    const yaml = join(dir, "flow.yaml");
    writeFileSync(
      yaml,
      [
        "id: from-yaml",
        "version: 3",
        "title: From YAML",
        "inputs: [topic]",
        "nodes:",
        "  - id: a",
        "    kind: transform",
        "    fn: t",
        "    in: { topic: inputs.topic }",
        "",
      ].join("\n"),
    );
    const def = await loadWorkflowFile(yaml);
    expect(def).toMatchObject({ id: "from-yaml", version: 3, nodes: [{ id: "a", kind: "transform", next: [] }] });

    const json = join(dir, "flow.json");
    writeFileSync(json, JSON.stringify({ ...base(), id: "from-json" }));
    expect((await loadWorkflowFile(json)).id).toBe("from-json");

    const broken = join(dir, "broken.json");
    writeFileSync(broken, '{ "id": "x", ');
    const error = await loadWorkflowFile(broken).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkflowInvalidError);
    expect((error as WorkflowInvalidError).problems[0]?.message).toMatch(/not valid JSON/);

    const badYaml = join(dir, "broken.yaml");
    writeFileSync(badYaml, "id: x\nnodes: [\n");
    const yamlError = (await loadWorkflowFile(badYaml).catch((e: unknown) => e)) as WorkflowInvalidError;
    expect(yamlError.problems[0]?.message).toMatch(/not valid YAML/);

    const invalid = join(dir, "invalid.yaml");
    writeFileSync(invalid, "id: bad\nversion: 1\ntitle: Bad\nnodes:\n  - id: a\n    kind: agent\n");
    const invalidError = (await loadWorkflowFile(invalid).catch((e: unknown) => e)) as WorkflowInvalidError;
    expect(invalidError.problems).toContainEqual(expect.objectContaining({ path: "nodes[0].prompt" }));
  });
});
