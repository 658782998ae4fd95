// `staffroom doctor`'s checks: the configuration, the store, the model endpoint, Slack, Discord and the
// standards and templates folders. Each check makes at most one or two quick calls (no retries) and
// returns lines that say what was found or what to fix; the CLI prints them and picks the exit code.
import { readFileSync, statSync } from "node:fs";
import { checkDiscordApplication, checkDiscordToken } from "../adapters/discord/preflight.ts";
import { checkSlackAppToken, checkSlackBotToken } from "../adapters/slack/preflight.ts";
import { type Config, loadConfig } from "../config.ts";
import { openStore } from "../drivers/local/database.ts";
import { openDrivers } from "../drivers/open.ts";
import { chooseStore } from "../drivers/urls.ts";
import { ConfigError, describeError } from "../errors.ts";
import { createOpenAIProvider } from "../model/index.ts";
import { loadStandards, loadTemplates, SAMPLE_STANDARDS_DIR } from "../templates/index.ts";

export type DoctorLine = { ok: boolean; check: string; text: string };

/** How long one network check may take. */
const CHECK_TIMEOUT_MS = 10_000;
const MANIFEST = new URL("../../manifest.json", import.meta.url);

const pass = (check: string, text: string): DoctorLine => ({ ok: true, check, text });
const fail = (check: string, text: string): DoctorLine => ({ ok: false, check, text });

/** Runs every check in order; a configuration that does not load stops there (the others would mislead). */
export async function runDoctor(env: NodeJS.ProcessEnv): Promise<DoctorLine[]> {
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return [
      ...error.problems.map((p) => fail("configuration", p)),
      fail("configuration", "the other checks need a valid configuration: fix the lines above, then run staffroom doctor again"),
    ];
  }
  const lines: DoctorLine[] = [pass("configuration", "every setting is valid")];
  for (const w of config.warnings) lines.push(pass("configuration", `note: ${w}`));
  const checks = [checkStore(config), checkModel(config), checkSlack(config), checkDiscord(config), checkFolders(config)];
  for (const result of await Promise.all(checks)) lines.push(...result);
  return lines;
}

function megabytes(bytes: number): string {
  return bytes < 1024 * 1024 ? `${Math.max(1, Math.round(bytes / 1024))} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

export async function checkStore(config: Config): Promise<DoctorLine[]> {
  const url = config.STAFFROOM_STORE_URL;
  const choice = chooseStore(url);
  if (choice?.kind === "memory")
    return [pass("store", "memory: keeps nothing once the process stops; set STAFFROOM_STORE_URL=sqlite://… to keep work")];
  if (choice?.kind === "postgres") return checkSharedStore(config, choice.schema);
  let store: Awaited<ReturnType<typeof openStore>> | undefined;
  try {
    store = await openStore(url, {
      retentionDays: config.STAFFROOM_RETENTION_DAYS,
      ...(config.STAFFROOM_DATA_KEY ? { dataKey: config.STAFFROOM_DATA_KEY } : {}),
    });
    const kv = store.namespace("doctor");
    const probe = `probe-${process.pid}-${Date.now()}`;
    await kv.set(probe, { at: Date.now() });
    const back = await kv.get(probe);
    await kv.delete(probe);
    if (!back) return [fail("store", `${url} accepted a write but did not read it back; check the disk and the file's permissions`)];
    const rows = (await store.query("PRAGMA journal_mode")) as { journal_mode?: string }[];
    const mode = String(rows[0]?.journal_mode ?? "unknown").toLowerCase();
    const file = choice?.kind === "sqlite" ? choice.file : url;
    const size = fileSize(file) + fileSize(`${file}-wal`) + fileSize(`${file}-shm`);
    if (mode !== "wal")
      return [
        fail("store", `${file} is writable but in ${mode} journal mode, not WAL; it may be on a network drive: move it to a local disk`),
      ];
    return [
      pass("store", `${file} is writable, WAL mode, ${megabytes(size)}`),
      pass(
        "data key",
        config.STAFFROOM_DATA_KEY
          ? "STAFFROOM_DATA_KEY wraps each teacher's data key"
          : `generated and kept in ${file}.key (whoever reads it and the database reads everything); set STAFFROOM_DATA_KEY and keep it out of backups for a real deployment`,
      ),
    ];
  } catch (error) {
    return [fail("store", `${describeError(error)} Check STAFFROOM_STORE_URL and the folder's permissions.`)];
  } finally {
    await store?.close().catch(() => undefined);
  }
}

export async function checkModel(config: Config): Promise<DoctorLine[]> {
  if (config.modelProvider === "offline")
    return [pass("model", "offline drafts (no AI); set OPENAI_API_KEY or OPENAI_BASE_URL to use a model endpoint")];
  const endpoint = config.OPENAI_BASE_URL ?? "https://api.openai.com/v1";
  const provider = createOpenAIProvider({
    ...(config.OPENAI_API_KEY ? { apiKey: config.OPENAI_API_KEY } : {}),
    ...(config.OPENAI_BASE_URL ? { baseURL: config.OPENAI_BASE_URL } : {}),
    model: config.STAFFROOM_MODEL,
    timeoutMs: CHECK_TIMEOUT_MS,
  });
  const started = performance.now();
  try {
    const answer = await provider.complete({
      messages: [{ role: "user", content: "Reply with the single word OK." }],
      maxTokens: 5,
      temperature: 0,
      signal: AbortSignal.timeout(CHECK_TIMEOUT_MS),
      meta: { executionId: "doctor", nodeId: "doctor", templateId: "doctor", vars: {} },
    });
    const ms = Math.round(performance.now() - started);
    return [pass("model", `${answer.model || config.STAFFROOM_MODEL} at ${endpoint} answered in ${ms} ms`)];
  } catch (error) {
    return [fail("model", `${describeError(error)} (model ${config.STAFFROOM_MODEL} at ${endpoint})`)];
  }
}

/** The bot scopes manifest.json asks for. */
export function manifestScopes(): string[] {
  const manifest = JSON.parse(readFileSync(MANIFEST, "utf8")) as { oauth_config?: { scopes?: { bot?: string[] } } };
  return manifest.oauth_config?.scopes?.bot ?? [];
}

export async function checkSlack(config: Config): Promise<DoctorLine[]> {
  const token = config.SLACK_BOT_TOKEN;
  if (!token) return [pass("Slack", "not configured (set SLACK_BOT_TOKEN to turn it on)")];
  const apiUrl = config.SLACK_API_URL;
  const lines: DoctorLine[] = [];
  try {
    const me = await checkSlackBotToken({ token, apiUrl, timeoutMs: CHECK_TIMEOUT_MS });
    lines.push(pass("Slack token", `bot "${me.botName}" in ${me.team || "the workspace"} (${me.teamId}), auth.test in ${me.latencyMs} ms`));
    const wanted = manifestScopes();
    if (!me.scopes)
      lines.push(pass("Slack scopes", "Slack did not report the token's scopes; compare OAuth & Permissions with manifest.json"));
    else {
      const missing = wanted.filter((s) => !me.scopes!.includes(s));
      lines.push(
        missing.length === 0
          ? pass("Slack scopes", `all ${wanted.length} scopes of manifest.json are granted`)
          : fail(
              "Slack scopes",
              `the token lacks ${missing.join(", ")}; add ${missing.length === 1 ? "it" : "them"} under OAuth & Permissions → Bot Token Scopes (or update the app from manifest.json) and reinstall the app`,
            ),
      );
    }
  } catch (error) {
    lines.push(fail("Slack token", describeError(error)));
  }
  if (config.SLACK_APP_TOKEN) {
    try {
      const { latencyMs } = await checkSlackAppToken({ token: config.SLACK_APP_TOKEN, apiUrl, timeoutMs: CHECK_TIMEOUT_MS });
      lines.push(pass("Slack app token", `Socket Mode connections are allowed (${latencyMs} ms)`));
    } catch (error) {
      lines.push(fail("Slack app token", describeError(error)));
    }
  } else {
    lines.push(
      pass("Slack mode", "HTTP mode: Slack must reach https://<your-host>/slack/events; SLACK_SIGNING_SECRET checks each request"),
    );
  }
  return lines;
}

export async function checkDiscord(config: Config): Promise<DoctorLine[]> {
  const token = config.DISCORD_TOKEN;
  if (!token) return [pass("Discord", "not configured (set DISCORD_TOKEN and DISCORD_APPLICATION_ID to turn it on)")];
  const opts = { token, apiUrl: config.DISCORD_API_URL, timeoutMs: CHECK_TIMEOUT_MS };
  try {
    const me = await checkDiscordToken(opts);
    const lines = [pass("Discord token", `bot "${me.botName}" (${me.botId}), checked in ${me.latencyMs} ms`)];
    const app = await checkDiscordApplication(opts);
    lines.push(
      app.id === config.DISCORD_APPLICATION_ID
        ? pass("Discord application", `${app.id}${app.name ? ` (${app.name})` : ""} matches DISCORD_APPLICATION_ID`)
        : fail(
            "Discord application",
            `the token belongs to application ${app.id}, but DISCORD_APPLICATION_ID is ${config.DISCORD_APPLICATION_ID}; copy the Application ID of the same app from General Information`,
          ),
    );
    lines.push(
      app.messageContent
        ? pass("Discord intents", "the Message Content intent is on")
        : fail(
            "Discord intents",
            "the Message Content intent is off, so answers typed in threads arrive empty; turn it on under Bot → Privileged Gateway Intents",
          ),
    );
    return lines;
  } catch (error) {
    return [fail("Discord token", describeError(error))];
  }
}

function problemLines(check: string, problems: { file: string; path: string; message: string }[], limit = 5): DoctorLine[] {
  const lines = problems.slice(0, limit).map((p) => fail(check, `${p.file}${p.path ? ` (${p.path})` : ""}: ${p.message}`));
  if (problems.length > limit)
    lines.push(fail(check, `and ${problems.length - limit} more; run staffroom validate on the folder for all of them`));
  return lines;
}

export async function checkFolders(config: Config): Promise<DoctorLine[]> {
  const lines: DoctorLine[] = [];
  const standardsFiles = new Set<string>();
  const standardsSetting = config.STAFFROOM_STANDARDS_DIR;
  const noStandards = standardsSetting?.toLowerCase() === "none";
  if (noStandards)
    lines.push(pass("standards", "none loaded (STAFFROOM_STANDARDS_DIR=none): plans name standards in words, without codes"));
  else {
    const dir = standardsSetting ?? SAMPLE_STANDARDS_DIR;
    const { set, problems } = await loadStandards(dir);
    const label = standardsSetting ? dir : "the shipped sample set (standards/sample)";
    for (const p of problems) standardsFiles.add(p.file);
    if (problems.length > 0) lines.push(...problemLines("standards", problems));
    else if (set.rows.length === 0)
      lines.push(fail("standards", `${label} holds no standards; add CSV or JSON files, or set STAFFROOM_STANDARDS_DIR=none`));
    else lines.push(pass("standards", `${set.rows.length} standards from ${label}`));
  }
  if (!config.STAFFROOM_TEMPLATES_DIR) {
    lines.push(pass("templates", "built-in templates only (set STAFFROOM_TEMPLATES_DIR to add your own)"));
    return lines;
  }
  const loaded = await loadTemplates({
    standardsDir: noStandards ? "none" : (standardsSetting ?? SAMPLE_STANDARDS_DIR),
    templatesDir: config.STAFFROOM_TEMPLATES_DIR,
  });
  const admin = loaded.templates.filter((t) => t.source !== "builtin");
  const problems = loaded.problems.filter((p) => !standardsFiles.has(p.file));
  if (problems.length > 0) lines.push(...problemLines("templates", problems));
  else
    lines.push(
      pass(
        "templates",
        `${admin.length} admin template${admin.length === 1 ? "" : "s"} from ${config.STAFFROOM_TEMPLATES_DIR}${admin.length ? `: ${admin.map((t) => t.id).join(", ")}` : ""}`,
      ),
    );
  return lines;
}

/** PostgreSQL: opened as the app opens it (migrations, data keys), then asked to answer. */
async function checkSharedStore(config: Config, schema: string): Promise<DoctorLine[]> {
  try {
    const drivers = await openDrivers({
      storeUrl: config.STAFFROOM_STORE_URL,
      retentionDays: config.STAFFROOM_RETENTION_DAYS,
      ...(config.STAFFROOM_DATA_KEY ? { dataKey: config.STAFFROOM_DATA_KEY } : {}),
    });
    try {
      return (await drivers.store.ping())
        ? [pass("store", `PostgreSQL answers (schema ${schema})`)]
        : [fail("store", "PostgreSQL opened but does not answer; check the server")];
    } finally {
      await drivers.close();
    }
  } catch (error) {
    return [fail("store", `${describeError(error)} Check STAFFROOM_STORE_URL.`)];
  }
}
