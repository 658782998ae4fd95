import { afterAll, beforeAll, expect, it } from "vitest";
import { migrate } from "../../src/drivers/postgres/migrate.ts";
import { MIGRATIONS } from "../../src/drivers/postgres/migrations.ts";
import { openPool, PostgresUnavailableError } from "../../src/drivers/postgres/pool.ts";
import { chooseStore } from "../../src/drivers/urls.ts";
import { describeWithPostgres, testSchema } from "./helpers.ts";

describeWithPostgres("PostgreSQL schema migrations", () => {
  const target = testSchema();
  let connectionString: string;
  beforeAll(() => {
    const choice = chooseStore(target.storeUrl);
    if (choice?.kind !== "postgres") throw new Error("expected a postgres choice");
    connectionString = choice.connectionString;
  });
  afterAll(() => target.drop());

  const extra = [
    ...MIGRATIONS,
    { id: 1000, name: "test table", sql: (s: string) => `CREATE TABLE ${s}.probe (n integer PRIMARY KEY)` },
    // Not idempotent on purpose: run twice, it would fail on the duplicate key.
    { id: 1001, name: "test row", sql: (s: string) => `INSERT INTO ${s}.probe (n) VALUES (1)` },
  ];

  it("applies each migration exactly once when five replicas start at the same moment", async () => {
    const pools = await Promise.all(Array.from({ length: 5 }, () => openPool({ connectionString, schema: target.schema, max: 1 })));
    try {
      const results = await Promise.all(pools.map((p) => migrate(p, target.schema, extra)));
      const applied = results.flatMap((r) => r.applied).sort((a, b) => a - b);
      expect(applied).toEqual(extra.map((m) => m.id));
      // Exactly one replica did the work; the others waited on the lock and found it done.
      expect(results.filter((r) => r.applied.length > 0)).toHaveLength(1);
      const rows = await pools[0]!.query("SELECT id FROM staffroom_migrations ORDER BY id");
      expect(rows.rows.map((r) => r.id)).toEqual(extra.map((m) => m.id));
      expect((await pools[0]!.query("SELECT count(*)::int AS n FROM probe")).rows[0].n).toBe(1);
      // The pool's search_path puts the schema first, so the keyv table is found unqualified.
      expect((await pools[0]!.query("SELECT count(*)::int AS n FROM keyv")).rows[0].n).toBe(0);
      // Starting again changes nothing.
      expect(await migrate(pools[1]!, target.schema, extra)).toEqual({ applied: [], alreadyApplied: extra.map((m) => m.id) });
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
  });

  it("leaves nothing behind when a migration fails: the whole run is one transaction", async () => {
    const pool = await openPool({ connectionString, schema: target.schema, max: 1 });
    try {
      const broken = [
        ...extra,
        { id: 1002, name: "another table", sql: (s: string) => `CREATE TABLE ${s}.half (n integer)` },
        { id: 1003, name: "broken", sql: (s: string) => `ALTER TABLE ${s}.no_such_table ADD COLUMN x integer` },
      ];
      await expect(migrate(pool, target.schema, broken)).rejects.toThrow(/no_such_table/);
      const ids = (await pool.query("SELECT id FROM staffroom_migrations ORDER BY id")).rows.map((r) => r.id);
      expect(ids).toEqual(extra.map((m) => m.id));
      expect((await pool.query("SELECT to_regclass('half') AS t")).rows[0].t).toBeNull();
    } finally {
      await pool.end();
    }
  });

  it("says in one sentence which server it could not reach, without the password", async () => {
    const error = await openPool({ connectionString: "postgres://app:secret@127.0.0.1:1/staffroom", schema: "public" }).catch((e) => e);
    expect(error).toBeInstanceOf(PostgresUnavailableError);
    expect(error.message).toMatch(/^Cannot reach PostgreSQL at 127\.0\.0\.1:1\/staffroom \(.+\); check STAFFROOM_STORE_URL/);
    expect(error.message).not.toContain("secret");
  });
});
