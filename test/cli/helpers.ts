// Spawns the real `staffroom` CLI (node bin/staffroom.js) in a temporary directory with a clean environment.
import { spawn } from "node:child_process";
import { resolve } from "node:path";

export const repoRoot = resolve(import.meta.dirname, "../..");
const bin = resolve(repoRoot, "bin/staffroom.js");

export type CliResult = { code: number | null; stdout: string; stderr: string };

/** Environment without the developer's own model, chat or store settings. */
export function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(OPENAI_|STAFFROOM_|SLACK_|DISCORD_|LOG_LEVEL$|PORT$)/.test(k)) continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

export type Spawned = {
  child: ReturnType<typeof spawn>;
  done: Promise<CliResult>;
  /** Resolves once stderr contains the text. */
  stderrIncludes(text: string): Promise<void>;
};

export function spawnCli(args: string[], opts: { cwd: string; env: Record<string, string>; stdin?: string }): Spawned {
  const child = spawn(process.execPath, [bin, ...args], { cwd: opts.cwd, env: cleanEnv(opts.env), stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  const watchers: { text: string; resolve: () => void }[] = [];
  child.stdout!.on("data", (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr!.on("data", (d: Buffer) => {
    stderr += d.toString();
    for (const w of watchers.splice(0)) {
      if (stderr.includes(w.text)) w.resolve();
      else watchers.push(w);
    }
  });
  if (opts.stdin !== undefined) child.stdin!.end(opts.stdin);
  else child.stdin!.end();
  const done = new Promise<CliResult>((resolveDone) => child.on("close", (code) => resolveDone({ code, stdout, stderr })));
  return {
    child,
    done,
    stderrIncludes: (text) =>
      new Promise<void>((res, rej) => {
        if (stderr.includes(text)) return res();
        watchers.push({ text, resolve: res });
        void done.then(() => rej(new Error(`CLI exited before printing ${JSON.stringify(text)}; stderr:\n${stderr}`)));
      }),
  };
}

export function runCli(args: string[], opts: { cwd: string; env: Record<string, string>; stdin?: string }): Promise<CliResult> {
  return spawnCli(args, opts).done;
}
