// CPU time of the calling thread, for benchmarks on a shared machine: how long it ran, and how long it
// waited for a core (Linux /proc/thread-self/schedstat; undefined elsewhere).
import { existsSync, readFileSync } from "node:fs";

const FILE = "/proc/thread-self/schedstat";

export function threadCpu(): { runMs: number; waitMs: number } | undefined {
  if (!existsSync(FILE)) return undefined;
  const [run, wait] = readFileSync(FILE, "utf8").split(" ").map(Number);
  return { runMs: (run ?? 0) / 1e6, waitMs: (wait ?? 0) / 1e6 };
}
