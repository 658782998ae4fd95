// Opens the shared PostgreSQL store: the pool, the migrations (every replica runs them at start; the
// advisory lock makes that safe), the ExecutionStore, and Keyv namespaces on @keyv/postgres for the
// other layers' records (conversations, profiles, adapter cursors).
import KeyvPostgres from "@keyv/postgres";
import Keyv, { type KeyvStoreAdapter } from "keyv";
import type pg from "pg";
import type { StoreChoice } from "../select.ts";
import { PostgresExecutionStore } from "./execution-store.ts";
import { migrate } from "./migrate.ts";
import { MIGRATIONS } from "./migrations.ts";
import { describeTarget, openPool } from "./pool.ts";

export type PostgresStore = {
  pool: pg.Pool;
  executions: PostgresExecutionStore;
  /** A Keyv for another layer's records, in the same schema's `keyv` table. */
  namespace(name: string): Keyv;
  close(): Promise<void>;
};

export async function openPostgresStore(
  choice: Extract<StoreChoice, { kind: "postgres" }>,
  options: { ttlMs: number; poolSize?: number; sweepEveryMs?: number; onSweepError?: (error: unknown) => void },
): Promise<PostgresStore> {
  const pool = await openPool({
    connectionString: choice.connectionString,
    schema: choice.schema,
    ...(options.poolSize ? { max: options.poolSize } : {}),
  });
  try {
    await migrate(pool, choice.schema, MIGRATIONS);
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }
  const location = `${describeTarget(choice.connectionString)} (schema ${choice.schema})`;
  const executions = new PostgresExecutionStore({
    pool,
    location,
    ttlMs: options.ttlMs,
    // Hourly by default; the advisory lock makes one replica sweep while the others skip.
    sweepEveryMs: options.sweepEveryMs ?? 3_600_000,
    ...(options.onSweepError ? { onSweepError: options.onSweepError } : {}),
  });
  let adapter: KeyvPostgres | undefined;
  const namespaces = new Map<string, Keyv>();
  return {
    pool,
    executions,
    namespace(name) {
      let kv = namespaces.get(name);
      if (!kv) {
        adapter ??= new KeyvPostgres({ uri: choice.connectionString, schema: choice.schema, table: "keyv", max: 4 });
        // As for sqlite: each namespace gets its own view of the adapter, which keeps the namespace on itself.
        kv = new Keyv({ store: Object.create(adapter) as KeyvStoreAdapter, namespace: name, ttl: options.ttlMs, useKeyPrefix: true });
        namespaces.set(name, kv);
      }
      return kv;
    },
    async close() {
      await executions.close();
      await adapter?.disconnect().catch(() => undefined);
      await pool.end();
    },
  };
}
