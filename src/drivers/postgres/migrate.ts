// Schema migrations for the shared store, run by every replica at start. One transaction holds a
// PostgreSQL advisory lock while it applies what is missing, so replicas starting at once apply each
// migration exactly once and the others wait, then find nothing to do. A failed migration leaves nothing.
import type pg from "pg";
import { ident } from "./pool.ts";

export type Migration = { id: number; name: string; sql: (schema: string) => string };

/** Advisory lock class for staffroom migrations (any fixed int4); the schema name is the second key. */
const LOCK_CLASS = 0x5354_4146; // "STAF"

export type MigrationResult = { applied: number[]; alreadyApplied: number[] };

/** Applies every migration not yet recorded in `<schema>.staffroom_migrations`, in id order. */
export async function migrate(pool: pg.Pool, schema: string, migrations: readonly Migration[]): Promise<MigrationResult> {
  const sorted = [...migrations].sort((a, b) => a.id - b.id);
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    // Released at COMMIT/ROLLBACK, also when the connection dies: a crashed replica never holds it.
    await client.query("SELECT pg_advisory_xact_lock($1, hashtext($2))", [LOCK_CLASS, schema]);
    const s = ident(schema);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${s}.staffroom_migrations (id integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const done = new Set((await client.query<{ id: number }>(`SELECT id FROM ${s}.staffroom_migrations`)).rows.map((r) => Number(r.id)));
    const applied: number[] = [];
    for (const m of sorted) {
      if (done.has(m.id)) continue;
      await client.query(m.sql(s));
      await client.query(`INSERT INTO ${s}.staffroom_migrations (id, name) VALUES ($1, $2)`, [m.id, m.name]);
      applied.push(m.id);
    }
    await client.query("COMMIT");
    return { applied, alreadyApplied: sorted.map((m) => m.id).filter((id) => done.has(id)) };
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
