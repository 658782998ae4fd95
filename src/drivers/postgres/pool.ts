// Opens the node-postgres pool for the shared store: every connection works in the configured schema,
// and a database that cannot be reached is one sentence naming the host, never a stack trace.
import pg from "pg";
import { StaffroomError } from "../../errors.ts";

export type PostgresOptions = {
  connectionString: string;
  schema: string;
  /** Connections per replica; default 10. */
  max?: number;
};

/** `"name"` with quotes doubled: safe to splice into DDL (schema names are also checked by chooseStore). */
export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Host and database for messages: never the password. */
export function describeTarget(connectionString: string): string {
  try {
    const u = new URL(connectionString);
    return `${u.hostname}${u.port ? `:${u.port}` : ""}${u.pathname}`;
  } catch {
    return "the configured PostgreSQL server";
  }
}

export class PostgresUnavailableError extends StaffroomError {
  constructor(connectionString: string, cause: unknown) {
    super(
      "store_unavailable",
      `Cannot reach PostgreSQL at ${describeTarget(connectionString)} (${(cause as Error)?.message ?? String(cause)}); check STAFFROOM_STORE_URL and that the server is running.`,
      { cause, retryable: true },
    );
  }
}

/** A pool whose connections use `schema` first; checked with one round trip so a bad URL fails at start. */
export async function openPool(options: PostgresOptions): Promise<pg.Pool> {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max ?? 10,
    // Also bounds the wait for a free connection in a burst, so it is generous; start-up checks on its own.
    connectionTimeoutMillis: 60_000,
    // The schema is created by the migrations; until then search_path simply skips it.
    options: `-c search_path=${ident(options.schema)},public`,
  });
  // An idle client losing its connection (server restart) must not end the process.
  pool.on("error", () => undefined);
  const probe = new pg.Client({ connectionString: options.connectionString, connectionTimeoutMillis: 5_000 });
  try {
    await probe.connect();
    await probe.query("SELECT 1");
  } catch (cause) {
    await pool.end().catch(() => undefined);
    throw new PostgresUnavailableError(options.connectionString, cause);
  } finally {
    await probe.end().catch(() => undefined);
  }
  return pool;
}
