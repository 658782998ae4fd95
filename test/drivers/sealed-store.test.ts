// The sealing ExecutionStore (src/drivers/sealed-executions.ts) over the local SQLite driver, against the same
// conformance suite every driver passes; and what it leaves in the clear: ids, times and statuses, never a
// teacher's words.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openStore } from "../../src/drivers/local/database.ts";
import { SealedExecutionStore } from "../../src/drivers/sealed-executions.ts";
import { describeExecutionStore } from "../engine/drivers/store-conformance.ts";
import { tempDir } from "../engine/helpers.ts";

describeExecutionStore("sealed local sqlite", async () => {
  const tmp = tempDir();
  const store = await openStore(`sqlite://${join(tmp.dir, "sealed.sqlite")}`);
  return {
    store: new SealedExecutionStore(store.executions, store.keys),
    cleanup: async () => {
      await store.close();
      tmp.cleanup();
    },
  };
});

describe("sealed executions", () => {
  it("keeps inputs, titles, outputs and event facts encrypted under the teacher's key; without the key they read as empty", async () => {
    const tmp = tempDir();
    const store = await openStore(`sqlite://${join(tmp.dir, "s.sqlite")}`);
    try {
      const sealed = new SealedExecutionStore(store.executions, store.keys);
      const marker = "QUOKKA-marker-41";
      const header = {
        id: "x1",
        templateId: "t",
        version: 1,
        hash: "h",
        title: `Plan about ${marker}`,
        status: "running" as const,
        inputs: { topic: marker },
        userId: "teacher-a",
        createdAt: Date.now(),
        nodeIds: ["n"],
        plan: [{ id: "n", title: "N", kind: "agent", auxiliary: false }],
      };
      await sealed.createExecution({
        header,
        definition: { id: "t", version: 1, nodes: [{ id: "n", kind: "transform", transform: "x" }] } as never,
        events: [{ executionId: "x1", seq: 1, type: "execution.started", at: 1, data: { note: marker } }],
      });
      const r = await sealed.commit({
        executionId: "x1",
        expectVersion: 0,
        seq: 1,
        events: [{ executionId: "x1", seq: 2, type: "node.completed", at: 2, nodeId: "n", data: { attempt: 1, durationMs: 5 } }],
        nodes: [{ nodeId: "n", kind: "agent", status: "completed", attempts: 1, output: { text: `About ${marker}` } }],
      });
      expect(r.ok).toBe(true);
      // Through the sealing store: as written.
      const loaded = await sealed.loadExecution("x1");
      expect(loaded?.header.inputs).toEqual({ topic: marker });
      expect(loaded?.header.title).toBe(`Plan about ${marker}`);
      expect(loaded?.nodes.get("n")?.output).toEqual({ text: `About ${marker}` });
      expect((await sealed.getEvents("x1"))[0]?.data).toEqual({ note: marker });
      // Underneath: no trace of the words, ids and status in the clear.
      const raw = await store.executions.loadExecution("x1");
      expect(JSON.stringify(raw?.header)).not.toContain(marker);
      expect(JSON.stringify([...(raw?.nodes.values() ?? [])])).not.toContain(marker);
      const rawEvents = await store.executions.getEvents("x1");
      expect(JSON.stringify(rawEvents)).not.toContain(marker);
      // Counts and timings stay clear: a store can still recognise the event a node state implies.
      expect(rawEvents[1]?.data).toEqual({ attempt: 1, durationMs: 5 });
      expect(raw?.header).toMatchObject({ id: "x1", userId: "teacher-a", status: "running" });
      // The key deleted (forget): every copy reads as empty, though the rows are still there.
      await store.keys.delete("teacher-a");
      const after = await new SealedExecutionStore(store.executions, store.keys).loadExecution("x1");
      expect(after?.header.inputs).toEqual({});
      expect(after?.header.title).toBe("");
      expect(after?.nodes.get("n")?.output).toBeUndefined();
    } finally {
      await store.close();
      tmp.cleanup();
    }
  });
});
