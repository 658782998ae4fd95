// Discord events into ChatCore calls: slash commands, autocomplete, button and select clicks (acknowledged
// from the raw packet by ack.ts before any of this runs), and messages typed in the bot's threads and DMs.
import {
  ApplicationCommandType,
  type AutocompleteInteraction,
  ChannelType,
  type ChatInputCommandInteraction,
  type Client,
  GatewayDispatchEvents,
  type GuildMember,
  type Interaction,
  InteractionType,
  type Message,
  type MessageComponentInteraction,
  MessageFlags,
  type ModalSubmitInteraction,
} from "discord.js";
import {
  type ChatCore,
  type ChatUser,
  type CommandArgs,
  type CommandSpec,
  FORM_OPEN_ACTION,
  type FormSpec,
  type Inbound,
  type ThreadRef,
} from "../../chat/contract.ts";
import { describeError } from "../../errors.ts";
import type { Logger } from "../../log.ts";
import { Acknowledger, type AckPlan, type AckPolicy, type RawInteraction, REPLAY, RecentIds, type Verdict } from "./ack.ts";
import { callbackSender } from "./callback.ts";
import type { HttpAnswer } from "./interactions-http.ts";
import {
  DISCORD_FORM_LIMITS,
  decodeModalId,
  type ModalTarget,
  modalCallback,
  modalValues,
  REOPEN_ACTION,
  refusalCallback,
  reopenAction,
  reopenTarget,
} from "./modal.ts";
import { decodeCustomId, filterChoices, LIMITS, optionName } from "./render.ts";
import { buildInteraction, deferInteractionStructures } from "./structures.ts";
import type { DiscordReply, DiscordSurface } from "./surface.ts";
import { TurnQueue } from "./turns.ts";

export const REFUSAL_TEXT =
  "Sorry, Staffroom is only available to staff here. If you are a member of staff, ask a server admin to give you the staff role.";
export const GUILD_REFUSAL_TEXT = "Sorry, Staffroom is not enabled for this server.";

export type AccessOptions = {
  allowedGuildIds: string[];
  staffRoleId?: string;
  /** Guilds to look a DM sender up in when a staff role is required. */
  staffGuildIds: string[];
};

/** Runs handlers without blocking the Gateway, and lets stop() wait for them. */
export class BackgroundWork {
  private readonly running = new Set<Promise<unknown>>();
  run(fn: () => Promise<unknown>, onError: (e: unknown) => unknown): void {
    const p: Promise<unknown> = fn()
      .catch(onError)
      .finally(() => this.running.delete(p));
    this.running.add(p);
  }
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }
  get size(): number {
    return this.running.size;
  }
}

type Deps = {
  client: Client;
  core: ChatCore;
  surface: DiscordSurface;
  logger: Logger;
  access: AccessOptions;
};

export type InboundHandle = {
  /** An interaction that came over the HTTP interactions endpoint: acknowledged in the answer, then handled. */
  receiveHttp(raw: RawInteraction): HttpAnswer;
  /** Waits for handlers in flight. */
  idle(): Promise<void>;
  /** Closes the acknowledgement connections. */
  close(): void;
};

/** How the custom_ids of buttons that open a form begin (encodeAction's JSON), and hashed ids, which may be one. */
const FORM_BUTTON_STARTS = ["#", ...[FORM_OPEN_ACTION, REOPEN_ACTION].map((id) => JSON.stringify([id]).slice(0, -1))];

export function registerInbound({ client, core, surface, logger, access }: Deps): InboundHandle {
  const work = new BackgroundWork();
  const seen = new RecentIds();
  const inFlight = new Set<string>();
  // Handlers wait for the acknowledgements in flight (a burst's) before they compete for the CPU.
  const turns = new TurnQueue({ busy: () => acks.busy() });
  const staffCache = new Map<string, { ok: boolean; at: number }>();
  // The command list is fixed for the life of the process; building it walks every template's schema,
  // so it is built now rather than on the first interaction's clock.
  const specs = new Map(core.commands().map((s) => [optionName(s.name), s]));
  /** /staffroom (subcommands) and unknown commands answer privately; workflows in public. */
  const privateCommand = (name: string) => {
    const spec = specs.get(name);
    return !spec || Boolean(spec.subcommands?.length);
  };

  const userOf = (u: { id: string; username: string; globalName?: string | null }, guildId?: string | null): ChatUser => ({
    id: u.id,
    name: u.globalName ?? u.username,
    ...(guildId ? { teamId: guildId } : {}),
  });

  const fail = (what: string, inbound?: Inbound) => async (error: unknown) => {
    logger.error({ err: error, what, user: inbound?.user.id }, "discord: handler failed");
    if (!inbound) return;
    await inbound.surface
      .notify(inbound.place, inbound.user, { text: `Something went wrong: ${describeError(error)}`, role: "error" })
      .catch((e: unknown) => logger.warn({ err: e }, "discord: could not report a failure"));
  };

  /** Access from what an event carries: allowed guild, member roles, a DM sender's cached look-up. */
  function quickVerdict(userId: string, guildId: string | null | undefined, roles: (() => string[]) | undefined): Verdict | undefined {
    if (guildId && access.allowedGuildIds.length > 0 && !access.allowedGuildIds.includes(guildId)) return "guild";
    const role = access.staffRoleId;
    if (!role) return "ok";
    if (guildId) return roles?.().includes(role) ? "ok" : "role";
    const cached = staffCache.get(userId);
    if (cached && Date.now() - cached.at < 5 * 60_000) return cached.ok ? "ok" : "role";
    return undefined;
  }

  /** Whether a member may use the bot: allowed guild, and the staff role when one is configured. */
  async function allowed(userId: string, guildId: string | null, roles: (() => string[]) | undefined): Promise<Verdict> {
    const quick = quickVerdict(userId, guildId, roles);
    if (quick) return quick;
    const role = access.staffRoleId ?? "";
    // A DM carries no roles: look the member up in the staff guilds (cached briefly).
    let ok = false;
    for (const gid of access.staffGuildIds) {
      try {
        const member = (await client.rest.get(`/guilds/${gid}/members/${userId}`)) as { roles?: string[] };
        if (member.roles?.includes(role)) {
          ok = true;
          break;
        }
      } catch {
        // Not a member of that guild.
      }
    }
    staffCache.set(userId, { ok, at: Date.now() });
    return ok ? "ok" : "role";
  }

  const memberRoles = (member: GuildMember | { roles: string[] } | null | undefined) => () => {
    if (!member) return [];
    return Array.isArray(member.roles) ? member.roles : [...(member as GuildMember).roles.cache.keys()];
  };

  /** The request thread a component or message belongs to. */
  function threadOf(
    channel: { id: string; type: ChannelType; parentId?: string | null } | null,
    channelId: string,
    messageId?: string,
  ): ThreadRef | undefined {
    const type = channel?.type;
    if (type === ChannelType.PublicThread || type === ChannelType.PrivateThread || type === ChannelType.AnnouncementThread) {
      return { surface: "discord", channelId: channel?.parentId ?? channelId, threadId: channelId };
    }
    if (type === ChannelType.DM || type === undefined) return { surface: "discord", channelId, threadId: channelId };
    // A click on a root message in the channel: its thread has the message's id.
    return messageId ? { surface: "discord", channelId, threadId: messageId } : undefined;
  }

  /** The form a click on "Fill in a form" or "Open the form again" opens; undefined for other buttons. */
  async function formForButton(user: ChatUser, id: string, value: string, thread: ThreadRef | undefined): Promise<FormSpec | undefined> {
    if (!core.formFor) return undefined;
    if (id === FORM_OPEN_ACTION) {
      return thread ? core.formFor(user, value, {}, { limits: DISCORD_FORM_LIMITS, thread }) : undefined;
    }
    if (id !== REOPEN_ACTION) return undefined;
    const target = reopenTarget(value);
    if (!target) return undefined;
    return core.formFor(
      user,
      target.command,
      {},
      {
        limits: DISCORD_FORM_LIMITS,
        refused: true,
        ...(target.thread ? { thread: target.thread } : {}),
      },
    );
  }

  /**
   * The packet's second look for forms, before its first response: a bare workflow command in a server
   * gets its form (a DM keeps the conversation), a form button its modal, a refused submission its reasons.
   */
  function decide(raw: RawInteraction, plan: AckPlan): Promise<{ plan: AckPlan; body: Record<string, unknown> } | undefined> | undefined {
    if (!core.formFor) return undefined;
    const rawUser = raw.member?.user ?? raw.user;
    if (!rawUser) return undefined;
    const user: ChatUser = {
      id: rawUser.id,
      name: rawUser.global_name ?? rawUser.username ?? rawUser.id,
      ...(raw.guild_id ? { teamId: raw.guild_id } : {}),
    };
    const shown = (form: FormSpec | undefined) => (form ? { plan: { kind: "answered" as const }, body: modalCallback(form) } : undefined);
    if (plan.kind === "defer" && raw.type === InteractionType.ApplicationCommand && raw.data?.type === ApplicationCommandType.ChatInput) {
      const spec = specs.get(raw.data.name ?? "");
      if (!spec || spec.subcommands?.length || !raw.guild_id || (raw.data.options?.length ?? 0) > 0) return undefined;
      return core.formFor(user, spec.name, {}, { limits: DISCORD_FORM_LIMITS, direct: false }).then(shown);
    }
    if (plan.kind === "update" && raw.type === InteractionType.MessageComponent) {
      // Most clicks are not form buttons: told apart by the id's start, before any parsing.
      const customId = raw.data?.custom_id ?? "";
      if (!FORM_BUTTON_STARTS.some((start) => customId.startsWith(start))) return undefined;
      const decoded = decodeCustomId(customId);
      if (!decoded) return undefined;
      const thread = threadOf(
        raw.channel ? { id: raw.channel.id, type: raw.channel.type as ChannelType, parentId: raw.channel.parent_id ?? null } : null,
        raw.channel_id ?? "",
        raw.message?.id,
      );
      if ("hash" in decoded) {
        return surface
          .lookupHashed(decoded.hash)
          .then(async (target) =>
            target?.value === undefined ? undefined : shown(await formForButton(user, target.id, target.value, thread)),
          );
      }
      if (decoded.value === undefined || (decoded.id !== FORM_OPEN_ACTION && decoded.id !== REOPEN_ACTION)) return undefined;
      return formForButton(user, decoded.id, decoded.value, thread).then(shown);
    }
    if (plan.kind === "submit" && core.checkForm) {
      const target = decodeModalId(raw.data?.custom_id ?? "");
      if (!target) return undefined;
      const values = modalValues(raw.data?.components);
      const check = core.checkForm(target.command, values);
      if (check.ok) return undefined;
      const reopen = reopenAction(target);
      // What was typed is kept for the reopen button, and a long button id remembered, before the answer goes out.
      return Promise.all([core.keepRefusedForm?.(user, target.command, values), surface.rememberActions([reopen])]).then(() => ({
        plan: { kind: "answered" as const },
        body: refusalCallback(check.problems, reopen),
      }));
    }
    return undefined;
  }

  /** A submitted form whose check passed (settled from the packet), or one to check here (a DM sender looked up first). */
  async function onModalSubmit(i: ModalSubmitInteraction, acked: boolean): Promise<void> {
    const target: ModalTarget | undefined = decodeModalId(i.customId);
    if (!target || !core.submitForm) {
      if (!acked) await i.deferUpdate();
      return;
    }
    const values = modalValues(i.components as never);
    if (!acked) {
      const check = core.checkForm?.(target.command, values);
      if (check && !check.ok) {
        const reopen = reopenAction(target);
        await core.keepRefusedForm?.(userOf(i.user, i.guildId), target.command, values);
        await surface.rememberActions([reopen]);
        await i.reply(refusalCallback(check.problems, reopen).data as never);
        return;
      }
      if (target.thread) await i.deferUpdate();
      else await i.deferReply();
    }
    await turns.next();
    const inThread = i.channel?.isThread() ?? false;
    const reply: DiscordReply = {
      kind: "interaction",
      interaction: i,
      receivedAt: Date.now(),
      mode: target.thread ? "update" : "public",
      ...(!target.thread && inThread && i.channel?.isThread() && i.channel.parentId ? { parentId: i.channel.parentId } : {}),
    };
    const inbound: Inbound = {
      surface,
      user: userOf(i.user, i.guildId),
      place: { channelId: i.channelId ?? "", isDirect: !i.inGuild(), reply },
      // Discord delivers an interaction once; a replay of the same packet carries the same id.
      dedupeKey: `discord:interaction:${i.id}`,
    };
    logger.info({ command: target.command, guild: i.guildId, channel: i.channelId, interaction: i.id }, "discord: form submitted");
    await core.submitForm(inbound, target.command, values, target.thread).catch(fail("form", inbound));
  }

  async function onCommand(i: ChatInputCommandInteraction, acked: boolean): Promise<void> {
    const spec = specs.get(i.commandName);
    const inThread = i.channel?.isThread() ?? false;
    const reply: DiscordReply = {
      kind: "interaction",
      interaction: i,
      receivedAt: Date.now(),
      mode: privateCommand(i.commandName) ? "ephemeral" : "public",
      ...(inThread && i.channel?.isThread() && i.channel.parentId ? { parentId: i.channel.parentId } : {}),
    };
    // Normally deferred from the raw packet already; otherwise (a DM sender looked up first) now.
    if (!acked) {
      if (reply.mode === "ephemeral") await i.deferReply({ flags: MessageFlags.Ephemeral });
      else await i.deferReply();
    }
    await turns.next();
    const inbound: Inbound = {
      surface,
      user: userOf(i.user, i.guildId),
      place: { channelId: i.channelId, isDirect: !i.inGuild(), reply },
      dedupeKey: `discord:interaction:${i.id}`,
    };
    if (!spec) {
      await surface.notify(inbound.place, inbound.user, { text: `I don't know /${i.commandName}. Try /staffroom help.`, role: "notice" });
      return;
    }
    logger.info({ command: spec.name, guild: i.guildId, channel: i.channelId, interaction: i.id }, "discord: command");
    await core.command(inbound, spec.name, commandArgs(i, spec)).catch(fail(`/${spec.name}`, inbound));
  }

  async function onAutocomplete(i: AutocompleteInteraction): Promise<void> {
    const spec = specs.get(i.commandName);
    const focused = i.options.getFocused(true);
    const field = spec?.fields.find((f) => optionName(f.name) === focused.name);
    if (!spec || !field) return void (await i.respond([]));
    if ((field.choices?.length ?? 0) > LIMITS.choices) return void (await i.respond(filterChoices(field, String(focused.value))));
    // Autocomplete must be answered within 3 seconds too; an empty list beats "loading options failed".
    const options = await Promise.race([
      core.complete(userOf(i.user, i.guildId), spec.name, field.name, String(focused.value)),
      new Promise<{ value: string; label: string }[]>((r) => setTimeout(() => r([]), 2000).unref()),
    ]).catch(() => []);
    await i.respond(
      options.slice(0, LIMITS.choices).map((o) => ({
        name: o.label.slice(0, LIMITS.optionText),
        value: field.type === "string" ? o.value.slice(0, LIMITS.optionText) : Number(o.value),
      })),
    );
  }

  async function onComponent(i: MessageComponentInteraction, acked: boolean): Promise<void> {
    // A select menu's picked option carries the action, like a button's custom_id does.
    const encoded = i.isStringSelectMenu() ? (i.values[0] ?? "") : i.customId;
    const decoded = decodeCustomId(encoded);
    const resolved = decoded && "hash" in decoded ? await surface.lookupHashed(decoded.hash) : decoded;
    const value = resolved?.value;
    // One click at a time per member and button: a double click is acknowledged and dropped.
    const key = `${i.message.id}|${encoded}|${i.user.id}`;
    if (!resolved || value === undefined || inFlight.has(key)) {
      if (!acked) await i.deferUpdate();
      if (!resolved) logger.debug({ customId: i.customId.slice(0, 40) }, "discord: click on an unknown component");
      return;
    }
    inFlight.add(key);
    try {
      const isForm = resolved.id === FORM_OPEN_ACTION || resolved.id === REOPEN_ACTION;
      if (isForm && !acked) {
        // Not settled from the packet (a DM sender looked up first): the modal is still the first response.
        const thread = threadOf(i.channel as never, i.channelId, i.message.id);
        const form = await formForButton(userOf(i.user, i.guildId), resolved.id, value, thread);
        if (form) {
          await i.showModal(modalCallback(form).data as never);
          return;
        }
      }
      if (!acked) await i.deferUpdate();
      await turns.next();
      const thread = threadOf(i.channel as never, i.channelId, i.message.id);
      if (!thread) return;
      const reply: DiscordReply = { kind: "interaction", interaction: i, receivedAt: Date.now(), mode: "update" };
      const inbound: Inbound = {
        surface,
        user: userOf(i.user, i.guildId),
        place: { channelId: i.channelId, isDirect: !i.inGuild(), reply },
        dedupeKey: `discord:action:${i.message.id}:${encoded}:${i.user.id}`,
      };
      logger.info({ action: resolved.id, thread: thread.threadId, interaction: i.id }, "discord: action");
      // A form button with no form to open (its request has moved on): the core says so, as for Slack.
      const id = isForm ? FORM_OPEN_ACTION : resolved.id;
      await core.action(inbound, thread, id, value).catch(fail("action", inbound));
    } finally {
      inFlight.delete(key);
    }
  }

  const refusal = (verdict: Exclude<Verdict, "ok">) => (verdict === "guild" ? GUILD_REFUSAL_TEXT : REFUSAL_TEXT);
  const callbacks = callbackSender(client.rest, logger);
  const policy: AckPolicy = {
    verdict: (userId, guildId, roles) => quickVerdict(userId, guildId, roles && (() => roles)),
    privateCommand,
    refusal,
    decide,
  };
  const acks = new Acknowledger(callbacks, policy, logger, seen, () => turns.wake());
  // Over the HTTP endpoint the first response is the HTTP answer: this sender hands it to the request
  // being answered, and resolves once the answer went out (so edits of it come after it).
  const httpAnswers = new Map<string, (body: Record<string, unknown>) => Promise<void>>();
  const httpAcks = new Acknowledger(
    {
      send: (id, _token, body) => httpAnswers.get(id)?.(body) ?? Promise.reject(new Error("the HTTP request was already answered")),
      close: () => undefined,
    },
    policy,
    logger,
    seen,
    () => turns.wake(),
  );
  // The raw packet is emitted before discord.js builds its structures and emits interactionCreate.
  client.ws.on(GatewayDispatchEvents.InteractionCreate, (raw: RawInteraction) => acks.receive(raw));
  if (!deferInteractionStructures(client, () => turns.next())) {
    logger.warn("discord: interaction structures are built as packets arrive (discord.js internals changed)");
  }

  client.on("interactionCreate", (i: Interaction) => {
    const acked = acks.take(i.id) ?? httpAcks.take(i.id);
    if (acked === REPLAY || (!acked && !seen.add(i.id))) {
      logger.debug({ interaction: i.id }, "discord: replayed interaction dropped");
      return;
    }
    const guildId = i.guildId;
    work.run(async () => {
      if (acked && acked.plan.kind !== "none") {
        if (!(await acked.sent)) return;
        markAcknowledged(i, acked.plan);
        if (acked.plan.kind === "refuse") {
          logger.info({ user: i.user.id, guild: guildId, reason: acked.plan.verdict }, "discord: refused");
          return;
        }
        // A modal shown or a refused form explained: the first response said everything.
        if (acked.plan.kind === "answered") return;
      } else {
        const verdict = await allowed(i.user.id, guildId, memberRoles(i.member as GuildMember | { roles: string[] } | null));
        if (verdict !== "ok") {
          logger.info({ user: i.user.id, guild: guildId, reason: verdict }, "discord: refused");
          if (i.isAutocomplete()) return i.respond([]);
          if (i.isRepliable()) return i.reply({ content: refusal(verdict), flags: MessageFlags.Ephemeral });
          return;
        }
      }
      const done = Boolean(acked && acked.plan.kind !== "none");
      if (i.isChatInputCommand()) return onCommand(i, done);
      if (i.isAutocomplete()) return onAutocomplete(i);
      if (i.isButton() || i.isStringSelectMenu()) return onComponent(i, done);
      if (i.isModalSubmit()) return onModalSubmit(i, done);
    }, fail("interaction"));
  });

  client.on("messageCreate", (m: Message) => {
    if (m.author.bot || m.system || m.webhookId || !m.content.trim()) return;
    const thread = threadOf(m.channel as never, m.channelId);
    // Only threads and DMs: chatter in ordinary channels is none of the bot's business.
    if (!thread || (thread.threadId === thread.channelId && m.inGuild())) return;
    if (!seen.add(`message:${m.id}`)) return;
    work.run(async () => {
      await turns.next();
      if (!(await core.owns(thread))) return;
      const verdict = await allowed(m.author.id, m.guildId, memberRoles(m.member));
      if (verdict !== "ok") return;
      const inbound: Inbound = {
        surface,
        user: userOf(m.author, m.guildId),
        place: {
          channelId: m.channelId,
          isDirect: !m.inGuild(),
          reply: { kind: "message", channelId: m.channelId, messageId: m.id } satisfies DiscordReply,
        },
        dedupeKey: `discord:message:${m.id}`,
      };
      await core.message(inbound, thread, m.content).catch(fail("message", inbound));
    }, fail("message"));
  });

  return {
    receiveHttp(raw) {
      let first: Record<string, unknown> | undefined;
      let delivered: (ok: boolean) => void = () => undefined;
      const sent = new Promise<void>((resolve, reject) => {
        delivered = (ok) => (ok ? resolve() : reject(new Error("the HTTP answer did not go out")));
      });
      sent.catch(() => undefined);
      let answerNow: (body: Record<string, unknown>) => void = () => undefined;
      const answered = new Promise<Record<string, unknown>>((resolve) => {
        answerNow = resolve;
      });
      httpAnswers.set(raw.id, (body) => {
        first = body;
        answerNow(body);
        return sent;
      });
      // Plans synchronously: a planned response reaches the sender (and `first`) before this returns, unless
      // it waits on a decision (a form), whose response the HTTP answer then waits for.
      const deciding = httpAcks.receive(raw);
      if (!buildInteraction(client, raw)) logger.error("discord: cannot hand an HTTP interaction to discord.js (internals changed)");
      if (first === undefined && deciding) {
        const later = Promise.race([answered, deciding.then(() => first)]).finally(() => httpAnswers.delete(raw.id));
        return { first: later, delivered };
      }
      httpAnswers.delete(raw.id);
      return { first, delivered };
    },
    async idle() {
      // Interactions whose structures wait in the turn queue are not handlers yet: let them through first.
      do {
        if (turns.size > 0) await turns.next();
        await work.idle();
      } while (turns.size > 0 || work.size > 0);
    },
    close: () => callbacks.close(),
  };
}

/** Tells discord.js what the raw packet's response did, so editReply, followUp and deleteReply work. */
function markAcknowledged(i: Interaction, plan: AckPlan): void {
  if (!i.isRepliable()) return;
  if (plan.kind === "defer") {
    i.deferred = true;
    i.ephemeral = plan.ephemeral;
  } else if (plan.kind === "update") {
    i.deferred = true;
  } else if (plan.kind === "submit") {
    i.deferred = true;
    i.ephemeral = false;
  } else if (plan.kind === "refuse") {
    i.replied = true;
    i.ephemeral = true;
  } else if (plan.kind === "answered") {
    i.replied = true;
  }
}

/** Options as typed: fields keyed by the template's own names; /staffroom as "subcommand arg" text. */
export function commandArgs(i: ChatInputCommandInteraction, spec: CommandSpec): CommandArgs {
  if (spec.subcommands?.length) {
    const sub = i.options.getSubcommand(false);
    const def = spec.subcommands.find((s) => optionName(s.name) === sub);
    const arg = def?.arg ? i.options.getString(optionName(def.arg.name)) : null;
    return {
      text: [def?.name ?? sub ?? "", arg ?? ""].filter(Boolean).join(" "),
      fields: { ...(def ? { subcommand: def.name } : {}), ...(def?.arg && arg ? { [def.arg.name]: arg } : {}) },
    };
  }
  const fields: Record<string, string | number | boolean> = {};
  for (const f of spec.fields) {
    const option = i.options.get(optionName(f.name));
    if (option?.value !== undefined && option.value !== null) fields[f.name] = option.value;
  }
  return { fields };
}
