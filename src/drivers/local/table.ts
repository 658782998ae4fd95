// The key-value table under the local ExecutionStore: Keyv's own `keyv` table in @keyv/sqlite (rows
// in Keyv's {value, expires} format), or a Map for `memory:`. Adds what Keyv lacks and the store
// needs: range reads over a key prefix and an upsert that applies only when its conditions hold.
// A row written "bare" (a third element in its Row) is stored as its value's JSON alone, without
// Keyv's wrapper and expiry: the execution store's commit rows, which expire with their execution's
// header (`deleteOrphans`). Reads tell the two apart by the wrapper's opening `{"value":`, so a bare
// value must not be an object whose first field is `value`.
import type KeyvSqlite from "@keyv/sqlite";
import type sqlite3 from "sqlite3";

export type Row = [key: string, value: unknown, bare?: "bare"];

/** A condition on one stored row, checked inside the same statement as the write. */
export type Condition =
  | { key: string; exists: boolean }
  /** The row exists and its `field` (top level of the value) equals `equals`. */
  | { key: string; field: string; equals: string | number }
  /** No row whose `field` is one of `in`. */
  | { key: string; field: string; notIn: readonly string[] }
  /** The row exists and its value is exactly `valueIs` (same JSON, same key order; ASCII, so lengths agree in JS and SQLite): a string comparison. */
  | { key: string; valueIs: unknown }
  /**
   * The row exists and its value (an object) starts with the field `first.field` equal to `first.equals`:
   * a string comparison of the stored JSON's prefix, no parsing (the writer puts that field first).
   */
  | { key: string; first: { field: string; equals: number } };

export interface Table {
  get(keys: string[]): Promise<Map<string, unknown>>;
  /** Rows whose key starts with `prefix`, in key order. */
  range(prefix: string, limit?: number): Promise<Row[]>;
  /** `get(keys)` and `range(prefix)` read in one statement: one consistent snapshot of both. */
  getWithRange(keys: string[], prefix: string): Promise<{ got: Map<string, unknown>; rows: Row[] }>;
  /** Upserts every row when all conditions hold (one statement); returns whether it applied. */
  put(rows: Row[], conditions?: Condition[], expires?: number): Promise<boolean>;
  /** Inserts a row only when its key is absent; returns whether it did. */
  insertNew(row: Row, expires?: number): Promise<boolean>;
  delete(keys: string[]): Promise<void>;
  deleteRange(prefix: string): Promise<number>;
  /**
   * One transaction, applied only while the row `guard` exists: deletes `removeKeys` and every row
   * under `removePrefixes`, then upserts `rows`, which expire when the guard row would have (a
   * rewrite keeps the retention of what it rewrites). Returns whether it applied.
   */
  replace(guard: string, removeKeys: string[], removePrefixes: string[], rows: Row[]): Promise<boolean>;
  /**
   * Deletes the rows under `prefix` (keys `<prefix><id>:<rest>`, ids without `:`) whose `<parent><id>`
   * row is gone or expired at `now`; returns how many.
   */
  deleteOrphans(prefix: string, parent: string, now: number): Promise<number>;
}

const UPSERT_ROWS = 400;

const WRAPPED = '{"value":';

function live(raw: string, now: number): unknown {
  if (!raw.startsWith(WRAPPED)) return JSON.parse(raw);
  const parsed = JSON.parse(raw) as { value: unknown; expires?: number | null };
  if (parsed.expires != null && parsed.expires < now) return undefined;
  return parsed.value;
}

/** A row's stored text: bare, or in Keyv's wrapper with its expiry. */
function encode(row: Row, expires: number | null): string {
  return row[2] === "bare" ? JSON.stringify(row[1]) : JSON.stringify({ value: row[1], expires });
}

/** The first key after every key starting with `prefix` (for `key >= prefix AND key < end` range scans on the primary key). */
function rangeEnd(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

/** Prepared statements kept per connection (by SQL text; group commits of different sizes differ). */
const PREPARED_MAX = 64;

export class SqliteTable implements Table {
  private readonly prepared = new Map<string, Promise<sqlite3.Statement>>();

  /**
   * `raw`: the table's own connection to the same file, on which statements are prepared once and
   * reused (Keyv's adapter prepares every statement afresh). Without it, statements go through Keyv's.
   */
  constructor(
    private readonly db: KeyvSqlite,
    private readonly ns: string,
    private readonly raw?: sqlite3.Database,
  ) {}

  private async q(sql: string, ...params: unknown[]): Promise<{ key: string; value: string }[]> {
    if (!this.raw) return (await this.db.query(sql, ...params)) as { key: string; value: string }[];
    const stmt = await this.statement(this.raw, sql);
    return new Promise((resolve, reject) =>
      stmt.all(params, (error: Error | null, rows: { key: string; value: string }[]) => (error ? reject(error) : resolve(rows))),
    );
  }

  /** The statement for `sql`, prepared on first use (a failed prepare is not kept). */
  private statement(raw: sqlite3.Database, sql: string): Promise<sqlite3.Statement> {
    let stmt = this.prepared.get(sql);
    if (stmt) {
      // Most recently used last.
      this.prepared.delete(sql);
      this.prepared.set(sql, stmt);
      return stmt;
    }
    const prepared = new Promise<sqlite3.Statement>((resolve, reject) => {
      const st: sqlite3.Statement = raw.prepare(sql, (error: Error | null) => (error ? reject(error) : resolve(st)));
    });
    stmt = prepared;
    prepared.catch(() => {
      if (this.prepared.get(sql) === prepared) this.prepared.delete(sql);
    });
    this.prepared.set(sql, prepared);
    if (this.prepared.size > PREPARED_MAX) {
      const [oldSql, oldest] = this.prepared.entries().next().value as [string, Promise<sqlite3.Statement>];
      this.prepared.delete(oldSql);
      oldest.then((st) => st.finalize()).catch(() => undefined);
    }
    return stmt;
  }

  /** Finalizes the prepared statements (before the connection closes). */
  async close(): Promise<void> {
    const statements = [...this.prepared.values()];
    this.prepared.clear();
    await Promise.all(statements.map((p) => p.then((st) => new Promise<void>((r) => st.finalize(() => r()))).catch(() => undefined)));
  }

  async get(keys: string[]): Promise<Map<string, unknown>> {
    const out = new Map<string, unknown>();
    if (keys.length === 0) return out;
    const now = Date.now();
    const rows =
      keys.length === 1
        ? await this.q("SELECT key, value FROM keyv WHERE key = ?", this.ns + keys[0])
        : await this.q(
            "SELECT key, value FROM keyv WHERE key IN (SELECT value FROM json_each(?))",
            JSON.stringify(keys.map((k) => this.ns + k)),
          );
    for (const row of rows) {
      const value = live(row.value, now);
      if (value !== undefined) out.set(row.key.slice(this.ns.length), value);
    }
    return out;
  }

  async range(prefix: string, limit = -1): Promise<Row[]> {
    const start = this.ns + prefix;
    const rows = await this.q("SELECT key, value FROM keyv WHERE key >= ? AND key < ? ORDER BY key LIMIT ?", start, rangeEnd(start), limit);
    const now = Date.now();
    const out: Row[] = [];
    for (const row of rows) {
      const value = live(row.value, now);
      if (value !== undefined) out.push([row.key.slice(this.ns.length), value]);
    }
    return out;
  }

  async getWithRange(keys: string[], prefix: string): Promise<{ got: Map<string, unknown>; rows: Row[] }> {
    const start = this.ns + prefix;
    const found = await this.q(
      "SELECT key, value FROM keyv WHERE key IN (SELECT value FROM json_each(?)) OR (key >= ? AND key < ?) ORDER BY key",
      JSON.stringify(keys.map((k) => this.ns + k)),
      start,
      rangeEnd(start),
    );
    const now = Date.now();
    const got = new Map<string, unknown>();
    const rows: Row[] = [];
    for (const row of found) {
      const value = live(row.value, now);
      if (value === undefined) continue;
      const key = row.key.slice(this.ns.length);
      if (key.startsWith(prefix)) rows.push([key, value]);
      else got.set(key, value);
    }
    return { got, rows };
  }

  async put(rows: Row[], conditions: Condition[] = [], expires?: number): Promise<boolean> {
    if (rows.length === 0) return true;
    const where: string[] = [];
    const whereParams: unknown[] = [];
    for (const c of conditions) {
      if ("exists" in c) {
        where.push(`${c.exists ? "" : "NOT "}EXISTS (SELECT 1 FROM keyv WHERE key = ?)`);
        whereParams.push(this.ns + c.key);
      } else if ("first" in c) {
        // Compare the prefix, no JSON parsing: bare `{"<field>":<equals>,` or inside Keyv's wrapper.
        const bare = `{${JSON.stringify(c.first.field)}:${JSON.stringify(c.first.equals)},`;
        where.push("EXISTS (SELECT 1 FROM keyv WHERE key = ? AND (substr(value, 1, ?) = ? OR substr(value, 1, ?) = ?))");
        whereParams.push(this.ns + c.key, bare.length, bare, WRAPPED.length + bare.length, WRAPPED + bare);
      } else if ("valueIs" in c) {
        // Rows are stored as {"value":<value>,"expires":...}: compare the prefix, no JSON parsing.
        const prefix = `{"value":${JSON.stringify(c.valueIs)},`;
        where.push("EXISTS (SELECT 1 FROM keyv WHERE key = ? AND substr(value, 1, ?) = ?)");
        whereParams.push(this.ns + c.key, prefix.length, prefix);
      } else if ("equals" in c) {
        where.push("EXISTS (SELECT 1 FROM keyv WHERE key = ? AND json_extract(value, ?) = ?)");
        whereParams.push(this.ns + c.key, `$.value.${c.field}`, c.equals);
      } else {
        where.push(`NOT EXISTS (SELECT 1 FROM keyv WHERE key = ? AND json_extract(value, ?) IN (${c.notIn.map(() => "?").join(", ")}))`);
        whereParams.push(this.ns + c.key, `$.value.${c.field}`, ...c.notIn);
      }
    }
    const exp = expires ?? null;
    // Conditional writes must be one statement, so they cannot be split into chunks.
    const chunks = conditions.length > 0 ? [rows] : chunk(rows, UPSERT_ROWS);
    for (const part of chunks) {
      const params: unknown[] = [];
      for (const row of part) params.push(this.ns + row[0], encode(row, exp));
      const values = part.map(() => "(?, ?)").join(", ");
      if (conditions.length === 0) {
        await this.q(`INSERT INTO keyv (key, value) VALUES ${values} ON CONFLICT(key) DO UPDATE SET value = excluded.value`, ...params);
        continue;
      }
      const applied = await this.q(
        `INSERT INTO keyv (key, value) SELECT column1, column2 FROM (VALUES ${values}) WHERE ${where.join(" AND ")} ON CONFLICT(key) DO UPDATE SET value = excluded.value RETURNING key`,
        ...params,
        ...whereParams,
      );
      return applied.length > 0;
    }
    return true;
  }

  async insertNew(row: Row, expires?: number): Promise<boolean> {
    const rows = await this.q(
      "INSERT INTO keyv (key, value) VALUES (?, ?) ON CONFLICT(key) DO NOTHING RETURNING key",
      this.ns + row[0],
      encode(row, expires ?? null),
    );
    return rows.length > 0;
  }

  async delete(keys: string[]): Promise<void> {
    for (const part of chunk(keys, 2_000)) {
      await this.q("DELETE FROM keyv WHERE key IN (SELECT value FROM json_each(?))", JSON.stringify(part.map((k) => this.ns + k)));
    }
  }

  async deleteRange(prefix: string): Promise<number> {
    const start = this.ns + prefix;
    const rows = await this.q("DELETE FROM keyv WHERE key >= ? AND key < ? RETURNING key", start, rangeEnd(start));
    return rows.length;
  }

  async deleteOrphans(prefix: string, parent: string, now: number): Promise<number> {
    const start = this.ns + prefix;
    const rest = `substr(keyv.key, ${start.length + 1})`;
    const rows = await this.q(
      `DELETE FROM keyv WHERE key >= ? AND key < ? AND NOT EXISTS (SELECT 1 FROM keyv AS p WHERE p.key = ? || substr(${rest}, 1, instr(${rest}, ':') - 1) AND NOT (json_valid(p.value) AND json_extract(p.value, '$.expires') < ?)) RETURNING key`,
      start,
      rangeEnd(start),
      this.ns + parent,
      now,
    );
    return rows.length;
  }

  async replace(guard: string, removeKeys: string[], removePrefixes: string[], rows: Row[]): Promise<boolean> {
    // The table's statements run one after another on its connection; BEGIN IMMEDIATE takes the write
    // lock first, so the guard read and the writes are one moment for every other connection.
    await this.q("BEGIN IMMEDIATE");
    try {
      const [found] = await this.q("SELECT key, value FROM keyv WHERE key = ?", this.ns + guard);
      if (!found) {
        await this.q("ROLLBACK");
        return false;
      }
      const expires = (JSON.parse(found.value) as { expires?: number | null }).expires ?? null;
      await this.q("DELETE FROM keyv WHERE key IN (SELECT value FROM json_each(?))", JSON.stringify(removeKeys.map((k) => this.ns + k)));
      for (const prefix of removePrefixes) {
        const start = this.ns + prefix;
        await this.q("DELETE FROM keyv WHERE key >= ? AND key < ?", start, rangeEnd(start));
      }
      for (const part of chunk(rows, UPSERT_ROWS)) {
        const params: unknown[] = [];
        for (const row of part) params.push(this.ns + row[0], encode(row, expires));
        await this.q(
          `INSERT INTO keyv (key, value) VALUES ${part.map(() => "(?, ?)").join(", ")} ON CONFLICT(key) DO UPDATE SET value = excluded.value`,
          ...params,
        );
      }
      await this.q("COMMIT");
      return true;
    } catch (error) {
      await this.q("ROLLBACK").catch(() => undefined);
      throw error;
    }
  }
}

/** `memory:` stores: the same semantics over a Map (range reads scan; fine for tests and demos). */
export class MapTable implements Table {
  constructor(private readonly map: Map<string, { value: unknown; expires: number | null }> = new Map()) {}

  private read(key: string, now = Date.now()): unknown {
    const row = this.map.get(key);
    if (!row || (row.expires !== null && row.expires < now)) return undefined;
    return row.value;
  }

  get(keys: string[]): Promise<Map<string, unknown>> {
    const out = new Map<string, unknown>();
    for (const k of keys) {
      const v = this.read(k);
      if (v !== undefined) out.set(k, structuredClone(v));
    }
    return Promise.resolve(out);
  }

  range(prefix: string, limit = -1): Promise<Row[]> {
    const keys = [...this.map.keys()].filter((k) => k.startsWith(prefix)).sort();
    const out: Row[] = [];
    for (const k of keys) {
      const v = this.read(k);
      if (v !== undefined) out.push([k, structuredClone(v)]);
      if (limit >= 0 && out.length >= limit) break;
    }
    return Promise.resolve(out);
  }

  async getWithRange(keys: string[], prefix: string): Promise<{ got: Map<string, unknown>; rows: Row[] }> {
    // Both read synchronously, before either promise is awaited: one moment.
    const [got, rows] = await Promise.all([this.get(keys), this.range(prefix)]);
    return { got, rows };
  }

  put(rows: Row[], conditions: Condition[] = [], expires?: number): Promise<boolean> {
    for (const c of conditions) {
      const v = this.read(c.key) as Record<string, unknown> | undefined;
      if ("exists" in c) {
        if ((v !== undefined) !== c.exists) return Promise.resolve(false);
      } else if ("valueIs" in c) {
        if (v === undefined || JSON.stringify(v) !== JSON.stringify(c.valueIs)) return Promise.resolve(false);
      } else if ("first" in c) {
        if (v === undefined || Object.keys(v)[0] !== c.first.field || v[c.first.field] !== c.first.equals) return Promise.resolve(false);
      } else if ("equals" in c) {
        if (v?.[c.field] !== c.equals) return Promise.resolve(false);
      } else if (v !== undefined && c.notIn.includes(v[c.field] as string)) return Promise.resolve(false);
    }
    for (const [k, value, bare] of rows) this.map.set(k, { value: structuredClone(value), expires: bare ? null : (expires ?? null) });
    return Promise.resolve(true);
  }

  insertNew([key, value, bare]: Row, expires?: number): Promise<boolean> {
    if (this.read(key) !== undefined) return Promise.resolve(false);
    this.map.set(key, { value: structuredClone(value), expires: bare ? null : (expires ?? null) });
    return Promise.resolve(true);
  }

  deleteOrphans(prefix: string, parent: string, now: number): Promise<number> {
    let n = 0;
    for (const k of [...this.map.keys()]) {
      if (!k.startsWith(prefix)) continue;
      const rest = k.slice(prefix.length);
      if (this.read(parent + rest.slice(0, rest.indexOf(":")), now) !== undefined) continue;
      this.map.delete(k);
      n++;
    }
    return Promise.resolve(n);
  }

  delete(keys: string[]): Promise<void> {
    for (const k of keys) this.map.delete(k);
    return Promise.resolve();
  }

  replace(guard: string, removeKeys: string[], removePrefixes: string[], rows: Row[]): Promise<boolean> {
    const row = this.map.get(guard);
    if (this.read(guard) === undefined || !row) return Promise.resolve(false);
    for (const k of removeKeys) this.map.delete(k);
    for (const k of [...this.map.keys()]) if (removePrefixes.some((p) => k.startsWith(p))) this.map.delete(k);
    for (const [k, value, bare] of rows) this.map.set(k, { value: structuredClone(value), expires: bare ? null : row.expires });
    return Promise.resolve(true);
  }

  deleteRange(prefix: string): Promise<number> {
    let n = 0;
    for (const k of [...this.map.keys()]) {
      if (k.startsWith(prefix)) {
        this.map.delete(k);
        n++;
      }
    }
    return Promise.resolve(n);
  }
}

function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
