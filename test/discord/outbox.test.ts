// The Discord surface under the outbox: a part re-sent after a crash carries the same nonce and Discord
// (the fake, as the real API) returns the first message; hashed button ids survive a restart.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REST } from "discord.js";
import { afterAll, beforeAll, expect, it } from "vitest";
import { DiscordSurface } from "../../src/adapters/discord/surface.ts";
import type { Delivery, ThreadRef } from "../../src/chat/contract.ts";
import { silentLogger } from "../../src/log.ts";
import { startBackend } from "../fakes/backend.ts";
import type { FakeDiscord } from "../fakes/discord/index.ts";
import { botMessages, componentsOf, startFake } from "./helpers.ts";

let fake: FakeDiscord;
const dir = mkdtempSync(join(tmpdir(), "staffroom-discord-outbox-"));
beforeAll(async () => {
  fake = await startFake();
});
afterAll(async () => {
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

const rest = () => new REST({ api: fake.apiUrl.replace(/\/v10\/?$/, "") }).setToken(fake.token);
const channelId = () => fake.guild.channels[0]?.id ?? "";

it("a part re-sent with its nonce after a crash is the message Discord already has", async () => {
  const thread: ThreadRef = { surface: "discord", channelId: channelId(), threadId: channelId() };
  const surface = new DiscordSurface(rest(), silentLogger);
  const recorded: string[] = [];
  const first: Delivery = {
    key: "exec-1:7",
    sent: [],
    resuming: false,
    part: async (i, id) => {
      recorded[i] = id;
    },
  };
  // The process "dies" after Discord created the message but before the answer was recorded.
  fake.fault({ method: "POST", path: /\/channels\/\d+\/messages$/, times: 1, fault: { hold: "after" } });
  const lost = surface.post(thread, { text: "Step result: outline", role: "result" }, first).catch(() => undefined);
  await fake.waitFor(() => fake.held.length === 1 || undefined, 5000, "held create");
  expect(botMessages(fake, thread.threadId).filter((m) => m.content.includes("Step result: outline"))).toHaveLength(1);
  fake.discardHeld();
  void lost;

  const resumed: Delivery = {
    key: "exec-1:7",
    sent: [],
    resuming: true,
    part: async (i, id) => {
      recorded[i] = id;
    },
  };
  const ref = await new DiscordSurface(rest(), silentLogger).post(thread, { text: "Step result: outline", role: "result" }, resumed);
  const copies = botMessages(fake, thread.threadId).filter((m) => m.content.includes("Step result: outline"));
  expect(copies).toHaveLength(1);
  expect(ref.messageId).toBe(copies[0]?.id);
  expect(recorded[0]).toBe(copies[0]?.id);
  const creates = fake.calls.filter((c) => c.operationId === "create_message");
  expect(new Set(creates.map((c) => (c.body as { nonce?: string }).nonce)).size).toBe(1);
  expect(creates.every((c) => (c.body as { enforce_nonce?: boolean }).enforce_nonce === true)).toBe(true);
  expect(fake.violations).toEqual([]);
});

it("a hashed button id is remembered in the store and resolves in a new process", async () => {
  const storeUrl = `sqlite://${join(dir, "actions.sqlite")}`;
  const thread: ThreadRef = { surface: "discord", channelId: channelId(), threadId: channelId() };
  const longId = `human:${"e".repeat(40)}:${"a-very-long-node-id-".repeat(4)}:0`;
  const one = await startBackend({ storeUrl });
  const before = new DiscordSurface(rest(), silentLogger, Date.now, one.core.actions);
  await before.post(thread, { text: "Pick one", role: "question", actions: [{ id: longId, label: "Yes", value: "yes" }] });
  const posted = botMessages(fake, thread.threadId)
    .filter((m) => m.content.includes("Pick one"))
    .at(-1);
  const customId = String(componentsOf(posted!)[0]?.custom_id);
  expect(customId.startsWith("#")).toBe(true);
  await one.close();

  const two = await startBackend({ storeUrl });
  try {
    const after = new DiscordSurface(rest(), silentLogger, Date.now, two.core.actions);
    expect(await after.lookupHashed(customId)).toEqual({ id: longId, value: "yes" });
    expect(await new DiscordSurface(rest(), silentLogger).lookupHashed(customId)).toBeUndefined();
  } finally {
    await two.close();
  }
});

it("a document's file message re-sent after a crash is the one Discord already has: its files are attached once", async () => {
  const thread: ThreadRef = { surface: "discord", channelId: channelId(), threadId: channelId() };
  const doc = {
    title: "Assessment: Volcanoes",
    markdown: "# Assessment: Volcanoes\n\n1. What is magma?",
    filename: "assessment-volcanoes.md",
    files: ["assessment-volcanoes", "assessment-student-copy-volcanoes", "assessment-answer-key-volcanoes"].map((name) => ({
      title: name,
      filename: `${name}.docx`,
      contentType: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
      bytes: new TextEncoder().encode(`PK fake ${name}`),
    })),
  };
  const recorded: string[] = [];
  const delivery = (resuming: boolean, dies = false): Delivery => ({
    key: "exec-2:9:document",
    sent: [...recorded],
    resuming,
    part: async (i, id) => {
      // The first process dies once Discord made the file message, before its id is recorded.
      if (dies && i === 1) throw new Error("killed before recording");
      recorded[i] = id;
    },
  });
  const withFiles = () => botMessages(fake, thread.threadId).filter((m) => m.attachments.some((a) => a.filename.includes("volcanoes")));
  await expect(new DiscordSurface(rest(), silentLogger).postDocument(thread, doc, delivery(false, true))).rejects.toThrow(/killed/);
  expect(withFiles()).toHaveLength(1);
  expect(recorded).toHaveLength(1);
  const resumed = await new DiscordSurface(rest(), silentLogger).postDocument(thread, doc, delivery(true));
  expect(withFiles()).toHaveLength(1);
  expect(withFiles()[0]?.attachments.map((a) => a.filename)).toEqual(doc.files.map((f) => f.filename));
  expect(withFiles()[0]?.attachments[2]?.bytes.toString("latin1")).toBe("PK fake assessment-answer-key-volcanoes");
  expect(resumed.messageId).toBe(withFiles()[0]?.id);
  expect(recorded[1]).toBe(withFiles()[0]?.id);
  expect(fake.violations).toEqual([]);
});
