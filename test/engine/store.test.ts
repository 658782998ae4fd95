import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openStore, type Store } from "../../src/drivers/local/database.ts";
import { tempDir } from "./helpers.ts";

describe("store namespaces", () => {
  let store: Store | undefined;
  let cleanup: (() => void) | undefined;
  afterEach(async () => {
    await store?.close();
    store = undefined;
    cleanup?.();
    cleanup = undefined;
  });

  it("keeps other layers' namespaces apart for clear() and iteration on one sqlite file", async () => {
    const tmp = tempDir();
    cleanup = tmp.cleanup;
    const dir = tmp.dir;
    store = await openStore(`sqlite://${join(dir, "ns.sqlite")}`);
    const conversations = store.namespace("conversations");
    const profiles = store.namespace("profiles");
    await conversations.set("t1", { step: 2 });
    await profiles.set("u1", { grade: "5" });
    await store.kv.set("x:keep", { id: "keep" });

    await conversations.clear();

    expect(await conversations.get("t1")).toBeUndefined();
    expect(await profiles.get("u1")).toEqual({ grade: "5" });
    expect(await store.kv.get("x:keep")).toEqual({ id: "keep" });
    const keys: unknown[] = [];
    for await (const [key] of profiles.iterator?.(undefined) ?? []) keys.push(key);
    expect(keys).toEqual(["u1"]);
  });

  it("rejects an unsupported store URL with a sentence naming the fix", async () => {
    await expect(openStore("postgres://db/x")).rejects.toThrow(/use sqlite:\/\/path\/to\/file.sqlite or memory:/);
  });
});
