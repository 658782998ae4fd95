// Test doubles at the engine's edges: a scripted ModelProvider (our own interface, honouring the abort
// signal), a fake clock advanced by hand, and small wait helpers. Shared by the engine suites.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore, type Store } from "../../src/drivers/local/database.ts";
import type { EngineApi } from "../../src/engine/api.ts";
import { createEngine, type EngineOptions } from "../../src/engine/index.ts";
import type { EngineEvent } from "../../src/engine/records.ts";
import type { ModelProvider, ModelRequest, ModelResponse } from "../../src/model/types.ts";

export type ModelStep =
  | string
  | { text: string; usage?: { inputTokens: number; outputTokens: number } }
  | { error: Error }
  /** Never answers on its own; only the request's signal ends it. */
  | { hang: true }
  /** Answers once `release()` is called (or rejects when aborted first). */
  | { gate: Gate; text: string };

export type Gate = { promise: Promise<void>; release: () => void };
export function gate(): Gate {
  let release!: () => void;
  const promise = new Promise<void>((r) => {
    release = r;
  });
  return { promise, release };
}

function abortError(signal: AbortSignal): Error {
  const reason = signal.reason;
  return reason instanceof Error ? reason : new DOMException("The operation was aborted.", "AbortError");
}

/**
 * A ModelProvider whose answers are scripted per node id (a queue each); nodes without a script get
 * `fallback(request)`. Every request is recorded, and aborted requests are counted.
 */
export class ScriptedModel implements ModelProvider {
  readonly name: string;
  readonly requests: ModelRequest[] = [];
  readonly aborted: string[] = [];
  private readonly scripts = new Map<string, ModelStep[]>();
  fallback: (request: ModelRequest) => ModelStep = (request) => `answer for ${request.meta.nodeId}`;

  constructor(name = "scripted") {
    this.name = name;
  }

  script(nodeId: string, ...steps: ModelStep[]): this {
    this.scripts.set(nodeId, [...(this.scripts.get(nodeId) ?? []), ...steps]);
    return this;
  }

  callsFor(nodeId: string): ModelRequest[] {
    return this.requests.filter((r) => r.meta.nodeId === nodeId);
  }

  async complete(request: ModelRequest): Promise<ModelResponse> {
    this.requests.push(request);
    const queue = this.scripts.get(request.meta.nodeId);
    const step = queue && queue.length > 0 ? (queue.shift() as ModelStep) : this.fallback(request);
    const signal = request.signal;
    if (signal.aborted) throw abortError(signal);
    const respond = (text: string, usage = { inputTokens: 10, outputTokens: 5 }): ModelResponse => ({ text, usage, model: "scripted-1" });
    if (typeof step === "string") return respond(step);
    if ("error" in step) throw step.error;
    if ("text" in step && !("gate" in step)) return respond(step.text, step.usage);
    const waitFor = "gate" in step ? step.gate.promise : new Promise<void>(() => {});
    return await new Promise<ModelResponse>((resolve, reject) => {
      const onAbort = () => {
        this.aborted.push(request.meta.nodeId);
        reject(abortError(signal));
      };
      signal.addEventListener("abort", onAbort, { once: true });
      waitFor.then(() => {
        signal.removeEventListener("abort", onAbort);
        if (signal.aborted) return;
        resolve(respond("gate" in step ? step.text : ""));
      });
    });
  }
}

type Sleeper = { due: number; ms: number; resolve: () => void; reject: (e: unknown) => void; signal?: AbortSignal; onAbort?: () => void };

/** A clock that only moves when the test calls `advance`; `sleeps` records every requested delay. */
export class FakeClock {
  private t: number;
  private sleepers: Sleeper[] = [];
  readonly sleeps: number[] = [];

  constructor(start = Date.UTC(2025, 0, 6, 9, 0, 0)) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(abortError(signal));
        return;
      }
      const sleeper: Sleeper = { due: this.t + Math.max(0, ms), ms, resolve, reject, signal };
      if (signal) {
        sleeper.onAbort = () => {
          this.sleepers = this.sleepers.filter((s) => s !== sleeper);
          reject(abortError(signal));
        };
        signal.addEventListener("abort", sleeper.onAbort, { once: true });
      }
      this.sleepers.push(sleeper);
    });
  }

  /** Sleeps not yet finished. */
  get pending(): number {
    return this.sleepers.length;
  }

  /** Moves time forward, waking sleepers in due order and letting their continuations run in between. */
  async advance(ms: number): Promise<void> {
    const target = this.t + ms;
    for (;;) {
      await flush();
      const next = this.sleepers.filter((s) => s.due <= target).sort((a, b) => a.due - b.due)[0];
      if (!next) break;
      this.t = Math.max(this.t, next.due);
      this.sleepers = this.sleepers.filter((s) => s !== next);
      if (next.signal && next.onAbort) next.signal.removeEventListener("abort", next.onAbort);
      next.resolve();
    }
    this.t = target;
    await flush();
  }
}

/** Lets pending promise continuations and immediate callbacks (store I/O completions) run. */
export async function flush(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
}

/** Polls `check` until it returns a truthy value; fails with `what` after `limitMs` of real time. */
export async function until<T>(check: () => T | Promise<T>, what: string, limitMs = 10_000): Promise<NonNullable<T>> {
  const stop = Date.now() + limitMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > stop) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** A fresh temp directory removed by the returned cleanup. */
export function tempDir(prefix = "staffroom-engine-"): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export type EngineRig = { store: Store; engine: EngineApi; model: ScriptedModel; events: EngineEvent[]; close: () => Promise<void> };

/** A store (`memory:` unless a URL is given), a scripted model and an engine recording every event; `close` runs once. */
export async function startEngine(
  opts: { url?: string; retentionDays?: number; model?: ScriptedModel; engine?: Partial<Omit<EngineOptions, "store" | "model">> } = {},
): Promise<EngineRig> {
  const store = await openStore(opts.url ?? "memory:", opts.retentionDays === undefined ? {} : { retentionDays: opts.retentionDays });
  const model = opts.model ?? new ScriptedModel();
  const engine: EngineApi = createEngine({ ...opts.engine, store, model });
  const events: EngineEvent[] = [];
  engine.onEvent((e) => events.push(e));
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      await engine.close();
      await store.close();
    })();
    return closing;
  };
  return { store, engine, model, events, close };
}
