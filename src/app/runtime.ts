// Process bootstrap shared by the CLI and the bot: store, model provider, engine and registered templates,
// built once from the validated configuration and closed in the right order.

import { chatOwners, chatStores } from "../chat/index.ts";
import type { Config } from "../config.ts";
import { SavedDocuments } from "../documents/index.ts";
import { type Drivers, openDrivers, type SharedStore } from "../drivers/open.ts";
import type { TeacherData } from "../drivers/types.ts";
import type { EngineApi } from "../engine/api.ts";
import { createEngine } from "../engine/index.ts";
import type { Logger } from "../log.ts";
import { silentLogger } from "../log.ts";
import { createModelProvider, type Drafter, type ModelProvider } from "../model/index.ts";
import { defaultModelConcurrency } from "../model/limits.ts";
import {
  type AuditInput,
  AuditLog,
  executionsOwner,
  type ForgetCounts,
  findStudent,
  forgetStudent,
  forgetTeacher,
  loadRosterDir,
  PrivacyStore,
  type StudentMatch,
  storeBoundary,
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
  /** Documents saved as files (STAFFROOM_DOCUMENTS_DIR), listed per teacher. */
  documents: SavedDocuments;
  /** Every owner of a teacher's data, in the order forget calls them. */
  owners: readonly TeacherData[];
  /**
   * The one forget (src/privacy/forget.ts): every owner in turn, then the teacher's data key, one compaction,
   * one audit entry. `/staffroom forget`, `staffroom forget --user` and `DELETE /api/users/{id}` all call it.
   */
  forget(userId: string, how: { action: "forget" | "delete"; actor: string; chat?: readonly TeacherData[] }): Promise<ForgetCounts>;
  /**
   * Forget by student: the executions whose inputs or outputs name the student (any case, diacritics, the
   * whole name or a part); with `dryRun` only listed. Each owner deletes what it keeps of them.
   */
  forgetStudent(name: string, how: { actor: string; dryRun?: boolean }): Promise<{ matches: StudentMatch[]; counts: ForgetCounts }>;
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
  const audit = new AuditLog(store.namespace("audit"), { retentionDays: config.STAFFROOM_AUDIT_RETENTION_DAYS });
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
  let recovery: { close(): Promise<void> } | undefined;
  try {
    engine = createEngine({
      executions: store.executions,
      ...(drivers.queue ? { queue: drivers.queue } : {}),
      model,
      logger,
      providerConcurrency: config.STAFFROOM_MODEL_CONCURRENCY ?? defaultModelConcurrency(config.modelProvider, config.OPENAI_BASE_URL),
      ...(config.STAFFROOM_EXECUTION_PARALLELISM !== undefined ? { executionParallelism: config.STAFFROOM_EXECUTION_PARALLELISM } : {}),
      defaultTimeoutMs: config.STAFFROOM_MODEL_TIMEOUT_MS,
      defaultModel: config.STAFFROOM_MODEL,
    });
    for (const t of templates) engine.register(t.workflow);
    if (drivers.redis && options.clusterRecovery !== false) {
      const ready = engine;
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

  const documents = new SavedDocuments(store.namespace("documents"), config.STAFFROOM_DOCUMENTS_DIR);
  const executionsOf = async (userId: string) => (await engine.list({ userId, limit: 1_000_000 })).map((r) => r.id);
  const executions = engine;
  // Readers of the engine's list first (the chat's outbox streams), the executions themselves last. A
  // running chat core passes its own chat owners (`how.chat`: the same records, under the core's locks).
  const chat = chatOwners(chatStores(store.namespace("chat")), executionsOf);
  const others: TeacherData[] = [documents, privacy, executionsOwner(executions)];
  const owners = [...chat, ...others];
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
    documents,
    owners,
    forget: (userId, how) =>
      forgetTeacher(
        userId,
        how.chat ? [...how.chat, ...others] : owners,
        { keys: store.keys, store, audit },
        { action: how.action, actor: how.actor },
      ),
    async forgetStudent(name, how) {
      const matches = await findStudent(name, engine);
      // Audited with ids only: the student's name is content and never reaches the log.
      if (how.dryRun || matches.length === 0) {
        await audit.record({
          action: "forget-student",
          actor: how.actor,
          targets: matches.map((m) => m.executionId),
          dryRun: how.dryRun === true,
        });
        return { matches, counts: {} };
      }
      // Each teacher's entry says it was a forget by student, and which of their executions went.
      const byStudent = {
        record: (e: AuditInput) =>
          audit.record({
            ...e,
            action: "forget-student",
            targets: matches.filter((m) => m.userId === e.teacher).map((m) => m.executionId),
          }),
      };
      return { matches, counts: await forgetStudent(name, matches, owners, { store, audit: byStudent }, how) };
    },
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
