// The pure parts of sealing: the deployment key's format, AES-256-GCM sealing bound to a teacher, which
// teacher a record belongs to, and the generated local key kept beside the database.
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { newKey, open, parseDataKey, seal } from "../../src/drivers/crypto.ts";
import { KeyRing, MapKeyTable } from "../../src/drivers/keys.ts";
import { localDataKey } from "../../src/drivers/local/database.ts";
import { recordOwner } from "../../src/drivers/sealing.ts";
import { tempDir } from "../engine/helpers.ts";

describe("sealing", () => {
  it("reads STAFFROOM_DATA_KEY as 64 hex characters or base64 of 32 bytes, nothing else", () => {
    expect(parseDataKey("ab".repeat(32))?.length).toBe(32);
    expect(parseDataKey(Buffer.alloc(32, 1).toString("base64"))?.length).toBe(32);
    expect(parseDataKey(Buffer.alloc(32, 1).toString("base64url"))?.length).toBe(32);
    expect(parseDataKey("ab".repeat(31))).toBeUndefined();
    expect(parseDataKey(Buffer.alloc(16).toString("base64"))).toBeUndefined();
    expect(parseDataKey("correct horse battery staple")).toBeUndefined();
  });

  it("opens only with the same key and the same teacher, and refuses altered text", () => {
    const key = newKey();
    const sealed = seal(key, "Maria's essay", "teacher-a");
    expect(sealed).not.toContain("Maria");
    expect(open(key, sealed, "teacher-a")?.toString()).toBe("Maria's essay");
    expect(open(key, sealed, "teacher-b")).toBeUndefined();
    expect(open(newKey(), sealed, "teacher-a")).toBeUndefined();
    const altered = Buffer.from(sealed, "base64");
    altered[altered.length - 1]! ^= 1;
    expect(open(key, altered.toString("base64"), "teacher-a")).toBeUndefined();
  });

  it("finds the teacher of a record by its userId, else by its key; records of no one teacher stay clear", () => {
    expect(recordOwner("chat:chat:thread:console:c:1", { userId: "U1", draft: {} })).toBe("U1");
    expect(recordOwner("chat:chat:user:cli%3Aada", { threads: [] })).toBe("cli:ada");
    expect(recordOwner("chat:chat:form:U2", { command: "x" })).toBe("U2");
    expect(recordOwner("chat:chat:profile:cli:ada", { grade: "5" })).toBe("cli:ada");
    expect(recordOwner("chat:chat:profile:cli:ada#memory", { t: {} })).toBe("cli:ada");
    expect(recordOwner("privacy:roster:U3", { names: [] })).toBe("U3");
    expect(recordOwner("chat:chat:dedupe:slack:e1", 1)).toBeUndefined();
    expect(recordOwner("chat:chat:outbox:x1", { cursor: 1 })).toBeUndefined();
    expect(recordOwner("audit:log", [])).toBeUndefined();
  });

  it("makes a teacher's key once (every replica gets the same), and forgets it", async () => {
    const table = new MapKeyTable();
    const master = newKey();
    const a = new KeyRing(table, master);
    const b = new KeyRing(table, master);
    expect(await a.key("U1", false)).toBeUndefined();
    const made = await a.key("U1", true);
    expect(await b.key("U1", false)).toEqual(made);
    expect(await a.delete("U1")).toBe(true);
    expect(await a.key("U1", false)).toBeUndefined();
    await expect(new KeyRing(table, master).key("U2", true)).resolves.toBeDefined();
    await expect(new KeyRing(table, newKey()).key("U2", false)).rejects.toThrow(/written with another key/);
  });

  it("without STAFFROOM_DATA_KEY, the local store makes one key beside its file, readable by its user only, and keeps it", () => {
    const tmp = tempDir();
    try {
      const file = join(tmp.dir, "s.sqlite");
      const key = localDataKey(file);
      expect(localDataKey(file)).toEqual(key);
      expect(readFileSync(`${file}.key`, "utf8").trim()).toBe(key.toString("hex"));
      expect(statSync(`${file}.key`).mode & 0o777).toBe(0o600);
    } finally {
      tmp.cleanup();
    }
  });
});
