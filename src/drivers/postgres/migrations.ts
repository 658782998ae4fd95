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
  {
    id: 2,
    name: "executions: header, lease, nodes, attempts, events, definitions, owners, stats",
    sql: (s) => `
      CREATE TABLE ${s}.executions (
        id text PRIMARY KEY,
        user_id text NOT NULL,
        template_id text NOT NULL,
        status text NOT NULL,
        created_at bigint NOT NULL,
        hash text NOT NULL,
        header jsonb NOT NULL,
        owner text,
        token text NOT NULL,
        idempotency_key text,
        last_seq integer NOT NULL DEFAULT 0,
        expires_at bigint NOT NULL
      );
      CREATE INDEX executions_recent ON ${s}.executions (created_at DESC, id);
      CREATE INDEX executions_user ON ${s}.executions (user_id, created_at DESC, id);
      CREATE INDEX executions_template ON ${s}.executions (template_id, created_at DESC, id);
      CREATE INDEX executions_unfinished ON ${s}.executions (id) WHERE status NOT IN ('completed', 'failed', 'cancelled');
      CREATE INDEX executions_expiry ON ${s}.executions (expires_at);
      CREATE TABLE ${s}.idempotency (key text PRIMARY KEY, execution_id text NOT NULL);
      CREATE TABLE ${s}.nodes (
        execution_id text NOT NULL REFERENCES ${s}.executions (id) ON DELETE CASCADE,
        node_id text NOT NULL,
        status text NOT NULL,
        state jsonb NOT NULL,
        PRIMARY KEY (execution_id, node_id)
      );
      CREATE TABLE ${s}.attempts (
        execution_id text NOT NULL REFERENCES ${s}.executions (id) ON DELETE CASCADE,
        node_id text NOT NULL,
        attempt integer NOT NULL,
        record jsonb NOT NULL,
        PRIMARY KEY (execution_id, node_id, attempt)
      );
      CREATE TABLE ${s}.events (
        execution_id text NOT NULL REFERENCES ${s}.executions (id) ON DELETE CASCADE,
        seq integer NOT NULL,
        event jsonb NOT NULL,
        PRIMARY KEY (execution_id, seq)
      );
      CREATE TABLE ${s}.definitions (hash text PRIMARY KEY, definition jsonb NOT NULL, expires_at bigint NOT NULL);
      CREATE TABLE ${s}.owners (owner text PRIMARY KEY, info jsonb NOT NULL, expires_at bigint NOT NULL);
      CREATE TABLE ${s}.stats (template_id text PRIMARY KEY, record jsonb);

      -- Milliseconds on the database's clock: every replica's leases are measured on this one clock.
      CREATE FUNCTION ${s}.now_ms() RETURNS bigint LANGUAGE sql VOLATILE AS
        $f$ SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint $f$;

      -- One transition, one transaction: the execution's row is locked, the lease token checked (the
      -- fence), the node checked not settled, the events checked to continue the log; then all is written.
      CREATE FUNCTION ${s}.commit_transition(
        p_id text, p_token text, p_node text, p_header jsonb, p_nodes jsonb, p_attempts jsonb, p_events jsonb, p_expires bigint
      ) RETURNS text LANGUAGE plpgsql AS $f$
      DECLARE
        cur_token text;
        cur_seq integer;
        node_status text;
        n_events integer := coalesce(jsonb_array_length(p_events), 0);
      BEGIN
        SELECT token, last_seq INTO cur_token, cur_seq FROM ${s}.executions WHERE id = p_id FOR UPDATE;
        IF NOT FOUND THEN RETURN 'not_found'; END IF;
        IF cur_token IS DISTINCT FROM p_token THEN RETURN 'stale_lease'; END IF;
        IF p_node IS NOT NULL THEN
          SELECT status INTO node_status FROM ${s}.nodes WHERE execution_id = p_id AND node_id = p_node;
          IF node_status IN ('completed', 'failed', 'skipped', 'cancelled') THEN RETURN 'node_settled'; END IF;
        END IF;
        IF n_events > 0 AND EXISTS (
          SELECT 1 FROM jsonb_array_elements(p_events) WITH ORDINALITY AS e(v, i) WHERE (e.v->>'seq')::integer <> cur_seq + e.i
        ) THEN
          RETURN 'seq_conflict';
        END IF;
        IF n_events > 0 THEN
          INSERT INTO ${s}.events (execution_id, seq, event)
            SELECT p_id, (v->>'seq')::integer, v FROM jsonb_array_elements(p_events) AS v;
        END IF;
        IF p_nodes IS NOT NULL THEN
          INSERT INTO ${s}.nodes (execution_id, node_id, status, state)
            SELECT p_id, v->>'nodeId', v->>'status', v FROM jsonb_array_elements(p_nodes) AS v
            ON CONFLICT (execution_id, node_id) DO UPDATE SET status = excluded.status, state = excluded.state;
        END IF;
        IF p_attempts IS NOT NULL THEN
          INSERT INTO ${s}.attempts (execution_id, node_id, attempt, record)
            SELECT p_id, v->>'nodeId', (v->'attempt'->>'attempt')::integer, v->'attempt' FROM jsonb_array_elements(p_attempts) AS v
            ON CONFLICT (execution_id, node_id, attempt) DO UPDATE SET record = excluded.record;
        END IF;
        UPDATE ${s}.executions SET
          last_seq = cur_seq + n_events,
          expires_at = p_expires,
          header = coalesce(p_header, header),
          status = coalesce(p_header->>'status', status)
        WHERE id = p_id;
        RETURN 'ok';
      END
      $f$;
    `,
  },
  {
    id: 3,
    name: "engine v3: execution version fence, store-checked event batches, children in the same commit",
    sql: (s) => `
      ALTER TABLE ${s}.executions ADD COLUMN version integer NOT NULL DEFAULT 0;
      ALTER TABLE ${s}.executions ALTER COLUMN token DROP NOT NULL;

      -- One decision, one transaction: the execution's row is locked, its version compared with the one
      -- the decision read (the fence), the events checked to continue the log as one batch; then the
      -- events, nodes, attempts, header and any child executions are written and the version bumped.
      CREATE FUNCTION ${s}.commit_v3(
        p_id text, p_version integer, p_seq integer, p_header jsonb, p_nodes jsonb, p_attempts jsonb,
        p_events jsonb, p_children jsonb, p_expires bigint
      ) RETURNS text LANGUAGE plpgsql AS $f$
      DECLARE
        cur_version integer;
        cur_seq integer;
        n_events integer := coalesce(jsonb_array_length(p_events), 0);
        child jsonb;
      BEGIN
        SELECT version, last_seq INTO cur_version, cur_seq FROM ${s}.executions WHERE id = p_id FOR UPDATE;
        IF NOT FOUND THEN RETURN 'not_found'; END IF;
        IF cur_version <> p_version THEN RETURN 'version_conflict'; END IF;
        IF cur_seq <> p_seq OR (n_events > 0 AND EXISTS (
          SELECT 1 FROM jsonb_array_elements(p_events) WITH ORDINALITY AS e(v, i)
          WHERE (e.v->>'seq')::integer <> cur_seq + e.i OR e.v->>'executionId' IS DISTINCT FROM p_id
        )) THEN
          RETURN 'seq_conflict';
        END IF;
        IF n_events > 0 THEN
          INSERT INTO ${s}.events (execution_id, seq, event)
            SELECT p_id, (v->>'seq')::integer, v FROM jsonb_array_elements(p_events) AS v;
        END IF;
        IF p_nodes IS NOT NULL THEN
          INSERT INTO ${s}.nodes (execution_id, node_id, status, state)
            SELECT p_id, v->>'nodeId', v->>'status', v FROM jsonb_array_elements(p_nodes) AS v
            ON CONFLICT (execution_id, node_id) DO UPDATE SET status = excluded.status, state = excluded.state;
        END IF;
        IF p_attempts IS NOT NULL THEN
          INSERT INTO ${s}.attempts (execution_id, node_id, attempt, record)
            SELECT p_id, v->>'nodeId', (v->'attempt'->>'attempt')::integer, v->'attempt' FROM jsonb_array_elements(p_attempts) AS v
            ON CONFLICT (execution_id, node_id, attempt) DO UPDATE SET record = excluded.record;
        END IF;
        UPDATE ${s}.executions SET
          version = cur_version + 1,
          last_seq = cur_seq + n_events,
          expires_at = p_expires,
          header = coalesce(p_header, header),
          status = coalesce(p_header->>'status', status)
        WHERE id = p_id;
        IF p_children IS NOT NULL THEN
          FOR child IN SELECT * FROM jsonb_array_elements(p_children) LOOP
            INSERT INTO ${s}.definitions (hash, definition, expires_at)
              VALUES (child->'header'->>'hash', child->'definition', p_expires)
              ON CONFLICT (hash) DO UPDATE SET expires_at = greatest(${s}.definitions.expires_at, excluded.expires_at);
            INSERT INTO ${s}.executions (id, user_id, template_id, status, created_at, hash, header, last_seq, version, expires_at)
              VALUES (child->'header'->>'id', child->'header'->>'userId', child->'header'->>'templateId', child->'header'->>'status',
                      (child->'header'->>'createdAt')::bigint, child->'header'->>'hash', child->'header',
                      coalesce(jsonb_array_length(child->'events'), 0), 0, p_expires);
            INSERT INTO ${s}.events (execution_id, seq, event)
              SELECT child->'header'->>'id', (v->>'seq')::integer, v FROM jsonb_array_elements(child->'events') AS v;
          END LOOP;
        END IF;
        RETURN 'ok';
      END
      $f$;
    `,
  },
  {
    id: 4,
    name: "per-teacher data keys (wrapped by STAFFROOM_DATA_KEY; forget deletes the row)",
    sql: (s) => `CREATE TABLE IF NOT EXISTS ${s}.data_keys (user_id text PRIMARY KEY, wrapped text NOT NULL)`,
  },
  {
    id: 5,
    name: "delivery claims (one replica acts on each platform delivery: INSERT ... ON CONFLICT)",
    sql: (s) => `CREATE TABLE IF NOT EXISTS ${s}.delivery_claims (key text PRIMARY KEY, expires_at bigint NOT NULL)`,
  },
];
