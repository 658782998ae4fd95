// The data commands through the real CLI (node bin/staffroom.js) on a SQLite store the app filled:
// `staffroom admin forget-student "<name>"` with --dry-run (lists, deletes nothing) and for real (every
// execution naming the student in any case, with or without accents, whole or by a part; their maps, chat
// records and saved documents naming them; audited per teacher), and `staffroom forget --user <id>`.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRuntime, type Runtime } from "../../src/app/runtime.ts";
import { loadConfig } from "../../src/config.ts";
import { runCli } from "./helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "staffroom-cli-data-"));
const env = {
  STAFFROOM_STORE_URL: `sqlite://${join(dir, "store.sqlite")}`,
  STAFFROOM_DOCUMENTS_DIR: join(dir, "documents"),
  STAFFROOM_MODEL_PROVIDER: "offline",
};
const ids: Record<string, string> = {};
let savedPath = "";

const open = () => createRuntime(loadConfig({ ...env, LOG_LEVEL: "silent" }));

beforeAll(async () => {
  const rt = await open();
  try {
    const start = async (name: string, userId: string, purpose: string) => {
      const r = await rt.engine.start("parent-message", {
        inputs: { purpose, keyPoints: "Bring lunch", tone: "warm", language: "English" },
        userId,
        origin: { surface: "cli" },
      });
      await rt.engine.wait(r.id, { timeoutMs: 20_000 });
      ids[name] = r.id;
    };
    await start("a1", "U_A", "Reading progress of José Núñez this term");
    await start("a2", "U_A", "Picture day next week");
    await start("b1", "U_B", "Field trip for jose nunez and the class");
    await start("b2", "U_B", "Thanks to the NÚÑEZ family for the donation");
    await start("c1", "U_C", "Josefina's science fair project");
    await rt.privacy.putMap({
      executionId: ids.a1!,
      userId: "U_A",
      entries: [{ placeholder: "[STUDENT_1]", kind: "STUDENT", value: "José Núñez", forms: ["José Núñez"] }],
      updatedAt: Date.now(),
    });
    const saved = await rt.documents.save("U_A", { title: "Notes", markdown: "# Notes\n\nAbout José.", filename: "notes-Jose-Nunez.md" }, [
      "md",
    ]);
    savedPath = saved[0] ?? "";
    await rt.documents.save("U_A", { title: "Picture day", markdown: "# Picture day\n\nSmile.", filename: "picture-day.md" }, ["md"]);
  } finally {
    await rt.close();
  }
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Reads the store the CLI left, through the app. */
async function withRuntime<T>(fn: (rt: Runtime) => Promise<T>): Promise<T> {
  const rt = await open();
  try {
    return await fn(rt);
  } finally {
    await rt.close();
  }
}

describe("staffroom admin forget-student", () => {
  it("--dry-run lists every execution naming the student (any case, accents or not, whole name or a part) and deletes nothing", async () => {
    const res = await runCli(["admin", "forget-student", "José Núñez", "--dry-run"], { cwd: dir, env });
    expect(res.stderr).toBe("");
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^Would delete 3 executions naming José Núñez/);
    for (const k of ["a1", "b1", "b2"]) expect(res.stdout).toContain(ids[k]!);
    for (const k of ["a2", "c1"]) expect(res.stdout).not.toContain(ids[k]!);
    expect(res.stdout).toContain('(matched "jose nunez")');
    expect(res.stdout).toContain('(matched "nunez")');
    expect(res.stdout).toContain("Run it again without --dry-run to delete them.");
    const json = await runCli(["admin", "forget-student", "jose nunez", "--dry-run", "--json"], { cwd: dir, env });
    expect(JSON.parse(json.stdout)).toMatchObject({ student: "jose nunez", dry_run: true, executions: expect.any(Array) });
    expect(JSON.parse(json.stdout).executions).toHaveLength(3);
    await withRuntime(async (rt) => {
      expect((await rt.engine.list({ limit: 100 })).length).toBe(5);
      expect(await rt.privacy.getMap(ids.a1!)).toBeDefined();
      expect(existsSync(savedPath)).toBe(true);
    });
  });

  it("deletes them for real, with their placeholder maps and the saved documents naming the student; audited per teacher", async () => {
    const res = await runCli(["admin", "forget-student", "José Núñez"], { cwd: dir, env });
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^Deleted 3 executions naming José Núñez: .*3 executions/);
    expect(res.stdout).toMatch(/1 placeholder maps/);
    expect(res.stdout).toMatch(/1 saved documents/);
    await withRuntime(async (rt) => {
      const left = (await rt.engine.list({ limit: 100 })).map((r) => r.id).sort();
      expect(left).toEqual([ids.a2!, ids.c1!].sort());
      expect(await rt.privacy.getMap(ids.a1!)).toBeUndefined();
      expect(existsSync(savedPath)).toBe(false);
      expect(await rt.documents.paths("U_A")).toEqual([join(env.STAFFROOM_DOCUMENTS_DIR, "picture-day.md")]);
      // The two dry runs (flagged, the matched ids only), then one entry per teacher of the real run.
      const audit = await rt.audit.list();
      expect(audit.map((e) => [e.action, e.teacher ?? "-", e.dryRun === true]).sort()).toEqual([
        ["forget-student", "-", true],
        ["forget-student", "-", true],
        ["forget-student", "U_A", false],
        ["forget-student", "U_B", false],
      ]);
      expect(
        audit
          .find((e) => e.teacher === "U_B")!
          .targets?.slice()
          .sort(),
      ).toEqual([ids.b1!, ids.b2!].sort());
      expect(audit[0]!.actor).toMatch(/^cli:/);
      expect(JSON.stringify(audit)).not.toMatch(/n[uú][nñ]ez/i);
    });
    const again = await runCli(["admin", "forget-student", "José Núñez"], { cwd: dir, env });
    expect(again.stdout).toContain("No execution names José Núñez; nothing was deleted.");
  });

  it("asks for the name in one sentence (exit 2)", async () => {
    const res = await runCli(["admin", "forget-student"], { cwd: dir, env });
    expect(res.code).toBe(2);
    expect(res.stderr.trim()).toBe('Give the student\'s name, e.g. staffroom admin forget-student "Maria Lopez" --dry-run.');
    const unknown = await runCli(["admin", "purge"], { cwd: dir, env });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Unknown admin command "purge"; use one of: forget-student, export, audit.');
  });
});

describe("staffroom forget --user", () => {
  it("deletes everything of one teacher, whatever surface started it, and nothing of the others", async () => {
    const res = await runCli(["forget", "--user", "U_C", "--json"], { cwd: dir, env });
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ user_id: "U_C", deleted: { executions: 1 } });
    await withRuntime(async (rt) => {
      expect(await rt.engine.list({ userId: "U_C" })).toEqual([]);
      expect((await rt.engine.list({ userId: "U_A" })).map((r) => r.id)).toEqual([ids.a2!]);
    });
    const text = await runCli(["forget", "--user", "U_A"], { cwd: dir, env });
    expect(text.stdout).toMatch(/^Deleted everything kept about U_A: .*1 saved documents.*1 executions/);
    const missing = await runCli(["forget"], { cwd: dir, env });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^Say whose data to delete with --user/);
  });
});
