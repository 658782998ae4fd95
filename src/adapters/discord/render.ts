// Pure rendering for Discord: platform-neutral messages and documents into message payloads within
// Discord's limits (split at headings), buttons and select menus, and CommandSpecs into command JSON.
import { createHash } from "node:crypto";
import {
  type APIActionRowComponent,
  type APIApplicationCommandOption,
  type APIComponentInMessageActionRow,
  type APIEmbed,
  ApplicationCommandOptionType,
  ApplicationIntegrationType,
  ButtonStyle,
  ComponentType,
  InteractionContextType,
  MessageFlags,
  PermissionFlagsBits,
} from "discord.js";
import type { ChoiceAction, CommandField, CommandSpec, OutDocument, OutMessage } from "../../chat/contract.ts";
import { fitTo } from "../../util/shorten.ts";

export const LIMITS = {
  content: 2000,
  embedTitle: 256,
  embedDescription: 4096,
  embedsPerMessage: 10,
  embedTotal: 6000,
  customId: 100,
  buttonLabel: 80,
  buttonsPerRow: 5,
  rows: 5,
  selectOptions: 25,
  optionText: 100,
  commandDescription: 100,
  optionName: 32,
  choices: 25,
  /** Files on one message. */
  attachments: 10,
  /** Bytes of files on one message: Discord's upload limit for bots in servers without boosts (10 MiB). */
  attachmentBytes: 10 * 1024 * 1024,
} as const;

/** A message body as the REST API takes it (files are attached separately by the surface). */
export type MessageBody = {
  content?: string;
  embeds?: APIEmbed[];
  components?: APIActionRowComponent<APIComponentInMessageActionRow>[];
  allowed_mentions: { parse: [] };
  flags?: number;
};

export type MessageFile = { name: string; data: Buffer; contentType: string };

const NO_MENTIONS = { parse: [] as [] };

// ---------- Markdown ----------

const HEADING = /^(#{1,6})\s+(.*)$/;

/**
 * Markdown as Discord renders it: only #, ## and ### are headings (deeper ones become bold lines), and a
 * heading needs a blank line before it or it shows as literal #.
 */
export function toDiscordMarkdown(markdown: string): string {
  const out: string[] = [];
  let fenced = false;
  for (const line of markdown.replace(/\r\n?/g, "\n").split("\n")) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    const m = fenced ? null : HEADING.exec(line);
    if (m) {
      const level = m[1]?.length ?? 1;
      const text = (m[2] ?? "").trim();
      if (out.length > 0 && out[out.length - 1] !== "") out.push("");
      out.push(level <= 3 ? `${"#".repeat(level)} ${text}` : `**${text}**`);
    } else out.push(line);
  }
  return out.join("\n").trim();
}

/**
 * Splits text into chunks of at most `limit` characters: at headings first, then at blank lines, then at
 * line ends, then at spaces; a single overlong word is cut. Code fences cut in two are closed and reopened.
 */
export function splitMarkdown(text: string, limit: number): string[] {
  const trimmed = text.trim();
  if (trimmed.length <= limit) return trimmed ? [trimmed] : [];
  // Room for a fence reopened at the start of a chunk and closed at its end.
  const fenceLines = trimmed.match(/^\s*```.*$/gm) ?? [];
  const reserve = fenceLines.length ? Math.min(60, Math.max(...fenceLines.map((f) => f.trim().length))) + 5 : 0;
  return balanceFences(splitPlain(trimmed, limit - reserve), limit);
}

function splitPlain(trimmed: string, limit: number): string[] {
  const sections = splitBefore(trimmed, (line) => HEADING.test(line));
  const chunks: string[] = [];
  let current = "";
  const flush = () => {
    if (current.trim()) chunks.push(current.trim());
    current = "";
  };
  for (const section of sections) {
    const joined = current ? `${current}\n\n${section}` : section;
    if (joined.length <= limit) {
      current = joined;
      continue;
    }
    flush();
    if (section.length <= limit) current = section;
    else for (const piece of splitLong(section, limit)) chunks.push(piece);
  }
  flush();
  return chunks;
}

function splitBefore(text: string, isBoundary: (line: string) => boolean): string[] {
  const parts: string[] = [];
  let lines: string[] = [];
  let fenced = false;
  for (const line of text.split("\n")) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    if (!fenced && isBoundary(line) && lines.some((l) => l.trim())) {
      parts.push(lines.join("\n").trim());
      lines = [];
    }
    lines.push(line);
  }
  if (lines.some((l) => l.trim())) parts.push(lines.join("\n").trim());
  return parts;
}

function splitLong(text: string, limit: number): string[] {
  const out: string[] = [];
  let rest = text;
  while (rest.length > limit) {
    const window = rest.slice(0, limit + 1);
    let cut = window.lastIndexOf("\n\n");
    if (cut < limit / 3) cut = window.lastIndexOf("\n");
    if (cut < limit / 3) cut = window.lastIndexOf(" ");
    if (cut < limit / 3) cut = limit;
    out.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
  }
  if (rest) out.push(rest);
  return out;
}

/** A chunk that ends inside a ``` block gets a closing fence, and the next one reopens it. */
function balanceFences(chunks: string[], limit: number): string[] {
  const out: string[] = [];
  let carry = "";
  for (const chunk of chunks) {
    let text = carry ? `${carry}\n${chunk}` : chunk;
    const fences = text.match(/^\s*```.*$/gm) ?? [];
    carry = "";
    if (fences.length % 2 === 1) {
      const opener = [...fences].reverse().find((f) => f.trim() !== "```") ?? "```";
      text = `${text}\n\`\`\``;
      carry = opener.trim();
    }
    // Space was reserved for the fences; only an opener longer than 60 characters could overflow.
    out.push(text.length > limit ? text.slice(0, limit) : text);
  }
  return out;
}

// ---------- components ----------

/** custom_id of a button: the action id and value, or a hash when they do not fit in 100 characters. */
export function encodeAction(id: string, value: string): string {
  const plain = JSON.stringify([id, value]);
  if (plain.length <= LIMITS.customId) return plain;
  return `#${createHash("sha256").update(plain).digest("base64url").slice(0, 40)}`;
}

/** custom_id of a select menu; each option's value is the encoded action it stands for. */
export function encodeSelect(group: string): string {
  const plain = JSON.stringify([`menu:${group}`]);
  return plain.length <= LIMITS.customId ? plain : JSON.stringify(["menu"]);
}

export type DecodedId = { id: string; value?: string } | { hash: string };

export function decodeCustomId(customId: string): DecodedId | undefined {
  if (customId.startsWith("#")) return { hash: customId };
  try {
    const parsed = JSON.parse(customId) as unknown;
    if (Array.isArray(parsed) && typeof parsed[0] === "string") {
      return parsed.length > 1 && typeof parsed[1] === "string" ? { id: parsed[0], value: parsed[1] } : { id: parsed[0] };
    }
  } catch {
    // Not ours (e.g. a component from another app's message); ignored below.
  }
  return undefined;
}

/** Actions whose custom ids had to be hashed, so the surface can map clicks back (see encodeAction). */
export function hashedActions(actions: readonly ChoiceAction[]): Map<string, { id: string; value?: string }> {
  const map = new Map<string, { id: string; value?: string }>();
  for (const a of actions) {
    const b = encodeAction(a.id, a.value);
    if (b.startsWith("#")) map.set(b, { id: a.id, value: a.value });
  }
  return map;
}

const styleOf = (a: ChoiceAction): ButtonStyle.Primary | ButtonStyle.Secondary | ButtonStyle.Danger =>
  a.style === "primary" ? ButtonStyle.Primary : a.style === "danger" ? ButtonStyle.Danger : ButtonStyle.Secondary;

/** Choices of one question share an id up to a trailing index ("conv:grade:grade:3"). */
const groupOf = (id: string) => id.replace(/:\d+$/, "");

/**
 * Buttons in rows of five; when one question offers more than five choices (an enum field with many
 * values), they become a select menu and the rest (Cancel and the like) stay buttons.
 */
export function renderComponents(actions: readonly ChoiceAction[] | undefined): APIActionRowComponent<APIComponentInMessageActionRow>[] {
  if (!actions?.length) return [];
  const rows: APIActionRowComponent<APIComponentInMessageActionRow>[] = [];
  const groups = new Map<string, ChoiceAction[]>();
  for (const a of actions) groups.set(groupOf(a.id), [...(groups.get(groupOf(a.id)) ?? []), a]);
  const buttons: ChoiceAction[] = [];
  for (const [group, members] of groups) {
    const choices = members.filter((a) => a.style !== "danger");
    if (choices.length > LIMITS.buttonsPerRow && rows.length < LIMITS.rows - 1) {
      rows.push({
        type: ComponentType.ActionRow,
        components: [
          {
            type: ComponentType.StringSelect,
            custom_id: encodeSelect(group),
            placeholder: "Choose…",
            min_values: 1,
            max_values: 1,
            options: choices.slice(0, LIMITS.selectOptions).map((a) => ({
              label: fitTo(a.label, LIMITS.optionText),
              value: encodeAction(a.id, a.value),
            })),
          },
        ],
      });
      buttons.push(...members.filter((a) => a.style === "danger"));
    } else buttons.push(...members);
  }
  const room = (LIMITS.rows - rows.length) * LIMITS.buttonsPerRow;
  const seen = new Set<string>();
  const unique = buttons.filter((a) => {
    const key = encodeAction(a.id, a.value);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  for (let i = 0; i < Math.min(unique.length, room); i += LIMITS.buttonsPerRow) {
    rows.push({
      type: ComponentType.ActionRow,
      components: unique.slice(i, Math.min(i + LIMITS.buttonsPerRow, room)).map((a) => ({
        type: ComponentType.Button,
        style: styleOf(a),
        label: fitTo(a.label, LIMITS.buttonLabel),
        custom_id: encodeAction(a.id, a.value),
      })),
    });
  }
  return rows;
}

// ---------- messages ----------

/** A message as one or more payloads (long text split at headings); buttons ride on the last. */
export function renderMessage(message: OutMessage): MessageBody[] {
  const chunks = splitMarkdown(toDiscordMarkdown(message.text), LIMITS.content);
  if (chunks.length === 0) chunks.push("…");
  const components = renderComponents(message.actions);
  return chunks.map((content, i) => {
    const last = i === chunks.length - 1;
    return {
      content,
      allowed_mentions: NO_MENTIONS,
      // Link previews would bury the conversation under cards.
      flags: MessageFlags.SuppressEmbeds,
      ...(last && components.length ? { components } : {}),
    };
  });
}

/** An edit replaces text and buttons of one message (a message cannot grow into two: long text is clipped). */
export function renderEdit(message: OutMessage): MessageBody {
  const text = toDiscordMarkdown(message.text) || "…";
  return {
    content: fitTo(text, LIMITS.content),
    components: renderComponents(message.actions),
    allowed_mentions: NO_MENTIONS,
  };
}

/** A private notice (ephemeral). */
export function renderNotice(message: OutMessage): MessageBody {
  return { ...renderEdit(message), flags: MessageFlags.Ephemeral | MessageFlags.SuppressEmbeds };
}

/**
 * A document as Discord messages: embeds split at headings, then a final message that carries the
 * document's files (the Word files the chat core built, or its Markdown when it built none) within
 * Discord's limits (10 files, 10 MiB a message); files that do not fit are named in the text instead, and
 * the printable page's link is a link button.
 */
export function renderDocument(doc: OutDocument): { messages: MessageBody[]; final: MessageBody; files: MessageFile[] } {
  const markdown = toDiscordMarkdown(doc.markdown);
  const embeds: APIEmbed[] = [];
  for (const section of splitBefore(markdown, (line) => HEADING.test(line))) {
    const lines = section.split("\n");
    const m = HEADING.exec(lines[0] ?? "");
    const title = m ? fitTo((m[2] ?? "").trim(), LIMITS.embedTitle) : undefined;
    const body = (m ? lines.slice(1).join("\n") : section).trim();
    const pieces = body ? splitMarkdown(body, LIMITS.embedDescription) : [];
    if (pieces.length === 0 && title) embeds.push({ title, color: 0x5865f2 });
    pieces.forEach((description, i) => {
      embeds.push({ ...(i === 0 && title ? { title } : {}), description, color: 0x5865f2 });
    });
  }
  if (embeds.length === 0) embeds.push({ title: fitTo(doc.title, LIMITS.embedTitle), description: "(empty)", color: 0x5865f2 });
  const messages: MessageBody[] = [];
  let batch: APIEmbed[] = [];
  let size = 0;
  for (const embed of embeds) {
    const n = (embed.title?.length ?? 0) + (embed.description?.length ?? 0);
    if (batch.length > 0 && (batch.length === LIMITS.embedsPerMessage || size + n > LIMITS.embedTotal)) {
      messages.push({ embeds: batch, allowed_mentions: NO_MENTIONS });
      batch = [];
      size = 0;
    }
    batch.push(embed);
    size += n;
  }
  if (batch.length > 0) messages.push({ embeds: batch, allowed_mentions: NO_MENTIONS });
  const candidates: MessageFile[] = doc.files?.length
    ? doc.files.map((f) => ({ name: safeFilename(f.filename), data: Buffer.from(f.bytes), contentType: f.contentType }))
    : [{ name: safeFilename(doc.filename), data: Buffer.from(doc.markdown, "utf8"), contentType: "text/markdown; charset=utf-8" }];
  const files: MessageFile[] = [];
  const left: string[] = [];
  let bytes = 0;
  for (const f of candidates) {
    if (files.length < LIMITS.attachments && bytes + f.data.length <= LIMITS.attachmentBytes) {
      files.push(f);
      bytes += f.data.length;
    } else left.push(f.name);
  }
  const names = (list: string[]) => list.map((n) => `\`${n}\``).join(", ");
  const attached = files.length === 0 ? "" : `: attached as ${names(files.map((f) => f.name))}`;
  const missing =
    left.length === 0 ? "" : ` (${names(left)} did not fit within Discord's attachment limits${doc.link ? "; use Open / print" : ""})`;
  const rows = renderComponents(doc.actions);
  if (doc.link && rows.length < LIMITS.rows)
    rows.push({
      type: ComponentType.ActionRow,
      components: [
        { type: ComponentType.Button, style: ButtonStyle.Link, label: fitTo(doc.link.label, LIMITS.buttonLabel), url: doc.link.url },
      ],
    });
  const final: MessageBody = {
    content: fitTo(`📄 **${doc.title}**${attached}.${missing}`, LIMITS.content),
    allowed_mentions: NO_MENTIONS,
    ...(rows.length ? { components: rows } : {}),
  };
  return { messages, final, files };
}

function safeFilename(name: string): string {
  const base = name.replace(/[^\w.-]+/g, "-").replace(/^-+|-+$/g, "") || "document";
  return /\.[a-z0-9]+$/i.test(base) ? base : `${base}.md`;
}

// ---------- commands ----------

/** Discord option names are lower-case: "durationMinutes" is registered as "duration_minutes". */
export function optionName(field: string): string {
  return field
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toLowerCase()
    .replace(/[^\p{Ll}\p{N}_-]+/gu, "_")
    .slice(0, LIMITS.optionName);
}

/** Teachers must be able to post in threads to answer the bot's questions there. */
export const DEFAULT_MEMBER_PERMISSIONS = PermissionFlagsBits.SendMessages | PermissionFlagsBits.SendMessagesInThreads;

const optionType: Record<CommandField["type"], ApplicationCommandOptionType> = {
  string: ApplicationCommandOptionType.String,
  integer: ApplicationCommandOptionType.Integer,
  number: ApplicationCommandOptionType.Number,
  boolean: ApplicationCommandOptionType.Boolean,
};

function fieldOption(field: CommandField): APIApplicationCommandOption {
  const base = {
    name: optionName(field.name),
    description: fitTo(field.description || field.name, LIMITS.commandDescription),
    // Options are never required on Discord: the conversation asks for whatever is left out.
    required: false,
  };
  const type = optionType[field.type];
  const many = (field.choices?.length ?? 0) > LIMITS.choices;
  if (type === ApplicationCommandOptionType.Boolean) return { ...base, type };
  if (type === ApplicationCommandOptionType.String) {
    return {
      ...base,
      type,
      ...(field.maxLength ? { max_length: Math.min(field.maxLength, 6000) } : {}),
      ...(field.choices?.length && !many
        ? { choices: field.choices.map((c) => ({ name: fitTo(c.label, LIMITS.optionText), value: fitTo(c.value, LIMITS.optionText) })) }
        : field.autocomplete || many
          ? { autocomplete: true }
          : {}),
    };
  }
  const bounds = {
    ...(field.min !== undefined ? { min_value: field.min } : {}),
    ...(field.max !== undefined ? { max_value: field.max } : {}),
  };
  const numericChoices = field.choices?.filter((c) => Number.isFinite(Number(c.value)));
  if (numericChoices?.length && !many) {
    return {
      ...base,
      type: type as ApplicationCommandOptionType.Integer,
      choices: numericChoices.map((c) => ({ name: fitTo(c.label, LIMITS.optionText), value: Number(c.value) })),
    };
  }
  return { ...base, type, ...bounds, ...(field.autocomplete || many ? { autocomplete: true } : {}) } as APIApplicationCommandOption;
}

export type CommandJson = {
  name: string;
  description: string;
  type: 1;
  options: APIApplicationCommandOption[];
  default_member_permissions: number;
  dm_permission: boolean;
  contexts: InteractionContextType[];
  integration_types: ApplicationIntegrationType[];
};

/**
 * A CommandSpec as a chat-input command: typed options (choices, bounds, autocomplete), subcommands for
 * /staffroom, and guild-only contexts where it handles student data.
 */
export function commandJson(spec: CommandSpec): CommandJson {
  const options: APIApplicationCommandOption[] = spec.subcommands?.length
    ? spec.subcommands.slice(0, 25).map((s) => ({
        type: ApplicationCommandOptionType.Subcommand,
        name: optionName(s.name),
        description: fitTo(s.description || s.name, LIMITS.commandDescription),
        options: s.arg
          ? [
              {
                type: ApplicationCommandOptionType.String,
                name: optionName(s.arg.name),
                description: fitTo(s.arg.description || s.arg.name, LIMITS.commandDescription),
                required: s.arg.required,
              },
            ]
          : [],
      }))
    : spec.fields.slice(0, 25).map(fieldOption);
  return {
    name: optionName(spec.name),
    description: fitTo(spec.description || spec.name, LIMITS.commandDescription),
    type: 1,
    options,
    default_member_permissions: Number(DEFAULT_MEMBER_PERMISSIONS),
    dm_permission: !spec.studentData,
    contexts: spec.studentData ? [InteractionContextType.Guild] : [InteractionContextType.Guild, InteractionContextType.BotDM],
    integration_types: [ApplicationIntegrationType.GuildInstall],
  };
}

/** Completions for a field with more than 25 choices, filtered by what has been typed. */
export function filterChoices(field: CommandField, partial: string): { name: string; value: string }[] {
  const p = partial.trim().toLowerCase();
  return (field.choices ?? [])
    .filter((c) => !p || c.label.toLowerCase().includes(p) || c.value.toLowerCase().includes(p))
    .slice(0, LIMITS.choices)
    .map((c) => ({ name: fitTo(c.label, LIMITS.optionText), value: fitTo(c.value, LIMITS.optionText) }));
}
