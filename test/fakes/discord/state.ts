// In-memory Discord world for the fake: users, guilds, channels, threads, messages, interactions and
// registered commands, with payload builders shaped like what Discord really sends (see platform-payloads).

export const DISCORD_EPOCH = 1_420_070_400_000n;
let counter = 0n;
/** A fresh snowflake: timestamp in the high bits like Discord's, a counter below to keep them unique. */
export function snowflake(): string {
  counter = (counter + 1n) & 0x3fffffn;
  return (((BigInt(Date.now()) - DISCORD_EPOCH) << 22n) | counter).toString();
}

export type FakeUser = { id: string; username: string; global_name?: string | null; bot?: boolean };

export type FakeChannel = {
  id: string;
  /** 0 guild text, 1 DM, 11 public thread. */
  type: 0 | 1 | 11;
  name?: string;
  guild_id?: string;
  parent_id?: string;
  owner_id?: string;
  recipient?: FakeUser;
};

export type FakeAttachment = {
  id: string;
  filename: string;
  size: number;
  content_type?: string;
  /** The file as UTF-8 text (Markdown attachments). */
  data: string;
  /** The file's bytes as uploaded. */
  bytes: Buffer;
};

/** Where the fake serves attachments (its own address, set when it listens), like Discord's CDN. */
export const attachmentHost = { base: "https://cdn.discordapp.com" };

export type FakeMessage = {
  id: string;
  channel_id: string;
  guild_id?: string;
  author: FakeUser;
  content: string;
  embeds: Record<string, unknown>[];
  components: Record<string, unknown>[];
  attachments: FakeAttachment[];
  flags: number;
  timestamp: string;
  edited_timestamp: string | null;
  /** Set on interaction responses and follow-ups. */
  interactionId?: string;
  webhook_id?: string;
  message_reference?: { message_id: string; channel_id: string };
  /** The nonce it was created with. */
  nonce?: string;
  deleted?: boolean;
  /** Every version of the message, oldest first (content + components), for assertions on edits. */
  history: { content: string; embeds: number; components: number; at: number }[];
};

export type FakeInteraction = {
  id: string;
  token: string;
  payload: Record<string, unknown>;
  dispatchedAt: number;
  /** hrtime of the dispatch, for latency measurement. */
  dispatchedHr: number;
  callbacks: { type: number; at: number; atHr: number; body: Record<string, unknown> }[];
  originalMessageId?: string;
  /** A deferred response still showing "thinking" (the first follow-up replaces it, as on Discord). */
  loading: boolean;
  expired: boolean;
  ackWaiters: ((callback: { type: number; at: number }) => void)[];
  /** The modal shown as this interaction's response (callback type 9), to be filled in with submitModal. */
  modal?: Record<string, unknown>;
};

export const FLAG_EPHEMERAL = 64;
export const FLAG_LOADING = 128;

export function userPayload(u: FakeUser): Record<string, unknown> {
  return {
    id: u.id,
    username: u.username,
    global_name: u.global_name ?? null,
    discriminator: u.bot ? "6184" : "0",
    avatar: null,
    public_flags: u.bot ? 524288 : 0,
    ...(u.bot ? { bot: true } : {}),
  };
}

export function messagePayload(m: FakeMessage): Record<string, unknown> {
  return {
    id: m.id,
    type: m.interactionId ? 20 : m.message_reference ? 19 : 0,
    channel_id: m.channel_id,
    ...(m.guild_id ? { guild_id: m.guild_id } : {}),
    author: userPayload(m.author),
    content: m.content,
    embeds: m.embeds,
    components: m.components,
    attachments: m.attachments.map((a) => ({
      id: a.id,
      filename: a.filename,
      size: a.size,
      url: `${attachmentHost.base}/attachments/${m.channel_id}/${a.id}/${a.filename}`,
      proxy_url: `https://media.discordapp.net/attachments/${m.channel_id}/${a.id}/${a.filename}`,
      ...(a.content_type ? { content_type: a.content_type } : {}),
    })),
    flags: m.flags,
    timestamp: m.timestamp,
    edited_timestamp: m.edited_timestamp,
    mentions: [],
    mention_roles: [],
    mention_everyone: false,
    pinned: false,
    tts: false,
    ...(m.webhook_id ? { webhook_id: m.webhook_id } : {}),
    ...(m.message_reference ? { message_reference: m.message_reference } : {}),
  };
}

export function channelPayload(c: FakeChannel): Record<string, unknown> {
  if (c.type === 1) {
    return { id: c.id, type: 1, last_message_id: null, flags: 0, recipients: c.recipient ? [userPayload(c.recipient)] : [] };
  }
  if (c.type === 11) {
    const now = new Date().toISOString();
    return {
      id: c.id,
      type: 11,
      guild_id: c.guild_id,
      parent_id: c.parent_id,
      owner_id: c.owner_id,
      name: c.name,
      flags: 0,
      last_message_id: null,
      rate_limit_per_user: 0,
      message_count: 0,
      member_count: 1,
      total_message_sent: 0,
      thread_metadata: { archived: false, auto_archive_duration: 1440, archive_timestamp: now, locked: false, create_timestamp: now },
    };
  }
  return {
    id: c.id,
    type: 0,
    guild_id: c.guild_id,
    name: c.name,
    position: 0,
    flags: 0,
    parent_id: null,
    topic: null,
    nsfw: false,
    rate_limit_per_user: 0,
    last_message_id: null,
    permission_overwrites: [],
  };
}

export type FakeGuild = { id: string; name: string; ownerId: string; channels: FakeChannel[]; roles: { id: string; name: string }[] };

export function guildCreatePayload(g: FakeGuild, bot: FakeUser, threads: FakeChannel[]): Record<string, unknown> {
  const joined = new Date(0).toISOString();
  return {
    id: g.id,
    name: g.name,
    icon: null,
    splash: null,
    discovery_splash: null,
    owner_id: g.ownerId,
    afk_channel_id: null,
    afk_timeout: 300,
    verification_level: 0,
    default_message_notifications: 0,
    explicit_content_filter: 0,
    roles: [
      {
        id: g.id,
        name: "@everyone",
        permissions: "2248473465835073",
        position: 0,
        color: 0,
        hoist: false,
        managed: false,
        mentionable: false,
        flags: 0,
      },
      ...g.roles.map((r, i) => ({
        id: r.id,
        name: r.name,
        permissions: "0",
        position: i + 1,
        color: 0,
        hoist: false,
        managed: false,
        mentionable: false,
        flags: 0,
      })),
    ],
    emojis: [],
    stickers: [],
    features: [],
    mfa_level: 0,
    system_channel_id: null,
    system_channel_flags: 0,
    rules_channel_id: null,
    vanity_url_code: null,
    description: null,
    banner: null,
    premium_tier: 0,
    preferred_locale: "en-US",
    public_updates_channel_id: null,
    nsfw_level: 0,
    premium_progress_bar_enabled: false,
    joined_at: joined,
    large: false,
    unavailable: false,
    member_count: 2,
    voice_states: [],
    members: [{ user: userPayload(bot), roles: [], joined_at: joined, deaf: false, mute: false, flags: 0 }],
    channels: g.channels.map(channelPayload),
    threads: threads.map(channelPayload),
    presences: [],
    stage_instances: [],
    guild_scheduled_events: [],
  };
}
