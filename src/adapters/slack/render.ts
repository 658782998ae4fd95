// Pure rendering between the chat core's Markdown messages and Slack: Markdown → mrkdwn, Block Kit payloads
// that respect Slack's limits (split at headings, then paragraphs), button/select encoding and decoding.
import { type ChoiceAction, FORM_OPEN_ACTION, type OutDocument, type OutMessage } from "../../chat/contract.ts";
import { LIMITS, MAX_BUTTON_CHOICES } from "./limits.ts";

/** A Block Kit block, as plain data (Slack validates the shape; render.ts keeps within its limits). */
export type KnownBlock = { type: string; [key: string]: unknown };

/** One Slack message body: blocks plus the plain `text` Slack uses for notifications and screen readers. */
export type SlackPayload = { text: string; blocks: KnownBlock[] };

/** Blocks kept free in every message so actions (buttons, a select, a note) always fit. */
const RESERVED_BLOCKS = 3;
const ACTION_PREFIX = "sr:";
const SELECT_ACTION_ID = "sr:select";

// ---------------------------------------------------------------------------------------------------------
// Markdown → mrkdwn

/** Slack requires &, < and > escaped in any text it parses (https://api.slack.com/reference/surfaces/formatting). */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

const FENCE = /^\s*```/;

function inlineToMrkdwn(text: string): string {
  // Inline code is kept verbatim (escaped only); everything between code spans gets the inline rules.
  return text
    .split(/(`[^`\n]+`)/)
    .map((part, i) => (i % 2 === 1 ? escapeMrkdwn(part) : convertInline(part)))
    .join("");
}

function convertInline(text: string): string {
  let out = escapeMrkdwn(text);
  out = out.replace(/\[([^\]\n]+)\]\((https?:\/\/[^)\s]+)\)/g, (_m, label: string, url: string) => `<${url}|${label.replace(/\|/g, "/")}>`);
  // Bold first into a placeholder so the single-star italic rule does not see it.
  out = out.replace(/\*\*(?!\s)([^*\n]+?)\*\*/g, "\uE000$1\uE000").replace(/__(?!\s)([^_\n]+?)__/g, "\uE000$1\uE000");
  out = out.replace(/(^|[^\w*])\*(?!\s)([^*\n]+?)\*(?![\w*])/g, "$1_$2_");
  out = out.replace(/~~(?!\s)([^~\n]+?)~~/g, "~$1~");
  return out.replace(/\uE000/g, "*");
}

/** Strips Markdown emphasis so a heading can be shown as plain text (header blocks) or wrapped in bold. */
function plainInline(text: string): string {
  return text
    .replace(/\[([^\]\n]+)\]\((https?:\/\/[^)\s]+)\)/g, "$1")
    .replace(/(\*\*|__|\*|_|~~|`)/g, "")
    .trim();
}

/** Converts one Markdown document to Slack mrkdwn (headings bold, bullets, links, emphasis; code untouched). */
export function markdownToMrkdwn(markdown: string): string {
  const out: string[] = [];
  let inFence = false;
  for (const line of markdown.replace(/\r\n?/g, "\n").split("\n")) {
    if (FENCE.test(line)) {
      inFence = !inFence;
      // Slack ignores a language tag after the fence and shows it as code text; drop it.
      out.push("```");
      continue;
    }
    if (inFence) {
      out.push(escapeMrkdwn(line));
      continue;
    }
    const heading = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      const title = plainInline(heading[1] ?? "");
      out.push(title ? `*${escapeMrkdwn(title)}*` : "");
      continue;
    }
    if (/^\s{0,3}([-*_])(\s*\1){2,}\s*$/.test(line)) {
      out.push("──────────");
      continue;
    }
    const quote = /^\s{0,3}>\s?(.*)$/.exec(line);
    if (quote) {
      out.push(`> ${inlineToMrkdwn(quote[1] ?? "")}`);
      continue;
    }
    const bullet = /^(\s*)[-*+]\s+(.*)$/.exec(line);
    if (bullet) {
      const depth = Math.floor((bullet[1] ?? "").replace(/\t/g, "  ").length / 2);
      const task = /^\[( |x|X)\]\s+(.*)$/.exec(bullet[2] ?? "");
      const mark = task ? (task[1] === " " ? "☐" : "☑") : depth === 0 ? "•" : "◦";
      out.push(`${"    ".repeat(depth)}${mark} ${inlineToMrkdwn(task ? (task[2] ?? "") : (bullet[2] ?? ""))}`);
      continue;
    }
    out.push(inlineToMrkdwn(line));
  }
  if (inFence) out.push("```");
  return out
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}

/** Slack message text → what the teacher typed: entities unescaped, mentions and links made readable. */
export function slackTextToPlain(text: string): string {
  return text
    .replace(/<([@#!])([^>|]+)(?:\|([^>]*))?>/g, (_m, sigil: string, id: string, label?: string) =>
      sigil === "!" ? `@${label ?? id}` : `${sigil}${label ?? id}`,
    )
    .replace(/<([^>|]+)\|([^>]*)>/g, "$2")
    .replace(/<([^>]+)>/g, "$1")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&")
    .trim();
}

// ---------------------------------------------------------------------------------------------------------
// Splitting text within limits

type Paragraph = { text: string; fenced: boolean };

function paragraphs(mrkdwn: string): Paragraph[] {
  const out: Paragraph[] = [];
  let current: string[] = [];
  let inFence = false;
  const flush = (fenced: boolean) => {
    if (current.length > 0 && current.some((l) => l.trim() !== "")) out.push({ text: current.join("\n"), fenced });
    current = [];
  };
  for (const line of mrkdwn.split("\n")) {
    if (line.trim() === "```") {
      if (!inFence) {
        flush(false);
        current.push(line);
        inFence = true;
      } else {
        current.push(line);
        inFence = false;
        flush(true);
      }
      continue;
    }
    if (!inFence && line.trim() === "") {
      flush(false);
      continue;
    }
    current.push(line);
  }
  if (inFence) current.push("```");
  flush(inFence);
  return out;
}

/** Cuts a string at most `max` long, preferring a space, never inside an &entity;. */
function cutPoint(text: string, max: number): number {
  if (text.length <= max) return text.length;
  let cut = text.lastIndexOf(" ", max);
  if (cut < max * 0.5) cut = max;
  const amp = text.lastIndexOf("&", cut - 1);
  if (amp >= 0 && cut - amp < 6 && !text.slice(amp, cut).includes(";")) cut = amp;
  // Do not split a surrogate pair.
  const code = text.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
  return Math.max(1, cut);
}

function splitLines(lines: string[], max: number): string[] {
  const out: string[] = [];
  let cur = "";
  const push = (line: string) => {
    if (cur === "") cur = line;
    else if (cur.length + 1 + line.length <= max) cur += `\n${line}`;
    else {
      out.push(cur);
      cur = line;
    }
  };
  for (let line of lines) {
    while (line.length > max) {
      const cut = cutPoint(line, max);
      push(line.slice(0, cut));
      line = line.slice(cut).replace(/^ /, "");
    }
    push(line);
  }
  if (cur !== "") out.push(cur);
  return out;
}

function splitParagraph(p: Paragraph, max: number): string[] {
  if (p.text.length <= max) return [p.text];
  if (!p.fenced) return splitLines(p.text.split("\n"), max);
  const inner = p.text.split("\n").slice(1, -1);
  return splitLines(inner, max - 8).map((piece) => `\`\`\`\n${piece}\n\`\`\``);
}

/** Splits mrkdwn into pieces of at most `max` characters at paragraph, then line, then word boundaries. */
export function chunkMrkdwn(mrkdwn: string, max: number = LIMITS.sectionText): string[] {
  const out: string[] = [];
  let cur = "";
  for (const p of paragraphs(mrkdwn)) {
    for (const piece of splitParagraph(p, max)) {
      if (cur !== "" && cur.length + 2 + piece.length > max) {
        out.push(cur);
        cur = piece;
      } else cur = cur === "" ? piece : `${cur}\n\n${piece}`;
    }
  }
  if (cur !== "") out.push(cur);
  return out;
}

function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, cutPoint(text, max - 1))}…`;
}

// ---------------------------------------------------------------------------------------------------------
// Actions: buttons / select, encoded so a click maps back to the core's (id, value)

function button(action: ChoiceAction, index: number): Record<string, unknown> {
  const el: Record<string, unknown> = {
    type: "button",
    action_id: `${ACTION_PREFIX}${index}:${action.id}`.slice(0, LIMITS.actionId),
    text: { type: "plain_text", text: truncate(action.label || action.value || "…", LIMITS.buttonText), emoji: true },
  };
  if (action.value !== "") el.value = action.value.slice(0, LIMITS.buttonValue);
  if (action.style) el.style = action.style;
  return el;
}

const encodeOption = (a: ChoiceAction) => JSON.stringify([a.id, a.value]);

/** Actions blocks for the core's choices: buttons, or a select when there are many (danger buttons stay buttons). */
export function renderActions(actions: readonly ChoiceAction[]): KnownBlock[] {
  if (actions.length === 0) return [];
  // Danger buttons (Cancel) and "Fill in a form" are not choices: they stay buttons beside a select.
  const apart = (a: ChoiceAction) => a.style === "danger" || a.id === FORM_OPEN_ACTION;
  const choices = actions.filter((a) => !apart(a));
  const danger = actions.filter(apart);
  const asSelect =
    choices.length > MAX_BUTTON_CHOICES &&
    choices.length <= LIMITS.selectOptions &&
    choices.every((c) => encodeOption(c).length <= LIMITS.optionValue);
  if (asSelect) {
    const select = {
      type: "static_select",
      action_id: SELECT_ACTION_ID,
      placeholder: { type: "plain_text", text: "Choose…", emoji: true },
      options: choices.map((c) => ({
        text: { type: "plain_text", text: truncate(c.label || c.value, LIMITS.buttonText), emoji: true },
        value: encodeOption(c),
      })),
    };
    const rest = danger.slice(0, LIMITS.actionsPerBlock - 1).map((a) => button(a, actions.indexOf(a)));
    return [{ type: "actions", elements: [select, ...rest] } as KnownBlock];
  }
  const buttons = actions.map((a, i) => button(a, i));
  const blocks: KnownBlock[] = [];
  for (let i = 0; i < buttons.length; i += LIMITS.actionsPerBlock) {
    blocks.push({ type: "actions", elements: buttons.slice(i, i + LIMITS.actionsPerBlock) } as KnownBlock);
  }
  return blocks;
}

/** The element of a block_actions payload, as much of it as decoding needs. */
export type SlackActionElement = {
  action_id: string;
  type?: string;
  value?: string;
  selected_option?: { value?: string } | null;
};

/** Maps a clicked element back to the core's action id and value; undefined for elements that are not ours. */
export function decodeAction(el: SlackActionElement): { id: string; value: string } | undefined {
  if (!el.action_id.startsWith(ACTION_PREFIX)) return undefined;
  if (el.action_id === SELECT_ACTION_ID) {
    try {
      const parsed: unknown = JSON.parse(el.selected_option?.value ?? "");
      if (Array.isArray(parsed) && typeof parsed[0] === "string" && typeof parsed[1] === "string")
        return { id: parsed[0], value: parsed[1] };
    } catch {
      // Fall through: not an option we encoded.
    }
    return undefined;
  }
  const m = /^sr:\d+:([\s\S]+)$/.exec(el.action_id);
  if (!m?.[1]) return undefined;
  return { id: m[1], value: el.value ?? "" };
}

// ---------------------------------------------------------------------------------------------------------
// Messages and documents

const section = (text: string): KnownBlock => ({ type: "section", text: { type: "mrkdwn", text } });
const header = (text: string): KnownBlock => ({
  type: "header",
  text: { type: "plain_text", text: truncate(text, LIMITS.headerText), emoji: true },
});

function blockChars(block: KnownBlock): number {
  const b = block as { text?: { text?: string } };
  return b.text?.text?.length ?? 0;
}

/** Packs units of blocks into messages within the block and character limits, a unit split only if it alone overflows. */
function pack(units: KnownBlock[][]): KnownBlock[][] {
  const maxBlocks = LIMITS.blocksPerMessage - RESERVED_BLOCKS;
  const messages: KnownBlock[][] = [];
  let cur: KnownBlock[] = [];
  let chars = 0;
  const flush = () => {
    if (cur.length > 0) messages.push(cur);
    cur = [];
    chars = 0;
  };
  for (const unit of units) {
    const unitChars = unit.reduce((n, b) => n + blockChars(b), 0);
    if (cur.length > 0 && (cur.length + unit.length > maxBlocks || chars + unitChars > LIMITS.messageText)) flush();
    for (const block of unit) {
      const c = blockChars(block);
      if (cur.length > 0 && (cur.length + 1 > maxBlocks || chars + c > LIMITS.messageText)) flush();
      cur.push(block);
      chars += c;
    }
  }
  flush();
  return messages;
}

const ROLE_PREFIX: Partial<Record<NonNullable<OutMessage["role"]>, string>> = {
  error: ":warning: ",
  notice: ":information_source: ",
};

/** Renders a message as one or more payloads (long results spill into more); actions go on the last. */
export function renderMessage(message: OutMessage): SlackPayload[] {
  const mrkdwn = `${ROLE_PREFIX[message.role ?? "result"] ?? ""}${markdownToMrkdwn(message.text)}`;
  const chunks = chunkMrkdwn(mrkdwn);
  const units = (chunks.length > 0 ? chunks : [" "]).map((c) => [section(c)]);
  const messages = pack(units);
  const actions = renderActions(message.actions ?? []);
  const last = messages[messages.length - 1];
  if (last) last.push(...actions);
  const fallback = truncate(mrkdwn || " ", LIMITS.fallbackText);
  return messages.map((blocks, i) => ({
    text: messages.length === 1 ? fallback : `${truncate(fallback, LIMITS.fallbackText - 20)} (${i + 1}/${messages.length})`,
    blocks,
  }));
}

/** A message that must stay one Slack message (edits in place): overflow is cut with a note. */
export function renderSingle(message: OutMessage): SlackPayload {
  const parts = renderMessage(message);
  const first = parts[0] as SlackPayload;
  if (parts.length === 1) return first;
  const actions = renderActions(message.actions ?? []);
  const content = first.blocks.filter((b) => b.type !== "actions");
  return {
    text: first.text,
    blocks: [...content, { type: "context", elements: [{ type: "mrkdwn", text: "_…shortened to fit one Slack message._" }] }, ...actions],
  };
}

type DocSection = { level: number; title: string; body: string[] };

function docSections(markdown: string): DocSection[] {
  const sections: DocSection[] = [{ level: 0, title: "", body: [] }];
  let inFence = false;
  for (const line of markdown.replace(/\r\n?/g, "\n").split("\n")) {
    if (FENCE.test(line)) inFence = !inFence;
    const h = inFence ? null : /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (h) sections.push({ level: (h[1] ?? "#").length, title: plainInline(h[2] ?? ""), body: [] });
    else (sections[sections.length - 1] as DocSection).body.push(line);
  }
  return sections.filter((s) => s.title !== "" || s.body.some((l) => l.trim() !== ""));
}

/** Renders a document: a title header, split at headings into messages within the limits; actions on the last part. */
export function renderDocument(doc: OutDocument): SlackPayload[] {
  const units: KnownBlock[][] = [];
  const sections = docSections(doc.markdown);
  const firstTitle = sections[0]?.title;
  const titleRepeated = firstTitle !== undefined && firstTitle.toLowerCase() === doc.title.trim().toLowerCase();
  if (!titleRepeated && doc.title.trim() !== "") units.push([header(doc.title.trim())]);
  for (const s of sections) {
    const unit: KnownBlock[] = [];
    let body = markdownToMrkdwn(s.body.join("\n"));
    if (s.title !== "") {
      if (s.level <= 2) unit.push(header(s.title));
      else body = `*${escapeMrkdwn(s.title)}*${body ? `\n${body}` : ""}`;
    }
    for (const c of chunkMrkdwn(body)) unit.push(section(c));
    if (unit.length > 0) units.push(unit);
  }
  const messages = pack(units.length > 0 ? units : [[section(" ")]]);
  const last = messages[messages.length - 1];
  // The printable page's link, a plain link (a URL button would send Slack a click to acknowledge); in
  // mrkdwn a URL's & is written &amp; and Slack's clients open it decoded.
  if (last && doc.link) {
    const url = doc.link.url.replace(/[<>|]/g, encodeURIComponent).replace(/&/g, "&amp;");
    last.push(section(`:printer: <${url}|${escapeMrkdwn(doc.link.label)}>`));
  }
  if (last) last.push(...renderActions(doc.actions ?? []));
  const title = truncate(doc.title.trim() || doc.filename, 200);
  return messages.map((blocks, i) => ({ text: messages.length === 1 ? title : `${title} (${i + 1}/${messages.length})`, blocks }));
}

/** Blocks the whole message should be checked against (used by tests and the fake): every Slack limit at once. */
export function limitProblems(payload: SlackPayload): string[] {
  const problems: string[] = [];
  if (payload.blocks.length > LIMITS.blocksPerMessage) problems.push(`${payload.blocks.length} blocks`);
  let chars = 0;
  for (const [i, b] of payload.blocks.entries()) {
    const t = (b as { text?: { text?: string; type?: string } }).text;
    const len = t?.text?.length ?? 0;
    chars += len;
    if (b.type === "section" && len > LIMITS.sectionText) problems.push(`block ${i}: section text ${len}`);
    if (b.type === "header" && len > LIMITS.headerText) problems.push(`block ${i}: header text ${len}`);
    if (b.type === "actions") {
      const els = (b as unknown as { elements: { action_id?: string; text?: { text: string }; value?: string }[] }).elements;
      if (els.length > LIMITS.actionsPerBlock) problems.push(`block ${i}: ${els.length} elements`);
      const ids = new Set<string>();
      for (const el of els) {
        if ((el.action_id?.length ?? 0) > LIMITS.actionId) problems.push(`block ${i}: action_id too long`);
        if (el.action_id && ids.has(el.action_id)) problems.push(`block ${i}: duplicate action_id`);
        if (el.action_id) ids.add(el.action_id);
        if ((el.text?.text.length ?? 0) > LIMITS.buttonText) problems.push(`block ${i}: button text too long`);
        if ((el.value?.length ?? 0) > LIMITS.buttonValue) problems.push(`block ${i}: button value too long`);
      }
    }
  }
  if (chars > 40_000) problems.push(`${chars} characters of text`);
  if (payload.text.length > 40_000) problems.push("fallback text too long");
  return problems;
}
