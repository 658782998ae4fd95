// The engine's executions, sealed on the way to any ExecutionStore driver: what a teacher typed and what the
// model wrote (an execution's inputs and title, node outputs, questions, answers, errors and event facts) is
// kept encrypted under the teacher's data key, while what the drivers index and fence on (ids, user,
// template, status, times, versions, seqs) stays in the clear. Forget deletes the key, so every copy of a
// forgotten execution (dead rows, WAL, backups) is unreadable. Opening happens on every read.
import type { AttemptRecord, EngineEvent, ExecutionRecord, NodeState } from "../engine/records.ts";
import type { ExecutionStore, LoadedExecution, NewExecution, Transition } from "../engine/store/types.ts";
import { open, seal } from "./crypto.ts";
import type { DataKeys } from "./types.ts";

type Sealed = { $sealed: 1; d: string };
const TITLE = "$sealed:";

function isSealed(v: unknown): v is Sealed {
  return Boolean(v && typeof v === "object" && (v as Sealed).$sealed === 1 && typeof (v as Sealed).d === "string");
}

/** Seals and opens one teacher's values with their key (undefined key: forgotten, values read as absent). */
class Box {
  constructor(
    private readonly key: Buffer | undefined,
    private readonly userId: string,
  ) {}

  value(v: unknown): unknown {
    if (v === undefined || !this.key) return v;
    return { $sealed: 1, d: seal(this.key, JSON.stringify(v), this.userId) } satisfies Sealed;
  }

  text(t: string): string {
    return this.key ? TITLE + seal(this.key, t, this.userId) : t;
  }

  openValue(v: unknown): unknown {
    if (!isSealed(v)) return v;
    const plain = this.key ? open(this.key, v.d, this.userId) : undefined;
    return plain ? (JSON.parse(plain.toString("utf8")) as unknown) : undefined;
  }

  openText(t: string): string {
    if (!t.startsWith(TITLE)) return t;
    return (this.key ? open(this.key, t.slice(TITLE.length), this.userId)?.toString("utf8") : undefined) ?? "";
  }
}

const CACHE_LIMIT = 10_000;
/** Event facts that never hold a teacher's or a model's words. */
const CLEAR_FACTS: ReadonlySet<string> = new Set([
  "attempt",
  "durationMs",
  "delayMs",
  "usage",
  "chose",
  "fallbackFrom",
  "from",
  "to",
  "skipped",
  "by",
]);

export class SealedExecutionStore implements ExecutionStore {
  readonly driver: string;
  readonly location: string;
  /** Who each execution belongs to (fixed for its life), so a commit without a header knows whose key seals it. */
  private readonly owners = new Map<string, string>();

  constructor(
    private readonly inner: ExecutionStore,
    private readonly keys: DataKeys,
  ) {
    this.driver = inner.driver;
    this.location = inner.location;
  }

  private remember(id: string, userId: string): void {
    if (this.owners.size >= CACHE_LIMIT) this.owners.clear();
    this.owners.set(id, userId);
  }

  private async box(userId: string, create: boolean): Promise<Box> {
    return new Box(await this.keys.key(userId, create), userId);
  }

  private async ownerOf(executionId: string): Promise<string | undefined> {
    const known = this.owners.get(executionId);
    if (known !== undefined) return known;
    const header = await this.inner.getExecution(executionId);
    if (header) this.remember(executionId, header.userId);
    return header?.userId;
  }

  // ---- sealing and opening of each record kind ----------------------------------------------------

  private sealHeader(b: Box, h: ExecutionRecord): ExecutionRecord {
    return {
      ...h,
      title: b.text(h.title),
      inputs: b.value(h.inputs) as Record<string, unknown>,
      ...(h.error ? { error: b.value(h.error) as ExecutionRecord["error"] } : {}),
    };
  }

  private openHeader(b: Box, h: ExecutionRecord): ExecutionRecord {
    this.remember(h.id, h.userId);
    const error = b.openValue(h.error) as ExecutionRecord["error"];
    const { error: _e, ...rest } = h;
    return {
      ...rest,
      title: b.openText(h.title),
      inputs: (b.openValue(h.inputs) as Record<string, unknown> | undefined) ?? {},
      ...(error ? { error } : {}),
    };
  }

  private sealNode(b: Box, n: NodeState): NodeState {
    const out: NodeState = { ...n };
    if ("output" in n) out.output = b.value(n.output);
    if (n.error) out.error = b.value(n.error) as NodeState["error"];
    if (n.wait) out.wait = { ...n.wait, prompt: b.text(n.wait.prompt) };
    return out;
  }

  private openNode(b: Box, n: NodeState): NodeState {
    const out: NodeState = { ...n };
    if ("output" in n) out.output = b.openValue(n.output);
    if (n.error) out.error = b.openValue(n.error) as NodeState["error"];
    if (n.wait) out.wait = { ...n.wait, prompt: b.openText(n.wait.prompt) };
    return out;
  }

  private sealEvent(b: Box, e: EngineEvent): EngineEvent {
    // Facts that are only counts and names from the definition stay clear (a store may recognise the
    // event a node state implies); anything else (a question, an answer, an error's words) is sealed.
    if (!e.data || Object.keys(e.data).every((k) => CLEAR_FACTS.has(k))) return e;
    return { ...e, data: b.value(e.data) as Record<string, unknown> };
  }

  private openEvent(b: Box, e: EngineEvent): EngineEvent {
    return e.data ? { ...e, data: (b.openValue(e.data) as Record<string, unknown> | undefined) ?? {} } : e;
  }

  private sealAttempt(b: Box, a: AttemptRecord): AttemptRecord {
    return a.error ? { ...a, error: b.value(a.error) as AttemptRecord["error"] } : a;
  }

  private openAttempt(b: Box, a: AttemptRecord): AttemptRecord {
    return a.error ? { ...a, error: b.openValue(a.error) as AttemptRecord["error"] } : a;
  }

  private async sealNew(input: NewExecution): Promise<NewExecution> {
    const b = await this.box(input.header.userId, true);
    this.remember(input.header.id, input.header.userId);
    return {
      ...input,
      header: this.sealHeader(b, input.header),
      events: input.events.map((e) => this.sealEvent(b, e)),
      ...(input.nodes ? { nodes: input.nodes.map((n) => this.sealNode(b, n)) } : {}),
    };
  }

  // ---- owners ------------------------------------------------------------------------------------

  heartbeat(...args: Parameters<ExecutionStore["heartbeat"]>) {
    return this.inner.heartbeat(...args);
  }
  releaseOwner(owner: string) {
    return this.inner.releaseOwner(owner);
  }
  liveOwners() {
    return this.inner.liveOwners();
  }

  // ---- executions ----------------------------------------------------------------------------------

  async createExecution(input: NewExecution) {
    const result = await this.inner.createExecution(await this.sealNew(input));
    const b = await this.box(result.execution.userId, false);
    return { ...result, execution: this.openHeader(b, result.execution) };
  }

  async commit(t: Transition) {
    const userId = t.header?.userId ?? (await this.ownerOf(t.executionId));
    if (userId === undefined) return this.inner.commit(t);
    const b = await this.box(userId, true);
    const sealed: Transition = {
      ...t,
      events: t.events.map((e) => this.sealEvent(b, e)),
      ...(t.header ? { header: this.sealHeader(b, t.header) } : {}),
      ...(t.nodes ? { nodes: t.nodes.map((n) => this.sealNode(b, n)) } : {}),
      ...(t.attempts ? { attempts: t.attempts.map((a) => ({ nodeId: a.nodeId, attempt: this.sealAttempt(b, a.attempt) })) } : {}),
      ...(t.children ? { children: await Promise.all(t.children.map((c) => this.sealNew(c))) } : {}),
    };
    return this.inner.commit(sealed);
  }

  async loadExecution(executionId: string): Promise<LoadedExecution | undefined> {
    const loaded = await this.inner.loadExecution(executionId);
    if (!loaded) return undefined;
    const b = await this.box(loaded.header.userId, false);
    const nodes = new Map<string, NodeState>();
    for (const [id, n] of loaded.nodes) nodes.set(id, this.openNode(b, n));
    return { ...loaded, header: this.openHeader(b, loaded.header), nodes };
  }

  async deleteExecution(executionId: string) {
    const gone = await this.inner.deleteExecution(executionId);
    this.owners.delete(executionId);
    return gone;
  }

  // ---- reads ---------------------------------------------------------------------------------------

  private async openHeaders(headers: ExecutionRecord[]): Promise<ExecutionRecord[]> {
    const boxes = new Map<string, Box>();
    const out: ExecutionRecord[] = [];
    for (const h of headers) {
      let b = boxes.get(h.userId);
      if (!b) {
        b = await this.box(h.userId, false);
        boxes.set(h.userId, b);
      }
      out.push(this.openHeader(b, h));
    }
    return out;
  }

  async getExecution(executionId: string) {
    const h = await this.inner.getExecution(executionId);
    return h ? this.openHeader(await this.box(h.userId, false), h) : undefined;
  }

  async getExecutions(executionIds: string[]) {
    return this.openHeaders(await this.inner.getExecutions(executionIds));
  }

  async getNodes(executionId: string) {
    const nodes = await this.inner.getNodes(executionId);
    const userId = nodes.size > 0 ? await this.ownerOf(executionId) : undefined;
    if (userId === undefined) return nodes;
    const b = await this.box(userId, false);
    const out = new Map<string, NodeState>();
    for (const [id, n] of nodes) out.set(id, this.openNode(b, n));
    return out;
  }

  async getAttempts(executionId: string, nodeId: string) {
    const attempts = await this.inner.getAttempts(executionId, nodeId);
    const userId = attempts.length > 0 ? await this.ownerOf(executionId) : undefined;
    if (userId === undefined) return attempts;
    const b = await this.box(userId, false);
    return attempts.map((a) => this.openAttempt(b, a));
  }

  async getEvents(executionId: string, fromSeq?: number) {
    const events = await this.inner.getEvents(executionId, fromSeq);
    const userId = events.length > 0 ? await this.ownerOf(executionId) : undefined;
    if (userId === undefined) return events;
    const b = await this.box(userId, false);
    return events.map((e) => this.openEvent(b, e));
  }

  lastSeq(executionId: string) {
    return this.inner.lastSeq(executionId);
  }
  getDefinition(hash: string) {
    return this.inner.getDefinition(hash);
  }
  byIdempotencyKey(key: string) {
    return this.inner.byIdempotencyKey(key);
  }
  async listExecutions(query?: Parameters<ExecutionStore["listExecutions"]>[0]) {
    return this.openHeaders(await this.inner.listExecutions(query));
  }
  executionIdsOfUser(userId: string) {
    return this.inner.executionIdsOfUser(userId);
  }
  unfinished() {
    return this.inner.unfinished();
  }

  // ---- stats and housekeeping (no teacher content) --------------------------------------------------

  updateStats(...args: Parameters<ExecutionStore["updateStats"]>) {
    return this.inner.updateStats(...args);
  }
  getStats(templateId?: string) {
    return this.inner.getStats(templateId);
  }
  sweepExpired(now?: number) {
    return this.inner.sweepExpired(now);
  }
  compact() {
    return this.inner.compact();
  }
  ping() {
    return this.inner.ping();
  }
  close() {
    return this.inner.close();
  }
}
