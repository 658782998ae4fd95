// Replays recorded Discord payloads (../shared/fixtures/platform-payloads) through the fake Gateway into
// the real discord.js client: foreign buttons are acknowledged and ignored, repeats are dropped, chatter
// outside the bot's threads costs no API call, and the same recorded shapes drive real answers when they
// point at a thread the bot runs.
import { afterAll, beforeAll, expect, it } from "vitest";
import type { FakeDiscord, FakeMessage } from "../fakes/discord/index.ts";
import { snowflake } from "../fakes/discord/index.ts";
import { botMessages, componentsOf, fixture, lastBot, type Stack, startFake, startStack, teacher } from "./helpers.ts";

type Recorded = Record<string, Record<string, unknown>>;
const discord = fixture<Recorded>("discord.json");
const channel = fixture<Recorded & { channel_post_action: Record<string, unknown> }>("channel-discord.json");
const placeholders = new Map<string, string>();
/**
 * A copy of a recorded payload. Some recordings carry placeholder ids ("INTERACTION_INFO", "MSG_DM_123");
 * those become snowflakes, the same placeholder always the same one, as Discord would send.
 */
function clone<T>(v: T): T {
  const walk = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(walk);
    if (!x || typeof x !== "object") return x;
    const out: Record<string, unknown> = {};
    for (const [k, val] of Object.entries(x)) {
      if (/(^|_)id$/.test(k) && typeof val === "string" && !/^\d+$/.test(val)) {
        if (!placeholders.has(val)) placeholders.set(val, snowflake());
        out[k] = placeholders.get(val);
      } else out[k] = walk(val);
    }
    return out;
  };
  return walk(structuredClone(v)) as T;
}

/** Some recordings are abridged; Discord always sends these two fields, and discord.js requires them. */
function complete(payload: Record<string, unknown>): Record<string, unknown> {
  const owner = payload.guild_id ? { "0": String(payload.guild_id) } : { "1": String((payload.user as { id?: string } | undefined)?.id) };
  return { entitlements: [], authorizing_integration_owners: owner, ...payload };
}

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

it("acknowledges recorded foreign button clicks once, ignores replays and chatter", async () => {
  expect(discord.metadata?.botId).toBe(fake.applicationId);
  const before = fake.calls.length;
  const names = ["buttonClickHello", "buttonClickMessages", "buttonClickInfo", "buttonClickGoodbye", "differentUser"];
  for (const name of names) {
    const payload = clone(discord[name] as Record<string, unknown>);
    const i = fake.replayInteraction(payload);
    expect((await i.acked).type, name).toBe(6);
  }
  const post = fake.replayInteraction(complete(clone(channel.channel_post_action)));
  expect((await post.acked).type).toBe(6);
  expect((await fake.replayInteraction(complete(clone(discord.dmButtonClick as Record<string, unknown>))).acked).type).toBe(6);

  // The same interaction delivered again: no second acknowledgement is attempted.
  const again = fake.replayInteraction(clone(discord.buttonClickHello as Record<string, unknown>));
  await new Promise((r) => setTimeout(r, 100));
  expect(again.callbacks).toHaveLength(1);

  for (const name of [
    "gatewayMention",
    "gatewayRoleMention",
    "gatewaySubscribedMessage",
    "gatewayDMRequest",
    "gatewayThreadUserHey",
    "gatewayThreadNum1",
  ]) {
    const event = discord[name] as { type: string; data: unknown };
    fake.dispatch(event.type.replace(/^GATEWAY_/, ""), clone(event.data));
  }
  for (const name of ["gatewayThreadCreate", "gatewayReactionAdd"]) {
    const event = discord[name] as { type: string; data: unknown };
    fake.dispatch(event.type.replace(/^GATEWAY_/, ""), clone(event.data));
  }
  fake.dispatch("MESSAGE_CREATE", clone((channel.mention as { data: unknown }).data));
  await new Promise((r) => setTimeout(r, 200));
  const callbacks = fake.calls.slice(before).filter((c) => c.operationId === "create_interaction_response");
  expect(callbacks).toHaveLength(names.length + 2);
  expect(fake.calls.slice(before).filter((c) => c.operationId !== "create_interaction_response")).toEqual([]);
  expect(fake.violations).toEqual([]);
});

it("drives a real conversation with recorded payload shapes pointed at the bot's own thread", async () => {
  const i = fake.slash({ name: "lesson-plan", user: teacher, options: { grade: "3", subject: "Art", duration: 30 } });
  await i.acked;
  const thread = await fake.waitFor(() => (i.originalMessageId ? fake.channels.get(i.originalMessageId) : undefined), 5000, "thread");
  await fake.waitFor(() => lastBot(fake, thread.id, (m) => /lesson about/.test(m.content)), 5000, "topic question");

  // Recorded thread messages, as the teacher typing the topic (the last required answer: the run starts) and later "change".
  const say = (content: string) => {
    const typed = clone((discord.gatewayThreadUserHey as { data: Record<string, unknown> }).data);
    Object.assign(typed, { id: snowflake(), channel_id: thread.id, content });
    fake.dispatch("MESSAGE_CREATE", typed);
  };
  say("Colour mixing");
  const file = await fake.waitFor(() => botMessages(fake, thread.id).find((m) => m.attachments.length > 0), 10_000, "document");
  expect(file.attachments[0]?.data).toContain("Colour mixing");
  say("change");
  const pick = await fake.waitFor(() => lastBot(fake, thread.id, (m) => /What should change/.test(m.content)), 5000, "what to change");

  // A recorded button click, as the teacher pressing "Keep as is" on that message (the fields are a select menu).
  const keep = componentsOf(pick).find((c) => c.label === "Keep as is");
  const click = clone(discord.buttonClickHello as Record<string, unknown>);
  const message = fake.messages.get(pick.id) as FakeMessage;
  Object.assign(click, { id: snowflake(), channel_id: thread.id, data: { component_type: 2, custom_id: keep?.custom_id, id: 2 } });
  Object.assign(click.channel as Record<string, unknown>, { id: thread.id, parent_id: thread.parent_id });
  Object.assign(click.message as Record<string, unknown>, { id: message.id, channel_id: thread.id, components: message.components });
  expect((await fake.replayInteraction(click).acked).type).toBe(6);
  await fake.waitFor(() => lastBot(fake, thread.id, (m) => /nothing changed/.test(m.content)), 5000, "kept");
  // Typed again: change, then the new value as key:value; the run restarts with nothing else asked.
  say("change");
  await fake.waitFor(
    () => (botMessages(fake, thread.id).filter((m) => /What should change/.test(m.content)).length >= 2 ? true : undefined),
    5000,
    "what to change again",
  );
  say("duration: 40");
  await fake.waitFor(
    () => (botMessages(fake, thread.id).filter((m) => m.attachments.length > 0).length >= 2 ? true : undefined),
    10_000,
    "second document",
  );
  expect(fake.violations).toEqual([]);
});
