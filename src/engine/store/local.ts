// The local ExecutionStore driver on a Table (Keyv's sqlite table or a Map). It alone knows the layout:
//   x:<id> header · n:<id>:<node> node state · a:<id>:<node>:<n> attempt · e:<id>:<seq> event
//   l:<id> lease {owner, token, idempotencyKey} · i:<key> idempotency key → id · d:<hash> definition
//   o:<owner> owner lease · s:<template> stats
//   ix:r:<inv>:<id>, ix:u:<user>:<inv>:<id>, ix:t:<template>:<inv>:<id> (newest first: inv = MAX - createdAt)
//   ix:f:<id> unfinished
// Index rows are added once and deleted, never rewritten lists. `ix:f` is dropped after the header
// turns terminal (a second statement); a crash between the two leaves an entry `unfinished()` heals.
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { KeyedMutex } from "../../util/mutex.ts";
import type { AttemptRecord, EngineEvent, ExecutionRecord, NodeState } from "../records.ts";
import type { WorkflowDefinition } from "../schema.ts";
import type { StatsRecord } from "../stats.ts";
import type { Condition, Row, Table } from "./table.ts";
import type {
  CommitResult,
  CreateResult,
  ExecutionLease,
  ExecutionQuery,
  ExecutionStore,
  NewExecution,
  OwnerInfo,
  OwnerLease,
  Transition,
  UnfinishedExecution,
} from "./types.ts";

const TERMINAL = new Set(["completed", "failed", "cancelled"]);
const SETTLED = ["completed", "failed", "skipped", "cancelled"] as const;
const MAX_TIME = 9_999_999_999_999;

type IdemRow = { executionId: string };
type LeaseRow = { owner: string; token: string; idempotencyKey?: string; userId: string };

/** Ids from outside (user, template) inside keys: `:` and `%` escaped so one id is never a prefix of another's rows. */
const part = (id: string) => id.replace(/%/g, "%25").replace(/:/g, "%3A");
const inv = (createdAt: number) => String(MAX_TIME - createdAt).padStart(13, "0");
const newToken = () => randomBytes(9).toString("base64url");

export type LocalStoreOptions = {
  driver: "sqlite" | "memory";
  location: string;
  ttlMs: number;
  /** Runs after deletions to make them physical (sqlite: WAL checkpoint). */
  compact?: () => Promise<void>;
  sweep?: (now: number) => Promise<number>;
  ping?: () => Promise<boolean>;
};

/**
 * An owner lease counts as live until it expires, except one of a process on this host that no
 * longer exists (killed, crashed): its executions recover at once instead of after the lease runs out.
 */
function alive(lease: OwnerLease, now: number): boolean {
  if (lease.expiresAt < now) return false;
  if (lease.host !== hostname() || lease.pid === undefined || lease.pid === process.pid) return true;
  try {
    process.kill(lease.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

export function localOwner(): OwnerInfo {
  return { owner: newToken(), pid: process.pid, host: hostname(), startedAt: Date.now() };
}

export class LocalExecutionStore implements ExecutionStore {
  readonly driver: string;
  readonly location: string;
  private readonly ttlMs: number;
  private readonly mutex = new KeyedMutex();
  private readonly writtenDefinitions = new Set<string>();

  constructor(
    private readonly table: Table,
    private readonly options: LocalStoreOptions,
  ) {
    this.driver = options.driver;
    this.location = options.location;
    this.ttlMs = options.ttlMs;
  }

  private expires(): number {
    return Date.now() + this.ttlMs;
  }

  private async one<T>(key: string): Promise<T | undefined> {
    return (await this.table.get([key])).get(key) as T | undefined;
  }

  // ---- owners -----------------------------------------------------------------------------------

  async heartbeat(owner: OwnerInfo, ttlMs: number): Promise<boolean> {
    const key = `o:${owner.owner}`;
    const prev = await this.one<OwnerLease>(key);
    const now = Date.now();
    await this.table.put([[key, { ...owner, expiresAt: now + ttlMs } satisfies OwnerLease]], [], now + ttlMs + 86_400_000);
    return prev === undefined ? true : prev.expiresAt >= now;
  }

  async releaseOwner(owner: string): Promise<void> {
    await this.table.delete([`o:${owner}`]);
  }

  async liveOwners(): Promise<OwnerLease[]> {
    const now = Date.now();
    return (await this.table.range("o:")).map(([, v]) => v as OwnerLease).filter((o) => alive(o, now));
  }

  private async ownerAlive(owner: string | undefined): Promise<boolean> {
    if (!owner) return false;
    const lease = await this.one<OwnerLease>(`o:${owner}`);
    return lease !== undefined && alive(lease, Date.now());
  }

  // ---- executions -------------------------------------------------------------------------------

  async createExecution(input: NewExecution): Promise<CreateResult> {
    const { header, definition, owner, events, idempotencyKey } = input;
    const expires = this.expires();
    if (!this.writtenDefinitions.has(header.hash)) {
      await this.table.put([[`d:${header.hash}`, definition]], [], expires);
      this.writtenDefinitions.add(header.hash);
    }
    const lease: LeaseRow = {
      owner,
      token: newToken(),
      userId: header.userId,
      ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
    };
    const t = inv(header.createdAt);
    const rows: Row[] = [
      [`l:${header.id}`, lease],
      [`x:${header.id}`, header],
      [`ix:r:${t}:${header.id}`, 1],
      [`ix:u:${part(header.userId)}:${t}:${header.id}`, 1],
      [`ix:t:${part(header.templateId)}:${t}:${header.id}`, 1],
      ...events.map((e) => eventRow(e)),
    ];
    if (!TERMINAL.has(header.status)) rows.push([`ix:f:${header.id}`, 1]);
    const created = { created: true as const, execution: header, lease: { executionId: header.id, owner, token: lease.token } };
    if (idempotencyKey === undefined) {
      await this.table.put(rows, [], expires);
      return created;
    }
    // The key's mapping and the execution are written by one conditional statement: one creator wins.
    const key = `i:${idempotencyKey}`;
    rows.push([key, { executionId: header.id } satisfies IdemRow]);
    for (let tries = 0; tries < 3; tries++) {
      if (await this.table.put(rows, [{ key, exists: false }], expires)) return created;
      const existingId = (await this.one<IdemRow>(key))?.executionId;
      const existing = existingId ? await this.getExecution(existingId) : undefined;
      if (existing) return { created: false, execution: existing };
      // A mapping whose execution is gone (expired): replace exactly that mapping.
      if (existingId && (await this.table.put(rows, [{ key, field: "executionId", equals: existingId }], expires))) return created;
    }
    throw new Error(`Could not create an execution for idempotency key ${idempotencyKey}.`);
  }

  claim(executionId: string, owner: string, options: { force?: boolean } = {}): Promise<ExecutionLease | undefined> {
    return this.mutex.run(`claim:${executionId}`, async () => {
      const got = await this.table.get([`x:${executionId}`, `l:${executionId}`]);
      const header = got.get(`x:${executionId}`) as ExecutionRecord | undefined;
      const lease = got.get(`l:${executionId}`) as LeaseRow | undefined;
      if (!header || TERMINAL.has(header.status)) return undefined;
      if (lease && lease.owner !== owner && !options.force && (await this.ownerAlive(lease.owner))) return undefined;
      const next: LeaseRow = { ...(lease ?? { userId: header.userId }), owner, token: newToken() };
      // Fenced on the lease we read, so two claimers racing across processes cannot both win.
      const conditions: Condition[] = lease
        ? [{ key: `l:${executionId}`, field: "token", equals: lease.token }]
        : [{ key: `l:${executionId}`, exists: false }];
      const ok = await this.table.put([[`l:${executionId}`, next]], conditions, this.expires());
      return ok ? { executionId, owner, token: next.token } : undefined;
    });
  }

  async commit(t: Transition): Promise<CommitResult> {
    const id = t.executionId;
    const rows: Row[] = [];
    if (t.header) rows.push([`x:${id}`, t.header]);
    for (const n of t.nodes ?? []) rows.push([`n:${id}:${n.nodeId}`, n]);
    for (const a of t.attempts ?? []) rows.push([`a:${id}:${a.nodeId}:${a.attempt.attempt}`, a.attempt]);
    const events = t.events ?? [];
    for (const e of events) rows.push(eventRow(e));
    const conditions: Condition[] = [{ key: `l:${id}`, field: "token", equals: t.token }];
    if (t.node) conditions.push({ key: `n:${id}:${t.node.nodeId}`, field: "status", notIn: SETTLED });
    const first = events[0]?.seq;
    if (first !== undefined) {
      conditions.push({ key: `e:${id}:${first}`, exists: false });
      if (first > 1) conditions.push({ key: `e:${id}:${first - 1}`, exists: true });
    }
    if (rows.length === 0) return { ok: true };
    const applied = await this.table.put(rows, conditions, this.expires());
    if (!applied) return { ok: false, reason: await this.whyRefused(t) };
    if (t.header && TERMINAL.has(t.header.status)) await this.table.delete([`ix:f:${id}`]);
    return { ok: true };
  }

  private async whyRefused(t: Transition): Promise<"stale_lease" | "node_settled" | "seq_conflict" | "not_found"> {
    const id = t.executionId;
    const lease = await this.one<LeaseRow>(`l:${id}`);
    if (!lease) return "not_found";
    if (lease.token !== t.token) return "stale_lease";
    if (t.node) {
      const st = await this.one<NodeState>(`n:${id}:${t.node.nodeId}`);
      if (st && (SETTLED as readonly string[]).includes(st.status)) return "node_settled";
    }
    return "seq_conflict";
  }

  async deleteExecution(executionId: string): Promise<boolean> {
    const got = await this.table.get([`x:${executionId}`, `l:${executionId}`]);
    const header = got.get(`x:${executionId}`) as ExecutionRecord | undefined;
    const lease = got.get(`l:${executionId}`) as LeaseRow | undefined;
    if (!header && !lease) return false;
    const keys = [`x:${executionId}`, `l:${executionId}`, `ix:f:${executionId}`];
    if (lease?.idempotencyKey !== undefined) {
      const mapped = await this.one<IdemRow>(`i:${lease.idempotencyKey}`);
      if (mapped?.executionId === executionId) keys.push(`i:${lease.idempotencyKey}`);
    }
    if (header) {
      const t = inv(header.createdAt);
      keys.push(
        `ix:r:${t}:${executionId}`,
        `ix:u:${part(header.userId)}:${t}:${executionId}`,
        `ix:t:${part(header.templateId)}:${t}:${executionId}`,
      );
    }
    await this.table.delete(keys);
    await this.table.deleteRange(`n:${executionId}:`);
    await this.table.deleteRange(`a:${executionId}:`);
    await this.table.deleteRange(`e:${executionId}:`);
    return true;
  }

  // ---- reads ------------------------------------------------------------------------------------

  getExecution(executionId: string): Promise<ExecutionRecord | undefined> {
    return this.one<ExecutionRecord>(`x:${executionId}`);
  }

  async getExecutions(executionIds: string[]): Promise<ExecutionRecord[]> {
    const got = await this.table.get(executionIds.map((id) => `x:${id}`));
    return executionIds.map((id) => got.get(`x:${id}`) as ExecutionRecord | undefined).filter((r): r is ExecutionRecord => r !== undefined);
  }

  async getNodes(executionId: string): Promise<Map<string, NodeState>> {
    const out = new Map<string, NodeState>();
    for (const [, v] of await this.table.range(`n:${executionId}:`)) {
      const st = v as NodeState;
      out.set(st.nodeId, st);
    }
    return out;
  }

  async getAttempts(executionId: string, nodeId: string): Promise<AttemptRecord[]> {
    const rows = await this.table.range(`a:${executionId}:${nodeId}:`);
    return rows.map(([, v]) => v as AttemptRecord).sort((a, b) => a.attempt - b.attempt);
  }

  async getEvents(executionId: string, fromSeq = 1): Promise<EngineEvent[]> {
    const rows = await this.table.range(`e:${executionId}:`);
    const events = rows
      .map(([, v]) => ({ executionId, ...(v as Omit<EngineEvent, "executionId">) }) as EngineEvent)
      .sort((a, b) => a.seq - b.seq);
    // Gap-free from 1: stop at the first gap (an expired prefix or a partial delete yields nothing past it).
    const out: EngineEvent[] = [];
    let expect = events[0]?.seq ?? 1;
    for (const e of events) {
      if (e.seq !== expect) break;
      expect++;
      if (e.seq >= fromSeq) out.push(e);
    }
    return out;
  }

  async lastSeq(executionId: string): Promise<number> {
    const events = await this.getEvents(executionId);
    return events.at(-1)?.seq ?? 0;
  }

  async getDefinition(hash: string): Promise<WorkflowDefinition | undefined> {
    return this.one<WorkflowDefinition>(`d:${hash}`);
  }

  async byIdempotencyKey(key: string): Promise<string | undefined> {
    return (await this.one<IdemRow>(`i:${key}`))?.executionId;
  }

  async listExecutions(query: ExecutionQuery = {}): Promise<ExecutionRecord[]> {
    const limit = query.limit ?? 50;
    const prefix =
      query.userId !== undefined
        ? `ix:u:${part(query.userId)}:`
        : query.templateId !== undefined
          ? `ix:t:${part(query.templateId)}:`
          : "ix:r:";
    const startAfter = query.before !== undefined ? inv(query.before) : undefined;
    const out: ExecutionRecord[] = [];
    const ids = (await this.table.range(prefix))
      .map(([k]) => k.slice(prefix.length))
      .filter((rest) => startAfter === undefined || rest.slice(0, 13) > startAfter)
      .map((rest) => rest.slice(14));
    for (let i = 0; i < ids.length && out.length < limit; i += 200) {
      for (const rec of await this.getExecutions(ids.slice(i, i + 200))) {
        if (query.status && !query.status.includes(rec.status)) continue;
        if (query.templateId !== undefined && rec.templateId !== query.templateId) continue;
        if (query.userId !== undefined && rec.userId !== query.userId) continue;
        out.push(rec);
        if (out.length >= limit) break;
      }
    }
    return out;
  }

  async executionIdsOfUser(userId: string): Promise<string[]> {
    const prefix = `ix:u:${part(userId)}:`;
    return (await this.table.range(prefix)).map(([k]) => k.slice(prefix.length + 14));
  }

  async unfinished(): Promise<UnfinishedExecution[]> {
    const ids = (await this.table.range("ix:f:")).map(([k]) => k.slice(5));
    const out: UnfinishedExecution[] = [];
    const live = new Set((await this.liveOwners()).map((o) => o.owner));
    for (let i = 0; i < ids.length; i += 200) {
      const part = ids.slice(i, i + 200);
      const got = await this.table.get(part.flatMap((id) => [`x:${id}`, `l:${id}`]));
      const stale: string[] = [];
      for (const id of part) {
        const header = got.get(`x:${id}`) as ExecutionRecord | undefined;
        if (!header || TERMINAL.has(header.status)) {
          stale.push(`ix:f:${id}`);
          continue;
        }
        const owner = (got.get(`l:${id}`) as LeaseRow | undefined)?.owner;
        out.push({ executionId: id, owner, ownerAlive: owner !== undefined && live.has(owner) });
      }
      if (stale.length > 0) await this.table.delete(stale);
    }
    return out;
  }

  // ---- stats ------------------------------------------------------------------------------------

  updateStats(templateId: string, fold: (previous: StatsRecord | undefined) => StatsRecord): Promise<void> {
    return this.mutex.run(`s:${templateId}`, async () => {
      const prev = await this.one<StatsRecord>(`s:${templateId}`);
      await this.table.put([[`s:${templateId}`, fold(prev)]], [], this.expires());
    });
  }

  async getStats(templateId?: string): Promise<StatsRecord[]> {
    if (templateId !== undefined) {
      const one = await this.one<StatsRecord>(`s:${templateId}`);
      return one ? [one] : [];
    }
    return (await this.table.range("s:")).map(([, v]) => v as StatsRecord);
  }

  // ---- housekeeping -----------------------------------------------------------------------------

  async sweepExpired(now = Date.now()): Promise<number> {
    const n = this.options.sweep ? await this.options.sweep(now) : 0;
    await this.compact();
    return n;
  }

  async compact(): Promise<void> {
    await this.options.compact?.();
  }

  ping(): Promise<boolean> {
    return this.options.ping ? this.options.ping() : Promise.resolve(true);
  }

  async close(): Promise<void> {}
}

/** The execution id is in the key, so it is not stored again in every event. */
function eventRow(event: EngineEvent): Row {
  const { executionId, ...rest } = event;
  return [`e:${executionId}:${event.seq}`, rest];
}
