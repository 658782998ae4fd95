// Durable privacy records on a Keyv namespace of the shared store: each execution's placeholder map (it
// holds the real names, so it expires with the execution's retention and goes with forget) and teachers'
// imported class rosters. Indexed per teacher so forget and export find everything.
import type Keyv from "keyv";
import type { TeacherData } from "../drivers/types.ts";
import { KeyedMutex } from "../util/mutex.ts";
import type { MapEntry } from "./placeholders.ts";

export type StoredMap = { executionId: string; userId: string; entries: MapEntry[]; updatedAt: number };
export type StoredRoster = { userId: string; names: string[]; source: string; updatedAt: number };

/** The user id under which school-wide rosters (imported without a teacher) are kept. */
export const SCHOOL_ROSTER = "*";

export class PrivacyStore implements TeacherData {
  readonly name = "placeholder maps";

  private readonly mutex = new KeyedMutex();

  constructor(private readonly keyv: Keyv) {}

  private userKey = (userId: string) => `user:${encodeURIComponent(userId)}`;

  async getMap(executionId: string): Promise<StoredMap | undefined> {
    return (await this.keyv.get<StoredMap>(`map:${executionId}`)) ?? undefined;
  }

  async putMap(map: StoredMap): Promise<void> {
    await this.keyv.set(`map:${map.executionId}`, map);
    await this.mutex.run(this.userKey(map.userId), async () => {
      const ids = (await this.keyv.get<string[]>(this.userKey(map.userId))) ?? [];
      if (!ids.includes(map.executionId)) await this.keyv.set(this.userKey(map.userId), [...ids, map.executionId]);
    });
  }

  /** The executions of a teacher that have a placeholder map. */
  async mapIds(userId: string): Promise<string[]> {
    return (await this.keyv.get<string[]>(this.userKey(userId))) ?? [];
  }

  async getRoster(userId: string): Promise<StoredRoster | undefined> {
    return (await this.keyv.get<StoredRoster>(`roster:${encodeURIComponent(userId)}`)) ?? undefined;
  }

  /** Replaces a teacher's (or the school's) roster. Kept until deleted, like the class it lists. */
  async putRoster(roster: StoredRoster): Promise<void> {
    await this.keyv.set(`roster:${encodeURIComponent(roster.userId)}`, roster, 0);
  }

  async deleteRoster(userId: string): Promise<boolean> {
    return this.keyv.delete(`roster:${encodeURIComponent(userId)}`);
  }

  /** Forget's part: the teacher's placeholder maps and roster; returns how many records went. */
  async forgetUser(userId: string): Promise<number> {
    const { maps, roster } = await this.deleteUser(userId);
    return maps + (roster ? 1 : 0);
  }

  /** The teacher's placeholder maps and roster (real names included: they are the teacher's), for an export. */
  async exportUser(userId: string): Promise<{ records: { maps: StoredMap[]; roster: StoredRoster | null } }> {
    const maps = (await this.exportStudent(userId, await this.mapIds(userId))).records;
    return { records: { maps, roster: (await this.getRoster(userId)) ?? null } };
  }

  /** The placeholder maps of these executions, for an export by student. */
  async exportStudent(_userId: string, executionIds: readonly string[]): Promise<{ records: StoredMap[] }> {
    const maps: StoredMap[] = [];
    for (const id of executionIds) {
      const map = await this.getMap(id);
      if (map) maps.push(map);
    }
    return { records: maps };
  }

  /** Forget by student: the placeholder maps of these executions (they hold the real names). */
  async forgetStudent(userId: string, executionIds: readonly string[]): Promise<number> {
    let count = 0;
    for (const id of executionIds) if (await this.keyv.delete(`map:${id}`)) count++;
    await this.mutex.run(this.userKey(userId), async () => {
      const ids = (await this.keyv.get<string[]>(this.userKey(userId))) ?? [];
      await this.keyv.set(
        this.userKey(userId),
        ids.filter((id) => !executionIds.includes(id)),
      );
    });
    return count;
  }

  /** Deletes every placeholder map and the roster of a teacher; returns how many records went. */
  async deleteUser(userId: string): Promise<{ maps: number; roster: boolean }> {
    return this.mutex.run(this.userKey(userId), async () => {
      const ids = (await this.keyv.get<string[]>(this.userKey(userId))) ?? [];
      let maps = 0;
      for (const id of ids) if (await this.keyv.delete(`map:${id}`)) maps++;
      await this.keyv.delete(this.userKey(userId));
      const roster = await this.deleteRoster(userId);
      return { maps, roster };
    });
  }
}
