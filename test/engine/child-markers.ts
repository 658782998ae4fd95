// Spawns a TypeScript fixture as a real child process (through bin/run-ts.js) and collects the JSON
// markers it prints one per line, so crash tests can kill it at a chosen point.
import { type ChildProcess, spawn } from "node:child_process";
import { join, resolve } from "node:path";

export type Marker = Record<string, unknown>;

export type MarkedChild = {
  proc: ChildProcess;
  markers: Marker[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr: () => string;
};

const repoRoot = resolve(import.meta.dirname, "../..");

export type SpawnOptions = {
  env?: Record<string, string>;
  /** Keep stdin open for commands (one JSON object per line). */
  stdin?: boolean;
  /** A command the process runs under, e.g. ["unshare", "--pid", "--fork"] for a PID namespace of its own. */
  wrap?: string[];
};

export function spawnMarked(script: string, args: string[], options: SpawnOptions = {}): MarkedChild {
  const argv = [process.execPath, join(repoRoot, "bin/run-ts.js"), script, ...args];
  const [cmd, ...rest] = [...(options.wrap ?? []), ...argv] as [string, ...string[]];
  const proc = spawn(cmd, rest, {
    cwd: repoRoot,
    stdio: [options.stdin ? "pipe" : "ignore", "pipe", "pipe"],
    env: { ...process.env, LOG_LEVEL: "silent", ...options.env },
  });
  const markers: Marker[] = [];
  let buffer = "";
  let err = "";
  proc.stdout?.on("data", (chunk: Buffer) => {
    buffer += chunk.toString();
    for (let nl = buffer.indexOf("\n"); nl >= 0; nl = buffer.indexOf("\n")) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (line.trim()) markers.push(JSON.parse(line) as Marker);
    }
  });
  proc.stderr?.on("data", (chunk: Buffer) => {
    err += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    proc.on("exit", (code, signal) => r({ code, signal })),
  );
  return { proc, markers, exited, stderr: () => err };
}
