// The chat's own data about a teacher, as owners for the one forget (src/privacy/forget.ts): conversations,
// the profile and remembered settings, and the chat records (threads with draft inputs and markdown, the
// follower's records per execution, the user index, the last thread, a refused form's values, and the
// outbox streams with their platform ids, uploaded files' ids included).
import type Keyv from "keyv";
import { ProfileStore } from "../conversation/profile.ts";
import { ConversationStore } from "../conversation/store.ts";
import type { TeacherData } from "../drivers/types.ts";
import { KeyvOutboxStore, type OutboxStore } from "./outbox-store.ts";
import { ChatRecords } from "./records.ts";

export type ChatStores = {
  records: ChatRecords;
  conversations: Pick<ConversationStore, "deleteUser" | "ofUser">;
  profiles: Pick<ProfileStore, "delete" | "get" | "memory">;
  outbox: Pick<OutboxStore, "delete">;
};

/** The chat's stores on a Keyv namespace, as the chat core lays them out (for forget outside a running core). */
export function chatStores(keyv: Keyv): ChatStores {
  // The idle time only matters for writing conversations; forget only deletes.
  return {
    records: new ChatRecords(keyv),
    conversations: new ConversationStore(keyv, 0),
    profiles: new ProfileStore(keyv),
    outbox: new KeyvOutboxStore(keyv),
  };
}

/**
 * The chat's owners of a teacher's data. `executionsOf` lists the teacher's executions as the engine knows
 * them: their outbox streams go too, even when the chat's own index missed one.
 */
export function chatOwners(stores: ChatStores, executionsOf: (userId: string) => Promise<string[]>): TeacherData[] {
  return [
    {
      name: "conversations",
      forgetUser: (userId) => stores.conversations.deleteUser(userId),
      exportUser: async (userId) => ({ records: await stores.conversations.ofUser(userId) }),
    },
    {
      name: "profile",
      forgetUser: async (userId) => ((await stores.profiles.delete(userId)) ? 1 : 0),
      exportUser: async (userId) => ({
        records: { profile: await stores.profiles.get(userId), remembered: await stores.profiles.memory(userId) },
      }),
    },
    {
      name: "chat records",
      async forgetUser(userId) {
        const fromEngine = await executionsOf(userId);
        const index = await stores.records.deleteUser(userId);
        const streams = new Set([...fromEngine, ...index.executions, ...index.threads]);
        for (const stream of streams) await stores.outbox.delete(stream);
        return index.threads.length + index.executions.length;
      },
      async forgetStudent(userId, executionIds) {
        const threads = await stores.records.deleteExecutions(userId, executionIds);
        for (const stream of [...executionIds, ...threads]) await stores.outbox.delete(stream);
        return threads.length + executionIds.length;
      },
      // The outbox holds delivery state (platform message ids), not the teacher's words: it is not exported.
      exportUser: async (userId) => ({ records: await stores.records.exportUser(userId) }),
      exportStudent: async (userId, executionIds) => ({ records: await stores.records.exportExecutions(userId, executionIds) }),
    },
  ];
}
