// The engine's executions as an owner of a teacher's data (src/drivers/types.ts TeacherData): forget deletes
// them, export reads them with their inputs, outputs and events. The one definition the runtime, the chat
// core and the tests share.
import type { OwnerExport, TeacherData } from "../drivers/types.ts";
import type { EngineApi } from "../engine/api.ts";

type Executions = Pick<EngineApi, "list" | "get" | "events" | "forgetUser" | "forgetExecutions">;

/** Each execution's view (inputs, node outputs, questions, answers) and event log. */
async function read(engine: Executions, ids: readonly string[]): Promise<OwnerExport> {
  const records: unknown[] = [];
  for (const id of ids) {
    const view = await engine.get(id);
    if (view) records.push({ ...view, events: await engine.events(id) });
  }
  return { records };
}

export function executionsOwner(engine: Executions): TeacherData {
  return {
    name: "executions",
    forgetUser: (userId) => engine.forgetUser(userId),
    forgetStudent: (_userId, ids) => engine.forgetExecutions(ids),
    exportUser: async (userId) =>
      read(
        engine,
        (await engine.list({ userId, limit: 1_000_000 })).map((r) => r.id),
      ),
    exportStudent: (_userId, ids) => read(engine, ids),
  };
}
