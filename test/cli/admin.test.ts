// The admin tools through the real CLI (node bin/staffroom.js) on a SQLite store the app filled (sealed with
// the teachers' data keys): `staffroom admin export --user` and `--student` write a zip that the system's own
// `unzip` opens and checks (CRC), holding each owner's records decrypted and the saved documents; and
// `staffroom admin audit` lists every forget, dry run and export with ids and counts, never content.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRuntime, type Runtime } from "../../src/app/runtime.ts";
import { loadConfig } from "../../src/config.ts";
import { ProfileStore } from "../../src/conversation/profile.ts";
import { runCli, spawnCli } from "./helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "staffroom-cli-admin-"));
const env = {
  STAFFROOM_STORE_URL: `sqlite://${join(dir, "store.sqlite")}`,
  STAFFROOM_DOCUMENTS_DIR: join(dir, "documents"),
  STAFFROOM_MODEL_PROVIDER: "offline",
};
/** Text only the inputs and documents hold: it must reach the exports and never the audit log. */
const MARKER = "Quillfeather4471";
const ids: Record<string, string> = {};
const saved: Record<string, string> = {};

const open = () => createRuntime(loadConfig({ ...env, LOG_LEVEL: "silent" }));

async function withRuntime<T>(fn: (rt: Runtime) => Promise<T>): Promise<T> {
  const rt = await open();
  try {
    return await fn(rt);
  } finally {
    await rt.close();
  }
}

const unzip = (args: string[]) => execFileSync("unzip", args, { cwd: dir, encoding: "utf8" });
const unzipBytes = (zip: string, name: string) => execFileSync("unzip", ["-p", zip, name], { cwd: dir });
const unzipJson = (zip: string, name: string) => JSON.parse(unzip(["-p", zip, name])) as unknown;

beforeAll(async () => {
  await withRuntime(async (rt) => {
    const start = async (name: string, userId: string, purpose: string) => {
      const r = await rt.engine.start("parent-message", {
        inputs: { purpose, keyPoints: `Bring lunch ${MARKER}`, tone: "warm", language: "English" },
        userId,
        origin: { surface: "cli" },
      });
      await rt.engine.wait(r.id, { timeoutMs: 20_000 });
      ids[name] = r.id;
    };
    await start("a1", "U_A", "Reading progress of Amara Okafor this term");
    await start("a2", "U_A", "Picture day next week");
    await start("b1", "U_B", "Field trip for amara and the class");
    await start("c1", "U_C", "Science fair projects");
    await new ProfileStore(rt.store.namespace("chat")).update("U_A", { subject: "Science", school: "Hill Elementary" }, Date.now());
    const notes = await rt.documents.save(
      "U_A",
      { title: "Notes", markdown: `# Notes\n\nAbout Amara. ${MARKER}`, filename: "notes-Amara.md" },
      ["docx", "md"],
    );
    saved.notesDocx = notes.find((p) => p.endsWith(".docx")) ?? "";
    saved.notesMd = notes.find((p) => p.endsWith(".md")) ?? "";
    saved.picture =
      (
        await rt.documents.save("U_A", { title: "Picture day", markdown: "# Picture day\n\nSmile.", filename: "picture-day.md" }, ["md"])
      )[0] ?? "";
  });
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("staffroom admin export --user", () => {
  it("writes a zip of every owner's records, decrypted, and the teacher's saved documents", async () => {
    const res = await runCli(["admin", "export", "--user", "U_A", "--out", "a.zip"], { cwd: dir, env });
    expect(res.stderr).toBe("");
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^Wrote a\.zip: .*3 saved documents, 2 executions\.$/m);
    // The system's unzip checks every entry's CRC and reads the deflated data.
    expect(unzip(["-t", "a.zip"])).toContain("No errors detected");
    const listing = unzip(["-Z1", "a.zip"]).trim().split("\n").sort();
    expect(listing).toEqual(
      [
        "data/chat-records.json",
        "data/conversations.json",
        "data/executions.json",
        "data/placeholder-maps.json",
        "data/profile.json",
        "data/saved-documents.json",
        "documents/notes-Amara.docx",
        "documents/notes-Amara.md",
        "documents/picture-day.md",
        "manifest.json",
      ].sort(),
    );
    const manifest = unzipJson("a.zip", "manifest.json") as { user_id: string; counts: Record<string, number> };
    expect(manifest.user_id).toBe("U_A");
    expect(manifest.counts).toMatchObject({ executions: 2, profile: 1, "saved documents": 3 });
    const executions = unzipJson("a.zip", "data/executions.json") as {
      id: string;
      userId: string;
      inputs: Record<string, string>;
      events: unknown[];
    }[];
    expect(executions.map((e) => e.id).sort()).toEqual([ids.a1!, ids.a2!].sort());
    for (const e of executions) {
      expect(e.userId).toBe("U_A");
      expect(e.inputs.keyPoints).toBe(`Bring lunch ${MARKER}`);
      expect(e.events.length).toBeGreaterThan(2);
    }
    expect(unzipJson("a.zip", "data/profile.json")).toMatchObject({ profile: { subject: "Science", school: "Hill Elementary" } });
    // The documents are the files themselves, byte for byte; the Word file is itself a zip unzip can test.
    expect(unzipBytes("a.zip", "documents/notes-Amara.md").equals(readFileSync(saved.notesMd!))).toBe(true);
    expect(unzipBytes("a.zip", "documents/notes-Amara.docx").equals(readFileSync(saved.notesDocx!))).toBe(true);
    expect(unzip(["-p", "a.zip", "documents/notes-Amara.md"])).toContain(MARKER);
    // Nothing of another teacher.
    expect(unzip(["-p", "a.zip", "data/executions.json"])).not.toContain(ids.b1!);
  });

  it("says in one sentence when nothing is kept about the id, and writes no file", async () => {
    const res = await runCli(["admin", "export", "--user", "U_NOBODY", "--out", "nobody.zip"], { cwd: dir, env });
    expect(res.code).toBe(2);
    expect(res.stdout.trim()).toBe(
      'Nothing is kept about U_NOBODY; check the id with "staffroom executions --user=<id>". No file was written.',
    );
    expect(existsSync(join(dir, "nobody.zip"))).toBe(false);
    const both = await runCli(["admin", "export", "--user", "U_A", "--student", "Amara"], { cwd: dir, env });
    expect(both.code).toBe(2);
    expect(both.stderr.trim()).toMatch(/^Say whose data to export with either --user <id> or --student "<name>"/);
    const again = await runCli(["admin", "export", "--user", "U_A", "--out", "a.zip"], { cwd: dir, env });
    expect(again.code).toBe(2);
    expect(again.stderr.trim()).toBe("a.zip already exists; choose another file with --out.");
  });
});

describe("staffroom admin export --student", () => {
  it("exports every execution naming the student (any teacher, any case) and the documents naming them, under a name without theirs", async () => {
    const res = await runCli(["admin", "export", "--student", "AMARA OKAFOR"], { cwd: dir, env });
    expect(res.stderr).toBe("");
    expect(res.code).toBe(0);
    const file = readdirSync(dir).find((f) => /^staffroom-export-student-\d{8}-\d{4}\.zip$/.test(f));
    expect(file).toBeDefined();
    expect(res.stdout).toContain(`Wrote ${file}`);
    expect(unzip(["-t", file!])).toContain("No errors detected");
    const listing = unzip(["-Z1", file!]).trim().split("\n");
    expect(listing).toContain("documents/U_A/notes-Amara.md");
    expect(listing).toContain("documents/U_A/notes-Amara.docx");
    expect(listing.some((n) => n.includes("picture-day"))).toBe(false);
    const executions = unzipJson(file!, "data/executions.json") as Record<string, { id: string }[]>;
    expect(Object.keys(executions).sort()).toEqual(["U_A", "U_B"]);
    expect(executions.U_A!.map((e) => e.id)).toEqual([ids.a1!]);
    expect(executions.U_B!.map((e) => e.id)).toEqual([ids.b1!]);
    const manifest = unzipJson(file!, "manifest.json") as { student: string; teachers: string[] };
    expect(manifest.teachers.sort()).toEqual(["U_A", "U_B"]);
  });

  it("says in one sentence when no execution names the student", async () => {
    const res = await runCli(["admin", "export", "--student", "Nobody Atall"], { cwd: dir, env });
    expect(res.code).toBe(2);
    expect(res.stdout.trim()).toBe("No execution names Nobody Atall; there is nothing to export. No file was written.");
  });
});

describe("staffroom admin audit", () => {
  it("lists every forget (dry runs flagged), export and delete with ids and counts, filtered; never content", async () => {
    expect((await runCli(["admin", "forget-student", "Amara Okafor", "--dry-run"], { cwd: dir, env })).code).toBe(0);
    expect((await runCli(["forget", "--user", "U_C"], { cwd: dir, env })).code).toBe(0);
    const all = await runCli(["admin", "audit"], { cwd: dir, env });
    expect(all.code).toBe(0);
    const lines = all.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^When \(UTC\)\s+Action\s+Who\s+Teacher\s+What$/);
    // Newest first: the delete, the dry run, the student export, the teacher export.
    expect(lines.slice(1).map((l) => l.split(/\s{2,}/)[1])).toEqual(["delete", "forget-student", "export", "export"]);
    expect(lines[1]).toMatch(/delete\s+cli:\S+\s+U_C\s+1 executions/);
    expect(lines[2]).toContain("dry run: nothing deleted");
    expect(lines[2]).toContain(ids.a1!);
    expect(lines[4]).toMatch(/export\s+cli:\S+\s+U_A\s+1 profile, 3 saved documents, 2 executions$/);

    const exports = await runCli(["admin", "audit", "--action", "export", "--json"], { cwd: dir, env });
    const entries = (JSON.parse(exports.stdout) as { entries: { action: string; teacher?: string; targets?: string[] }[] }).entries;
    expect(entries.map((e) => e.action)).toEqual(["export", "export"]);
    expect(entries[0]!.targets?.sort()).toEqual([ids.a1!, ids.b1!].sort());
    const forU = await runCli(["admin", "audit", "--user", "U_C", "--since", "1h"], { cwd: dir, env });
    expect(forU.stdout.trim().split("\n")).toHaveLength(2);
    const future = await runCli(["admin", "audit", "--since", "2999-01-01"], { cwd: dir, env });
    expect(future.stdout.trim()).toBe("No audit entries match.");
    const bad = await runCli(["admin", "audit", "--since", "last week"], { cwd: dir, env });
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe('Give --since as a time back ("30m", "24h", "7d") or a date ("2026-12-01").');
    const badAction = await runCli(["admin", "audit", "--action", "read"], { cwd: dir, env });
    expect(badAction.stderr.trim()).toMatch(/^Give --action as one of: forget, delete, forget-student, export/);

    // The log holds ids and counts: neither the inputs' text nor the student's name.
    await withRuntime(async (rt) => {
      const raw = JSON.stringify(await rt.audit.list());
      expect(raw).not.toContain(MARKER);
      expect(raw).not.toMatch(/amara|okafor/i);
    });
  }, 120_000);
});

describe("the running app's keys and audit log", () => {
  const ADMIN = "admin-key-0123456789abcdef0123";
  const TEACHER = "teacher-key-0123456789abcdef01";
  const PLAIN = "plain-key-0123456789abcdef0123";
  const LISTENING = /"port":(\d+)[^\n]*"msg":"HTTP server listening"/;

  it("`serve` warns about unscoped keys, scopes teacher keys, forgets through DELETE /api/users, and audits it all", async () => {
    const bot = spawnCli(["serve"], {
      cwd: dir,
      env: { ...env, PORT: "0", LOG_LEVEL: "info", STAFFROOM_API_KEYS: `admin:${ADMIN},user:U_A:${TEACHER},${PLAIN}` },
    });
    try {
      await bot.stderrIncludes(LISTENING);
      const base = `http://127.0.0.1:${LISTENING.exec(bot.output().stderr)![1]}`;
      expect(bot.output().stderr).toContain("API keys without a scope in STAFFROOM_API_KEYS read every teacher's executions");
      const call = (path: string, key: string, method = "GET") =>
        fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${key}` } });
      const mine = (await (await call("/api/workflows/executions", TEACHER)).json()) as { executions: { user_id: string }[] };
      expect(new Set(mine.executions.map((e) => e.user_id))).toEqual(new Set(["U_A"]));
      expect((await call(`/api/workflows/executions/${ids.b1}`, TEACHER)).status).toBe(403);
      expect((await call(`/api/workflows/executions/${ids.b1}`, PLAIN)).status).toBe(200);
      expect((await call("/api/users/U_B", PLAIN, "DELETE")).status).toBe(403);
      expect((await call("/api/users/U_B", ADMIN, "DELETE")).status).toBe(200);
      expect((await call(`/api/workflows/executions/${ids.b1}`, ADMIN)).status).toBe(404);
    } finally {
      bot.child.kill("SIGTERM");
      expect((await bot.done).code).toBe(0);
    }
    const res = await runCli(["admin", "audit", "--json", "--limit", "1000"], { cwd: dir, env });
    const entries = (
      JSON.parse(res.stdout) as { entries: { action: string; actor: string; teacher?: string; route?: string; targets?: string[] }[] }
    ).entries;
    const refused = entries.find((e) => e.action === "api" && e.actor.startsWith("user:") && e.targets?.[0] === ids.b1);
    expect(refused).toMatchObject({ teacher: "U_A", route: "GET /api/workflows/executions/{id}" });
    expect(entries.some((e) => e.action === "api" && e.actor.startsWith("api:") && e.route === "DELETE /api/users/{user_id}")).toBe(true);
    expect(entries.find((e) => e.action === "delete" && e.teacher === "U_B")?.actor).toMatch(/^api:key_/);
    expect(res.stdout).not.toContain(MARKER);
    for (const key of [ADMIN, TEACHER, PLAIN]) expect(res.stdout).not.toContain(key);
  }, 60_000);
});
