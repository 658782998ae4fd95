// Helpers for suites on the real PostgreSQL and Redis: each run works in its own schema / key prefix and
// drops it afterwards, so runs (and suites in parallel) never see each other's data.
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import pg from "pg";
import { describe, inject } from "vitest";

const services = inject("services");

/** `describe` when PostgreSQL answered the global probe, else skipped (the setup printed why). */
export const describeWithPostgres = describe.skipIf(!services.postgres);
export const describeWithRedis = describe.skipIf(!services.redis);
export const describeWithServices = describe.skipIf(!services.postgres || !services.redis);

export const postgresUrl = (): string => services.postgres ?? "postgres://unreachable";
export const redisUrl = (): string => services.redis ?? "redis://unreachable";

export const uniqueName = (prefix: string): string => `${prefix}_${process.pid}_${randomBytes(4).toString("hex")}`;

/** A fresh schema name; `drop()` removes it with everything in it. */
export function testSchema(prefix = "sr_test"): { schema: string; storeUrl: string; drop(): Promise<void> } {
  const schema = uniqueName(prefix);
  const url = new URL(postgresUrl());
  url.searchParams.set("schema", schema);
  return {
    schema,
    storeUrl: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: postgresUrl() });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}

/** A Redis client for the test, and a unique key prefix; `cleanup()` deletes the prefix's keys and disconnects. */
export function testRedis(prefix = "sr_test"): { redis: Redis; prefix: string; cleanup(): Promise<void> } {
  const redis = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
  const keyPrefix = `${uniqueName(prefix)}:`;
  return {
    redis,
    prefix: keyPrefix,
    async cleanup() {
      let cursor = "0";
      do {
        const [next, keys] = await redis.scan(cursor, "MATCH", `${keyPrefix}*`, "COUNT", 500);
        cursor = next;
        if (keys.length > 0) await redis.del(...keys);
      } while (cursor !== "0");
      redis.disconnect();
    },
  };
}
