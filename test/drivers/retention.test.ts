// Retention runs on every store, on the drivers' one schedule: at open, then every `sweepEveryMs`; each run is
// recorded where every replica (and the dashboard) can read it. Checked on SQLite and on PostgreSQL by an
// expired record that the scheduled sweep removes from the table itself, not just hides.
import { join } from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { openDrivers } from "../../src/drivers/open.ts";
import { overviewPage } from "../../src/http/admin/pages.ts";
import { describeWithPostgres, postgresUrl, testSchema } from "../distributed/helpers.ts";
import { tempDir, until } from "../engine/helpers.ts";

// Long enough that no sweep removes the row before the test has counted it, even on a loaded machine.
const EXPIRES_MS = 1500;

describe("retention on the local store", () => {
  it("sweeps at open and on its schedule, records each run, and removes expired rows from the SQLite table", async () => {
    const tmp = tempDir();
    const file = join(tmp.dir, "r.sqlite");
    const before = Date.now();
    const drivers = await openDrivers({ storeUrl: `sqlite://${file}`, sweepEveryMs: 100 });
    try {
      const first = await drivers.store.lastSweep();
      expect(first).toBeGreaterThanOrEqual(before);
      await drivers.store.namespace("chat").set("old", { note: "expires" }, EXPIRES_MS);
      const { default: sqlite3 } = await import("sqlite3");
      const db = new sqlite3.Database(file);
      const count = () =>
        new Promise<number>((resolve, reject) =>
          db.get("SELECT count(*) AS n FROM keyv WHERE key LIKE '%old'", (e: Error | null, row: { n: number }) =>
            e ? reject(e) : resolve(row.n),
          ),
        );
      expect(await count()).toBe(1);
      await until(async () => ((await drivers.store.lastSweep()) ?? 0) > first! && (await count()) === 0, "a scheduled sweep");
      await new Promise<void>((resolve) => db.close(() => resolve()));
    } finally {
      await drivers.close();
      tmp.cleanup();
    }
  });

  it("the dashboard's overview says when it last ran, or that it has not yet", () => {
    const base = {
      csrf: "t",
      checks: [],
      recent: [],
      stats: [],
      counts: { running: 0, waiting: 0, failedToday: 0 },
      now: Date.UTC(2026, 11, 5, 12, 0),
    };
    expect(overviewPage({ ...base, retention: { lastSweep: Date.UTC(2026, 11, 5, 11, 58) } })).toContain(
      'Retention sweep: last ran <time datetime="2026-12-05T11:58:00.000Z">2026-12-05 11:58 UTC</time> (2 min 0 s ago)',
    );
    expect(overviewPage({ ...base, retention: { lastSweep: undefined } })).toContain("Retention sweep: has not run yet");
  });
});

describeWithPostgres("retention on PostgreSQL", () => {
  const schema = testSchema("sr_data_retention");
  afterAll(() => schema.drop());

  it("sweeps at open and on its schedule, records each run, and deletes expired rows from the keyv table", async () => {
    const before = Date.now();
    const drivers = await openDrivers({ storeUrl: schema.storeUrl, dataKey: "ab".repeat(32), sweepEveryMs: 100 });
    const client = new pg.Client({ connectionString: postgresUrl() });
    await client.connect();
    try {
      const first = await drivers.store.lastSweep();
      expect(first).toBeGreaterThanOrEqual(before);
      await drivers.store.namespace("chat").set("old", { note: "expires" }, EXPIRES_MS);
      const count = async () =>
        Number((await client.query(`SELECT count(*) AS n FROM "${schema.schema}".keyv WHERE key LIKE '%old'`)).rows[0].n);
      expect(await count()).toBe(1);
      await until(async () => ((await drivers.store.lastSweep()) ?? 0) > first! && (await count()) === 0, "a scheduled sweep");
    } finally {
      await client.end();
      await drivers.close();
    }
  });
});
