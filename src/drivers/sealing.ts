// Sealing of other layers' records: each Keyv namespace of a store reads and writes through a view of the
// driver's adapter that seals a record belonging to a teacher with that teacher's data key, and opens it
// again on read. A record whose key was deleted (forget) reads as missing. The record's `expires` stays in
// the clear, so retention sweeps still find it.
import type { KeyvStoreAdapter } from "keyv";
import { open, seal } from "./crypto.ts";
import type { DataKeys } from "./types.ts";

/**
 * Key segments that name the teacher a record belongs to: an encoded id (`chat:user:<id>`, `roster:<id>`), or
 * the raw id that ends a profile's key (`chat:profile:<id>` and `chat:profile:<id>#memory`).
 */
const OWNER_SEGMENT = /(?:^|:)(?:user|form|last|roster):([^:#]+)|(?:^|:)profile:([^#]+)(?:#[a-z]+)?$/;

/**
 * The teacher a record belongs to: the `userId` it carries (threads, executions' chat records,
 * conversations, placeholder maps, saved documents), else the teacher its key names. Undefined: a record of
 * no one teacher (dedupe marks, outbox ids, the audit log), kept in the clear.
 */
export function recordOwner(key: string, value: unknown): string | undefined {
  if (value && typeof value === "object" && typeof (value as { userId?: unknown }).userId === "string")
    return (value as { userId: string }).userId;
  const m = OWNER_SEGMENT.exec(key);
  if (m?.[2]) return m[2];
  if (!m?.[1]) return undefined;
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return m[1];
  }
}

type Sealed = { $sealed: 1; u: string; d: string };
type Envelope = { value?: unknown; expires?: unknown };

function isSealed(value: unknown): value is Sealed {
  return Boolean(value && typeof value === "object" && (value as Sealed).$sealed === 1 && typeof (value as Sealed).d === "string");
}

function parse(text: unknown): Envelope | undefined {
  if (typeof text !== "string") return undefined;
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === "object" ? (v as Envelope) : undefined;
  } catch {
    return undefined;
  }
}

/** A view of `adapter` (its own object, as each namespace needs) that seals teachers' records with `keys`. */
export function sealingAdapter(adapter: KeyvStoreAdapter, keys: DataKeys): KeyvStoreAdapter {
  const view = Object.create(adapter) as KeyvStoreAdapter;
  const openText = async (text: unknown): Promise<unknown> => {
    const env = parse(text);
    if (!env || !isSealed(env.value)) return text;
    const key = await keys.key(env.value.u, false);
    const plain = key ? open(key, env.value.d, env.value.u) : undefined;
    // No key (forgotten) or not openable: the record is gone for every reader.
    if (!plain) return undefined;
    return JSON.stringify({ ...env, value: JSON.parse(plain.toString("utf8")) as unknown });
  };
  view.set = async (key: string, value: unknown, ttl?: number) => {
    const env = parse(value);
    const owner = env ? recordOwner(key, env.value) : undefined;
    if (!env || owner === undefined || env.value === undefined) return adapter.set.call(view, key, value, ttl);
    const dataKey = await keys.key(owner, true);
    const sealed: Sealed = { $sealed: 1, u: owner, d: seal(dataKey!, JSON.stringify(env.value), owner) };
    return adapter.set.call(view, key, JSON.stringify({ ...env, value: sealed }), ttl);
  };
  view.get = (async (key: string) => openText(await adapter.get.call(view, key))) as KeyvStoreAdapter["get"];
  const many = adapter.getMany;
  if (many)
    view.getMany = (async (keys: string[]) =>
      Promise.all(((await many.call(view, keys)) as unknown[]).map(openText))) as KeyvStoreAdapter["getMany"];
  return view;
}
