// Whole teacher flows through Slack with the real chat core, engine, templates and offline model: a full
// /lesson-plan, one answered question by question in the thread, cancel, a feedback draft revised twice
// and approved, double clicks and retried deliveries, and a crash and restart in the middle of a run.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { ModelProvider } from "../../src/model/index.ts";
import { createOfflineProvider } from "../../src/model/index.ts";
import type { FakeMessage, FakeSlack } from "../fakes/slack/server.ts";
import { startFake } from "./helpers.ts";
import { type Stack, startStack, Teacher, textOf } from "./stack.ts";

let fake: FakeSlack;
let stack: Stack | undefined;
const tmp = mkdtempSync(join(tmpdir(), "staffroom-slack-"));

beforeAll(async () => {
  fake = await startFake();
});
afterAll(async () => {
  await fake.stop();
  rmSync(tmp, { recursive: true, force: true });
});
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
  expect(fake.violations).toEqual([]);
});

const hasActions = (m: FakeMessage) => m.blocks.some((b) => b.type === "actions");
const roots = (channel: string) => fake.messages.filter((m) => m.channel === channel && !m.threadTs);

async function newRoot(channel: string, before: number): Promise<FakeMessage> {
  return fake.waitFor(() => roots(channel)[before], 5000, `root message in ${channel}`);
}

/** The next bot message with buttons in the thread, newer than `after`. */
function nextQuestion(channel: string, rootTs: string, after: string): Promise<FakeMessage> {
  return fake.waitFor(
    () => fake.threadMessages(channel, rootTs).find((m) => m.ts > after && hasActions(m)),
    8000,
    `a question after ${after}`,
  );
}

/** Answers the guided conversation's questions (only the required ones are asked) by typing; the run then starts at once. */
async function answerQuestions(t: Teacher, channel: string, rootTs: string, answers: [RegExp, string][]): Promise<FakeMessage> {
  let after = "0";
  let first: FakeMessage | undefined;
  for (const [re, answer] of answers) {
    const q = await nextQuestion(channel, rootTs, after);
    first ??= q;
    after = q.ts;
    expect(textOf(q)).toMatch(re);
    await t.reply(rootTs, answer, { channel });
  }
  return first!;
}

async function waitForRootStatus(channel: string, rootTs: string, status: RegExp, timeout = 15_000): Promise<FakeMessage> {
  return fake.waitFor(
    () => {
      const root = fake.message(channel, rootTs);
      return root && status.test(textOf(root)) ? root : undefined;
    },
    timeout,
    `root status ${status}`,
  );
}

describe("Slack flows with the real chat core", () => {
  it("runs a full /lesson-plan at once: its assumptions and Change on the root, a checklist edited in place, the document split and attached", async () => {
    stack = await startStack(fake);
    const s = stack;
    const t = new Teacher(fake, () => s.url, "U0TEACHER", "C0FULL");
    const ack = await t.command("lesson-plan", 'grade 5 science "Solar System" 45 min');
    expect(ack).toMatchObject({ status: 200, body: "" });
    const root = await newRoot("C0FULL", 0);
    expect(textOf(root)).toContain("Lesson plan");
    expect(textOf(root)).toContain("ms.rivera");
    // Draft first: no summary to confirm; the root says what was assumed, with Change.
    const done = await waitForRootStatus("C0FULL", root.ts, /done in/);
    expect(textOf(done)).toMatch(/✅ done in \d/);
    expect(textOf(done)).toMatch(/Assumed: any standards in the loaded set/);
    expect(JSON.stringify(done.blocks)).toContain("Change");
    await s.core.idle();
    expect(await s.engine.list({ limit: 10 })).toHaveLength(1);
    const thread = fake.threadMessages("C0FULL", root.ts);
    const progress = thread.find((m) => m.edits > 0 && /: done\*? in/.test(textOf(m)));
    expect(progress, "a progress checklist edited in place").toBeDefined();
    const docParts = thread.filter((m) => m.blocks.some((bl) => bl.type === "header"));
    expect(docParts.length).toBeGreaterThan(0);
    const file = fake.files.find((f) => f.channel === "C0FULL" && f.threadTs === root.ts);
    expect(file?.filename).toMatch(/\.docx$/);
    // A Word file is a zip: it starts with "PK".
    expect(file?.bytes?.subarray(0, 2).toString("latin1")).toBe("PK");
    // Nothing outside the thread but the root.
    expect(roots("C0FULL")).toHaveLength(1);
  });

  it("asks for missing inputs in the thread, counts only the requester's answers, and runs", async () => {
    stack = await startStack(fake);
    const s = stack;
    const t = new Teacher(fake, () => s.url, "U0TEACHER", "C0GUIDED");
    const colleague = new Teacher(fake, () => s.url, "U0COLLEAGUE", "C0GUIDED");
    // Something typed with the command: the conversation asks for the rest (a bare command opens the form).
    await t.command("lesson-plan", "science");
    const root = await newRoot("C0GUIDED", 0);
    const first = await nextQuestion("C0GUIDED", root.ts, "0");
    // Someone else answering does not count.
    await colleague.reply(root.ts, "grade 3", { channel: "C0GUIDED" });
    await fake.waitFor(() => fake.responses.length > 0 || fake.ephemerals.some((e) => e.user === "U0COLLEAGUE"), 5000, "note to colleague");
    const answers: [RegExp, string][] = [
      [/grade/i, "grade 5"],
      [/lesson about|topic/i, "The Solar System and why planets orbit the Sun"],
      [/how long|minutes|duration/i, "45 minutes"],
    ];
    const asked = await answerQuestions(t, "C0GUIDED", root.ts, answers);
    expect(asked.ts).toBe(first.ts);
    await waitForRootStatus("C0GUIDED", root.ts, /done in/);
    await s.core.idle();
    const [run] = await s.engine.list({ limit: 10 });
    expect(run?.inputs).toMatchObject({ grade: "5", subject: "Science", duration: 45 });
  });

  it("cancels from the thread and says so on the root", async () => {
    stack = await startStack(fake);
    const s = stack;
    const t = new Teacher(fake, () => s.url, "U0TEACHER", "C0CANCEL");
    await t.command("lesson-plan", "grade 4");
    const root = await newRoot("C0CANCEL", 0);
    const q = await nextQuestion("C0CANCEL", root.ts, "0");
    await t.click(q, /^Cancel$/);
    await waitForRootStatus("C0CANCEL", root.ts, /cancelled/);
    expect(await s.engine.list({ limit: 10 })).toHaveLength(0);
  });

  it("revises a feedback draft twice by replying in the thread, then approves the third version", async () => {
    stack = await startStack(fake);
    const s = stack;
    const t = new Teacher(fake, () => s.url, "U0TEACHER", "C0FEEDBACK");
    await t.command(
      "feedback",
      'assignment:"Lab report on plant growth under different light" work:"Plants grew taller in light. We measured every day. Conclusion: light helps." tone:encouraging',
    );
    const root = await newRoot("C0FEEDBACK", 0);
    // Every required field is in the command: the first draft starts at once.
    const draftButtons = (v: number) =>
      fake.waitFor(
        () => fake.threadMessages("C0FEEDBACK", root.ts).find((m) => textOf(m).includes(`Draft v${v}.`) && hasActions(m)),
        15_000,
        `draft v${v}`,
      );
    const v1 = await draftButtons(1);
    expect(JSON.stringify(v1.blocks)).toMatch(/Approve.*Revise.*Regenerate/);
    await t.reply(root.ts, "warmer, shorter", { channel: "C0FEEDBACK" });
    await draftButtons(2);
    // Slack retries the same event: it must not produce a fourth version.
    await t.reply(root.ts, "mention the lab report", { channel: "C0FEEDBACK", eventId: "EvREV3", ts: "1900000099.000001" });
    await t.reply(root.ts, "mention the lab report", { channel: "C0FEEDBACK", eventId: "EvREV3", ts: "1900000099.000001", retryNum: 1 });
    const v3 = await draftButtons(3);
    await t.click(v3, /^Approve$/);
    await fake.waitFor(
      () => fake.threadMessages("C0FEEDBACK", root.ts).find((m) => /Draft v3 approved/.test(textOf(m))),
      8000,
      "v3 approved",
    );
    await s.core.idle();
    const versions = fake.threadMessages("C0FEEDBACK", root.ts).filter((m) => /Draft v\d/.test(textOf(m)));
    expect(versions.some((m) => /Draft v4/.test(textOf(m)))).toBe(false);
    expect(versions.find((m) => /Draft v1/.test(textOf(m)) && !/approved/.test(textOf(m)))).toBeDefined();
    // Every version's document was attached as a file in the thread.
    expect(fake.files.filter((f) => f.threadTs === root.ts).length).toBeGreaterThanOrEqual(3);
  });

  it("keeps posting into the original thread after a crash and restart mid-run", async () => {
    const storeUrl = `sqlite://${join(tmp, "crash.sqlite")}`;
    let release: () => void = () => {};
    const held = new Promise<void>((r) => {
      release = r;
    });
    let calls = 0;
    // The second model call hangs until the crash, so the run is mid-way when the process goes away.
    const slowModel = (drafters: NonNullable<Parameters<typeof createOfflineProvider>[0]>["drafters"]): ModelProvider => {
      const inner = createOfflineProvider({ drafters });
      return {
        name: inner.name,
        async complete(req) {
          calls += 1;
          if (calls >= 2) await held;
          return inner.complete(req);
        },
      };
    };
    const first = await startStack(fake, { storeUrl, model: (d) => slowModel(d) });
    const t = new Teacher(fake, () => first.url, "U0TEACHER", "C0CRASH");
    await t.command("lesson-plan", 'grade 5 science "Solar System" 45 min');
    const root = await newRoot("C0CRASH", 0);
    await fake.waitFor(() => calls >= 2, 8000, "the run to be mid-way");
    await first.crash();
    release();
    const postsBefore = fake.callsOf("chat.postMessage").length;

    stack = await startStack(fake, { storeUrl });
    const s = stack;
    const done = await waitForRootStatus("C0CRASH", root.ts, /done in/, 20_000);
    expect(textOf(done)).toContain("Lesson plan");
    await s.core.idle();
    const after = fake.callsOf("chat.postMessage").slice(postsBefore);
    expect(after.length).toBeGreaterThan(0);
    // Everything after the restart went into the original thread; no new root was opened.
    expect(after.every((c) => c.params.channel === "C0CRASH" && c.params.thread_ts === root.ts)).toBe(true);
    expect(roots("C0CRASH")).toHaveLength(1);
    expect(fake.files.some((f) => f.threadTs === root.ts)).toBe(true);
  });
});
