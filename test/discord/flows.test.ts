// End to end through the real discord.js client and a fake Discord (REST checked against the OpenAPI spec,
// Gateway over WebSocket) with the real chat core, engine, templates and the offline model.
import { describe, expect, it } from "vitest";
import { REFUSAL_TEXT } from "../../src/adapters/discord/inbound.ts";
import { registerCommands } from "../../src/adapters/discord/index.ts";
import { silentLogger } from "../../src/log.ts";
import { registry } from "../../src/metrics.ts";
import type { FakeDiscord, FakeMessage } from "../fakes/discord/index.ts";
import {
  attachmentText,
  botMessages,
  buttonId,
  colleague,
  componentsOf,
  discordConfig,
  lastBot,
  newcomer,
  STAFF_ROLE,
  type Stack,
  teacher,
  textOf,
  useStack,
  visitor,
} from "./helpers.ts";

const EPHEMERAL = 64;

async function rateLimitedCount(): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === "staffroom_platform_rate_limited_total");
  return (metric?.values ?? []).filter((v) => v.labels.platform === "discord").reduce((a, v) => a + v.value, 0);
}

/** Waits for the bot's latest message in a channel to match. */
function botSays(fake: FakeDiscord, channelId: string, pattern: RegExp, what = String(pattern)): Promise<FakeMessage> {
  return fake.waitFor(() => lastBot(fake, channelId, (m) => pattern.test(textOf(m))), 10_000, what);
}

async function clickButton(fake: FakeDiscord, m: FakeMessage, label: RegExp, user = teacher) {
  const id = buttonId(m, label);
  if (!id) throw new Error(`no button ${label} on: ${textOf(m)}`);
  const i = fake.click({ message: m, customId: id, user });
  await i.acked;
  return i;
}

describe("Discord with the real chat core", () => {
  let fake: FakeDiscord;
  let stack: Stack;
  const channel = () => fake.guild.channels[0]?.id ?? "";
  useStack((f, s) => {
    fake = f;
    stack = s;
  });

  it("registers typed commands per guild by bulk overwrite, idempotently", async () => {
    const put = fake.calls.filter((c) => c.operationId === "bulk_set_guild_application_commands");
    expect(put).toHaveLength(1);
    const commands = fake.commands.get(fake.guild.id) ?? [];
    expect(commands.map((c) => c.name).sort()).toEqual(["assessment", "feedback", "lesson-plan", "parent-message", "staffroom"]);
    const lesson = commands.find((c) => c.name === "lesson-plan") as { options: Record<string, unknown>[]; contexts: number[] };
    const opt = (n: string) => lesson.options.find((o) => o.name === n);
    expect(opt("grade")).toMatchObject({ type: 3, required: false });
    expect((opt("grade")?.choices as unknown[] | undefined)?.length).toBe(13);
    expect(opt("subject")).toMatchObject({ type: 3, autocomplete: true });
    expect(opt("duration")).toMatchObject({ type: 4, min_value: 10, max_value: 240 });
    expect(opt("standards_framework")).toBeDefined();
    expect(lesson.contexts).toEqual([0, 1]);
    const feedback = commands.find((c) => c.name === "feedback") as {
      contexts: number[];
      dm_permission: boolean;
      default_member_permissions: number;
    };
    expect(feedback.contexts).toEqual([0]);
    expect(feedback.dm_permission).toBe(false);
    expect(feedback.default_member_permissions).toBeGreaterThan(0);
    const staffroom = commands.find((c) => c.name === "staffroom") as { options: { name: string; type: number }[] };
    expect(staffroom.options.map((o) => o.name)).toEqual(["help", "status", "history", "open", "stats", "profile", "forget", "cancel"]);
    expect(staffroom.options.every((o) => o.type === 1)).toBe(true);

    // `staffroom discord register` again: same ids, nothing duplicated.
    const ids = commands.map((c) => c.id).sort();
    const again = await registerCommands({ config: stack.config, core: stack.core, logger: silentLogger });
    expect(again).toMatchObject({ scope: "guild", guildIds: [fake.guild.id] });
    expect((fake.commands.get(fake.guild.id) ?? []).map((c) => c.id).sort()).toEqual(ids);
    // Without DISCORD_GUILD_IDS the commands go global.
    const global = await registerCommands({
      config: discordConfig(fake, { DISCORD_GUILD_IDS: "" }),
      core: stack.core,
      logger: silentLogger,
    });
    expect(global.scope).toBe("global");
    expect(fake.commands.get("global")).toHaveLength(5);
  });

  it("runs /lesson-plan with options: deferred reply, thread, checklist, results, split document with the file; survives expired tokens and 429s", async () => {
    const limitedBefore = await rateLimitedCount();
    const i = fake.slash({
      name: "lesson-plan",
      user: teacher,
      options: { grade: "5", subject: "Science", topic: "Photosynthesis", duration: 45 },
    });
    const ack = await i.acked;
    expect(ack.type).toBe(5);
    const root = await fake.waitFor(() => (i.originalMessageId ? fake.messages.get(i.originalMessageId) : undefined));
    const thread = await fake.waitFor(() => fake.channels.get(root.id), 5000, "thread from the reply");
    expect(thread).toMatchObject({ type: 11, parent_id: channel() });
    // From here on the interaction token is dead: everything must go with the bot token.
    fake.expireInteractionTokens();
    fake.rateLimit({ method: "POST", path: new RegExp(`^/channels/${thread.id}/messages$`), times: 2, retryAfterSeconds: 0.05 });

    // Draft first: every required field was given, so the run starts at once (no summary to confirm).
    const file = await fake.waitFor(() => botMessages(fake, thread.id).find((m) => m.attachments.length > 0), 10_000, "document file");
    expect(file.attachments[0]?.filename).toMatch(/\.docx$/);
    const text = await attachmentText(file.attachments[0]);
    expect(text).toContain("Photosynthesis");
    expect(text.length).toBeGreaterThan(2000);

    const messages = botMessages(fake, thread.id);
    const progress = messages.find((m) => /✅/.test(m.content) && m.history.length > 2);
    expect(progress, "one progress message edited in place").toBeDefined();
    expect(progress?.content).toMatch(/: done\*{0,2} in /);
    expect(progress?.content).not.toMatch(/\d ms\b/);
    const embeds = messages.flatMap((m) => m.embeds);
    expect(embeds.length).toBeGreaterThan(1);
    for (const e of embeds) expect(String(e.description ?? "").length).toBeLessThanOrEqual(4096);
    for (const m of messages) expect(m.content.length).toBeLessThanOrEqual(2000);
    expect(embeds.some((e) => /Differentiation/.test(String(e.title)))).toBe(true);

    await fake.waitFor(() => /done|✅/.test(root.content) || undefined, 5000, "root updated");
    // The root was edited with the bot token, not through the expired interaction webhook.
    const rootEdits = fake.calls.filter((c) => c.operationId === "update_message" && c.path.endsWith(`/messages/${root.id}`));
    expect(rootEdits.length).toBeGreaterThan(0);
    const webhookCallsAfterExpiry = fake.calls.filter((c) => c.path.startsWith("/webhooks/") && c.status === 401);
    expect(webhookCallsAfterExpiry).toEqual([]);
    expect(fake.rateLimited.length).toBeGreaterThanOrEqual(2);
    expect(await rateLimitedCount()).toBeGreaterThanOrEqual(limitedBefore + 2);
  });

  it("asks for every required field when only an optional one is given: a select menu and typed answers, only the requester's count", async () => {
    // With no option at all the command answers with its form (test/discord/forms.test.ts).
    const i = fake.slash({ name: "lesson-plan", user: newcomer, options: { language: "English" } });
    await i.acked;
    const thread = await fake.waitFor(() => (i.originalMessageId ? fake.channels.get(i.originalMessageId) : undefined));
    const grade = await botSays(fake, thread.id, /Which grade/);
    const select = componentsOf(grade).find((c) => c.type === 3);
    expect(select).toBeDefined();
    const five = (select?.options as { label: string; value: string }[] | undefined)?.find((o) => o.label === "Grade 5");
    expect(buttonId(grade, /Cancel/)).toBeDefined();
    await fake.click({ message: grade, customId: String(select?.custom_id), user: newcomer, values: [String(five?.value)] }).acked;

    await botSays(fake, thread.id, /Which subject/);
    fake.say({ channelId: thread.id, user: colleague, content: "Maths" });
    const refusal = await botSays(fake, thread.id, /only they can answer/);
    expect(refusal.message_reference).toBeDefined();
    fake.say({ channelId: thread.id, user: newcomer, content: "Science" });
    await botSays(fake, thread.id, /What is the lesson about/);
    fake.say({ channelId: thread.id, user: newcomer, content: "Photosynthesis" });
    await botSays(fake, thread.id, /How long/);
    // The last required answer starts the run: no optional question, no summary.
    fake.say({ channelId: thread.id, user: newcomer, content: "45" });
    // Draft first: the last required answer starts the run (optional questions are not asked).
    const file = await fake.waitFor(() => botMessages(fake, thread.id).find((m) => m.attachments.length > 0), 10_000, "document");
    const text = await attachmentText(file.attachments[0]);
    expect(text).toMatch(/Grade 5/);
    expect(text).toMatch(/Science/);
    expect(text).toMatch(/Photosynthesis/);
  });

  it("cancels from the thread's Cancel button; a double click starts nothing twice", async () => {
    const i = fake.slash({ name: "assessment", user: teacher, options: { grade: "7", subject: "History", topic: "The Romans" } });
    await i.acked;
    const thread = await fake.waitFor(() => (i.originalMessageId ? fake.channels.get(i.originalMessageId) : undefined));
    const question = await botSays(fake, thread.id, /How many questions/);
    const id = buttonId(question, /Cancel/) ?? "";
    const first = fake.click({ message: question, customId: id, user: teacher });
    const second = fake.click({ message: question, customId: id, user: teacher });
    expect((await first.acked).type).toBe(6);
    expect((await second.acked).type).toBe(6);
    await botSays(fake, thread.id, /cancel/i);
    await stack.core.idle();
    const cancels = botMessages(fake, thread.id).filter((m) => /cancel/i.test(m.content) && m.components.length === 0);
    expect(cancels).toHaveLength(1);
    expect(await stack.engine.list({ userId: teacher.id, templateId: "assessment" })).toHaveLength(0);
  });

  it("revises a feedback draft from a typed reply, then approves it (double-clicked)", async () => {
    const i = fake.slash({
      name: "feedback",
      user: teacher,
      options: {
        assignment: "Persuasive essay on school uniforms",
        student_work: "Uniforms are good because they are fair. Everyone looks the same.",
      },
    });
    await i.acked;
    const thread = await fake.waitFor(() => (i.originalMessageId ? fake.channels.get(i.originalMessageId) : undefined));
    // Draft first: the required fields were given, so the draft is written at once.
    const draft = await fake.waitFor(() => lastBot(fake, thread.id, (m) => Boolean(buttonId(m, /Approve/))), 10_000, "draft buttons");
    expect(buttonId(draft, /Revise/)).toBeDefined();
    expect(buttonId(draft, /Regenerate/)).toBeDefined();
    const v1 = botMessages(fake, thread.id).find((m) => m.attachments.length > 0);
    expect(await attachmentText(v1?.attachments[0])).toMatch(/uniform/i);
    const before = botMessages(fake, thread.id).length;
    await clickButton(fake, draft, /Revise/);
    await fake.waitFor(() => botMessages(fake, thread.id).length > before || undefined, 5000, "asks for the revision");
    fake.say({ channelId: thread.id, user: teacher, content: "Make it shorter and warmer." });
    const second = await fake.waitFor(
      () => lastBot(fake, thread.id, (m) => m.id !== draft.id && Boolean(buttonId(m, /Approve/))),
      10_000,
      "second version",
    );
    const approve = buttonId(second, /Approve/) ?? "";
    await Promise.all([
      fake.click({ message: second, customId: approve, user: teacher }).acked,
      fake.click({ message: second, customId: approve, user: teacher }).acked,
    ]);
    await botSays(fake, thread.id, /approved/i);
    await stack.core.idle();
    expect(botMessages(fake, thread.id).filter((m) => /approved/i.test(textOf(m)) && !m.attachments.length)).toHaveLength(1);
    const runs = await stack.engine.list({ userId: teacher.id, templateId: "student-feedback" });
    expect(runs).toHaveLength(2);
  });

  it("runs in a DM, where there are no threads", async () => {
    const dm = fake.dmChannelFor(teacher);
    const i = fake.slash({ name: "parent-message", user: teacher, channelId: dm.id, options: { purpose: "Field trip on Friday" } });
    await i.acked;
    await botSays(fake, dm.id, /What must the message say/i);
    expect(fake.threads().some((t) => t.parent_id === dm.id)).toBe(false);
    fake.say({ channelId: dm.id, user: teacher, content: "Bring a packed lunch; bus leaves at 8:30" });
    // Draft first: the last required answer starts the run; optional questions are not asked.
    const file = await fake.waitFor(() => botMessages(fake, dm.id).find((m) => m.attachments.length > 0), 10_000, "document in the DM");
    expect(await attachmentText(file.attachments[0])).toMatch(/lunch/i);
  });

  it("answers /staffroom privately and completes subjects from the teacher's history", async () => {
    const help = fake.slash({ name: "staffroom", subcommand: "help", user: teacher });
    expect((await help.acked).type).toBe(5);
    const m = await fake.waitFor(() => (help.originalMessageId ? fake.messages.get(help.originalMessageId) : undefined));
    await fake.waitFor(() => m.history.length > 1 || undefined);
    expect(m.flags & EPHEMERAL).toBe(EPHEMERAL);
    expect(m.content).toMatch(/lesson-plan/);

    const history = fake.slash({ name: "staffroom", subcommand: "history", user: teacher });
    await history.acked;
    const h = await fake.waitFor(() => {
      const msg = history.originalMessageId ? fake.messages.get(history.originalMessageId) : undefined;
      return msg && msg.history.length > 1 ? msg : undefined;
    });
    expect(h.content).toMatch(/Photosynthesis|Lesson plan/i);

    const ac = fake.autocomplete({ name: "lesson-plan", user: teacher, focused: "subject", value: "sci" });
    const answer = await ac.acked;
    expect(answer.type).toBe(8);
    const choices = (ac.callbacks[0]?.body.data as { choices?: { name: string }[] } | undefined)?.choices ?? [];
    expect(choices.map((c) => c.name)).toContain("Science");
  });
});

describe("Discord access control", () => {
  let fake: FakeDiscord;
  let stack: Stack;
  useStack(
    (f, s) => {
      fake = f;
      stack = s;
    },
    { env: { DISCORD_STAFF_ROLE_ID: STAFF_ROLE }, violations: false },
  );

  it("refuses a member without the staff role politely, and nothing runs", async () => {
    const i = fake.slash({ name: "lesson-plan", user: visitor, options: { topic: "Volcanoes" } });
    const ack = await i.acked;
    expect(ack.type).toBe(4);
    const reply = fake.messages.get(i.originalMessageId ?? "");
    expect(reply?.content).toBe(REFUSAL_TEXT);
    expect((reply?.flags ?? 0) & EPHEMERAL).toBe(EPHEMERAL);
    expect(fake.threads()).toHaveLength(0);
    expect(await stack.engine.list({ userId: visitor.id })).toHaveLength(0);

    // A DM from someone who is not staff in the server is refused too; staff may use DMs.
    const dmVisitor = fake.dmChannelFor(visitor);
    const dmTry = fake.slash({ name: "lesson-plan", user: visitor, channelId: dmVisitor.id });
    expect((await dmTry.acked).type).toBe(4);
    const dmTeacher = fake.dmChannelFor(teacher);
    const ok = fake.slash({ name: "lesson-plan", user: teacher, channelId: dmTeacher.id });
    expect((await ok.acked).type).toBe(5);
    await botSays(fake, dmTeacher.id, /Which grade/);
    expect(fake.violations).toEqual([]);
  });
});
