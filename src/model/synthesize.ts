// Builds a deterministic value that fits a JSON schema (as z.toJSONSchema writes it): the offline model's
// structured drafts and the fake OpenAI server's default answers. Pure: same schema and options, same value.

type Json = Record<string, unknown>;

export type SynthesisOptions = {
  /** What the draft is about (a topic, a subject); woven into every string. */
  subject: string;
  /** Put in front of every string (e.g. "[Offline draft] "), trimmed away when a maxLength leaves no room. */
  prefix?: string;
  /** Varies array lengths and numbers deterministically. */
  seed?: string;
};

type Ctx = { root: Json; subject: string; prefix: string; seed: number; refDepth: number };

/** Recursive schemas ($ref cycles) stop growing after this many nested references. */
const MAX_REF_DEPTH = 3;
const MAX_DEPTH = 12;

export function synthesizeFromJsonSchema(schema: unknown, options: SynthesisOptions): unknown {
  const root = isObject(schema) ? schema : {};
  const ctx: Ctx = {
    root,
    subject: options.subject.trim() || "the topic",
    prefix: options.prefix ?? "",
    seed: hashString(options.seed ?? options.subject),
    refDepth: 0,
  };
  return generate(root, "answer", 0, 0, ctx);
}

/** FNV-1a: a small stable hash for deterministic choices. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function generate(node: unknown, label: string, index: number, depth: number, ctx: Ctx): unknown {
  if (node === false) return null;
  if (!isObject(node)) return text(label, index, {}, ctx);
  if (depth > MAX_DEPTH) return minimal(node, ctx);

  if (typeof node.$ref === "string") {
    const target = resolveRef(node.$ref, ctx.root);
    if (ctx.refDepth >= MAX_REF_DEPTH) return minimal(target ?? {}, ctx);
    ctx.refDepth++;
    try {
      return generate(target ?? {}, label, index, depth + 1, ctx);
    } finally {
      ctx.refDepth--;
    }
  }
  if ("const" in node) return node.const;
  if (Array.isArray(node.enum) && node.enum.length > 0) return node.enum[0];
  if ("default" in node && node.default !== undefined) return node.default;
  if (Array.isArray(node.allOf) && node.allOf.length > 0) return generate(mergeAllOf(node), label, index, depth + 1, ctx);
  const options = (Array.isArray(node.anyOf) ? node.anyOf : Array.isArray(node.oneOf) ? node.oneOf : undefined) as unknown[] | undefined;
  if (options && options.length > 0) {
    // Prefer a real value over null; at the recursion limit prefer the simplest option.
    const nonNull = options.filter((o) => !(isObject(o) && o.type === "null"));
    const pick = ctx.refDepth >= MAX_REF_DEPTH ? (options.find((o) => isObject(o) && o.type === "null") ?? nonNull[0]) : nonNull[0];
    return generate(pick ?? options[0], label, index, depth + 1, ctx);
  }

  const type = pickType(node);
  switch (type) {
    case "object":
      return object(node, depth, ctx);
    case "array":
      return array(node, label, depth, ctx);
    case "string":
      return text(label, index, node, ctx);
    case "integer":
    case "number":
      return number(node, type === "integer", index, ctx);
    case "boolean":
      return index % 2 === 0;
    case "null":
      return null;
    default:
      return text(label, index, node, ctx);
  }
}

function pickType(node: Json): string | undefined {
  if (typeof node.type === "string") return node.type;
  if (Array.isArray(node.type)) return (node.type.find((t) => t !== "null") ?? node.type[0]) as string | undefined;
  if (isObject(node.properties) || node.additionalProperties !== undefined) return "object";
  if (node.items !== undefined || node.prefixItems !== undefined) return "array";
  return undefined;
}

function resolveRef(ref: string, root: Json): unknown {
  if (ref === "#") return root;
  if (!ref.startsWith("#/")) return undefined;
  let current: unknown = root;
  for (const raw of ref.slice(2).split("/")) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (!isObject(current)) return undefined;
    current = current[key];
  }
  return current;
}

function mergeAllOf(node: Json): Json {
  const merged: Json = { ...node };
  delete merged.allOf;
  const properties: Json = isObject(node.properties) ? { ...node.properties } : {};
  const required = new Set<string>(Array.isArray(node.required) ? (node.required as string[]) : []);
  for (const part of node.allOf as unknown[]) {
    if (!isObject(part)) continue;
    for (const [k, v] of Object.entries(part)) {
      if (k === "properties" && isObject(v)) Object.assign(properties, v);
      else if (k === "required" && Array.isArray(v)) for (const r of v) required.add(String(r));
      else if (!(k in merged)) merged[k] = v;
    }
  }
  if (Object.keys(properties).length > 0) merged.properties = properties;
  if (required.size > 0) merged.required = [...required];
  return merged;
}

/** The smallest value of a schema: used to end recursion. */
function minimal(node: unknown, ctx: Ctx): unknown {
  if (!isObject(node)) return null;
  if ("const" in node) return node.const;
  if (Array.isArray(node.enum) && node.enum.length > 0) return node.enum[0];
  const options = (node.anyOf ?? node.oneOf) as unknown[] | undefined;
  if (Array.isArray(options)) {
    const nullable = options.find((o) => isObject(o) && o.type === "null");
    return nullable ? null : minimal(options[0], ctx);
  }
  switch (pickType(node)) {
    case "array":
      return [];
    case "object": {
      const out: Json = {};
      const props = isObject(node.properties) ? node.properties : {};
      for (const key of Array.isArray(node.required) ? (node.required as string[]) : []) out[key] = minimal(props[key], ctx);
      return out;
    }
    case "string":
      return text("item", 0, node, ctx);
    case "integer":
    case "number":
      return number(node, pickType(node) === "integer", 0, ctx);
    case "boolean":
      return false;
    default:
      return null;
  }
}

function object(node: Json, depth: number, ctx: Ctx): Json {
  const out: Json = {};
  const props = isObject(node.properties) ? node.properties : {};
  const required = new Set(Array.isArray(node.required) ? (node.required as string[]) : []);
  for (const [key, schema] of Object.entries(props)) {
    // Optional fields are filled too (a fuller draft), except deep inside recursive structures.
    if (!required.has(key) && ctx.refDepth >= MAX_REF_DEPTH) continue;
    out[key] = generate(schema, key, 0, depth + 1, ctx);
  }
  if (Object.keys(props).length === 0 && isObject(node.additionalProperties)) {
    // A record: a couple of entries, keyed by the allowed names when the keys are an enum.
    const names =
      isObject(node.propertyNames) && Array.isArray(node.propertyNames.enum) ? (node.propertyNames.enum as string[]) : undefined;
    const min = typeof node.minProperties === "number" ? node.minProperties : 0;
    const keys = names ?? Array.from({ length: Math.max(2, min) }, (_, i) => `${slug(ctx.subject)}-${i + 1}`);
    keys.forEach((key, i) => {
      out[key] = generate(node.additionalProperties, key, i, depth + 1, ctx);
    });
  }
  return out;
}

function array(node: Json, label: string, depth: number, ctx: Ctx): unknown[] {
  const prefix = Array.isArray(node.prefixItems) ? (node.prefixItems as unknown[]) : [];
  const min = typeof node.minItems === "number" ? node.minItems : 0;
  const max = typeof node.maxItems === "number" ? node.maxItems : Number.POSITIVE_INFINITY;
  const wanted = ctx.refDepth >= MAX_REF_DEPTH ? min : 2 + ((ctx.seed + hashString(label)) % 2);
  const count = Math.max(prefix.length, Math.min(max, Math.max(min, wanted)));
  const itemLabel = singular(label);
  const out: unknown[] = [];
  for (let i = 0; i < count; i++) {
    const schema = i < prefix.length ? prefix[i] : node.items === false ? undefined : node.items;
    if (schema === undefined && i >= prefix.length) break;
    out.push(generate(schema, itemLabel, i, depth + 1, ctx));
  }
  return out;
}

function number(node: Json, integer: boolean, index: number, ctx: Ctx): number {
  let lo = typeof node.minimum === "number" ? node.minimum : undefined;
  let hi = typeof node.maximum === "number" ? node.maximum : undefined;
  let loOpen = false;
  let hiOpen = false;
  if (typeof node.exclusiveMinimum === "number" && (lo === undefined || node.exclusiveMinimum >= lo)) {
    lo = node.exclusiveMinimum;
    loOpen = true;
  }
  if (typeof node.exclusiveMaximum === "number" && (hi === undefined || node.exclusiveMaximum <= hi)) {
    hi = node.exclusiveMaximum;
    hiOpen = true;
  }
  if (integer) {
    // Integers: turn open bounds into the nearest closed ones.
    if (lo !== undefined) lo = loOpen ? Math.floor(lo) + 1 : Math.ceil(lo);
    if (hi !== undefined) hi = hiOpen ? Math.ceil(hi) - 1 : Math.floor(hi);
    loOpen = false;
    hiOpen = false;
  }
  const offset = index + (ctx.seed % 3);
  let value: number;
  if (lo !== undefined && hi !== undefined) {
    if (hi <= lo) return lo;
    const span = hi - lo;
    // Fractions strictly inside (0, 1) keep open bounds satisfied.
    value = integer ? lo + (offset % (span + 1)) : lo + (span * ((offset % 4) + 1)) / 5;
  } else if (lo !== undefined) value = lo + offset + (loOpen ? 1 : 0);
  else if (hi !== undefined) value = hi - offset - (hiOpen ? 1 : 0);
  else value = 1 + offset;
  if (typeof node.multipleOf === "number" && node.multipleOf > 0) {
    const m = node.multipleOf;
    let v = Math.ceil(value / m) * m;
    if (hi !== undefined && (v > hi || (hiOpen && v >= hi))) v = Math.floor(value / m) * m;
    value = Number(v.toFixed(10));
  }
  return integer ? Math.round(value) : value;
}

function text(label: string, index: number, node: Json, ctx: Ctx): string {
  const format = typeof node.format === "string" ? node.format : undefined;
  const formatted = format ? formatValue(format, index, ctx) : undefined;
  if (formatted !== undefined) return formatted;
  const pattern = typeof node.pattern === "string" ? node.pattern : undefined;
  if (pattern) {
    const fromPattern = sampleFromPattern(pattern);
    if (fromPattern !== undefined) return fromPattern;
  }
  const min = typeof node.minLength === "number" ? node.minLength : 0;
  const max = typeof node.maxLength === "number" ? node.maxLength : Number.POSITIVE_INFINITY;
  const body = `${humanize(label)}${index > 0 ? ` ${index + 1}` : ""} on ${ctx.subject}`;
  let value = ctx.prefix.length + body.length <= max ? ctx.prefix + body : body;
  while (value.length < min) value += ` ${ctx.subject}`;
  if (value.length > max)
    value = value
      .slice(0, max)
      .trimEnd()
      .padEnd(Math.min(max, Math.max(min, 1)), ".");
  return value;
}

function formatValue(format: string, index: number, ctx: Ctx): string | undefined {
  const n = index + 1;
  switch (format) {
    case "email":
      return `teacher${n}@example.org`;
    case "uri":
    case "url":
      return `https://example.org/${slug(ctx.subject)}/${n}`;
    case "uuid": {
      const hex = (ctx.seed + index).toString(16).padStart(8, "0").slice(-8);
      return `${hex}-0000-4000-8000-${hex.padStart(12, "0")}`;
    }
    case "date-time":
      return `2025-09-0${Math.min(n, 9)}T09:00:00Z`;
    case "date":
      return `2025-09-0${Math.min(n, 9)}`;
    case "time":
      return "09:00:00";
    case "duration":
      return "PT45M";
    default:
      return undefined;
  }
}

function humanize(label: string): string {
  const words = label
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/[_-]+/g, " ")
    .trim()
    .toLowerCase();
  return words ? words.charAt(0).toUpperCase() + words.slice(1) : "Item";
}

function singular(label: string): string {
  if (/ies$/.test(label)) return label.replace(/ies$/, "y");
  if (/ss$/.test(label)) return label;
  return label.replace(/s$/, "");
}

function slug(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-|-$/g, "")
      .slice(0, 40) || "draft"
  );
}

/**
 * A string matching a simple regular expression (literals, classes, groups, alternation, quantifiers),
 * checked against the pattern itself; undefined when the pattern is beyond this small sampler.
 */
export function sampleFromPattern(pattern: string): string | undefined {
  let out: string;
  try {
    out = new PatternSampler(pattern).sample();
  } catch {
    return undefined;
  }
  try {
    return new RegExp(pattern, "u").test(out) ? out : undefined;
  } catch {
    return new RegExp(pattern).test(out) ? out : undefined;
  }
}

class PatternSampler {
  private pos = 0;
  constructor(private readonly src: string) {}

  sample(): string {
    const out = this.alternation();
    if (this.pos < this.src.length) throw new Error("unbalanced pattern");
    return out;
  }

  private alternation(): string {
    const first = this.sequence();
    while (this.src[this.pos] === "|") {
      this.pos++;
      this.sequence();
    }
    return first;
  }

  private sequence(): string {
    let out = "";
    while (this.pos < this.src.length && this.src[this.pos] !== "|" && this.src[this.pos] !== ")") {
      const atom = this.atom();
      const [min] = this.quantifier();
      out += atom.repeat(min);
    }
    return out;
  }

  private atom(): string {
    const c = this.src[this.pos++]!;
    switch (c) {
      case "^":
      case "$":
        return "";
      case ".":
        return "a";
      case "(": {
        if (this.src[this.pos] === "?") {
          if (this.src[this.pos + 1] !== ":") throw new Error("lookaround not supported");
          this.pos += 2;
        }
        const inner = this.alternation();
        if (this.src[this.pos++] !== ")") throw new Error("unclosed group");
        return inner;
      }
      case "[":
        return this.charClass();
      case "\\":
        return this.escape();
      default:
        return c;
    }
  }

  private escape(): string {
    const c = this.src[this.pos++];
    switch (c) {
      case "d":
        return "1";
      case "w":
        return "a";
      case "s":
        return " ";
      case "b":
      case "B":
        return "";
      case "D":
      case "W":
      case "S":
        return "-";
      case undefined:
        throw new Error("dangling escape");
      default:
        return c;
    }
  }

  private charClass(): string {
    const negated = this.src[this.pos] === "^";
    if (negated) this.pos++;
    let first: string | undefined;
    while (this.pos < this.src.length && this.src[this.pos] !== "]") {
      let c = this.src[this.pos++]!;
      if (c === "\\") c = this.escape();
      if (this.src[this.pos] === "-" && this.src[this.pos + 1] !== "]") this.pos += 2;
      first ??= c;
    }
    if (this.src[this.pos++] !== "]") throw new Error("unclosed class");
    if (negated) return first === "x" ? "y" : "x";
    if (first === undefined) throw new Error("empty class");
    return first;
  }

  private quantifier(): [number, number] {
    const c = this.src[this.pos];
    let range: [number, number] = [1, 1];
    if (c === "?") range = [0, 1];
    else if (c === "*") range = [0, Number.POSITIVE_INFINITY];
    else if (c === "+") range = [1, Number.POSITIVE_INFINITY];
    else if (c === "{") {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.pos));
      if (!m) return range;
      this.pos += m[0].length - 1;
      const lo = Number(m[1]);
      range = [lo, m[2] ? (m[3] ? Number(m[3]) : Number.POSITIVE_INFINITY) : lo];
    } else return range;
    this.pos++;
    if (this.src[this.pos] === "?") this.pos++;
    // One repetition for open-ended quantifiers reads better than none and still fits.
    return [Math.max(range[0], Math.min(1, range[1])), range[1]];
  }
}
