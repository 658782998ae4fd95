// Opens the drivers the URLs chose (see select.ts): the local store (SQLite or memory) with the
// in-process queue, or PostgreSQL with either queue, or PostgreSQL with BullMQ on Redis for N replicas.
import type { Redis } from "ioredis";
import type Keyv from "keyv";
import { openStore } from "../engine/index.ts";
import type { WorkQueue } from "../engine/queue/types.ts";
import type { ExecutionStore } from "../engine/store/types.ts";
import { ConfigError } from "../errors.ts";
import { chooseQueue, chooseStore, driverProblems } from "./select.ts";

/** What the rest of the process needs of a store, whichever driver holds it. */
export type SharedStore = {
  executions: ExecutionStore;
  /** A Keyv for another layer's records (conversations, profiles, the outbox, adapter cursors). */
  namespace(name: string): Keyv;
  ping(): Promise<boolean>;
  /** Makes deletions physical (sqlite: WAL checkpoint; PostgreSQL: nothing to force). */
  compact(): Promise<void>;
  close(): Promise<void>;
};

export type Drivers = {
  store: SharedStore;
  /** Undefined: the engine's in-process queue. */
  queue?: WorkQueue;
  /** The Redis connection of a distributed queue (leases, rate buckets and the recovery schedule use it too). */
  redis?: Redis;
  /** Key prefix of everything this deployment keeps in Redis. */
  redisPrefix?: string;
  /** Closes the queue's connection, then the store. */
  close(): Promise<void>;
};

const DAY_MS = 86_400_000;

export async function openDrivers(opts: { storeUrl: string; queueUrl?: string; retentionDays?: number }): Promise<Drivers> {
  const problems = driverProblems(opts.storeUrl, opts.queueUrl);
  if (problems.length > 0) throw new ConfigError(problems);
  const storeChoice = chooseStore(opts.storeUrl)!;
  const queueChoice = chooseQueue(opts.queueUrl ?? "local:")!;
  const ttlMs = (opts.retentionDays ?? 30) * DAY_MS;

  if (storeChoice.kind !== "postgres") {
    const store = await openStore(opts.storeUrl, { retentionDays: opts.retentionDays ?? 30 });
    return { store, close: () => store.close() };
  }
  // Loaded only when chosen: a one-process install (and every CLI command) never pays for pg, ioredis or BullMQ.
  const { openPostgresStore } = await import("./postgres/open.ts");
  const pg = await openPostgresStore(storeChoice, { ttlMs });
  const store: SharedStore = {
    executions: pg.executions,
    namespace: (n) => pg.namespace(n),
    ping: () => pg.executions.ping(),
    compact: () => pg.executions.compact(),
    close: () => pg.close(),
  };
  if (queueChoice.kind !== "redis") return { store, close: () => store.close() };
  const [{ openRedis }, { BullWorkQueue }] = await Promise.all([import("./redis/connect.ts"), import("./redis/work-queue.ts")]);
  let redis: Redis;
  try {
    redis = await openRedis(queueChoice.connectionUrl, { blocking: true });
  } catch (error) {
    await store.close();
    throw error;
  }
  const queue = new BullWorkQueue({ connection: redis, prefix: queueChoice.prefix });
  return {
    store,
    queue,
    redis,
    redisPrefix: queueChoice.prefix,
    async close() {
      await queue.close();
      redis.disconnect();
      await store.close();
    },
  };
}
