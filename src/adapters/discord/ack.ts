// Acknowledges interactions straight from the raw Gateway packet, before discord.js builds its structures
// and before any handler runs: Discord's 3 seconds start when it sends, and under a burst every
// microsecond spent before the callback delays every interaction behind it.
import { ApplicationCommandType, ComponentType, InteractionResponseType, InteractionType, MessageFlags } from "discord.js";
import type { Logger } from "../../log.ts";
import type { CallbackSender } from "./callback.ts";
import { decodeModalId } from "./modal.ts";

/** Who may use the bot, as far as the packet alone tells; undefined when a lookup is needed first. */
export type Verdict = "ok" | "guild" | "role";

/** The fields of an INTERACTION_CREATE payload the acknowledgement reads. */
export type RawInteraction = {
  id: string;
  token: string;
  type: number;
  guild_id?: string;
  channel_id?: string;
  data?: {
    type?: number;
    name?: string;
    component_type?: number;
    custom_id?: string;
    options?: unknown[];
    /** A MODAL_SUBMIT's components (labels or action rows holding the inputs). */
    components?: Record<string, unknown>[];
  };
  member?: { roles?: string[]; user?: RawUser };
  user?: RawUser;
  channel?: { id: string; type?: number; parent_id?: string | null };
  message?: { id: string };
};

type RawUser = { id: string; username?: string; global_name?: string | null };

export type AckPolicy = {
  /** Access from the packet alone (guild, member roles, cached DM look-ups); undefined: needs the network. */
  verdict(userId: string, guildId: string | undefined, roles: string[] | undefined): Verdict | undefined;
  /** Whether a command's deferral is private (/staffroom, unknown commands) or public (workflows). */
  privateCommand(name: string): boolean;
  /** Refusal text by verdict. */
  refusal(verdict: Exclude<Verdict, "ok">): string;
  /**
   * A response that needs a look first (forms: a bare command or a form button answered with a modal, a
   * refused form submission answered privately). Undefined, synchronously, when the plan stands, so the
   * common path waits on nothing; a promise resolving undefined falls back to the plan.
   */
  decide?(raw: RawInteraction, plan: AckPlan): Promise<{ plan: AckPlan; body: Record<string, unknown> } | undefined> | undefined;
};

/** The first response to send, or nothing when a handler must answer (autocomplete, DMs needing a look-up). */
export type AckPlan =
  | { kind: "defer"; ephemeral: boolean }
  | { kind: "update" }
  | { kind: "refuse"; verdict: Exclude<Verdict, "ok"> }
  /** A form submitted: deferred in public (a new request) or as an update (a thread's conversation filled). */
  | { kind: "submit"; update: boolean }
  /** Answered in full (a modal shown, a refused form explained): the handlers do nothing more. */
  | { kind: "answered" }
  | { kind: "none" };

/** Pure: what to answer to a packet, mirroring what the handlers did after discord.js's structures. */
export function planAck(raw: RawInteraction, policy: AckPolicy): AckPlan {
  const userId = raw.member?.user?.id ?? raw.user?.id ?? "";
  const isCommand = raw.type === InteractionType.ApplicationCommand && raw.data?.type === ApplicationCommandType.ChatInput;
  const isComponent =
    raw.type === InteractionType.MessageComponent &&
    (raw.data?.component_type === ComponentType.Button || raw.data?.component_type === ComponentType.StringSelect);
  const isAutocomplete = raw.type === InteractionType.ApplicationCommandAutocomplete;
  const modal = raw.type === InteractionType.ModalSubmit ? decodeModalId(raw.data?.custom_id ?? "") : undefined;
  // Kinds the adapter does not handle get no response at all, as before.
  if (!isCommand && !isComponent && !isAutocomplete && !modal) return { kind: "none" };
  const verdict = policy.verdict(userId, raw.guild_id, raw.member?.roles);
  if (verdict === undefined) return { kind: "none" };
  if (verdict !== "ok") return { kind: "refuse", verdict };
  if (modal) return { kind: "submit", update: modal.thread !== undefined };
  if (isCommand) return { kind: "defer", ephemeral: policy.privateCommand(raw.data?.name ?? "") };
  if (isComponent) return { kind: "update" };
  // Autocomplete cannot be deferred: its handler answers with choices.
  return { kind: "none" };
}

/** The interaction callback body for a plan (undefined for "none"). */
export function callbackBody(raw: RawInteraction, plan: AckPlan, policy: AckPolicy): Record<string, unknown> | undefined {
  switch (plan.kind) {
    case "defer":
      return {
        type: InteractionResponseType.DeferredChannelMessageWithSource,
        data: { flags: plan.ephemeral ? MessageFlags.Ephemeral : 0 },
      };
    case "update":
      return { type: InteractionResponseType.DeferredMessageUpdate };
    case "submit":
      return plan.update
        ? { type: InteractionResponseType.DeferredMessageUpdate }
        : { type: InteractionResponseType.DeferredChannelMessageWithSource, data: { flags: 0 } };
    case "refuse":
      return raw.type === InteractionType.ApplicationCommandAutocomplete
        ? { type: InteractionResponseType.ApplicationCommandAutocompleteResult, data: { choices: [] } }
        : {
            type: InteractionResponseType.ChannelMessageWithSource,
            data: { content: policy.refusal(plan.verdict), flags: MessageFlags.Ephemeral, allowed_mentions: { parse: [] } },
          };
    case "answered":
    case "none":
      return undefined;
  }
}

/** What the handlers learn about an interaction the raw packet already answered. */
export type Acked = {
  plan: AckPlan;
  /** Resolves true once Discord accepted the response; false if it could not be sent (logged). */
  sent: Promise<boolean>;
};

const PENDING_TTL_MS = 60_000;

/** A packet seen before: dropped by the handlers, nothing is sent twice. */
export const REPLAY = "replay" as const;

/** Remembers recent ids so a replayed delivery is dropped before anything is sent. */
export class RecentIds {
  private readonly ids = new Set<string>();
  constructor(private readonly max = 5000) {}
  /** True the first time an id is seen. */
  add(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ids.size > this.max) {
      const oldest = this.ids.values().next().value;
      if (oldest !== undefined) this.ids.delete(oldest);
    }
    return true;
  }
}

/**
 * Answers packets as they arrive and hands each interaction's outcome to the discord.js handler that
 * follows (normally in the same tick). Remembers recent ids so a replayed delivery is dropped.
 */
export class Acknowledger {
  /** Outcomes waiting for their discord.js structure (a burst's worth); discord.js drops a few kinds, so old ones go. */
  // A replay delivered before the first delivery's structure is built queues behind it.
  private readonly pending = new Map<string, { outcomes: (Acked | typeof REPLAY)[]; at: number }>();
  private sending = 0;
  private lastPacketAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly sender: CallbackSender,
    private readonly policy: AckPolicy,
    private readonly logger: Logger,
    private readonly seen = new RecentIds(),
    /** Called when the last acknowledgement in flight has been answered. */
    private readonly onIdle: () => void = () => undefined,
  ) {}

  /** Acknowledgements sent and not yet answered. */
  get inFlight(): number {
    return this.sending;
  }

  /** A burst is on: acknowledgements in flight, or a packet came in the last `quietMs`. */
  busy(quietMs = 10): boolean {
    return this.sending > 0 || performance.now() - this.lastPacketAt < quietMs;
  }

  /**
   * Called with each raw INTERACTION_CREATE payload, before discord.js handles it. Returns the response's
   * progress when it waits on a decision (forms), so an HTTP answer can wait for it; otherwise undefined.
   */
  receive(raw: RawInteraction): Promise<boolean> | undefined {
    this.lastPacketAt = performance.now();
    if (!this.seen.add(raw.id)) {
      this.keep(raw.id, REPLAY);
      return undefined;
    }
    let plan: AckPlan = { kind: "none" };
    let body: Record<string, unknown> | undefined;
    try {
      plan = planAck(raw, this.policy);
      body = callbackBody(raw, plan, this.policy);
    } catch (error) {
      // A packet of an unexpected shape: the handlers decide, as for anything not settled here.
      this.logger.warn({ err: error, interaction: raw.id }, "discord: could not plan an acknowledgement");
      plan = { kind: "none" };
      body = undefined;
    }
    const decided = plan.kind === "none" || plan.kind === "refuse" ? undefined : this.decide(raw, plan);
    if (decided) {
      const acked: Acked = { plan, sent: Promise.resolve(false) };
      acked.sent = decided.then((d) => {
        if (d) acked.plan = d.plan;
        const chosen = d?.body ?? body;
        return chosen ? this.send(raw, acked.plan, chosen) : true;
      });
      this.keep(raw.id, acked);
      return acked.sent;
    }
    this.keep(raw.id, { plan, sent: body ? this.send(raw, plan, body) : Promise.resolve(true) });
    return undefined;
  }

  /** The policy's second look, if it wants one; its failure falls back to the plan. */
  private decide(raw: RawInteraction, plan: AckPlan): Promise<{ plan: AckPlan; body: Record<string, unknown> } | undefined> | undefined {
    let pending: ReturnType<NonNullable<AckPolicy["decide"]>>;
    try {
      pending = this.policy.decide?.(raw, plan);
    } catch (error) {
      this.logger.warn({ err: error, interaction: raw.id }, "discord: could not decide a response");
      return undefined;
    }
    return pending?.catch((error: unknown) => {
      this.logger.warn({ err: error, interaction: raw.id }, "discord: could not decide a response");
      return undefined;
    });
  }

  private async send(raw: RawInteraction, plan: AckPlan, body: Record<string, unknown>): Promise<boolean> {
    this.sending++;
    try {
      await this.sender.send(raw.id, raw.token, body);
      return true;
    } catch (error) {
      this.logger.warn({ err: error, interaction: raw.id, plan: plan.kind }, "discord: could not acknowledge an interaction");
      return false;
    } finally {
      if (--this.sending === 0) this.onIdle();
    }
  }

  /** The outcome for an interaction's next structure: undefined if its packet never came through receive(). */
  take(id: string): Acked | typeof REPLAY | undefined {
    const found = this.pending.get(id);
    const outcome = found?.outcomes.shift();
    if (found && found.outcomes.length === 0) this.pending.delete(id);
    return outcome;
  }

  private keep(id: string, outcome: Acked | typeof REPLAY): void {
    const now = performance.now();
    const queued = this.pending.get(id);
    if (queued) queued.outcomes.push(outcome);
    else this.pending.set(id, { outcomes: [outcome], at: now });
    // Oldest first (insertion order): drop what no structure came for within a minute.
    for (const [key, entry] of this.pending) {
      if (now - entry.at < PENDING_TTL_MS) break;
      this.pending.delete(key);
    }
  }
}
