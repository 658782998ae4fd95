// A workflow with a human step, through Discord: the question appears in the thread with buttons, survives
// a crash and restart of the whole process, and a click on the original message resumes the execution.
import { expect, it } from "vitest";
import { checkIn } from "../fakes/check-in-template.ts";
import { attachmentText, botMessages, buttonId, lastBot, restartSession, startFake, startStack, teacher } from "./helpers.ts";

const session = restartSession("human");
const { storeUrl, stacks } = session;

it("asks a human step in the thread and resumes from a click after a restart", async () => {
  const f = await startFake();
  session.fake.current = f;
  const first = await startStack(f, { storeUrl, extraTemplates: [checkIn] });
  const i = f.slash({ name: "check-in", user: teacher, options: { topic: "fractions unit" } });
  await i.acked;
  const thread = await f.waitFor(() => (i.originalMessageId ? f.channels.get(i.originalMessageId) : undefined));
  // Draft first: the topic is all it needs, so it starts at once.
  const question = await f.waitFor(() => lastBot(f, thread.id, (m) => m.content.includes("Share this check-in")), 8000, "human question");
  expect(buttonId(question, /^Yes, share it$/)).toBeDefined();
  expect(await first.engine.list({ status: ["waiting"] })).toHaveLength(1);
  await first.core.idle();
  await first.crash();
  await f.waitFor(() => f.connected === 0 || undefined, 5000, "gateway closed");

  const second = await startStack(f, { storeUrl, extraTemplates: [checkIn] });
  stacks.push(second);
  await f.click({ message: question, customId: buttonId(question, /^Yes, share it$/) ?? "", user: teacher }).acked;
  const file = await f.waitFor(() => botMessages(f, thread.id).find((m) => m.attachments.length > 0), 10_000, "document after the answer");
  expect(await attachmentText(file.attachments[0])).toContain('"yes"');
  const [run] = await second.engine.list({ userId: teacher.id });
  expect(run?.status).toBe("completed");
  expect(f.threads()).toHaveLength(1);
  expect(f.violations).toEqual([]);
});
