// Acknowledging from the raw Gateway packet: what is answered to which packet (pure), handler work held
// back behind acknowledgements, and end to end through the fake Discord: bursts, replays, 429s, server
// errors and dropped connections on the callback, with nothing lost.
import { Client } from "discord.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  Acknowledger,
  type AckPolicy,
  callbackBody,
  planAck,
  type RawInteraction,
  REPLAY,
  type Verdict,
} from "../../src/adapters/discord/ack.ts";
import { deferInteractionStructures } from "../../src/adapters/discord/structures.ts";
import { TurnQueue } from "../../src/adapters/discord/turns.ts";
import { silentLogger } from "../../src/log.ts";
import { registry } from "../../src/metrics.ts";
import type { FakeDiscord, FakeMessage } from "../fakes/discord/index.ts";
import { type Stack, startFake, startStack, teacher } from "./helpers.ts";

const EPHEMERAL = 64;
const GUILD = "1457468924290662599";
const ROLE = "1457473602180878604";

/** A policy like the adapter's: one allowed guild, a staff role, one cached DM sender. */
const policy: AckPolicy = {
  verdict(userId, guildId, roles): Verdict | undefined {
    if (guildId && guildId !== GUILD) return "guild";
    if (guildId) return roles?.includes(ROLE) ? "ok" : "role";
    return userId === "cached-staff" ? "ok" : undefined;
  },
  privateCommand: (name) => name === "staffroom" || name === "nosuchcommand",
  refusal: (v) => `refused:${v}`,
};

const member = (roles: string[]) => ({ roles, user: { id: "u1" } });
const command = (name: string, extra: Partial<RawInteraction> = {}): RawInteraction => ({
  id: "1",
  token: "t",
  type: 2,
  guild_id: GUILD,
  data: { type: 1, name },
  member: member([ROLE]),
  ...extra,
});

describe("planAck", () => {
  it("defers workflows in public, /staffroom and unknown commands privately", () => {
    expect(planAck(command("lesson-plan"), policy)).toEqual({ kind: "defer", ephemeral: false });
    expect(planAck(command("staffroom"), policy)).toEqual({ kind: "defer", ephemeral: true });
    expect(planAck(command("nosuchcommand"), policy)).toEqual({ kind: "defer", ephemeral: true });
    expect(callbackBody(command("staffroom"), { kind: "defer", ephemeral: true }, policy)).toEqual({ type: 5, data: { flags: EPHEMERAL } });
    expect(callbackBody(command("x"), { kind: "defer", ephemeral: false }, policy)).toEqual({ type: 5, data: { flags: 0 } });
  });

  it("refuses politely and privately: other guilds, members without the role, autocomplete with no choices", () => {
    const other = planAck(command("lesson-plan", { guild_id: "999" }), policy);
    expect(other).toEqual({ kind: "refuse", verdict: "guild" });
    const noRole = command("lesson-plan", { member: member([]) });
    expect(planAck(noRole, policy)).toEqual({ kind: "refuse", verdict: "role" });
    expect(callbackBody(noRole, { kind: "refuse", verdict: "role" }, policy)).toEqual({
      type: 4,
      data: { content: "refused:role", flags: EPHEMERAL, allowed_mentions: { parse: [] } },
    });
    const ac: RawInteraction = { ...noRole, type: 4 };
    expect(planAck(ac, policy)).toEqual({ kind: "refuse", verdict: "role" });
    expect(callbackBody(ac, { kind: "refuse", verdict: "role" }, policy)).toEqual({ type: 8, data: { choices: [] } });
  });

  it("acknowledges button and select clicks as deferred updates", () => {
    const click: RawInteraction = { id: "2", token: "t", type: 3, guild_id: GUILD, data: { component_type: 2 }, member: member([ROLE]) };
    expect(planAck(click, policy)).toEqual({ kind: "update" });
    expect(planAck({ ...click, data: { component_type: 3 } }, policy)).toEqual({ kind: "update" });
    expect(callbackBody(click, { kind: "update" }, policy)).toEqual({ type: 6 });
  });

  it("leaves to the handlers what the packet cannot settle: autocomplete, DMs needing a look-up, kinds not handled", () => {
    expect(planAck({ ...command("lesson-plan"), type: 4 }, policy)).toEqual({ kind: "none" });
    const dm: RawInteraction = { id: "3", token: "t", type: 2, data: { type: 1, name: "lesson-plan" }, user: { id: "stranger" } };
    expect(planAck(dm, policy)).toEqual({ kind: "none" });
    expect(planAck({ ...dm, user: { id: "cached-staff" } }, policy)).toEqual({ kind: "defer", ephemeral: false });
    // Context-menu commands, user selects and modals are not the adapter's: no answer, as before.
    expect(planAck(command("x", { data: { type: 2, name: "x" } }), policy)).toEqual({ kind: "none" });
    expect(planAck({ ...command("x"), type: 3, data: { component_type: 5 } }, policy)).toEqual({ kind: "none" });
    expect(planAck({ ...command("x"), type: 5 }, policy)).toEqual({ kind: "none" });
    expect(callbackBody(command("x"), { kind: "none" }, policy)).toBeUndefined();
  });
});

describe("TurnQueue", () => {
  it("resumes waiters in order, holds them while busy until woken, and never past the longest wait", async () => {
    let busy = true;
    const turns = new TurnQueue({ busy: () => busy, maxWaitMs: 60_000, pollMs: 60_000 });
    const order: number[] = [];
    const all = [1, 2, 3].map((n) => turns.next().then(() => order.push(n)));
    for (let k = 0; k < 5; k++) await new Promise((r) => setImmediate(r));
    expect(order).toEqual([]);
    busy = false;
    turns.wake();
    await Promise.all(all);
    expect(order).toEqual([1, 2, 3]);

    // Busy for good: the longest wait still lets work through.
    const starved = new TurnQueue({ busy: () => true, maxWaitMs: 5, pollMs: 1 });
    await starved.next();
    expect(starved.size).toBe(0);
  });
});

async function rateLimitedCount(): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === "staffroom_platform_rate_limited_total");
  return (metric?.values ?? []).filter((v) => v.labels.platform === "discord").reduce((a, v) => a + v.value, 0);
}

describe("acknowledging through the fake Discord", () => {
  let fake: FakeDiscord;
  let stack: Stack;
  beforeAll(async () => {
    fake = await startFake();
    stack = await startStack(fake);
  });
  afterAll(async () => {
    await stack?.stop();
    await fake?.close();
  });

  /** The private /staffroom help reply of an interaction, once filled in. */
  const helpReply = (i: { originalMessageId?: string }) =>
    fake.waitFor(() => {
      const m = i.originalMessageId ? fake.messages.get(i.originalMessageId) : undefined;
      return m && m.history.length > 1 ? m : undefined;
    });

  it("answers a burst: every interaction deferred once, privately, and every reply filled in", async () => {
    const burst = Array.from({ length: 40 }, () => fake.slash({ name: "staffroom", subcommand: "help", user: teacher }));
    const acks = await Promise.all(burst.map((i) => i.acked));
    expect(acks.every((a) => a.type === 5)).toBe(true);
    const replies: FakeMessage[] = await Promise.all(burst.map(helpReply));
    for (const m of replies) {
      expect(m.flags & EPHEMERAL).toBe(EPHEMERAL);
      expect(m.content).toMatch(/lesson-plan/);
    }
    expect(burst.every((i) => i.callbacks.length === 1)).toBe(true);
    expect(fake.violations).toEqual([]);
  });

  it("drops a replayed command packet: one callback, one reply", async () => {
    const first = fake.slash({ name: "staffroom", subcommand: "help", user: teacher });
    await first.acked;
    const again = fake.replayInteraction(first.payload);
    await helpReply(first);
    // Packets are handled in order: once a later interaction is answered, the replay was handled too.
    await helpReply(fake.slash({ name: "staffroom", subcommand: "help", user: teacher }));
    expect(again.callbacks).toHaveLength(1);
    // Not even tried twice: a second attempt would show as a refused call.
    expect(fake.calls.filter((c) => c.operationId === "create_interaction_response" && c.path.includes(`/${first.id}/`))).toHaveLength(1);
    expect(fake.messages.get(first.originalMessageId ?? "")?.history).toHaveLength(2);
  });

  it("waits out a 429 on the callback and retries server errors and dropped connections", async () => {
    const callback = /^\/interactions\/\d+\/[^/]+\/callback$/;
    const limitedBefore = await rateLimitedCount();
    fake.rateLimit({ method: "POST", path: callback, times: 1, retryAfterSeconds: 0.05 });
    const limited = fake.slash({ name: "staffroom", subcommand: "help", user: teacher });
    expect((await limited.acked).type).toBe(5);
    await helpReply(limited);
    expect(fake.rateLimited.filter((c) => callback.test(c.path))).toHaveLength(1);
    expect(await rateLimitedCount()).toBe(limitedBefore + 1);

    for (const fault of [{ status: 502 }, { drop: "before" as const }, { drop: "after" as const }]) {
      const faultedBefore = fake.faulted.length;
      fake.fault({ method: "POST", path: callback, times: 1, fault });
      const i = fake.slash({ name: "staffroom", subcommand: "help", user: teacher });
      expect((await i.acked).type, JSON.stringify(fault)).toBe(5);
      const reply = await helpReply(i);
      expect(reply.content, JSON.stringify(fault)).toMatch(/lesson-plan/);
      expect(fake.faulted.length).toBe(faultedBefore + 1);
      expect(i.callbacks).toHaveLength(1);
    }
    expect(fake.violations).toEqual([]);
  });

  it("stops only once the interactions already acknowledged have been answered", async () => {
    const burst = Array.from({ length: 20 }, () => fake.slash({ name: "staffroom", subcommand: "help", user: teacher }));
    await Promise.all(burst.map((i) => i.acked));
    await stack.stop();
    const unanswered = burst.filter((i) => (fake.messages.get(i.originalMessageId ?? "")?.history.length ?? 0) < 2);
    expect(unanswered).toEqual([]);
    stack = await startStack(fake);
  });
});

describe("deferInteractionStructures", () => {
  it("builds discord.js's interaction structures when the scheduler says, in order, and reports unknown internals", async () => {
    const client = new Client({ intents: [] });
    const gates: (() => void)[] = [];
    expect(deferInteractionStructures(client, () => new Promise<void>((r) => gates.push(r)))).toBe(true);
    const created: string[] = [];
    client.on("interactionCreate", (i) => created.push(i.id));
    const user = { id: "1033044521375764530", username: "t", discriminator: "0", global_name: null, avatar: null };
    const packet = (id: string) => ({
      id,
      application_id: "1457469483726668048",
      type: 2,
      token: `tok-${id}`,
      version: 1,
      locale: "en-US",
      app_permissions: "0",
      entitlements: [],
      authorizing_integration_owners: { "1": user.id },
      context: 1,
      channel_id: "1457510428359004999",
      channel: { id: "1457510428359004999", type: 1 },
      user,
      data: { id: "1457510428359004000", name: "staffroom", type: 1 },
    });
    const action = (client as unknown as { actions: { InteractionCreate: { handle(d: unknown): void } } }).actions.InteractionCreate;
    action.handle(packet("1457510428359004001"));
    action.handle(packet("1457510428359004002"));
    expect(created).toEqual([]);
    for (const open of gates.splice(0)) open();
    await new Promise((r) => setImmediate(r));
    expect(created).toEqual(["1457510428359004001", "1457510428359004002"]);
    await client.destroy();

    expect(deferInteractionStructures({ actions: {} }, () => Promise.resolve())).toBe(false);
  });
});

describe("Acknowledger", () => {
  it("leaves a packet it cannot plan for to the handlers, and drops its replay", async () => {
    const sent: string[] = [];
    const throwing: AckPolicy = {
      ...policy,
      verdict: () => {
        throw new Error("unexpected shape");
      },
    };
    const acks = new Acknowledger({ send: async (id) => void sent.push(id), close: () => undefined }, throwing, silentLogger);
    acks.receive(command("lesson-plan", { id: "7" }));
    acks.receive(command("lesson-plan", { id: "7" }));
    const first = acks.take("7");
    expect(first !== REPLAY && first?.plan).toEqual({ kind: "none" });
    expect(acks.take("7")).toBe(REPLAY);
    expect(acks.take("7")).toBeUndefined();
    expect(sent).toEqual([]);

    const ok = new Acknowledger({ send: async (id) => void sent.push(id), close: () => undefined }, policy, silentLogger);
    ok.receive(command("lesson-plan", { id: "8" }));
    const acked = ok.take("8");
    expect(acked !== REPLAY && (await acked?.sent)).toBe(true);
    expect(sent).toEqual(["8"]);
  });
});
