// Forget, end to end, on SQLite and on PostgreSQL, through the app's runtime (createRuntime) and its one forget:
// a teacher's data from every surface (a console chat with a saved document, a profile and a conversation; a
// CLI run; an API run; a placeholder map and a roster; a saved document with a student's name in its file
// name) carries a marker, the teacher types /staffroom forget and confirms, and then the marker and the
// student's name are searched for in every row, in the raw database files (SQLite: the file and its WAL;
// PostgreSQL: every table's, TOAST table's and index's files after CHECKPOINT, and every WAL segment) and in
// the documents folder: no hit. Another teacher's data stays readable.
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import sqlite3 from "sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { createRuntime, type Runtime, teacherTemplates } from "../../src/app/runtime.ts";
import { chatStores, createChatCore } from "../../src/chat/index.ts";
import { loadConfig } from "../../src/config.ts";
import { ProfileStore } from "../../src/conversation/profile.ts";
import { Driver } from "../console/harness.ts";
import { describeWithPostgres, postgresUrl, testSchema } from "../distributed/helpers.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const TEACHER = { id: "T-ada", name: "Ada" };
const OTHER = "T-bob";
const STUDENT = "Zanele Okonkwo";

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

/** How many of `needles` occur in the bytes (as UTF-8), summed. */
function hits(bytes: Buffer, needles: readonly string[]): number {
  let n = 0;
  for (const needle of needles) {
    const b = Buffer.from(needle, "utf8");
    for (let at = bytes.indexOf(b); at !== -1; at = bytes.indexOf(b, at + 1)) n++;
  }
  return n;
}

type World = { rt: Runtime; docs: string; marker: string; otherMarker: string; ids: { cli: string; api: string; other: string } };

/** Builds the teacher's data from every surface; returns what the checks need. */
async function fill(env: Record<string, string>): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), "staffroom-forget-"));
  dirs.push(dir);
  const docs = join(dir, "documents");
  const marker = `Qvx${randomBytes(5).toString("hex")}`;
  const otherMarker = `Wyk${randomBytes(5).toString("hex")}`;
  const rt = await createRuntime(
    loadConfig({ STAFFROOM_MODEL_PROVIDER: "offline", STAFFROOM_DOCUMENTS_DIR: docs, LOG_LEVEL: "silent", ...env }),
  );
  // The console chat as the app wires it: the one forget, and saved documents listed under the teacher.
  const core = createChatCore({
    engine: rt.engine,
    templates: teacherTemplates(rt.templates),
    keyv: rt.store.namespace("chat"),
    claims: rt.store.claims,
    progressIntervalMs: 0,
    forgetTeacher: (userId, chat) => rt.forget(userId, { action: "forget", actor: userId, chat }),
  });
  const d = new Driver(core, TEACHER, { saveDocument: (doc, user) => rt.documents.save(user.id, doc) });
  expect(await d.say(`/lesson-plan 5th grade science ${marker} volcanoes 45 min`)).toContain("Saved:");
  expect(await d.say(`/profile school=${marker} Elementary`)).toContain(marker);
  await d.say(`/parent-message about ${marker} homework`);
  // The CLI's and the API's runs of the same teacher, and another teacher's.
  const start = async (userId: string, topic: string, surface: "cli" | "api") => {
    const { id } = await rt.engine.start("lesson-plan", {
      inputs: { grade: "5", subject: "Science", topic, duration: 45 },
      userId,
      origin: { surface },
    });
    expect((await rt.engine.wait(id, { timeoutMs: 20_000 })).status).toBe("completed");
    return id;
  };
  const cli = await start(TEACHER.id, `${marker} rocks for ${STUDENT}`, "cli");
  const api = await start(TEACHER.id, `${marker} rivers`, "api");
  const other = await start(OTHER, `${otherMarker} deserts`, "api");
  await rt.privacy.putMap({
    executionId: cli,
    userId: TEACHER.id,
    entries: [{ placeholder: "[STUDENT_1]", kind: "STUDENT", value: STUDENT, forms: [STUDENT, "Zanele"] }],
    updatedAt: Date.now(),
  });
  await rt.privacy.putRoster({ userId: TEACHER.id, names: [STUDENT], source: "test", updatedAt: Date.now() });
  await rt.documents.save(TEACHER.id, {
    title: `Feedback for ${STUDENT}`,
    markdown: `# Feedback for ${STUDENT}\n\n${marker}`,
    filename: `feedback-${STUDENT.replace(" ", "-")}.md`,
  });
  // The test can fail: before forget the marker is there, through the app and in the documents folder.
  const view = await rt.engine.get(cli);
  expect(JSON.stringify(view?.inputs)).toContain(marker);
  expect(JSON.stringify(view?.nodes.map((n) => n.output))).toContain(marker);
  const folder = filesUnder(docs);
  expect(folder.some((f) => f.includes("Zanele-Okonkwo"))).toBe(true);
  expect(folder.filter((f) => f.endsWith(".md")).some((f) => readFileSync(f, "utf8").includes(marker))).toBe(true);
  expect(await rt.privacy.mapIds(TEACHER.id)).toEqual([cli]);

  // The teacher forgets everything from the chat.
  await d.say("/forget");
  const told = await d.say("Delete everything");
  expect(told).toMatch(/Done: I deleted your profile, \d+ conversations?, [2-9] saved document files and 3 requests/);
  await d.end();
  await core.close();
  return { rt, docs, marker, otherMarker, ids: { cli, api, other } };
}

/** What every owner reports afterwards, through the app: nothing of the teacher, the other teacher intact. */
async function checkOwners(w: World): Promise<void> {
  const { rt } = w;
  expect(await rt.engine.list({ userId: TEACHER.id })).toEqual([]);
  for (const id of [w.ids.cli, w.ids.api]) expect(await rt.engine.get(id)).toBeUndefined();
  expect(JSON.stringify((await rt.engine.get(w.ids.other))?.inputs)).toContain(w.otherMarker);
  expect(await rt.privacy.mapIds(TEACHER.id)).toEqual([]);
  expect(await rt.privacy.getMap(w.ids.cli)).toBeUndefined();
  expect(await rt.privacy.getRoster(TEACHER.id)).toBeUndefined();
  expect(await rt.documents.paths(TEACHER.id)).toEqual([]);
  const chat = chatStores(rt.store.namespace("chat"));
  expect(await chat.records.user(TEACHER.id)).toEqual({ threads: [], executions: [] });
  expect(await new ProfileStore(rt.store.namespace("chat")).get(TEACHER.id)).toEqual({});
  expect(await rt.store.keys.key(TEACHER.id, false)).toBeUndefined();
  // One audit entry, counts only, one count per owner.
  const [entry] = await rt.audit.list({ teacher: TEACHER.id });
  expect(entry).toMatchObject({ action: "forget", actor: TEACHER.id, teacher: TEACHER.id });
  expect(Object.keys(entry!.counts).sort()).toEqual([...rt.owners.map((o) => o.name), "data key"].sort());
  expect(entry!.counts).toMatchObject({ executions: 3, "placeholder maps": 2, profile: 1, "data key": 1 });
  expect(entry!.counts["saved documents"]).toBeGreaterThanOrEqual(3);
  expect(entry!.counts["chat records"]).toBeGreaterThanOrEqual(2);
  expect(JSON.stringify(entry)).not.toContain(w.marker);
  // The documents folder: no file named after the student, none holding the marker or the name.
  for (const f of filesUnder(w.docs)) {
    expect(f).not.toContain(w.marker);
    expect(f).not.toContain("Zanele");
    expect(hits(readFileSync(f), [w.marker, STUDENT, "Zanele"])).toBe(0);
  }
}

describe("forget end to end (SQLite)", () => {
  it("leaves no trace of the teacher in any row, in the database file or its WAL, or in the documents folder", async () => {
    const dir = mkdtempSync(join(tmpdir(), "staffroom-forget-db-"));
    dirs.push(dir);
    const file = join(dir, "staffroom.sqlite");
    const w = await fill({ STAFFROOM_STORE_URL: `sqlite://${file}` });
    try {
      await checkOwners(w);
    } finally {
      await w.rt.close();
    }
    const needles = [w.marker, STUDENT, "Zanele"];
    // Every row of every table, as text.
    const db = new sqlite3.Database(file);
    const all = (sql: string) =>
      new Promise<Record<string, unknown>[]>((resolve, reject) =>
        db.all(sql, (error: Error | null, rows: Record<string, unknown>[]) => (error ? reject(error) : resolve(rows))),
      );
    const tables = (await all("SELECT name FROM sqlite_master WHERE type = 'table'")).map((r) => String(r.name));
    expect(tables).toEqual(expect.arrayContaining(["keyv", "data_keys"]));
    let rows = 0;
    for (const t of tables) {
      const content = await all(`SELECT * FROM "${t}"`);
      rows += content.length;
      expect(hits(Buffer.from(JSON.stringify(content)), needles), `rows of ${t}`).toBe(0);
    }
    expect(rows).toBeGreaterThan(0);
    // The other teacher's run is still there, sealed: not readable in the file either.
    await new Promise<void>((resolve) => db.close(() => resolve()));
    // The raw bytes: the database file and its WAL (and anything else SQLite left beside it).
    const files = readdirSync(dir).filter((f) => f.startsWith("staffroom.sqlite") && !f.endsWith(".key"));
    expect(files).toContain("staffroom.sqlite");
    for (const f of files) expect(hits(readFileSync(join(dir, f)), needles), f).toBe(0);
    expect(hits(readFileSync(file), [w.otherMarker])).toBe(0);
  });
});

describeWithPostgres("forget end to end (PostgreSQL)", () => {
  const schema = testSchema("sr_data_forget");
  afterAll(() => schema.drop());

  it("leaves no readable trace in any row, in the table files after CHECKPOINT, in the WAL, or in the documents folder", async () => {
    const w = await fill({ STAFFROOM_STORE_URL: schema.storeUrl, STAFFROOM_DATA_KEY: randomBytes(32).toString("hex") });
    try {
      await checkOwners(w);
    } finally {
      await w.rt.close();
    }
    const needles = [w.marker, STUDENT, "Zanele"];
    const client = new pg.Client({ connectionString: postgresUrl() });
    await client.connect();
    try {
      const s = schema.schema;
      const { rows: tables } = await client.query<{ name: string }>(
        "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE'",
        [s],
      );
      expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(["keyv", "executions", "nodes", "events", "data_keys"]));
      for (const { name } of tables) {
        const { rows } = await client.query(`SELECT t::text AS row FROM "${s}"."${name}" t`);
        expect(hits(Buffer.from(rows.map((r) => r.row).join("\n")), needles), `rows of ${name}`).toBe(0);
      }
      // The files: every relation of the schema (tables, their TOAST tables and indexes), after a checkpoint.
      await client.query("CHECKPOINT");
      const dataDir = (await client.query<{ d: string }>("SELECT current_setting('data_directory') AS d")).rows[0]!.d;
      const { rows: relations } = await client.query<{ path: string | null }>(
        `SELECT pg_relation_filepath(c.oid) AS path FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = $1 OR c.oid IN (SELECT reltoastrelid FROM pg_class c2 JOIN pg_namespace n2 ON n2.oid = c2.relnamespace WHERE n2.nspname = $1)
             OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid IN (SELECT reltoastrelid FROM pg_class c3 JOIN pg_namespace n3 ON n3.oid = c3.relnamespace WHERE n3.nspname = $1))`,
        [s],
      );
      const files = relations.flatMap((r) =>
        r.path ? filesUnder(join(dataDir, r.path, "..")).filter((f) => f.startsWith(join(dataDir, r.path!))) : [],
      );
      expect(files.length).toBeGreaterThan(5);
      let bytes = 0;
      for (const f of files) {
        const b = readFileSync(f);
        bytes += b.length;
        expect(hits(b, needles), f).toBe(0);
      }
      expect(bytes).toBeGreaterThan(0);
      // The WAL: every segment (shared by the whole cluster; the marker is this run's own).
      const wal = filesUnder(join(dataDir, "pg_wal")).filter((f) => /\/[0-9A-F]{24}$/.test(f) && statSync(f).size > 0);
      expect(wal.length).toBeGreaterThan(0);
      for (const f of wal) expect(hits(readFileSync(f), [w.marker, w.otherMarker]), f).toBe(0);
    } finally {
      await client.end();
    }
  });
});
