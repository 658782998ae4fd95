// Opens ioredis connections for leases, rate buckets and BullMQ: one round trip at start so a wrong
// STAFFROOM_QUEUE_URL is one sentence, never a stack trace or a silent reconnect loop.
import { Redis } from "ioredis";
import { StaffroomError } from "../../errors.ts";

export class RedisUnavailableError extends StaffroomError {
  constructor(url: string, cause: unknown) {
    super(
      "queue_unavailable",
      `Cannot reach Redis at ${describeRedis(url)} (${(cause as Error)?.message ?? String(cause)}); check STAFFROOM_QUEUE_URL and that the server is running.`,
      { cause, retryable: true },
    );
  }
}

/** Host and port for messages: never the password. */
export function describeRedis(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 6379}`;
  } catch {
    return "the configured Redis server";
  }
}

/**
 * A connected client. BullMQ's blocking connections need `maxRetriesPerRequest: null` (commands wait
 * through a reconnect instead of failing); leases prefer failing fast, which is the default here.
 */
export async function openRedis(url: string, options: { blocking?: boolean } = {}): Promise<Redis> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 5_000,
    maxRetriesPerRequest: options.blocking ? null : 3,
    enableReadyCheck: true,
  });
  // Reconnects are ioredis's job; an error event with nobody listening would end the process.
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.ping();
  } catch (cause) {
    client.disconnect();
    throw new RedisUnavailableError(url, cause);
  }
  return client;
}
