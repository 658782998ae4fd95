// Delivery dedupe is one atomic insert-if-absent on every store: many concurrent claims of one delivery id,
// spread over two store handles (two replicas on PostgreSQL, two processes' handles on one SQLite file),
// give exactly one winner, also through the chat core's own check (ChatRecords.firstDelivery, which the
// dispatcher asks before acting on a Slack event, command or interaction). An expired claim can be taken again.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ChatRecords } from "../../src/chat/records.ts";
import { type Drivers, openDrivers } from "../../src/drivers/open.ts";
import { describeWithPostgres, testSchema } from "./helpers.ts";

const DATA_KEY = Buffer.alloc(32, 9).toString("hex");
const dir = mkdtempSync(join(tmpdir(), "staffroom-claims-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CLAIMS = 40;

async function race(handles: Drivers[], key: string): Promise<number> {
  const results = await Promise.all(Array.from({ length: CLAIMS }, (_, i) => handles[i % handles.length]!.store.claims.claim(key, 60_000)));
  return results.filter(Boolean).length;
}

function suite(name: string, storeUrl: () => string, handles: number) {
  it(`${name}: ${CLAIMS} concurrent claims of one delivery over ${handles} handle(s) give exactly one winner`, async () => {
    const opened: Drivers[] = [];
    try {
      for (let i = 0; i < handles; i++) opened.push(await openDrivers({ storeUrl: storeUrl(), dataKey: DATA_KEY }));
      expect(await race(opened, "slack:command:trigger-1")).toBe(1);
      // Another delivery is its own claim; a replay of the first is refused everywhere.
      expect(await race(opened, "slack:command:trigger-2")).toBe(1);
      expect(await opened[opened.length - 1]!.store.claims.claim("slack:command:trigger-1", 60_000)).toBe(false);

      // Through the chat core's check, one ChatRecords per handle as each replica's core has.
      const records = opened.map((d) => new ChatRecords(d.store.namespace("chat"), d.store.claims));
      const firsts = await Promise.all(
        Array.from({ length: CLAIMS }, (_, i) => records[i % records.length]!.firstDelivery("slack", "slack:view:V123")),
      );
      expect(firsts.filter(Boolean)).toHaveLength(1);

      // A claim past its lifetime is taken over by exactly one new claimer.
      expect(await opened[0]!.store.claims.claim("short", 1)).toBe(true);
      await new Promise((r) => setTimeout(r, 20));
      const again = await Promise.all(Array.from({ length: 10 }, (_, i) => opened[i % opened.length]!.store.claims.claim("short", 60_000)));
      expect(again.filter(Boolean)).toHaveLength(1);

      // The retention sweep deletes expired claims (their keys can name a platform user), and only those.
      expect(await opened[0]!.store.claims.sweepExpired()).toBe(0);
      // Two minutes on: the three one-minute claims are gone, the chat core's (kept a day) stays.
      expect(await opened[0]!.store.claims.sweepExpired(Date.now() + 120_000)).toBe(3);
      expect(await records[1 % records.length]!.firstDelivery("slack", "slack:view:V123")).toBe(false);
      expect(await opened[0]!.store.claims.claim("slack:command:trigger-1", 60_000)).toBe(true);
    } finally {
      for (const d of opened) await d.close();
    }
  });
}

describe("delivery claims on the local stores", () => {
  suite("memory", () => "memory:", 1);
  suite("SQLite, two handles on one file", () => `sqlite://${join(dir, "claims.sqlite")}`, 2);
});

describeWithPostgres("delivery claims on PostgreSQL", () => {
  const target = testSchema("sr_claims");
  afterAll(() => target.drop());
  suite("PostgreSQL, two replicas", () => target.storeUrl, 2);
});
