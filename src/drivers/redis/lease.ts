// Leases in Redis: one holder per name (a Slack Socket Mode connection slot, a Discord Gateway shard, a
// thread lock) for a bounded time. SET NX PX takes it; renew and release are compare-and-act scripts, so a
// holder whose lease expired can never extend or drop its successor's. Every take bumps a fence number the
// holder can attach to writes it makes under the lease.
import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";

export type Lease = {
  name: string;
  /** Unique to this take: renew/release match on it. */
  token: string;
  /** Strictly increasing per name across takes: later holders have larger numbers. */
  fence: number;
};

const TAKE = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return redis.call('INCR', KEYS[2])
end
return 0`;
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0`;
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`;

type LeaseCommands = Redis & {
  leaseTake(key: string, fenceKey: string, token: string, ttlMs: number): Promise<number>;
  leaseRenew(key: string, token: string, ttlMs: number): Promise<number>;
  leaseRelease(key: string, token: string): Promise<number>;
};

export class RedisLeases {
  private readonly redis: LeaseCommands;

  /** `prefix` namespaces every key (one deployment, or one test run). */
  constructor(
    redis: Redis,
    private readonly prefix = "staffroom:",
  ) {
    redis.defineCommand("leaseTake", { numberOfKeys: 2, lua: TAKE });
    redis.defineCommand("leaseRenew", { numberOfKeys: 1, lua: RENEW });
    redis.defineCommand("leaseRelease", { numberOfKeys: 1, lua: RELEASE });
    this.redis = redis as LeaseCommands;
  }

  private key(name: string): string {
    return `${this.prefix}lease:${name}`;
  }

  /** Takes the lease if nobody holds it; undefined when someone does. `holder` is for diagnostics. */
  async take(name: string, ttlMs: number, holder = "staffroom"): Promise<Lease | undefined> {
    const token = `${holder}:${randomUUID()}`;
    const fence = Number(await this.redis.leaseTake(this.key(name), `${this.key(name)}:fence`, token, Math.ceil(ttlMs)));
    return fence > 0 ? { name, token, fence } : undefined;
  }

  /** The first free name of `names` (e.g. connection slots 0..9), or undefined when all are held. */
  async takeAny(names: readonly string[], ttlMs: number, holder?: string): Promise<Lease | undefined> {
    for (const name of names) {
      const lease = await this.take(name, ttlMs, holder);
      if (lease) return lease;
    }
    return undefined;
  }

  /** Extends a lease still held by this token; false when it expired or passed to someone else. */
  async renew(lease: Lease, ttlMs: number): Promise<boolean> {
    return Number(await this.redis.leaseRenew(this.key(lease.name), lease.token, Math.ceil(ttlMs))) === 1;
  }

  /** Gives the lease up if this token still holds it (a stale holder's release is a no-op). */
  async release(lease: Lease): Promise<boolean> {
    return Number(await this.redis.leaseRelease(this.key(lease.name), lease.token)) === 1;
  }

  /** Who holds a name now (the token), if anyone. */
  async holder(name: string): Promise<string | undefined> {
    return (await this.redis.get(this.key(name))) ?? undefined;
  }

  /**
   * Holds a lease until stopped: renews every ttl/3, and calls `onLost` once if a renewal finds it gone
   * (expired while this process was stopped, or a network split), so the holder stops acting on it.
   */
  keep(lease: Lease, ttlMs: number, onLost: (lease: Lease) => void): { stop(): Promise<void> } {
    let stopped = false;
    const timer = setInterval(
      () => {
        void this.renew(lease, ttlMs).then(
          (held) => {
            if (!held && !stopped) {
              stopped = true;
              clearInterval(timer);
              onLost(lease);
            }
          },
          () => undefined, // A failed round trip is retried at the next tick; expiry decides.
        );
      },
      Math.max(10, Math.floor(ttlMs / 3)),
    );
    timer.unref();
    return {
      stop: async () => {
        if (stopped) return;
        stopped = true;
        clearInterval(timer);
        await this.release(lease).catch(() => undefined);
      },
    };
  }

  /**
   * Runs `fn` while holding `name` (a per-thread lock shared by every replica). Waits up to `waitMs` for
   * the holder to finish; returns undefined, without running `fn`, when it never got the lock.
   */
  async withLock<T>(
    name: string,
    fn: (lease: Lease) => Promise<T>,
    opts: { ttlMs?: number; waitMs?: number } = {},
  ): Promise<T | undefined> {
    const ttlMs = opts.ttlMs ?? 30_000;
    const deadline = Date.now() + (opts.waitMs ?? 10_000);
    let delay = 5;
    for (;;) {
      const lease = await this.take(name, ttlMs, "lock");
      if (lease) {
        const kept = this.keep(lease, ttlMs, () => undefined);
        try {
          return await fn(lease);
        } finally {
          await kept.stop();
        }
      }
      if (Date.now() >= deadline) return undefined;
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 100);
    }
  }
}
