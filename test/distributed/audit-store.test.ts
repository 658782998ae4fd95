// The audit log on every store driver, through the same store abstraction the app uses (openDrivers):
// SQLite (sealed), memory and PostgreSQL. Entries survive a reopen, list newest first with the filters,
// API use is one record per key, route, target and minute (across replicas too: the same key), entries of
// a forgotten teacher stay readable (the log is never sealed), and the log's own retention drops old entries.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openDrivers } from "../../src/drivers/open.ts";
import { AuditLog } from "../../src/privacy/audit.ts";
import { describeWithPostgres, testSchema } from "./helpers.ts";

const DATA_KEY = Buffer.alloc(32, 7).toString("base64");
const dir = mkdtempSync(join(tmpdir(), "staffroom-audit-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function suite(name: string, storeUrl: () => string, persistent: boolean) {
  it(`${name}: records, lists with filters, deduplicates API use, keeps a forgotten teacher's entries, and expires on its own retention`, async () => {
    const open = () => openDrivers({ storeUrl: storeUrl(), dataKey: DATA_KEY });
    let drivers = await open();
    try {
      const log = new AuditLog(drivers.store.namespace("audit"));
      await log.record({ action: "forget", actor: "U1", teacher: "U1", counts: { executions: 3 } });
      await log.record({ action: "forget-student", actor: "cli:root", targets: ["e1", "e2"], dryRun: true });
      await log.record({ action: "export", actor: "cli:root", teacher: "U2", counts: { executions: 1 } });
      // A second process (replica) writing the same minute's use of the same key and route: one record.
      const replica = new AuditLog(drivers.store.namespace("audit"));
      for (const l of [log, replica, log])
        await l.recordApiUse({ actor: "user:key_1", route: "GET /api/workflows/executions/{id}", target: "e9", teacher: "U2" });
      await log.recordApiUse({ actor: "user:key_1", route: "GET /api/workflows/executions/{id}", target: "e8", teacher: "U2" });
      // Forget deletes the teacher's data key: their audit entries must stay readable.
      await drivers.store.keys.key("U1", true);
      await drivers.store.keys.delete("U1");
      if (persistent) {
        await drivers.close();
        drivers = await open();
      }
      const again = new AuditLog(drivers.store.namespace("audit"));
      const all = await again.list();
      // Newest first (entries of one millisecond in no promised order across kinds).
      expect(all.map((e) => e.at)).toEqual(all.map((e) => e.at).sort((a, b) => b - a));
      expect(all.map((e) => e.action).sort()).toEqual(["api", "api", "export", "forget", "forget-student"]);
      const records = all.filter((e) => e.action !== "api").map((e) => e.action);
      expect(records).toEqual(["export", "forget-student", "forget"]);
      expect(all).toHaveLength(5);
      expect(
        all
          .filter((e) => e.action === "api")
          .map((e) => e.targets?.[0])
          .sort(),
      ).toEqual(["e8", "e9"]);
      expect((await again.list({ teacher: "U1" })).map((e) => e.counts)).toEqual([{ executions: 3 }]);
      expect((await again.list({ action: "forget-student" }))[0]).toMatchObject({ dryRun: true, targets: ["e1", "e2"] });
      expect(await again.list({ since: Date.now() + 60_000 })).toEqual([]);
      expect(await again.list({ teacher: "U2", limit: 2 })).toHaveLength(2);

      // Its own retention: 50 ms here stands in for STAFFROOM_AUDIT_RETENTION_DAYS.
      const short = new AuditLog(drivers.store.namespace("audit-short"), { retentionDays: 50 / 86_400_000 });
      await short.record({ action: "signin", actor: "admin:key_2" });
      expect(await short.list()).toHaveLength(1);
      await new Promise((r) => setTimeout(r, 120));
      expect(await short.list()).toEqual([]);
    } finally {
      await drivers.close();
    }
  });
}

describe("audit log", () => {
  suite("SQLite", () => `sqlite://${join(dir, "audit.sqlite")}`, true);
  suite("memory", () => "memory:", false);
});

describeWithPostgres("audit log on PostgreSQL", () => {
  const target = testSchema("sr_audit");
  afterAll(() => target.drop());
  suite("PostgreSQL", () => target.storeUrl, true);
});
