// Console input lines into ChatCore calls: "/command text" is a command, anything else is a reply in
// the current thread (a typed number or label clicks one of the thread's current buttons).

export type ConsoleLine =
  | { kind: "command"; name: string; text: string }
  | { kind: "reply"; text: string }
  | { kind: "thread"; n: number }
  | { kind: "quit" }
  | { kind: "empty" };

/** Longest line read; the rest is dropped (the core caps again, with a notice). */
export const MAX_LINE_CHARS = 20_000;

const STAFFROOM_SUBS = new Set(["help", "status", "history", "stats", "profile", "forget"]);

export function parseLine(raw: string): ConsoleLine {
  const line = raw.slice(0, MAX_LINE_CHARS).trim();
  if (line === "") return { kind: "empty" };
  if (!line.startsWith("/")) return { kind: "reply", text: line };
  const match = /^\/([^\s]*)\s*([\s\S]*)$/.exec(line);
  const name = (match?.[1] ?? "").toLowerCase();
  const text = (match?.[2] ?? "").trim();
  if (name === "quit" || name === "exit") return { kind: "quit" };
  if (name === "thread" && /^\d+$/.test(text)) return { kind: "thread", n: Number(text) };
  if (STAFFROOM_SUBS.has(name)) return { kind: "command", name: "staffroom", text: `${name} ${text}`.trim() };
  // "/cancel" alone stops what runs in the current thread; "/cancel <id>" names a request.
  if (name === "cancel")
    return text === "" ? { kind: "reply", text: "cancel" } : { kind: "command", name: "staffroom", text: `cancel ${text}` };
  if (name === "") return { kind: "reply", text: line };
  return { kind: "command", name, text };
}
