// The floor the engine is measured against, in the same run: a minimal durable design on the same
// @keyv/sqlite (one header `set`, then one `set` per node after its model call), with the same
// zero-latency model. Nothing else: no events, no indexes, no leases, no recovery.
import KeyvSqlite from "@keyv/sqlite";
import Keyv from "keyv";

export type FloorDb = { kv: Keyv; sqlite: KeyvSqlite; close: () => Promise<void> };

export async function openFloor(file: string): Promise<FloorDb> {
  const sqlite = new KeyvSqlite({ uri: `sqlite://${file}`, busyTimeout: 10_000 });
  await sqlite.query("PRAGMA journal_mode=WAL");
  await sqlite.query("PRAGMA synchronous=NORMAL");
  const kv = new Keyv({ store: sqlite, namespace: "floor" });
  return { kv, sqlite, close: () => sqlite.close() };
}

let n = 0;

/** Runs one execution of a `nodes`-long chain; `onNode` is called once each node's record is stored. */
export async function floorExecution(
  db: FloorDb,
  nodes: number,
  model: (nodeId: string) => Promise<string>,
  onNode?: (t: number) => void,
): Promise<string> {
  const id = `f${process.pid}-${n++}`;
  await db.kv.set(`x:${id}`, { id, status: "running", nodes, createdAt: Date.now() });
  for (let i = 1; i <= nodes; i++) {
    const output = await model(`n${i}`);
    await db.kv.set(`n:${id}:n${i}`, { status: "completed", output });
    onNode?.(performance.now());
  }
  return id;
}
