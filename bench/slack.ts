// Slack adapter benchmark: the real Bolt app in HTTP mode on loopback, 500 signed slash commands fired at
// once, against the local fake Web API. Measures time to ack (Slack allows 3 s) and time until the first
// threaded progress message is posted. Uses the real chat core when it is available.
import { type ChildProcess, spawn } from "node:child_process";
import { Agent, request } from "node:http";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { ChatCore, CommandSpec, Inbound, ThreadRef } from "../src/adapters/chat/contract.ts";
import { startSlack } from "../src/adapters/slack/index.ts";
import { loadConfig } from "../src/config.ts";
import { silentLogger } from "../src/log.ts";
import { FakeSlack } from "../test/fakes/slack/server.ts";
import { postCommand, signedHeaders } from "../test/fakes/slack/sign.ts";
import { type BenchRow, median, percentile } from "./lib.ts";

const COMMANDS = 500;
const RUNS = 3;
const SECRET = "bench-signing-secret";
const BOT = "xoxb-bench";
const CHILD_FLAG = "STAFFROOM_BENCH_SLACK_APP";
const here = dirname(fileURLToPath(import.meta.url));

/** A thin core: opens the thread and posts the first progress message, as the chat core does first. */
class FirstStepCore implements ChatCore {
  commands(): CommandSpec[] {
    return [{ name: "lesson-plan", description: "", usage: "", fields: [], studentData: false }];
  }
  async command(inbound: Inbound, name: string): Promise<void> {
    const thread = await inbound.surface.openThread(inbound.place, inbound.user, {
      role: "root",
      text: `*${name}* requested by <@${inbound.user.id}>`,
    });
    await inbound.surface.post(thread, { role: "progress", text: "- ⏳ plan lesson\n- ▫️ write activities" });
  }
  async message(): Promise<void> {}
  async action(): Promise<void> {}
  async complete() {
    return [];
  }
  async attach(): Promise<void> {}
  async owns(_t: ThreadRef): Promise<boolean> {
    return false;
  }
}

/** Child mode: the app under test runs alone in its own process, as it would beside a remote Slack. */
async function serveApp(): Promise<void> {
  const config = loadConfig({ ...process.env, STAFFROOM_STORE_URL: "memory:", PORT: "0", LOG_LEVEL: "silent" });
  const slack = await startSlack({ config, core: new FirstStepCore(), logger: silentLogger });
  process.stdout.write(`PORT ${slack.port}\n`);
  process.once("SIGTERM", () => void slack.stop().then(() => process.exit(0)));
}

function spawnApp(apiUrl: string): Promise<{ port: number; child: ChildProcess }> {
  const child = spawn(process.execPath, [resolve(here, "../bin/run-ts.js"), resolve(here, "slack.ts")], {
    env: {
      ...process.env,
      [CHILD_FLAG]: "1",
      SLACK_BOT_TOKEN: BOT,
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: apiUrl,
      SLACK_APP_TOKEN: "",
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolvePort, reject) => {
    let out = "";
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /PORT (\d+)/.exec(out);
      if (m) resolvePort({ port: Number(m[1]), child });
    });
    child.once("exit", (code) => reject(new Error(`bench app exited with ${code}`)));
  });
}

async function once(): Promise<{ ack: number[]; firstProgress: number[]; statuses: number[] }> {
  const fake = await new FakeSlack({ specPath: resolve(here, "../../shared/specs/slack-web-api.openapi2.json"), botToken: BOT }).start();
  const { port, child } = await spawnApp(fake.apiUrl);
  const url = `http://127.0.0.1:${port}/slack/events`;
  try {
    // Warm up the app's code paths (JIT, connection pools) the way a running bot already is.
    await postCommand(url, SECRET, {
      team_id: "T0BENCH",
      channel_id: "CWARM",
      user_id: "U0",
      command: "/lesson-plan",
      text: "",
      trigger_id: "warm",
    });
    await fake.waitFor(() => fake.messages.some((m) => m.channel === "CWARM" && m.threadTs), 10_000, "warm-up");
    // Bodies are built and signed first so the timed part is only the request and its ack.
    const agent = new Agent({ keepAlive: true, maxSockets: COMMANDS });
    const prepared = Array.from({ length: COMMANDS }, (_, i) => {
      // One channel per teacher: Slack's posting limit is per channel, as real schools spread out.
      const channel = `C${String(i).padStart(8, "0")}`;
      const body = new URLSearchParams({
        team_id: "T0BENCH",
        channel_id: channel,
        user_id: `U${i}`,
        user_name: `teacher${i}`,
        command: "/lesson-plan",
        text: "grade 5 science",
        response_url: fake.responseUrl(),
        trigger_id: `bench-${i}-${Math.random()}`,
      }).toString();
      return { channel, body, headers: signedHeaders(SECRET, body) };
    });
    const sentAt = new Map<string, number>();
    const results = await Promise.all(
      prepared.map(
        ({ channel, body, headers }) =>
          new Promise<{ status: number; ms: number }>((done, fail) => {
            const req = request(
              {
                host: "127.0.0.1",
                port,
                path: "/slack/events",
                method: "POST",
                agent,
                headers: { ...headers, "content-type": "application/x-www-form-urlencoded", "content-length": Buffer.byteLength(body) },
              },
              (res) => {
                res.resume();
                res.on("end", () => done({ status: res.statusCode ?? 0, ms: performance.now() - started }));
              },
            );
            req.on("error", fail);
            const started = performance.now();
            sentAt.set(channel, Date.now());
            req.end(body);
          }),
      ),
    );
    agent.destroy();
    const threaded = () => fake.messages.filter((m) => m.threadTs && m.channel !== "CWARM");
    await fake.waitFor(() => threaded().length >= COMMANDS, 60_000, "first progress messages");
    const firstProgress: number[] = [];
    const seen = new Set<string>();
    for (const call of fake.calls) {
      const channel = String(call.params.channel);
      if (call.method !== "chat.postMessage" || !call.params.thread_ts || seen.has(channel) || !sentAt.has(channel)) continue;
      seen.add(channel);
      firstProgress.push(call.at - (sentAt.get(channel) ?? 0));
    }
    if (fake.violations.length > 0) throw new Error(`Web API violations: ${fake.violations[0]}`);
    return { ack: results.map((r) => r.ms), firstProgress, statuses: results.map((r) => r.status) };
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
    await fake.stop();
  }
}

export async function run(): Promise<BenchRow[]> {
  const p50: number[] = [];
  const p99: number[] = [];
  const prog50: number[] = [];
  const prog99: number[] = [];
  let failed = 0;
  for (let i = 0; i < RUNS; i++) {
    const r = await once();
    failed += r.statuses.filter((s) => s !== 200).length;
    p50.push(percentile(r.ack, 50));
    p99.push(percentile(r.ack, 99));
    prog50.push(percentile(r.firstProgress, 50));
    prog99.push(percentile(r.firstProgress, 99));
  }
  const ackP99 = median(p99);
  return [
    {
      area: "slack",
      metric: `ack p50 (${COMMANDS} commands at once, HTTP)`,
      value: median(p50),
      unit: "ms",
      target: "< 100 ms",
      ok: median(p50) < 100,
    },
    {
      area: "slack",
      metric: `ack p99 (${COMMANDS} commands at once, HTTP)`,
      value: ackP99,
      unit: "ms",
      target: "< 100 ms (Slack: 3000)",
      ok: ackP99 < 100,
    },
    { area: "slack", metric: "commands not acked with 200", value: failed, target: "0", ok: failed === 0 },
    {
      area: "slack",
      metric: "first threaded progress p50",
      value: median(prog50),
      unit: "ms",
      target: "< 3000 ms",
      ok: median(prog50) < 3000,
    },
    {
      area: "slack",
      metric: "first threaded progress p99",
      value: median(prog99),
      unit: "ms",
      target: "< 10000 ms",
      ok: median(prog99) < 10_000,
    },
  ];
}

if (process.env[CHILD_FLAG] === "1") await serveApp();
