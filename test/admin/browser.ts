// Debian's chromium driven by playwright-core for the dashboard's end-to-end tests. There is no silent
// skip: when no Chromium is found, the first launch installs Debian's (apt-get, as root or with
// passwordless sudo); when the installed one cannot be seen (another mount over it, or no right to
// install), Debian's packages are downloaded and unpacked under node_modules/.cache. Only when all of that
// is impossible does the suite fail, saying how to install it.
import { execFileSync } from "node:child_process";
import { accessSync, constants, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type BrowserContext, chromium } from "playwright-core";

export const ARTIFACTS = resolve(import.meta.dirname, "../../test-artifacts/admin");
const CACHE = resolve(import.meta.dirname, "../../node_modules/.cache/staffroom-chromium");
const UNPACKED = join(CACHE, "usr/lib/chromium/chromium");
/** Debian's wrapper, its binary, then our unpacked copy. */
const CANDIDATES = ["/usr/bin/chromium", "/usr/lib/chromium/chromium", UNPACKED];
/** Installing takes minutes on a fresh machine; the suites' launch hooks allow this long. */
export const CHROMIUM_SETUP_MS = 600_000;

function runnable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

const found = () => CANDIDATES.find(runnable);

function run(command: string, args: string[], cwd?: string): boolean {
  try {
    execFileSync(command, args, {
      stdio: "ignore",
      timeout: CHROMIUM_SETUP_MS,
      ...(cwd ? { cwd } : {}),
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
    return true;
  } catch {
    return false;
  }
}

/** apt-get as root, or through passwordless sudo; undefined when neither is possible. */
function aptGet(): ((args: string[]) => boolean) | undefined {
  if (!run("apt-get", ["--version"])) return undefined;
  if (process.getuid?.() === 0) return (args) => run("apt-get", args);
  if (run("sudo", ["-n", "true"])) return (args) => run("sudo", ["-n", "apt-get", ...args]);
  return undefined;
}

/** Install Debian's chromium (and its libraries), then, if it still cannot be seen, unpack its packages here. */
function provide(): void {
  const apt = aptGet();
  if (apt?.(["update", "-qq"])) apt(["install", "-y", "-qq", "chromium"]);
  if (found()) return;
  // `apt-get download` needs no root; the libraries chromium links against come with the install above.
  const debs = mkdtempSync(join(tmpdir(), "staffroom-chromium-debs-"));
  try {
    if (!run("apt-get", ["download", "chromium", "chromium-common"], debs)) return;
    mkdirSync(CACHE, { recursive: true });
    for (const deb of readdirSync(debs).filter((f) => f.endsWith(".deb"))) run("dpkg-deb", ["-x", join(debs, deb), CACHE]);
  } finally {
    rmSync(debs, { recursive: true, force: true });
  }
}

/** One provider at a time across test workers: a lock directory, taken over when older than the setup limit. */
function withLock<T>(fn: () => T): T {
  const lock = `${CACHE}.lock`;
  mkdirSync(resolve(CACHE, ".."), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      const age = (() => {
        try {
          return Date.now() - statSync(lock).mtimeMs;
        } catch {
          return 0;
        }
      })();
      if (age > CHROMIUM_SETUP_MS) rmSync(lock, { recursive: true, force: true });
      else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** The Chromium to drive: STAFFROOM_CHROMIUM when set, else one found or provided as above. */
export function chromiumPath(): string {
  const configured = process.env.STAFFROOM_CHROMIUM;
  if (configured) return configured;
  const path =
    found() ??
    withLock(() => {
      if (!found()) provide();
      return found();
    });
  if (!path)
    throw new Error(
      "The dashboard's browser tests need Chromium and could not install it (apt-get as root or with sudo, or apt-get download); install it with: apt-get install -y chromium",
    );
  return path;
}

/** A fresh profile each run (the persistent context is how Playwright takes a user-data-dir). */
export async function launchChromium(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const executablePath = chromiumPath();
  mkdirSync(ARTIFACTS, { recursive: true });
  const profile = mkdtempSync(join(tmpdir(), "staffroom-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    timeout: 60_000,
    viewport: { width: 1280, height: 900 },
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
