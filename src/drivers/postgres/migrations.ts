// The shared store's tables, one migration per change, never edited once landed (add a new one instead).
// `s` is the quoted schema name.
import type { Migration } from "./migrate.ts";

export const MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: "keyv records (conversations, profiles, adapter cursors)",
    // The table @keyv/postgres would create on its own; created here so replicas never race on it.
    sql: (s) => `CREATE TABLE IF NOT EXISTS ${s}.keyv (key varchar(255) PRIMARY KEY, value text)`,
  },
];
