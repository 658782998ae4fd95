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

export function spawnMarked(script: string, args: string[]): MarkedChild {
  const proc = spawn(process.execPath, [join(repoRoot, "bin/run-ts.js"), script, ...args], {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, LOG_LEVEL: "silent" },
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
