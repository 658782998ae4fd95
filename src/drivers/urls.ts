// Which store and queue drivers the URLs choose: the one place that reads STAFFROOM_STORE_URL and
// STAFFROOM_QUEUE_URL (and decides whether STAFFROOM_DATA_KEY is needed). Pure: start-up validation, the
// store's opening and the doctor all ask it.
import { parseDataKey } from "./crypto.ts";

export type StoreChoice =
  /** `file` is the path after sqlite:// (`:memory:` for one in-process database). */
  | { kind: "sqlite"; url: string; file: string }
  | { kind: "memory"; url: string }
  /** `schema` comes from a `?schema=` query parameter (default "public"); the rest is node-postgres's URL. */
  | { kind: "postgres"; url: string; connectionString: string; schema: string };

/** `prefix` (default "staffroom") comes from a `?prefix=` query parameter: one Redis can serve several deployments. */
export type QueueChoice = { kind: "local" } | { kind: "redis"; url: string; connectionUrl: string; prefix: string };

export const DEFAULT_STORE_URL = "sqlite://data/staffroom.sqlite";

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** The store a URL names, or undefined when it names none we have. */
export function chooseStore(url: string): StoreChoice | undefined {
  if (url.startsWith("sqlite://")) return { kind: "sqlite", url, file: url.slice("sqlite://".length) };
  if (url.startsWith("memory:")) return { kind: "memory", url };
  if (/^postgres(ql)?:\/\//.test(url)) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return undefined;
    }
    const schema = parsed.searchParams.get("schema") ?? "public";
    if (!SCHEMA_NAME.test(schema)) return undefined;
    parsed.searchParams.delete("schema");
    return { kind: "postgres", url, connectionString: parsed.toString(), schema };
  }
  return undefined;
}

/** The queue a URL names, or undefined when it names none we have. */
export function chooseQueue(url: string): QueueChoice | undefined {
  if (url === "local:" || url === "local") return { kind: "local" };
  if (/^rediss?:\/\/[^/]/.test(url)) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return undefined;
    }
    const prefix = parsed.searchParams.get("prefix") ?? "staffroom";
    if (!/^[\w.-]{1,64}$/.test(prefix)) return undefined;
    parsed.searchParams.delete("prefix");
    return { kind: "redis", url, connectionUrl: parsed.toString(), prefix };
  }
  return undefined;
}

/** Start-up problems with the two URLs, one line each (variable: what to fix). */
export function driverProblems(storeUrl: string | undefined, queueUrl: string | undefined): string[] {
  const problems: string[] = [];
  const store = chooseStore(storeUrl ?? DEFAULT_STORE_URL);
  const queue = chooseQueue(queueUrl ?? "local:");
  if (!store) {
    problems.push(
      "STAFFROOM_STORE_URL: should look like sqlite://data/staffroom.sqlite, postgres://user@host/db (optionally ?schema=name), or memory: for a throw-away store",
    );
  }
  if (!queue) problems.push("STAFFROOM_QUEUE_URL: should be local: (the default, one process) or redis://host:6379 for several replicas");
  if (store && queue?.kind === "redis" && store.kind !== "postgres") {
    problems.push(
      `STAFFROOM_QUEUE_URL: a Redis queue shares work between replicas, so it needs a shared store; set STAFFROOM_STORE_URL to postgres://… (a ${store.kind === "sqlite" ? "SQLite file" : "memory store"} cannot be shared).`,
    );
  }
  return problems;
}

/** Problems with STAFFROOM_DATA_KEY for this store: its format, and that a shared (PostgreSQL) store needs one. */
export function dataKeyProblems(storeUrl: string | undefined, dataKey: string | undefined): string[] {
  const key = dataKey?.trim();
  if (key) return parseDataKey(key) ? [] : ["STAFFROOM_DATA_KEY: should be 64 hex characters (make one with openssl rand -hex 32)"];
  if (chooseStore(storeUrl ?? DEFAULT_STORE_URL)?.kind === "postgres")
    return [
      "STAFFROOM_DATA_KEY: is required with a PostgreSQL store (every replica must share it); make one with openssl rand -hex 32 and keep it out of the database's backups",
    ];
  return [];
}
