// The chat core as the app builds it (built-in templates, the offline model, an in-memory store) with a
// recording surface: one rig for the chat tests. `useChatRigs()` registers the clean-up for the calling
// test file and returns the function that builds a rig.
import { afterEach } from "vitest";
import { createChatCore, type StaffroomChatCore } from "../../src/chat/index.ts";
import type { FieldExtractor } from "../../src/conversation/extract.ts";
import { openStore, type Store } from "../../src/drivers/local/database.ts";
import { createEngine, type Engine } from "../../src/engine/index.ts";
import { createOfflineProvider } from "../../src/model/offline.ts";
import { loadTemplates, offlineDrafters } from "../../src/templates/index.ts";
import { RecordingSurface } from "./recording-surface.ts";

export type ChatRig = { store: Store; engine: Engine; core: StaffroomChatCore; surface: RecordingSurface };

export function useChatRigs(): (options?: { extract?: FieldExtractor }) => Promise<ChatRig> {
  const open: ChatRig[] = [];
  afterEach(async () => {
    for (const r of open.splice(0)) {
      await r.core.close();
      await r.engine.close();
      await r.store.close().catch(() => undefined);
    }
  });
  return async (options = {}) => {
    const { templates } = await loadTemplates();
    const store = await openStore("memory:");
    const engine = createEngine({ store, model: createOfflineProvider({ drafters: offlineDrafters(templates) }) });
    for (const t of templates) engine.register(t.workflow);
    const core = createChatCore({
      engine,
      templates,
      keyv: store.namespace("chat"),
      claims: store.claims,
      progressIntervalMs: 0,
      ...(options.extract ? { extract: options.extract } : {}),
    });
    const r = { store, engine, core, surface: new RecordingSurface() };
    open.push(r);
    return r;
  };
}
