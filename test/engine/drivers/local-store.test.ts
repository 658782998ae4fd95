// The local ExecutionStore driver (Keyv + @keyv/sqlite, and memory:) against the conformance suite.
import { join } from "node:path";
import { openStore } from "../../../src/drivers/local/database.ts";
import { tempDir } from "../helpers.ts";
import { describeExecutionStore } from "./store-conformance.ts";

describeExecutionStore("local sqlite", async () => {
  const tmp = tempDir();
  const store = await openStore(`sqlite://${join(tmp.dir, "conformance.sqlite")}`);
  return {
    store: store.executions,
    cleanup: async () => {
      await store.close();
      tmp.cleanup();
    },
  };
});

describeExecutionStore("local memory", async () => {
  const store = await openStore("memory:");
  return { store: store.executions, cleanup: () => store.close() };
});
