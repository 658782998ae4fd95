// The real backend behind any chat surface in tests: a store, the engine with the offline model (or a
// given one), the built-in templates plus extras, and the chat core. Surfaces' suites add their adapter.
import { type ChatCoreOptions, createChatCore, type StaffroomChatCore } from "../../src/chat/index.ts";
import { openStore, type Store } from "../../src/drivers/local/database.ts";
import { createEngine, type Engine } from "../../src/engine/index.ts";
import { silentLogger } from "../../src/log.ts";
import { createOfflineProvider, type Drafter, type ModelProvider } from "../../src/model/index.ts";
import { builtinTemplates, offlineDrafters } from "../../src/templates/index.ts";
import type { Template } from "../../src/templates/types.ts";

export type Backend = {
  templates: Template[];
  store: Store;
  engine: Engine;
  core: StaffroomChatCore;
  /** Core, engine, then store; safe to call twice. */
  close(): Promise<void>;
};

export type BackendOptions = {
  /** `memory:` (default) or `sqlite://<file>`: reuse a file to play a restart. */
  storeUrl?: string;
  /** Templates beside the built-in ones. */
  extraTemplates?: Template[];
  /** A model built from the templates' offline drafters (default: the offline provider). */
  model?: (drafters: Record<string, Drafter>) => ModelProvider;
  /** Resume what an earlier process left running before the core attaches. */
  recover?: boolean;
  /** Chat core options beyond engine, templates and keyv. */
  core?: Omit<ChatCoreOptions, "engine" | "templates" | "keyv" | "claims">;
};

export async function startBackend(options: BackendOptions = {}): Promise<Backend> {
  const templates = [...builtinTemplates(), ...(options.extraTemplates ?? [])];
  const drafters = offlineDrafters(templates);
  const model = options.model ? options.model(drafters) : createOfflineProvider({ drafters });
  const store = await openStore(options.storeUrl ?? "memory:");
  const engine = createEngine({ store, model, logger: silentLogger });
  for (const t of templates) engine.register(t.workflow);
  if (options.recover) await engine.recover();
  const core = createChatCore({
    logger: silentLogger,
    ...options.core,
    engine,
    templates,
    keyv: store.namespace("chat"),
    claims: store.claims,
  });
  let closing: Promise<void> | undefined;
  return {
    templates,
    store,
    engine,
    core,
    close() {
      closing ??= (async () => {
        await core.close();
        await engine.close();
        await store.close();
      })();
      return closing;
    },
  };
}
