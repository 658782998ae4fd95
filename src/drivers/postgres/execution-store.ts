// The ExecutionStore in PostgreSQL tables, shared by every replica. Each decision is one call of
// commit_v3 (one transaction holding the execution's row lock, fenced by its version); owner leases
// are measured on the database's clock, not the replicas'. The retention sweep runs on a schedule
// under a cluster-wide advisory lock, so one replica sweeps at a time.
import type pg from "pg";
import type { AttemptRecord, EngineEvent, ExecutionRecord, NodeState } from "../../engine/records.ts";
import type { WorkflowDefinition } from "../../engine/schema.ts";
import type { StatsRecord } from "../../engine/stats.ts";
import type {
  CommitResult,
  CreateResult,
  ExecutionQuery,
  ExecutionStore,
  LoadedExecution,
  NewExecution,
  OwnerInfo,
  OwnerLease,
  Transition,
  UnfinishedExecution,
} from "../../engine/store/types.ts";

/** Advisory lock keys of the retention sweep ("STAF", "SWEP"): one replica sweeps at a time. */
const SWEEP_LOCK = [0x5354_4146, 0x5357_4550] as const;
/** Owner rows are kept a day past expiry so a late heartbeat can still say "you had expired". */
const OWNER_GRACE_MS = 86_400_000;

export type PostgresStoreOptions = {
  pool: pg.Pool;
  /** For messages: host/db and schema, never credentials. */
  location: string;
  ttlMs: number;
  /** Ends the pool on close (when this store owns it). */
  ownsPool?: boolean;
  /** How often the retention sweep runs (one replica at a time); 0 or unset: never on its own. */
  sweepEveryMs?: number;
  onSweepError?: (error: unknown) => void;
};

type ExecutionRow = { header: ExecutionRecord };

/** Last write wins within one transition: the table upserts once per key. */
function lastPerKey<T>(items: readonly T[], key: (item: T) => string): T[] {
  return [...new Map(items.map((i) => [key(i), i])).values()];
}

export class PostgresExecutionStore implements ExecutionStore {
  readonly driver = "postgres";
  readonly location: string;
  private readonly pool: pg.Pool;
  private readonly ttlMs: number;
  private readonly writtenDefinitions = new Set<string>();
  private sweepTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: PostgresStoreOptions) {
    this.pool = options.pool;
    this.location = options.location;
    this.ttlMs = options.ttlMs;
    if (options.sweepEveryMs && options.sweepEveryMs > 0) {
      this.sweepTimer = setInterval(() => {
        this.sweepExpired().catch((error: unknown) => options.onSweepError?.(error));
      }, options.sweepEveryMs);
      this.sweepTimer.unref();
    }
  }

  private expires(): number {
    return Date.now() + this.ttlMs;
  }

  // ---- owners -----------------------------------------------------------------------------------

  async heartbeat(owner: OwnerInfo, ttlMs: number): Promise<boolean> {
    // The CTE reads the row as it was before the upsert: was the previous lease still running?
    const { rows } = await this.pool.query<{ prev: string | null; now: string }>(
      `WITH prev AS (SELECT expires_at FROM owners WHERE owner = $1), now AS (SELECT now_ms() AS ms)
       INSERT INTO owners (owner, info, expires_at) VALUES ($1, $2, (SELECT ms FROM now) + $3)
       ON CONFLICT (owner) DO UPDATE SET info = excluded.info, expires_at = excluded.expires_at
       RETURNING (SELECT expires_at FROM prev) AS prev, (SELECT ms FROM now) AS now`,
      [owner.owner, owner, Math.ceil(ttlMs)],
    );
    const row = rows[0];
    return !row || row.prev === null || Number(row.prev) >= Number(row.now);
  }

  async releaseOwner(owner: string): Promise<void> {
    await this.pool.query("DELETE FROM owners WHERE owner = $1", [owner]);
  }

  async liveOwners(): Promise<OwnerLease[]> {
    const { rows } = await this.pool.query<{ info: OwnerInfo; expires_at: string }>(
      "SELECT info, expires_at FROM owners WHERE expires_at >= now_ms()",
    );
    return rows.map((r) => ({ ...r.info, expiresAt: Number(r.expires_at) }));
  }

  // ---- executions -------------------------------------------------------------------------------

  async createExecution(input: NewExecution): Promise<CreateResult> {
    const { header, definition, events, idempotencyKey } = input;
    const expires = this.expires();
    const client = await this.pool.connect();
    try {
      await client.query("BEGIN");
      if (!this.writtenDefinitions.has(header.hash)) {
        await client.query(
          `INSERT INTO definitions (hash, definition, expires_at) VALUES ($1, $2, $3)
           ON CONFLICT (hash) DO UPDATE SET expires_at = greatest(definitions.expires_at, excluded.expires_at)`,
          [header.hash, definition, expires],
        );
      }
      if (idempotencyKey !== undefined) {
        // A racing creator with the same key waits here on the key's unique index until the first commits.
        const inserted = await client.query("INSERT INTO idempotency (key, execution_id) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING", [
          idempotencyKey,
          header.id,
        ]);
        if (inserted.rowCount === 0) {
          const existing = await client.query<ExecutionRow>(
            "SELECT e.header FROM idempotency i JOIN executions e ON e.id = i.execution_id WHERE i.key = $1",
            [idempotencyKey],
          );
          const found = existing.rows[0];
          if (found) {
            await client.query("ROLLBACK");
            return { created: false, execution: found.header };
          }
          // The key's execution is gone (expired or deleted): the key starts this one.
          await client.query("UPDATE idempotency SET execution_id = $2 WHERE key = $1", [idempotencyKey, header.id]);
        }
      }
      await client.query(
        `INSERT INTO executions (id, user_id, template_id, status, created_at, hash, header, idempotency_key, last_seq, version, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10)`,
        [
          header.id,
          header.userId,
          header.templateId,
          header.status,
          header.createdAt,
          header.hash,
          header,
          idempotencyKey ?? null,
          events.length,
          expires,
        ],
      );
      if (events.length > 0) {
        await client.query(
          "INSERT INTO events (execution_id, seq, event) SELECT $1, (v->>'seq')::integer, v FROM jsonb_array_elements($2::jsonb) AS v",
          [header.id, JSON.stringify(events)],
        );
      }
      if (input.nodes?.length) {
        // The first step's dispatch, recorded with the execution (last write wins per node, as in commits).
        await client.query(
          "INSERT INTO nodes (execution_id, node_id, status, state) SELECT $1, v->>'nodeId', v->>'status', v FROM jsonb_array_elements($2::jsonb) AS v",
          [header.id, JSON.stringify(lastPerKey(input.nodes, (n) => n.nodeId))],
        );
      }
      await client.query("COMMIT");
      this.writtenDefinitions.add(header.hash);
      return { created: true, execution: header };
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async commit(t: Transition): Promise<CommitResult> {
    const nodes = t.nodes?.length ? lastPerKey(t.nodes, (n) => n.nodeId) : undefined;
    const attempts = t.attempts?.length ? lastPerKey(t.attempts, (a) => `${a.nodeId}:${a.attempt.attempt}`) : undefined;
    const events = t.events ?? [];
    const children = t.children?.length
      ? t.children.map((c) => ({ header: c.header, definition: c.definition, events: c.events }))
      : undefined;
    const { rows } = await this.pool.query<{ result: string }>("SELECT commit_v3($1, $2, $3, $4, $5, $6, $7, $8, $9) AS result", [
      t.executionId,
      t.expectVersion,
      t.seq,
      t.header ?? null,
      nodes ? JSON.stringify(nodes) : null,
      attempts ? JSON.stringify(attempts) : null,
      events.length ? JSON.stringify(events) : null,
      children ? JSON.stringify(children) : null,
      this.expires(),
    ]);
    const result = rows[0]?.result;
    if (result === "ok") {
      for (const c of t.children ?? []) this.writtenDefinitions.add(c.header.hash);
      return { ok: true, version: t.expectVersion + 1 };
    }
    if (result === "version_conflict" || result === "seq_conflict" || result === "not_found") return { ok: false, reason: result };
    throw new Error(`commit_v3 answered ${String(result)}`);
  }

  async loadExecution(executionId: string): Promise<LoadedExecution | undefined> {
    // One round trip: the header row with its nodes aggregated.
    const { rows } = await this.pool.query<{ header: ExecutionRecord; version: number; last_seq: number; nodes: NodeState[] | null }>(
      `SELECT e.header, e.version, e.last_seq,
              (SELECT jsonb_agg(n.state) FROM nodes n WHERE n.execution_id = e.id) AS nodes
       FROM executions e WHERE e.id = $1`,
      [executionId],
    );
    const row = rows[0];
    if (!row) return undefined;
    return {
      header: row.header,
      nodes: new Map((row.nodes ?? []).map((n) => [n.nodeId, n])),
      version: Number(row.version),
      seq: Number(row.last_seq),
    };
  }

  async deleteExecution(executionId: string): Promise<boolean> {
    const client = await this.pool.connect();
    try {
      await client.query("BEGIN");
      // Nodes, attempts and events go with the row (ON DELETE CASCADE).
      const deleted = await client.query<{ idempotency_key: string | null }>(
        "DELETE FROM executions WHERE id = $1 RETURNING idempotency_key",
        [executionId],
      );
      const key = deleted.rows[0]?.idempotency_key;
      if (key) await client.query("DELETE FROM idempotency WHERE key = $1 AND execution_id = $2", [key, executionId]);
      await client.query("COMMIT");
      return deleted.rowCount === 1;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  // ---- reads ------------------------------------------------------------------------------------

  async getExecution(executionId: string): Promise<ExecutionRecord | undefined> {
    const { rows } = await this.pool.query<ExecutionRow>("SELECT header FROM executions WHERE id = $1", [executionId]);
    return rows[0]?.header;
  }

  async getExecutions(executionIds: string[]): Promise<ExecutionRecord[]> {
    if (executionIds.length === 0) return [];
    const { rows } = await this.pool.query<ExecutionRow & { id: string }>("SELECT id, header FROM executions WHERE id = ANY($1)", [
      executionIds,
    ]);
    const byId = new Map(rows.map((r) => [r.id, r.header]));
    return executionIds.map((id) => byId.get(id)).filter((r): r is ExecutionRecord => r !== undefined);
  }

  async getNodes(executionId: string): Promise<Map<string, NodeState>> {
    const { rows } = await this.pool.query<{ state: NodeState }>("SELECT state FROM nodes WHERE execution_id = $1", [executionId]);
    return new Map(rows.map((r) => [r.state.nodeId, r.state]));
  }

  async getAttempts(executionId: string, nodeId: string): Promise<AttemptRecord[]> {
    const { rows } = await this.pool.query<{ record: AttemptRecord }>(
      "SELECT record FROM attempts WHERE execution_id = $1 AND node_id = $2 ORDER BY attempt",
      [executionId, nodeId],
    );
    return rows.map((r) => r.record);
  }

  async getEvents(executionId: string, fromSeq = 1): Promise<EngineEvent[]> {
    const { rows } = await this.pool.query<{ event: EngineEvent }>(
      "SELECT event FROM events WHERE execution_id = $1 AND seq >= $2 ORDER BY seq",
      [executionId, fromSeq],
    );
    return rows.map((r) => r.event);
  }

  async lastSeq(executionId: string): Promise<number> {
    const { rows } = await this.pool.query<{ last_seq: number }>("SELECT last_seq FROM executions WHERE id = $1", [executionId]);
    return rows[0]?.last_seq ?? 0;
  }

  async getDefinition(hash: string): Promise<WorkflowDefinition | undefined> {
    const { rows } = await this.pool.query<{ definition: WorkflowDefinition }>("SELECT definition FROM definitions WHERE hash = $1", [
      hash,
    ]);
    return rows[0]?.definition;
  }

  async byIdempotencyKey(key: string): Promise<string | undefined> {
    const { rows } = await this.pool.query<{ execution_id: string }>(
      "SELECT i.execution_id FROM idempotency i JOIN executions e ON e.id = i.execution_id WHERE i.key = $1",
      [key],
    );
    return rows[0]?.execution_id;
  }

  async listExecutions(query: ExecutionQuery = {}): Promise<ExecutionRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace("?", `$${params.length}`));
    };
    if (query.userId !== undefined) add("user_id = ?", query.userId);
    if (query.templateId !== undefined) add("template_id = ?", query.templateId);
    if (query.status) add("status = ANY(?)", query.status);
    if (query.before !== undefined) add("created_at < ?", query.before);
    params.push(query.limit ?? 50);
    const { rows } = await this.pool.query<ExecutionRow>(
      `SELECT header FROM executions ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY created_at DESC, id LIMIT $${params.length}`,
      params,
    );
    return rows.map((r) => r.header);
  }

  async executionIdsOfUser(userId: string): Promise<string[]> {
    const { rows } = await this.pool.query<{ id: string }>("SELECT id FROM executions WHERE user_id = $1 ORDER BY created_at DESC, id", [
      userId,
    ]);
    return rows.map((r) => r.id);
  }

  async unfinished(): Promise<UnfinishedExecution[]> {
    const { rows } = await this.pool.query<{ id: string }>(
      "SELECT id FROM executions WHERE status NOT IN ('completed', 'failed', 'cancelled')",
    );
    return rows.map((r) => ({ executionId: r.id }));
  }

  // ---- stats ------------------------------------------------------------------------------------

  async updateStats(templateId: string, fold: (previous: StatsRecord | undefined) => StatsRecord): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query("BEGIN");
      // The row lock serialises folds of one template across every replica.
      await client.query("INSERT INTO stats (template_id, record) VALUES ($1, NULL) ON CONFLICT (template_id) DO NOTHING", [templateId]);
      const { rows } = await client.query<{ record: StatsRecord | null }>("SELECT record FROM stats WHERE template_id = $1 FOR UPDATE", [
        templateId,
      ]);
      const next = fold(rows[0]?.record ?? undefined);
      await client.query("UPDATE stats SET record = $2 WHERE template_id = $1", [templateId, next]);
      await client.query("COMMIT");
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async getStats(templateId?: string): Promise<StatsRecord[]> {
    const { rows } =
      templateId === undefined
        ? await this.pool.query<{ record: StatsRecord }>("SELECT record FROM stats WHERE record IS NOT NULL ORDER BY template_id")
        : await this.pool.query<{ record: StatsRecord }>("SELECT record FROM stats WHERE template_id = $1 AND record IS NOT NULL", [
            templateId,
          ]);
    return rows.map((r) => r.record);
  }

  // ---- housekeeping -----------------------------------------------------------------------------

  /**
   * Deletes executions past retention (their nodes, attempts and events cascade), orphaned idempotency
   * keys and definitions, and long-dead owners. One replica at a time: the others skip (0).
   */
  async sweepExpired(now = Date.now()): Promise<number> {
    const client = await this.pool.connect();
    try {
      await client.query("BEGIN");
      const { rows } = await client.query<{ locked: boolean }>("SELECT pg_try_advisory_xact_lock($1, $2) AS locked", [...SWEEP_LOCK]);
      if (!rows[0]?.locked) {
        await client.query("ROLLBACK");
        return 0;
      }
      const gone = await client.query("DELETE FROM executions WHERE expires_at < $1", [now]);
      await client.query("DELETE FROM idempotency i WHERE NOT EXISTS (SELECT 1 FROM executions e WHERE e.id = i.execution_id)");
      await client.query(
        "DELETE FROM definitions d WHERE d.expires_at < $1 AND NOT EXISTS (SELECT 1 FROM executions e WHERE e.hash = d.hash)",
        [now],
      );
      await client.query("DELETE FROM owners WHERE expires_at < now_ms() - $1", [OWNER_GRACE_MS]);
      // Other layers' records (conversations, the privacy maps of real names) expire by Keyv's `expires`.
      await client.query(
        `DELETE FROM keyv WHERE CASE WHEN value ~ '"expires":[0-9]' THEN (value::jsonb->>'expires')::bigint < $1 ELSE false END`,
        [now],
      );
      await client.query("COMMIT");
      return gone.rowCount ?? 0;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** Deleted rows are invisible at once; autovacuum reclaims their space, so there is nothing to force here. */
  async compact(): Promise<void> {}

  async ping(): Promise<boolean> {
    try {
      await this.pool.query("SELECT 1");
      return true;
    } catch {
      return false;
    }
  }

  private closed: Promise<void> | undefined;

  close(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.closed ??= this.options.ownsPool ? this.pool.end() : Promise.resolve();
    return this.closed;
  }
}
