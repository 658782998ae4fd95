// Where the distributed suites find PostgreSQL and Redis, and whether they answer. The global setup probes
// once per run; suites skip (with one line printed for the whole run) only when a service is unreachable.
import net from "node:net";

export const POSTGRES_URL = process.env.STAFFROOM_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
export const REDIS_URL = process.env.STAFFROOM_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

export type Services = { postgres?: string; redis?: string };

/** Does something accept TCP connections at the URL's host and port within `ms`? */
function reachable(url: string, defaultPort: number, ms = 1_000): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname.replace(/^\[|\]$/g, ""), port: Number(port || defaultPort) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(ms, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/** Probes both services, each with its own client: a port that answers is not yet a database that does. */
export async function probeServices(): Promise<Services> {
  const [pg, redis] = await Promise.all([probePostgres(), probeRedis()]);
  return { ...(pg ? { postgres: POSTGRES_URL } : {}), ...(redis ? { redis: REDIS_URL } : {}) };
}

async function probePostgres(): Promise<boolean> {
  if (!(await reachable(POSTGRES_URL, 5432))) return false;
  const { default: pg } = await import("pg");
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function probeRedis(): Promise<boolean> {
  if (!(await reachable(REDIS_URL, 6379))) return false;
  const { Redis } = await import("ioredis");
  const client = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2_000 });
  client.on("error", () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}
