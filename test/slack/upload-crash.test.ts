// Exactly once across crashes for uploads: a real child process runs the Slack surface against the fake
// and is SIGKILLed in the middle of a document's upload (after files.getUploadURLExternal, before
// files.completeUploadExternal is made, or after Slack made it but before the answer was recorded); a new
// process on the same store finishes the document, and the thread holds exactly one file.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type MarkedChild, spawnMarked } from "../engine/child-markers.ts";
import type { FakeSlack } from "../fakes/slack/server.ts";
import { startFake } from "./helpers.ts";
import { Teacher, textOf } from "./stack.ts";

const child = resolve(import.meta.dirname, "fixtures/upload-child.ts");
const tmp = mkdtempSync(join(tmpdir(), "staffroom-upload-crash-"));
let fake: FakeSlack;

beforeAll(async () => {
  fake = await startFake();
});
/** Children still running when a test ends (it failed early): killed, with the fake's holds dropped. */
const running = new Set<MarkedChild>();
afterEach(async () => {
  for (const c of running) {
    c.proc.kill("SIGKILL");
    await c.exited;
  }
  running.clear();
  fake.clearHolds();
  fake.discardHeld();
});
afterAll(async () => {
  await fake.stop();
  rmSync(tmp, { recursive: true, force: true });
});

async function until<T>(what: string, check: () => T | undefined, c?: MarkedChild, timeoutMs = 60_000): Promise<T> {
  const stop = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > stop) throw new Error(`never happened: ${what}\n${c?.stderr() ?? ""}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function start(store: string): MarkedChild {
  const c = spawnMarked(child, [store, fake.apiUrl]);
  running.add(c);
  void c.exited.then(() => running.delete(c));
  return c;
}

async function portOf(c: MarkedChild): Promise<number> {
  return until("the child serves", () => c.markers.find((m) => typeof m.port === "number")?.port as number | undefined, c);
}

const cases = [
  { name: "after the upload URL was handed out, before the bytes went up", method: "files.getUploadURLExternal", when: "after" },
  { name: "after the bytes went up, before the files were shared", method: "files.completeUploadExternal", when: "before" },
  { name: "after Slack shared the files, before the share was recorded", method: "files.completeUploadExternal", when: "after" },
] as const;

describe("SIGKILL during an upload", () => {
  for (const [n, c] of cases.entries()) {
    // Two child processes each start the whole stack under tsx: slow on a loaded machine, hence the time.
    it(`leaves exactly one file in the thread when killed ${c.name}`, { timeout: 150_000 }, async () => {
      const store = join(tmp, `crash-${n}.sqlite`);
      const channel = `C0CRASH${n}`;
      fake.hold({ method: c.method, when: c.when });
      const first = start(store);
      const port = await portOf(first);
      const t = new Teacher(fake, () => `http://127.0.0.1:${port}/slack/events`, "U0TEACHER", channel);
      expect((await t.command("lesson-plan", 'grade 5 science "Solar System" 45 min')).status).toBe(200);
      const root = await until("the root", () => fake.messages.find((m) => m.channel === channel && !m.threadTs), first);
      // The child is now inside the upload, its call held by the fake.
      await until(`${c.method} held`, () => fake.held.some((h) => h.method === c.method), first);
      first.proc.kill("SIGKILL");
      await first.exited;
      // The held call's client is gone; a call held after its work has done it (Slack acted, the answer was lost).
      fake.discardHeld();
      const sharedBefore = fake.threadFiles(channel, root.ts).length;
      expect(sharedBefore).toBe(c.method === "files.completeUploadExternal" && c.when === "after" ? 1 : 0);

      const second = start(store);
      try {
        await portOf(second);
        await until("the root's final status", () => /done in/.test(textOf(fake.message(channel, root.ts)!)) || undefined, second);
        await until("the restarted child is idle", () => second.markers.some((m) => typeof m.idle === "number"), second);
        const files = fake.threadFiles(channel, root.ts);
        expect(files.map((f) => f.filename)).toEqual(["lesson-plan-solar-system.docx"]);
        expect(files[0]!.bytes!.subarray(0, 2).toString("latin1")).toBe("PK");
        // One share in the thread as Slack shows it, and the document's text parts once each.
        const headers = fake.threadMessages(channel, root.ts).filter((m) => m.blocks.some((b) => b.type === "header"));
        expect(new Set(headers.map(textOf)).size).toBe(headers.length);
        expect(fake.violations).toEqual([]);
      } finally {
        second.proc.kill("SIGKILL");
        await second.exited;
      }
    });
  }
});
