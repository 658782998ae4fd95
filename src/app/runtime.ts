// Process bootstrap shared by the CLI and the bot: store, model provider, engine and registered templates,
// built once from the validated configuration and closed in the right order.
import type { Config } from "../config.ts";
import { type Drivers, openDrivers, type SharedStore } from "../drivers/open.ts";
import type { EngineApi } from "../engine/api.ts";
import { createEngine } from "../engine/index.ts";
import type { Logger } from "../log.ts";
import { silentLogger } from "../log.ts";
import { createModelProvider, type Drafter, type ModelProvider } from "../model/index.ts";
import { defaultModelConcurrency } from "../model/limits.ts";
import {
  AuditLog,
  type ForgetCounts,
  forgetTeacher,
  loadRosterDir,
  PrivacyStore,
  storeBoundary,
  withPrivacyForget,
  workflowVocabulary,
} from "../privacy/index.ts";
import { type LoadProblem, loadTemplates, type StandardsSet, type Template } from "../templates/index.ts";
import { demoTemplate } from "./demo-workflow.ts";

export type Runtime = {
  config: Config;
  logger: Logger;
  store: SharedStore;
  engine: EngineApi;
  /** The provider behind the redacting boundary: every remote model call goes through it. */
  model: ModelProvider;
  /** Placeholder maps and imported rosters. */
  privacy: PrivacyStore;
  audit: AuditLog;
  /** Deletes a teacher's executions, maps and roster (callers delete their own records first), audited, then compacts. */
  forgetTeacher(
    userId: string,
    how: { action: "forget" | "delete"; actor: string; counts?: Record<string, number> },
  ): Promise<ForgetCounts>;
  /** Every registered template, built-in and admin-defined, in display order. */
  templates: Template[];
  template(id: string): Template | undefined;
  /** The standards set the templates were built on and the problems found loading it and the admin templates (admin dashboard). */
  loaded: { standards: StandardsSet | undefined; problems: LoadProblem[] };
  /** Closes the engine, then the store; safe to call twice. */
  close(): Promise<void>;
};

export type RuntimeOptions = {
  logger?: Logger;
  /** Where the one-line "using the offline model" notice goes (the CLI prints it plainly). */
  notice?: (line: string) => void;
  /** Templates to register instead of the loaded ones (tests). */
  templates?: Template[];
  /** With a Redis queue: run recovery as a cluster-wide repeatable job (default on, every 15 s). */
  clusterRecovery?: boolean;
  recoveryEveryMs?: number;
};

export async function createRuntime(config: Config, options: RuntimeOptions = {}): Promise<Runtime> {
  const logger = options.logger ?? silentLogger;
  const set = options.templates ? undefined : await loadTemplateSet(config, logger);
  const templates = options.templates ?? set?.templates ?? [];
  const drafters: Record<string, Drafter> = {};
  for (const t of templates) Object.assign(drafters, t.drafters);

  const roster = config.STAFFROOM_ROSTERS_DIR ? (await loadRosterDir(config.STAFFROOM_ROSTERS_DIR)).names : [];
  const drivers: Drivers = await openDrivers({
    storeUrl: config.STAFFROOM_STORE_URL,
    queueUrl: config.STAFFROOM_QUEUE_URL,
    retentionDays: config.STAFFROOM_RETENTION_DAYS,
    ...(config.STAFFROOM_DATA_KEY ? { dataKey: config.STAFFROOM_DATA_KEY } : {}),
  });
  const { store } = drivers;
  const privacy = new PrivacyStore(store.namespace("privacy"));
  const audit = new AuditLog(store.namespace("audit"));
  // Installed here, where the provider is built, so no template, revision or extraction can go around it.
  const model = storeBoundary(
    createModelProvider(config, { drafters, logger, ...(options.notice ? { notice: options.notice } : {}) }),
    store,
    {
      privacy,
      roster,
      vocabulary: workflowVocabulary(templates.map((t) => t.workflow.definition)),
      logger,
    },
  );
  let engine: EngineApi;
  let rawEngine: EngineApi;
  let recovery: { close(): Promise<void> } | undefined;
  try {
    rawEngine = createEngine({
      executions: store.executions,
      ...(drivers.queue ? { queue: drivers.queue } : {}),
      model,
      logger,
      providerConcurrency: config.STAFFROOM_MODEL_CONCURRENCY ?? defaultModelConcurrency(config.modelProvider, config.OPENAI_BASE_URL),
      ...(config.STAFFROOM_EXECUTION_PARALLELISM !== undefined ? { executionParallelism: config.STAFFROOM_EXECUTION_PARALLELISM } : {}),
      defaultTimeoutMs: config.STAFFROOM_MODEL_TIMEOUT_MS,
      defaultModel: config.STAFFROOM_MODEL,
    });
    for (const t of templates) rawEngine.register(t.workflow);
    engine = withPrivacyForget(rawEngine, { store, privacy, audit });
    if (drivers.redis && options.clusterRecovery !== false) {
      const ready = rawEngine;
      const { scheduleRecovery } = await import("../drivers/recovery.ts");
      recovery = scheduleRecovery({
        connection: drivers.redis,
        ...(drivers.redisPrefix ? { prefix: drivers.redisPrefix } : {}),
        everyMs: options.recoveryEveryMs ?? 15_000,
        recover: () => ready.recover(),
        onError: (error) => logger.warn({ err: error }, "cluster recovery run failed; the next one retries"),
      });
    }
  } catch (error) {
    await drivers.close();
    throw error;
  }

  const byId = new Map(templates.map((t) => [t.id, t]));
  let closing: Promise<void> | undefined;
  return {
    config,
    logger,
    store,
    engine,
    model,
    privacy,
    audit,
    forgetTeacher: (userId, how) => forgetTeacher(rawEngine, { store, privacy, audit }, userId, how),
    templates,
    template: (id) => byId.get(id),
    loaded: { standards: set?.standards, problems: set?.problems ?? [] },
    close() {
      closing ??= (async () => {
        await recovery?.close();
        await engine.close();
        await drivers.close();
      })();
      return closing;
    },
  };
}

/** Every template to register: the built-in and admin ones, plus the demo workflow; with load problems. */
export async function loadTemplateSet(
  config: Config,
  logger: Logger,
): Promise<{ templates: Template[]; problems: LoadProblem[]; standards: StandardsSet }> {
  const loaded = await loadTemplates({
    ...(config.STAFFROOM_STANDARDS_DIR ? { standardsDir: config.STAFFROOM_STANDARDS_DIR } : {}),
    ...(config.STAFFROOM_TEMPLATES_DIR ? { templatesDir: config.STAFFROOM_TEMPLATES_DIR } : {}),
    logger,
  });
  const templates = [...loaded.templates];
  if (!templates.some((t) => t.id === demoTemplate.id)) templates.push(demoTemplate);
  return { templates, problems: loaded.problems, standards: loaded.standards };
}

export async function loadTemplateList(config: Config, logger: Logger): Promise<Template[]> {
  return (await loadTemplateSet(config, logger)).templates;
}

/** Templates teachers see in chat: everything but the engine demo, which stays a CLI/API example. */
export function teacherTemplates(templates: Template[]): Template[] {
  return templates.filter((t) => t.id !== demoTemplate.id);
}
