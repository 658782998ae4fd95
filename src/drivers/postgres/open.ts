// Opens the shared PostgreSQL store: the pool, the migrations (every replica runs them at start; the
// advisory lock makes that safe), the ExecutionStore, and Keyv namespaces on @keyv/postgres for the
// other layers' records (conversations, profiles, adapter cursors).
import KeyvPostgres from "@keyv/postgres";
import Keyv, { type KeyvStoreAdapter } from "keyv";
import type pg from "pg";
import { PostgresClaims } from "../claims.ts";
import { newKey } from "../crypto.ts";
import { KeyRing } from "../keys.ts";
import { sealingAdapter } from "../sealing.ts";
import type { DataKeys, DeliveryClaims } from "../types.ts";
import type { StoreChoice } from "../urls.ts";
import { PostgresExecutionStore } from "./execution-store.ts";
import { migrate } from "./migrate.ts";
import { MIGRATIONS } from "./migrations.ts";
import { describeTarget, openPool } from "./pool.ts";

export type PostgresStore = {
  pool: pg.Pool;
  executions: PostgresExecutionStore;
  /** A Keyv for another layer's records, in the same schema's `keyv` table, teachers' records sealed. */
  namespace(name: string): Keyv;
  /** The teachers' data keys, in the schema's `data_keys` table. */
  keys: DataKeys;
  /** Delivery claims, in the schema's `delivery_claims` table. */
  claims: DeliveryClaims;
  close(): Promise<void>;
};

export async function openPostgresStore(
  choice: Extract<StoreChoice, { kind: "postgres" }>,
  options: {
    ttlMs: number;
    /** STAFFROOM_DATA_KEY, parsed: wraps every teacher's data key. Absent: a key for this process only (tests). */
    dataKey?: Buffer;
    poolSize?: number;
    sweepEveryMs?: number;
    onSweepError?: (error: unknown) => void;
  },
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
  const keys = new KeyRing(
    {
      async get(userId) {
        const { rows } = await pool.query<{ wrapped: string }>("SELECT wrapped FROM data_keys WHERE user_id = $1", [userId]);
        return rows[0]?.wrapped;
      },
      async insertIfAbsent(userId, wrapped) {
        await pool.query("INSERT INTO data_keys (user_id, wrapped) VALUES ($1, $2) ON CONFLICT (user_id) DO NOTHING", [userId, wrapped]);
      },
      async delete(userId) {
        return ((await pool.query("DELETE FROM data_keys WHERE user_id = $1", [userId])).rowCount ?? 0) > 0;
      },
    },
    options.dataKey ?? newKey(),
  );
  let adapter: KeyvPostgres | undefined;
  const namespaces = new Map<string, Keyv>();
  return {
    pool,
    executions,
    keys,
    claims: new PostgresClaims(pool),
    namespace(name) {
      let kv = namespaces.get(name);
      if (!kv) {
        adapter ??= new KeyvPostgres({ uri: choice.connectionString, schema: choice.schema, table: "keyv", max: 4 });
        // As for sqlite: each namespace gets its own view of the adapter, which keeps the namespace on itself.
        kv = new Keyv({
          store: sealingAdapter(adapter as unknown as KeyvStoreAdapter, keys),
          namespace: name,
          ttl: options.ttlMs,
          useKeyPrefix: true,
        });
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
