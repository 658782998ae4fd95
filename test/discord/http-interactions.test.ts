// Discord interactions over the HTTP interactions endpoint (as behind a load balancer): Ed25519 signatures
// checked with node:crypto, PING answered with PONG, bad or missing signatures refused with 401, and a
// slash command and a click answered in the HTTP response, then run through the same handlers end to end.
import { generateKeyPairSync, sign } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type DiscordHandle, INTERACTIONS_PATH, startDiscord } from "../../src/adapters/discord/index.ts";
import { createHttpServer, type HttpServer } from "../../src/http/server.ts";
import { silentLogger } from "../../src/log.ts";
import { type Backend, startBackend } from "../fakes/backend.ts";
import type { FakeDiscord } from "../fakes/discord/index.ts";
import { attachmentText, botMessages, buttonId, discordConfig, lastBot, startFake, teacher, textOf, visitor } from "./helpers.ts";

const { publicKey, privateKey } = generateKeyPairSync("ed25519");
const publicHex = Buffer.from(String(publicKey.export({ format: "jwk" }).x), "base64url").toString("hex");

describe("Discord over the HTTP interactions endpoint", () => {
  let fake: FakeDiscord;
  let backend: Backend;
  let http: HttpServer;
  let discord: DiscordHandle;
  let url: string;

  beforeAll(async () => {
    fake = await startFake();
    backend = await startBackend({ recover: true, core: { progressIntervalMs: 10 } });
    http = createHttpServer({ port: 0, host: "127.0.0.1", logger: silentLogger, readiness: async () => ({}) });
    const config = discordConfig(fake, { DISCORD_PUBLIC_KEY: publicHex, DISCORD_STAFF_ROLE_ID: "1457473602180878604" });
    discord = await startDiscord({ config, core: backend.core, logger: silentLogger, httpServer: http });
    const { port } = await http.listen();
    url = `http://127.0.0.1:${port}${INTERACTIONS_PATH}`;
    fake.useInteractionsEndpoint(url, privateKey);
  });
  afterAll(async () => {
    await discord?.stop();
    await http?.close();
    await backend?.close();
    await fake?.close();
  });
  afterEach(() => expect(fake.violations).toEqual([]));

  const post = (body: string, headers: Record<string, string>) =>
    fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
  const signed = (body: string, key = privateKey, timestamp = String(Math.floor(Date.now() / 1000))) => ({
    "x-signature-ed25519": sign(null, Buffer.from(timestamp + body), key).toString("hex"),
    "x-signature-timestamp": timestamp,
  });

  it("answers a signed PING with PONG and refuses bad or missing signatures with 401", async () => {
    const ping = JSON.stringify({ id: "1", type: 1, token: "t", application_id: fake.applicationId, version: 1 });
    const pong = await post(ping, signed(ping));
    expect(pong.status).toBe(200);
    expect(pong.headers.get("content-type")).toBe("application/json");
    expect(await pong.json()).toEqual({ type: 1 });

    // Discord's own probes before it saves the URL: no signature, a wrong one, another key's, a changed body.
    expect((await post(ping, {})).status).toBe(401);
    expect((await post(ping, { "x-signature-ed25519": "00".repeat(64), "x-signature-timestamp": "1" })).status).toBe(401);
    const other = generateKeyPairSync("ed25519").privateKey;
    expect((await post(ping, signed(ping, other))).status).toBe(401);
    const headers = signed(ping);
    expect((await post(ping.replace('"type":1', '"type":2'), headers)).status).toBe(401);
    expect((await post(ping, { ...headers, "x-signature-timestamp": String(Number(headers["x-signature-timestamp"]) + 1) })).status).toBe(
      401,
    );
    expect((await fetch(url)).status).toBe(405);
    const garbage = "not json";
    expect((await post(garbage, signed(garbage))).status).toBe(400);
  });

  it("refuses a validly signed request whose timestamp is outside five minutes either way, or malformed, with 401", async () => {
    const ping = JSON.stringify({ id: "2", type: 1, token: "t", application_id: fake.applicationId, version: 1 });
    const now = Math.floor(Date.now() / 1000);
    const at = (seconds: number) => post(ping, signed(ping, privateKey, String(now + seconds)));
    // Inside the window, both ways: still answered.
    expect((await at(-290)).status).toBe(200);
    expect((await at(290)).status).toBe(200);
    // A year ago, an hour ahead, just outside either edge: refused though the signature is right.
    for (const seconds of [-365 * 86_400, 3_600, -310, 310]) expect((await at(seconds)).status, `${seconds} s`).toBe(401);
    for (const timestamp of ["abc", "", "1e9", `${now}.5`, ` ${now}`, `-${now}`]) {
      expect((await post(ping, signed(ping, privateKey, timestamp))).status, JSON.stringify(timestamp)).toBe(401);
    }
  });

  it("runs a slash command acknowledged in the HTTP answer, then a click on its thread, end to end", async () => {
    const i = fake.slash({
      name: "lesson-plan",
      user: teacher,
      options: { grade: "5", subject: "Science", topic: "Volcanoes", duration: 45 },
    });
    const ack = await i.acked;
    expect(ack.type).toBe(5);
    expect(fake.endpointAnswers.get(i.id)?.status).toBe(200);
    // Nothing went through the REST callback route: the first response was the HTTP answer.
    expect(fake.calls.filter((c) => c.path.includes(`/interactions/${i.id}/`))).toEqual([]);
    const thread = await fake.waitFor(() => (i.originalMessageId ? fake.channels.get(i.originalMessageId) : undefined), 5000, "thread");
    // Draft first: every required field was given, so the document comes without a summary to confirm.
    const file = await fake.waitFor(() => fake.channelMessages(thread.id).find((m) => m.attachments.length > 0), 10_000, "document");
    expect(await attachmentText(file.attachments[0])).toContain("Volcanoes");
    // A click on the root's Change button is answered in the HTTP answer too.
    const root = await fake.waitFor(
      () => {
        const m = fake.messages.get(i.originalMessageId ?? "");
        return m && buttonId(m, /^Change$/) ? m : undefined;
      },
      10_000,
      "Change on the root",
    );
    const click = fake.click({ message: root, customId: buttonId(root, /^Change$/) ?? "", user: teacher });
    expect([5, 6]).toContain((await click.acked).type);
    expect(fake.endpointAnswers.get(click.id)?.status).toBe(200);
    await fake.waitFor(() => lastBot(fake, thread.id, (m) => /change/i.test(textOf(m)) && m.id !== file.id), 10_000, "the change picker");
  });

  it("refuses a member without the staff role in the HTTP answer, and a replayed delivery runs nothing twice", async () => {
    const refused = fake.slash({ name: "lesson-plan", user: visitor, options: { grade: "5" } });
    const ack = await refused.acked;
    expect(ack.type).toBe(4);
    expect(JSON.parse(fake.endpointAnswers.get(refused.id)?.body ?? "{}").data.flags).toBe(64);

    const i = fake.slash({ name: "assessment", user: teacher, options: { grade: "7", subject: "History", topic: "Rome" } });
    await i.acked;
    await fake.waitFor(() => (i.originalMessageId ? fake.channels.get(i.originalMessageId) : undefined), 5000, "thread");
    await backend.core.idle();
    const roots = () => botMessages(fake, fake.guild.channels[0]?.id ?? "").length;
    const before = roots();
    // Discord delivers the same interaction again (a retry after a timeout): acknowledged once, run once.
    await fake.postInteraction({ url, privateKey }, i.payload);
    expect(fake.endpointAnswers.get(i.id)?.status).toBe(202);
    await backend.core.idle();
    expect(roots()).toBe(before);
  });

  it("answers a bare command with its modal in the HTTP answer, a bad submission with its reasons, a good one with a run", async () => {
    const shown = fake.slash({ name: "parent-message", user: teacher });
    expect((await shown.acked).type).toBe(9);
    expect(fake.endpointAnswers.get(shown.id)?.status).toBe(200);
    expect(fake.calls.filter((c) => c.path.includes(`/interactions/${shown.id}/`))).toEqual([]);
    const bad = fake.submitModal({ shown, user: teacher, values: { purpose: "a", keyPoints: "Friday at 9" } });
    expect((await bad.acked).type).toBe(4);
    expect(JSON.parse(fake.endpointAnswers.get(bad.id)?.body ?? "{}").data.content).toMatch(
      /\*\*Purpose\*\*: Purpose should be at least 3 characters/,
    );
    const good = fake.submitModal({ shown, user: teacher, values: { purpose: "Field trip", keyPoints: "Friday at 9; bring lunch" } });
    expect((await good.acked).type).toBe(5);
    const thread = await fake.waitFor(
      () => (good.originalMessageId ? fake.channels.get(good.originalMessageId) : undefined),
      5000,
      "thread",
    );
    await fake.waitFor(() => fake.channelMessages(thread.id).find((m) => m.attachments.length > 0), 10_000, "document");
    await backend.core.idle();
    expect((await backend.engine.list({ userId: teacher.id })).filter((r) => r.templateId === "parent-message")).toHaveLength(1);
  });
});
