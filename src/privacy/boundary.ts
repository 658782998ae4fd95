// The model boundary: every request to a remote model passes through here, whatever template, admin template,
// revision or field extraction made it. Input values are fenced as data, then names, e-mails, phone numbers
// and ids become the execution's placeholders; the answer comes back with them restored, before the engine
// stores or shows it. The map is saved before the call, so a restart restores what a model wrote earlier.
import type { SharedStore } from "../drivers/types.ts";
import type { Logger } from "../log.ts";
import { silentLogger } from "../log.ts";
import type { ChatMessage, ModelProvider, ModelRequest, ModelResponse } from "../model/types.ts";
import { KeyedMutex } from "../util/mutex.ts";
import { boundaryNote, fenceMarker, fencePrompt } from "./fence.ts";
import { loadNameModel } from "./people.ts";
import { PlaceholderMap } from "./placeholders.ts";
import { type RosterName, redactText, rosterNames, seedNameFields } from "./redact.ts";
import { PrivacyStore, SCHOOL_ROSTER } from "./store.ts";

export type BoundaryOptions = {
  /** Where placeholder maps and imported rosters live; without it maps are kept in memory only. */
  store?: PrivacyStore;
  /** The teacher and inputs of an execution: name fields are registered first, and the teacher's roster used. */
  execution?: (executionId: string) => Promise<{ userId: string; inputs: Record<string, unknown> } | undefined>;
  /** School-wide roster names (from STAFFROOM_ROSTERS_DIR). */
  roster?: readonly string[];
  /** The templates' own prompt wording (see vocabularyOf): capitalised or unusual words there are not names. */
  vocabulary?: ReadonlySet<string>;
  logger?: Logger;
};

/** Requests that belong to no execution (field extraction) get a map of their own, used once. */
export const EPHEMERAL_EXECUTION = "conversation";

type Session = { map: PlaceholderMap; userId: string; inputs: Record<string, unknown> };

const CACHE_LIMIT = 512;

/** Wraps a provider so nothing leaves it unredacted. The offline model sends nothing anywhere and is returned as is. */
export function withRedaction(inner: ModelProvider, options: BoundaryOptions = {}): ModelProvider {
  if (inner.name === "offline") return inner;
  const logger = options.logger ?? silentLogger;
  const sessions = new Map<string, Session>();
  const locks = new KeyedMutex();
  const schoolRoster = rosterNames(options.roster ?? []);
  // Warm the detector while the process starts, rather than on the first teacher's request.
  void loadNameModel().catch(() => undefined);

  async function session(executionId: string): Promise<Session> {
    const cached = sessions.get(executionId);
    if (cached) return cached;
    const stored = await options.store?.getMap(executionId);
    const execution = await options.execution?.(executionId);
    const s: Session = {
      map: new PlaceholderMap(stored?.entries ?? []),
      userId: stored?.userId ?? execution?.userId ?? "unknown",
      inputs: execution?.inputs ?? {},
    };
    seedNameFields(s.inputs, s.map);
    sessions.set(executionId, s);
    if (sessions.size > CACHE_LIMIT) sessions.delete(sessions.keys().next().value as string);
    return s;
  }

  async function roster(userId: string): Promise<RosterName[]> {
    if (!options.store) return schoolRoster;
    const [mine, school] = await Promise.all([options.store.getRoster(userId), options.store.getRoster(SCHOOL_ROSTER)]);
    return [...schoolRoster, ...rosterNames([...(mine?.names ?? []), ...(school?.names ?? [])])];
  }

  /** Fences and redacts the messages under the execution's lock, so parallel steps share one numbering. */
  async function prepare(request: ModelRequest): Promise<{ map: PlaceholderMap; messages: ChatMessage[] }> {
    const id = request.meta.executionId;
    const ephemeral = id === EPHEMERAL_EXECUTION;
    await loadNameModel();
    const run = async () => {
      const s: Session = ephemeral ? { map: new PlaceholderMap(), userId: "unknown", inputs: {} } : await session(id);
      seedNameFields(request.meta.vars, s.map);
      const names = await roster(s.userId);
      // A marker of this request only: pasted text cannot close a fence it cannot guess.
      const marker = fenceMarker();
      const messages = request.messages.map((m) => ({
        ...m,
        content: redactText(
          m.role === "user" ? fencePrompt(m.content, request.meta.vars, marker) : m.content,
          s.map,
          names,
          options.vocabulary,
        ),
      }));
      const note = boundaryNote(marker);
      const first = messages.findIndex((m) => m.role === "system");
      if (first >= 0) messages[first] = { ...messages[first]!, content: `${messages[first]!.content}\n\n${note}` };
      else messages.unshift({ role: "system", content: note });
      if (!ephemeral && s.map.changed && options.store) {
        await options.store.putMap({ executionId: id, userId: s.userId, entries: [...s.map.entries], updatedAt: Date.now() });
        s.map.saved();
      }
      return { map: s.map, messages };
    };
    return ephemeral ? run() : locks.run(id, run);
  }

  return {
    name: inner.name,
    async complete(request: ModelRequest): Promise<ModelResponse> {
      const { map, messages } = await prepare(request);
      logger.debug(
        { executionId: request.meta.executionId, nodeId: request.meta.nodeId, placeholders: map.entries.length },
        "model request redacted",
      );
      const onDelta = request.onDelta ? restoringDeltas(map, request.onDelta) : undefined;
      const response = await inner.complete({ ...request, messages, ...(onDelta ? { onDelta } : {}) });
      return { ...response, text: map.restore(response.text, { json: request.schema !== undefined }) };
    },
  };
}

/** Streams restored text, holding back a trailing "[STUD" until its placeholder is complete. */
function restoringDeltas(map: PlaceholderMap, onDelta: (delta: string) => void): (delta: string) => void {
  let pending = "";
  return (delta) => {
    pending += delta;
    const open = pending.lastIndexOf("[");
    const hold = open >= 0 && !pending.slice(open).includes("]") && pending.length - open < 24 ? open : pending.length;
    const ready = pending.slice(0, hold);
    pending = pending.slice(hold);
    if (ready) onDelta(map.restore(ready));
  };
}

/** The boundary over an engine store: maps and rosters in its "privacy" namespace, teachers and inputs from its executions. */
export function storeBoundary(
  inner: ModelProvider,
  store: Pick<SharedStore, "namespace" | "executions">,
  options: { roster?: readonly string[]; vocabulary?: ReadonlySet<string>; logger?: Logger; privacy?: PrivacyStore } = {},
): ModelProvider {
  return withRedaction(inner, {
    store: options.privacy ?? new PrivacyStore(store.namespace("privacy")),
    execution: async (id) => {
      const rec = await store.executions.getExecution(id);
      return rec ? { userId: rec.userId, inputs: rec.inputs } : undefined;
    },
    ...(options.roster ? { roster: options.roster } : {}),
    ...(options.vocabulary ? { vocabulary: options.vocabulary } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  });
}
