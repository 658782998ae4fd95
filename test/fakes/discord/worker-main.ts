// The fake Discord driven over worker messages: start, bursts of slash commands (timed from dispatch to
// the first callback's arrival, both on this thread's clock), close.
import { parentPort } from "node:worker_threads";
import { startFakeDiscord } from "./server.ts";
import type { FakeUser } from "./state.ts";
import { threadCpu } from "./thread-cpu.ts";

export type WorkerRequest =
  | { type: "start"; members: { user: FakeUser; roles: string[] }[] }
  | {
      type: "burst";
      n: number;
      name: string;
      subcommand?: string;
      options?: Record<string, string | number | boolean>;
      distinctUsers?: boolean;
      user: FakeUser;
    }
  | { type: "close" };

/** Sends dispatched between turns: Discord's Gateway and its API are separate machines, this fake is one thread. */
const SLICE = 10;

const port = parentPort;
if (!port) throw new Error("worker-main runs in a worker thread");
const fake = await startFakeDiscord();

port.on("message", async (msg: WorkerRequest) => {
  if (msg.type === "start") {
    for (const m of msg.members) fake.addMember(m.user, m.roles);
    port.postMessage({
      type: "started",
      apiUrl: fake.apiUrl,
      gatewayUrl: fake.gatewayUrl,
      token: fake.token,
      applicationId: fake.applicationId,
      guildId: fake.guild.id,
    });
  } else if (msg.type === "burst") {
    const cpu0 = threadCpu();
    const sent: ReturnType<typeof fake.slash>[] = [];
    for (let k = 0; k < msg.n; k++) {
      sent.push(
        fake.slash({
          name: msg.name,
          user: msg.distinctUsers ? { id: String(BigInt(msg.user.id) + BigInt(k + 1)), username: `${msg.user.username}${k}` } : msg.user,
          ...(msg.subcommand ? { subcommand: msg.subcommand } : {}),
          ...(msg.options ? { options: msg.options } : {}),
        }),
      );
      // Let the API side take in the callbacks already sent while the Gateway side goes on sending.
      if (k % SLICE === SLICE - 1) await new Promise<void>((r) => setImmediate(r));
    }
    await Promise.all(sent.map((i) => i.acked));
    const cpu1 = threadCpu();
    // The client measures its own CPU up to here.
    port.postMessage({ type: "acked" });
    const times = sent.map((i) => (i.callbacks[0]?.atHr ?? Number.NaN) - i.dispatchedHr);
    // Let the work each interaction started finish (no REST call for 300 ms), so bursts do not overlap.
    for (let seen = -1; seen !== fake.calls.length; ) {
      seen = fake.calls.length;
      await new Promise((r) => setTimeout(r, 300));
    }
    const cpu = cpu0 && cpu1 ? { runMs: cpu1.runMs - cpu0.runMs, waitMs: cpu1.waitMs - cpu0.waitMs } : undefined;
    port.postMessage({ type: "burst", times, cpu, violations: fake.violations.splice(0) });
  } else if (msg.type === "close") {
    await fake.close();
    port.postMessage({ type: "closed" });
  }
});
port.postMessage({ type: "ready" });
