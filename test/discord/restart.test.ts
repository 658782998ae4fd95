// A crash mid-run: the first process stops while a model call hangs; a second one on the same sqlite store
// reconnects to the Gateway, resumes the execution and keeps posting into the same thread.
import { expect, it } from "vitest";
import { createOfflineProvider } from "../../src/model/index.ts";
import type { ModelProvider } from "../../src/model/types.ts";
import type { FakeDiscord } from "../fakes/discord/index.ts";
import { botMessages, restartSession, startFake, startStack, teacher, textOf } from "./helpers.ts";

const session = restartSession("restart");
const { storeUrl, stacks } = session;
let fake: FakeDiscord | undefined;

it("keeps posting into the same thread after a crash and restart mid-run", async () => {
  fake = await startFake();
  session.fake.current = fake;
  let calls = 0;
  let hung: (() => void) | undefined;
  const reachedHang = new Promise<void>((r) => {
    hung = r;
  });
  // The first process's model answers twice, then hangs until the process goes away.
  const first = await startStack(fake, {
    storeUrl,
    model: (drafters): ModelProvider => {
      const offline = createOfflineProvider({ drafters });
      return {
        name: "offline",
        async complete(request) {
          calls++;
          if (calls <= 2) return offline.complete(request);
          hung?.();
          return new Promise((_resolve, reject) => request.signal?.addEventListener("abort", () => reject(request.signal?.reason)));
        },
      };
    },
  });
  const i = fake.slash({
    name: "lesson-plan",
    user: teacher,
    options: { grade: "4", subject: "Geography", topic: "Rivers", duration: 50 },
  });
  await i.acked;
  const thread = await fake.waitFor(() => (i.originalMessageId ? fake?.channels.get(i.originalMessageId) : undefined));
  // Draft first: every required option was given, so it starts at once.
  await reachedHang;
  const progress = await fake.waitFor(() => botMessages(fake as FakeDiscord, thread.id).find((m) => /✅/.test(m.content)));
  const postedBefore = botMessages(fake, thread.id).length;

  await first.crash();
  await fake.waitFor(() => fake?.connected === 0 || undefined, 5000, "gateway closed");
  const identifiesBefore = fake.identifies;

  const second = await startStack(fake, { storeUrl });
  stacks.push(second);
  expect(fake.identifies).toBe(identifiesBefore + 1);
  const file = await fake.waitFor(
    () => botMessages(fake as FakeDiscord, thread.id).find((m) => m.attachments.length > 0),
    15_000,
    "document after restart",
  );
  expect(file.attachments[0]?.data).toContain("Rivers");
  // Same thread, no second request: one thread overall, one execution.
  expect(fake.threads()).toHaveLength(1);
  expect(await second.engine.list({ userId: teacher.id })).toHaveLength(1);
  expect(botMessages(fake, thread.id).length).toBeGreaterThan(postedBefore);
  // The checklist kept being edited in place rather than posted again.
  await second.core.idle();
  expect(progress.history.length).toBeGreaterThan(2);
  expect(textOf(progress)).toMatch(/done/i);
  expect(botMessages(fake, thread.id).filter((m) => /✅/.test(m.content) && /Create outline/.test(m.content))).toHaveLength(1);
  expect(fake.violations).toEqual([]);
});
