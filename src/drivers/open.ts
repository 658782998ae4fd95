// Opens the drivers the URLs chose (see urls.ts): the local store (SQLite or memory) with the
// in-process queue, or PostgreSQL with either queue, or PostgreSQL with BullMQ on Redis for N replicas.
import type { Redis } from "ioredis";
import type { WorkQueue } from "../engine/queue/types.ts";
import { ConfigError } from "../errors.ts";
import { parseDataKey } from "./crypto.ts";
import { openStore } from "./local/database.ts";
import { Retention } from "./retention.ts";
import { SealedExecutionStore } from "./sealed-executions.ts";
import type { SharedStore } from "./types.ts";
import { chooseQueue, chooseStore, dataKeyProblems, driverProblems } from "./urls.ts";

export type { SharedStore } from "./types.ts";

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
/** Hourly: the advisory lock makes one replica sweep while the others skip. */
const PG_SWEEP_EVERY_MS = 3_600_000;

export async function openDrivers(opts: {
  storeUrl: string;
  queueUrl?: string;
  retentionDays?: number;
  /** STAFFROOM_DATA_KEY: required with PostgreSQL; the local store keeps a generated one beside its file when unset. */
  dataKey?: string;
  /** How often the retention sweep runs after the one at open (default: 6 hours local, hourly PostgreSQL). */
  sweepEveryMs?: number;
}): Promise<Drivers> {
  const problems = [...driverProblems(opts.storeUrl, opts.queueUrl), ...dataKeyProblems(opts.storeUrl, opts.dataKey)];
  if (problems.length > 0) throw new ConfigError(problems);
  const storeChoice = chooseStore(opts.storeUrl)!;
  const queueChoice = chooseQueue(opts.queueUrl ?? "local:")!;
  const ttlMs = (opts.retentionDays ?? 30) * DAY_MS;

  if (storeChoice.kind !== "postgres") {
    const store = await openStore(opts.storeUrl, {
      retentionDays: opts.retentionDays ?? 30,
      ...(opts.dataKey ? { dataKey: opts.dataKey } : {}),
    });
    if (opts.sweepEveryMs !== undefined) store.retention.schedule(opts.sweepEveryMs);
    // On a file, executions are sealed like every other teacher record; memory keeps nothing on disk.
    if (storeChoice.kind === "memory") return { store, close: () => store.close() };
    const sealed: SharedStore = {
      executions: new SealedExecutionStore(store.executions, store.keys),
      keys: store.keys,
      claims: store.claims,
      namespace: (n) => store.namespace(n),
      ping: () => store.ping(),
      compact: () => store.compact(),
      sweep: () => store.sweep(),
      lastSweep: () => store.lastSweep(),
      close: () => store.close(),
    };
    return { store: sealed, close: () => store.close() };
  }
  // Loaded only when chosen: a one-process install (and every CLI command) never pays for pg, ioredis or BullMQ.
  const { openPostgresStore } = await import("./postgres/open.ts");
  // The sweep runs on the drivers' one schedule (../retention.ts), not the execution store's own timer.
  const pg = await openPostgresStore(storeChoice, { ttlMs, dataKey: parseDataKey(opts.dataKey ?? "")!, sweepEveryMs: 0 });
  // Expired delivery claims go with the same sweep (their keys can name a platform user).
  const sweeper = {
    sweepExpired: async (now?: number) => (await pg.executions.sweepExpired(now)) + (await pg.claims.sweepExpired(now)),
  };
  const retention = new Retention(sweeper, pg.namespace("retention"));
  try {
    await retention.sweep();
  } catch (error) {
    await pg.close();
    throw error;
  }
  retention.schedule(opts.sweepEveryMs ?? PG_SWEEP_EVERY_MS);
  const store: SharedStore = {
    executions: new SealedExecutionStore(pg.executions, pg.keys),
    keys: pg.keys,
    claims: pg.claims,
    namespace: (n) => pg.namespace(n),
    ping: () => pg.executions.ping(),
    compact: () => pg.executions.compact(),
    sweep: () => retention.sweep(),
    lastSweep: () => retention.last(),
    close: async () => {
      await retention.close();
      await pg.close();
    },
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
