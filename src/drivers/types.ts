// The ports every store driver (src/drivers/local, src/drivers/postgres) offers the rest of the process, and
// the shape of an owner of a teacher's data. Types only: privacy, chat and the app depend on these, never on
// a concrete driver.
import type Keyv from "keyv";
import type { ExecutionStore } from "../engine/store/types.ts";

/** What the rest of the process needs of a store, whichever driver holds it. */
export type SharedStore = {
  executions: ExecutionStore;
  /**
   * A Keyv for another layer's records (conversations, profiles, the outbox, adapter cursors). Records that
   * belong to a teacher (see recordOwner in src/drivers/sealing.ts) are sealed with that teacher's data key.
   */
  namespace(name: string): Keyv;
  /** The per-teacher data keys: forget deletes a teacher's key, so every sealed copy becomes unreadable at once. */
  keys: DataKeys;
  /** Atomic delivery marks: of every replica handed one platform delivery, exactly one acts on it. */
  claims: DeliveryClaims;
  ping(): Promise<boolean>;
  /** Makes deletions physical (sqlite: WAL checkpoint; PostgreSQL: nothing to force). */
  compact(): Promise<void>;
  /** Deletes records whose retention has passed, now (each driver also runs it on a schedule); returns how many. */
  sweep(): Promise<number>;
  /** When the retention sweep last finished (epoch ms), on this store, by any process; undefined before the first. */
  lastSweep(): Promise<number | undefined>;
  close(): Promise<void>;
};

/** One atomic insert-if-absent per delivery key (see claims.ts); no teacher's data, kept in the clear. */
export interface DeliveryClaims {
  /** True for exactly one caller per key, until `ttlMs` after its claim; false for every other, on any replica. */
  claim(key: string, ttlMs: number): Promise<boolean>;
  /** Deletes expired claims (keys can name a platform user); the retention sweep calls it. Returns how many. */
  sweepExpired(now?: number): Promise<number>;
}

/** Per-teacher data keys, each kept wrapped (AES-256-GCM under STAFFROOM_DATA_KEY) in the store's own table. */
export interface DataKeys {
  /** The teacher's key, made on first use when `create` (a concurrent maker's key wins, so every replica agrees). */
  key(userId: string, create: boolean): Promise<Buffer | undefined>;
  /** Deletes the teacher's key; returns whether there was one. */
  delete(userId: string): Promise<boolean>;
}

/**
 * What an owner keeps about a teacher, for an export: its records as it holds them (opened, JSON-able) and the
 * files it keeps for them (saved documents), by path.
 */
export type OwnerExport = { records: unknown; files?: readonly string[] };

/**
 * One owner of a teacher's data (engine executions, chat records, privacy maps, saved documents, ...). The one
 * forget (src/privacy/forget.ts) calls each owner in turn; an owner deletes everything it keeps about the
 * teacher and says how many records went. The export (src/privacy/export.ts) goes through the same owners,
 * so an owner that forget reaches is exported too.
 */
export interface TeacherData {
  /** What the owner keeps, as a reader says it ("executions", "saved documents"): the key of its count. */
  readonly name: string;
  forgetUser(userId: string): Promise<number>;
  /**
   * Forget by student: deletes what the owner keeps of these executions of the teacher (all of which name
   * the student), and anything else of the teacher's that `student` finds its name in; returns how many records went.
   */
  forgetStudent?(userId: string, executionIds: readonly string[], student: { find(text: string): string | undefined }): Promise<number>;
  /** Everything the owner keeps about the teacher, readable, for `staffroom admin export --user`. */
  exportUser(userId: string): Promise<OwnerExport>;
  /** What `forgetStudent` would delete, readable, for `staffroom admin export --student`; owners without it hold nothing per student. */
  exportStudent?(
    userId: string,
    executionIds: readonly string[],
    student: { find(text: string): string | undefined },
  ): Promise<OwnerExport>;
}
