// Shared set-up for the Slack tests: paths to the shared specs and fixtures, a config pointing at the fake,
// and a small recording ChatCore used where the real core is not the thing under test.
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { ChatCore, CommandArgs, CommandSpec, Inbound, MessageRef, Surface, ThreadRef } from "../../src/chat/contract.ts";
import { type Config, loadConfig } from "../../src/config.ts";
import { describeError } from "../../src/errors.ts";
import { FakeSlack } from "../fakes/slack/server.ts";

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const specPath = resolve(repoRoot, "../shared/specs/slack-web-api.openapi2.json");
export const fixturesDir = resolve(repoRoot, "../shared/fixtures/platform-payloads");

export const BOT_TOKEN = "xoxb-test-bot-token";
export const APP_TOKEN = "xapp-test-app-token";
export const SIGNING_SECRET = "test-signing-secret-0123456789";
/** Posting pace for tests: Slack's real pace would make every flow take seconds. */
export const FAST_PACING = { burst: 1000, intervalMs: 1 };
/** Retries wait out Retry-After; keep the extra backoff short in tests. */
export const FAST_RETRY = { retries: 10, factor: 1, minTimeout: 10, maxTimeout: 50, randomize: false };

export function fixture<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(resolve(fixturesDir, name), "utf8")) as T;
}

export async function startFake(): Promise<FakeSlack> {
  return new FakeSlack({ specPath, botToken: BOT_TOKEN, appToken: APP_TOKEN }).start();
}

export function slackConfig(fake: FakeSlack, env: Record<string, string> = {}): Config {
  return loadConfig({
    STAFFROOM_STORE_URL: "memory:",
    PORT: "0",
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: fake.apiUrl,
    LOG_LEVEL: "silent",
    ...env,
  });
}

export const threadKey = (t: ThreadRef) => `${t.channelId}/${t.threadId}`;

type Recorded =
  | { kind: "command"; inbound: Inbound; name: string; args: CommandArgs }
  | { kind: "message"; inbound: Inbound; thread: ThreadRef; text: string }
  | { kind: "action"; inbound: Inbound; thread: ThreadRef; actionId: string; value: string };

/**
 * A recording ChatCore: opens a thread per command, posts a progress message and edits it, asks a question
 * with buttons; answers and clicks are recorded. Dedupes by dedupeKey like the real core.
 */
export class RecordingCore implements ChatCore {
  readonly calls: Recorded[] = [];
  readonly duplicates: string[] = [];
  readonly threads = new Map<string, { thread: ThreadRef; progress: MessageRef }>();
  readonly attached: Surface[] = [];
  readonly failures: string[] = [];
  private readonly seen = new Set<string>();
  edits = 5;

  commands(): CommandSpec[] {
    const cmd = (name: string): CommandSpec => ({ name, description: `Run ${name}`, usage: "[inputs]", fields: [], studentData: false });
    return ["lesson-plan", "assessment", "feedback", "parent-message", "staffroom"].map(cmd);
  }

  private fresh(inbound: Inbound): boolean {
    if (!inbound.dedupeKey) return true;
    if (this.seen.has(inbound.dedupeKey)) {
      this.duplicates.push(inbound.dedupeKey);
      return false;
    }
    this.seen.add(inbound.dedupeKey);
    return true;
  }

  async command(inbound: Inbound, name: string, args: CommandArgs): Promise<void> {
    this.calls.push({ kind: "command", inbound, name, args });
    if (!this.fresh(inbound)) return;
    const s = inbound.surface;
    let thread: ThreadRef;
    try {
      thread = await s.openThread(inbound.place, inbound.user, { role: "root", text: `*${name}* requested by <@${inbound.user.id}>` });
    } catch (error) {
      this.failures.push(describeError(error));
      await s.notify(inbound.place, inbound.user, { role: "error", text: describeError(error) });
      return;
    }
    const progress = await s.post(thread, { role: "progress", text: "- [ ] step one\n- [ ] step two" });
    this.threads.set(threadKey(thread), { thread, progress });
    for (let i = 1; i <= this.edits; i++) await s.edit(progress, { role: "progress", text: `- [x] step one (${i} ms)\n- [ ] step two` });
    await s.post(thread, {
      role: "question",
      text: "Which **grade**?",
      actions: [
        { id: "answer", label: "Grade 5", value: "5", style: "primary" },
        { id: "answer", label: "Grade 6", value: "6" },
        { id: "cancel", label: "Cancel", value: "", style: "danger" },
      ],
    });
  }

  async message(inbound: Inbound, thread: ThreadRef, text: string): Promise<void> {
    this.calls.push({ kind: "message", inbound, thread, text });
    if (!this.fresh(inbound)) return;
    const t = this.threads.get(threadKey(thread));
    if (t) await inbound.surface.post(thread, { role: "notice", text: `Got it: ${text}` });
  }

  async action(inbound: Inbound, thread: ThreadRef, actionId: string, value: string): Promise<void> {
    this.calls.push({ kind: "action", inbound, thread, actionId, value });
    if (!this.fresh(inbound)) return;
    await inbound.surface.post(thread, { role: "notice", text: `Chose ${actionId}=${value}` });
  }

  async complete(): Promise<{ value: string; label: string }[]> {
    return [];
  }

  async attach(surface: Surface): Promise<void> {
    this.attached.push(surface);
  }

  async owns(thread: ThreadRef): Promise<boolean> {
    return this.threads.has(threadKey(thread));
  }

  of<K extends Recorded["kind"]>(kind: K): Extract<Recorded, { kind: K }>[] {
    return this.calls.filter((c): c is Extract<Recorded, { kind: K }> => c.kind === kind);
  }
}
