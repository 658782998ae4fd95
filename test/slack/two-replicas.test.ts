// Two replicas (each its own Slack HTTP endpoint, chat core and store handle, on one SQLite file) handed the
// same slash command at the same moment, as a load balancer retrying on both would: exactly one acts, every
// time. With the old check-then-set dedupe both could (2 of 6 to 8 of 12 tries in issue 23's attack).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FakeSlack } from "../fakes/slack/server.ts";
import { postCommand } from "../fakes/slack/sign.ts";
import { SIGNING_SECRET, startFake } from "./helpers.ts";
import { type Stack, startStack } from "./stack.ts";

const dir = mkdtempSync(join(tmpdir(), "staffroom-two-replicas-"));
let fake: FakeSlack;
const stacks: Stack[] = [];

beforeAll(async () => {
  fake = await startFake();
  const storeUrl = `sqlite://${join(dir, "shared.sqlite")}`;
  stacks.push(await startStack(fake, { storeUrl }));
  stacks.push(await startStack(fake, { storeUrl }));
}, 60_000);
afterAll(async () => {
  for (const s of stacks) await s.stop().catch(() => undefined);
  await fake?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("one Slack command delivered to two replicas at once", () => {
  it("runs once on exactly one replica, every time", { timeout: 60_000 }, async () => {
    const rounds = 6;
    for (let i = 0; i < rounds; i++) {
      const channel = `C0RACE${i}`;
      const fields = {
        team_id: "T0FAKE0001",
        channel_id: channel,
        channel_name: "lessons",
        user_id: "U0TEACHER",
        user_name: "ms.rivera",
        command: "/lesson-plan",
        text: "grade 5",
        response_url: fake.responseUrl(),
        trigger_id: fake.trigger("U0TEACHER"),
      };
      const answers = await Promise.all(stacks.map((s) => postCommand(s.url, SIGNING_SECRET, fields)));
      for (const a of answers) expect(a.status).toBe(200);
      const roots = () => fake.messages.filter((m) => m.channel === channel && !m.threadTs);
      await fake.waitFor(() => roots()[0], 10_000, `a root in ${channel}`);
      // Give a second acting replica every chance to show itself before counting.
      for (const s of stacks) await s.core.idle();
      await new Promise((r) => setTimeout(r, 300));
      expect(roots(), `round ${i}`).toHaveLength(1);
    }
    expect(fake.violations).toEqual([]);
  });
});
