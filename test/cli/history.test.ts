// The CLI's executions list carries each teacher's short number, title and topic; show takes a number with
// --user ("7", "7 v2"), as the chat's /staffroom open does, against a real sqlite store.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore } from "../../src/drivers/local/database.ts";
import { createEngine } from "../../src/engine/index.ts";
import { createOfflineProvider } from "../../src/model/offline.ts";
import { loadTemplates, offlineDrafters } from "../../src/templates/index.ts";
import { runCli } from "./helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "staffroom-cli-history-"));
const env = { STAFFROOM_STORE_URL: `sqlite://${join(dir, "store.sqlite")}` };
const ids: string[] = [];

beforeAll(async () => {
  const { templates } = await loadTemplates();
  const store = await openStore(env.STAFFROOM_STORE_URL);
  const engine = createEngine({ store, model: createOfflineProvider({ drafters: offlineDrafters(templates) }) });
  for (const t of templates) engine.register(t.workflow);
  const start = async (userId: string, inputs: Record<string, unknown>, origin?: Record<string, string>) => {
    const r = await engine.start("parent-message", { inputs, userId, ...(origin ? { origin } : {}) });
    await engine.wait(r.id);
    ids.push(r.id);
    return r.id;
  };
  const base = { keyPoints: "Bring lunch", tone: "warm", language: "English" };
  const first = await start("U_A", { ...base, purpose: "Field trip to the museum" });
  await start("U_B", { ...base, purpose: "Picture day next week" });
  await start(
    "U_A",
    { ...base, purpose: "Field trip to the museum", revisionInstruction: "shorter", previousDraft: "# Old\n\n## Message\nHi" },
    {
      request: first,
    },
  );
  await start("U_A", { ...base, purpose: "Book fair on Friday" });
  await engine.close();
  await store.close();
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("CLI history", () => {
  it("executions shows #number vN, title and topic per teacher; show 1 v2 --user opens that version", async () => {
    const list = await runCli(["executions", "--json"], { cwd: dir, env });
    expect(list.code).toBe(0);
    const rows = JSON.parse(list.stdout) as { id: string; userId: string; number: number; version: number; topic: string }[];
    expect(rows.map((r) => [r.userId, r.number, r.version, r.topic])).toEqual([
      ["U_A", 2, 1, "Book fair on Friday"],
      ["U_A", 1, 2, "Field trip to the museum"],
      ["U_B", 1, 1, "Picture day next week"],
      ["U_A", 1, 1, "Field trip to the museum"],
    ]);
    const table = await runCli(["executions", "--user", "U_A"], { cwd: dir, env });
    expect(table.stdout).toMatch(/#2\s+Parent message: Book fair on Friday/);
    expect(table.stdout).toMatch(/#1 v2\s+Parent message: Field trip to the museum/);
    expect(table.stdout).not.toContain("Picture day");

    const show = await runCli(["show", "1", "v2", "--user", "U_A", "--json"], { cwd: dir, env });
    expect(show.code).toBe(0);
    expect(JSON.parse(show.stdout).id).toBe(ids[2]);
    const other = await runCli(["show", "#1", "--user", "U_B", "--json"], { cwd: dir, env });
    expect(JSON.parse(other.stdout).id).toBe(ids[1]);
    const missing = await runCli(["show", "9", "--user", "U_A"], { cwd: dir, env });
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim()).toBe("U_A has no request numbered 9; list them with: staffroom executions --user U_A");
  }, 60_000);
});
