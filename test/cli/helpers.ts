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
  /** Resolves once stderr contains the text (or matches the pattern); rejects if the CLI exits first. */
  stderrIncludes(text: string | RegExp): Promise<void>;
  stdoutIncludes(text: string | RegExp): Promise<void>;
  /** What the CLI printed so far. */
  output(): { stdout: string; stderr: string };
};

export type SpawnOptions = {
  cwd: string;
  env: Record<string, string>;
  /** Written to stdin, which is then closed; with `keepStdinOpen` stdin stays open for `child.stdin.write`. */
  stdin?: string;
  keepStdinOpen?: boolean;
};

export function spawnCli(args: string[], opts: SpawnOptions): Spawned {
  const child = spawn(process.execPath, [bin, ...args], { cwd: opts.cwd, env: cleanEnv(opts.env), stdio: ["pipe", "pipe", "pipe"] });
  const text = { stdout: "", stderr: "" };
  const watchers: { stream: "stdout" | "stderr"; match: string | RegExp; resolve: () => void }[] = [];
  const matches = (stream: "stdout" | "stderr", match: string | RegExp) =>
    typeof match === "string" ? text[stream].includes(match) : match.test(text[stream]);
  const collect = (stream: "stdout" | "stderr") => (d: Buffer) => {
    text[stream] += d.toString();
    for (const w of watchers.splice(0)) {
      if (w.stream === stream && matches(stream, w.match)) w.resolve();
      else watchers.push(w);
    }
  };
  child.stdout!.on("data", collect("stdout"));
  child.stderr!.on("data", collect("stderr"));
  if (opts.stdin !== undefined) child.stdin!.write(opts.stdin);
  if (!opts.keepStdinOpen) child.stdin!.end();
  const done = new Promise<CliResult>((resolveDone) => child.on("close", (code) => resolveDone({ code, ...text })));
  const waitFor = (stream: "stdout" | "stderr", match: string | RegExp) =>
    new Promise<void>((res, rej) => {
      if (matches(stream, match)) return res();
      watchers.push({ stream, match, resolve: res });
      void done.then(() => rej(new Error(`CLI exited before printing ${String(match)} on ${stream}; stderr:\n${text.stderr}`)));
    });
  return {
    child,
    done,
    stderrIncludes: (match) => waitFor("stderr", match),
    stdoutIncludes: (match) => waitFor("stdout", match),
    output: () => ({ ...text }),
  };
}

export function runCli(args: string[], opts: SpawnOptions): Promise<CliResult> {
  return spawnCli(args, opts).done;
}
