// The shapes of Slack request bodies the listeners rely on (slash commands, interactions, Events API
// envelopes), checked after the signature and before Bolt: a signed body that does not fit is a 400, not
// an error inside a listener. Loose objects: Slack adds fields over time, and those are passed through.
import { z } from "zod";

const Id = z.string().min(1).max(255);
const Text = z.string().max(200_000);

const SlashCommand = z.looseObject({
  command: z.string().regex(/^\/\S{1,100}$/),
  team_id: Id,
  user_id: Id,
  channel_id: Id,
  text: Text.optional(),
  response_url: z.string().max(2000).optional(),
  trigger_id: z.string().max(500).optional(),
});

const ActionElement = z.looseObject({
  action_id: z.string().max(255),
  type: z.string().optional(),
  value: z.string().optional(),
  selected_option: z.looseObject({ value: z.string() }).nullable().optional(),
});

const Interaction = z.looseObject({
  type: z.enum([
    "block_actions",
    "block_suggestion",
    "view_submission",
    "view_closed",
    "shortcut",
    "message_action",
    "interactive_message",
    "dialog_submission",
  ]),
  user: z.looseObject({ id: Id, team_id: Id.optional(), name: z.string().optional(), username: z.string().optional() }),
  team: z.looseObject({ id: Id }).nullable().optional(),
  channel: z.looseObject({ id: Id }).nullable().optional(),
  container: z.looseObject({ channel_id: Id.optional(), message_ts: z.string().optional(), thread_ts: z.string().optional() }).optional(),
  message: z.looseObject({ ts: z.string().optional(), thread_ts: z.string().optional() }).optional(),
  actions: z.array(ActionElement).max(100).optional(),
  view: z.looseObject({ id: z.string().optional() }).optional(),
  response_url: z.string().max(2000).optional(),
});

const MessageEvent = z.looseObject({
  type: z.literal(["message", "app_mention"]),
  subtype: z.string().optional(),
  channel: Id,
  ts: z.string().min(1).max(64),
  thread_ts: z.string().max(64).optional(),
  user: Id.optional(),
  bot_id: z.string().optional(),
  text: Text.optional(),
  team: Id.optional(),
  channel_type: z.string().optional(),
});

const EventCallback = z.looseObject({
  type: z.literal("event_callback"),
  team_id: Id.optional(),
  event_id: z.string().max(255).optional(),
  event: z.looseObject({ type: z.string().min(1).max(100) }),
});

const UrlVerification = z.looseObject({ type: z.literal("url_verification"), challenge: z.string().min(1).max(1000) });
const AppRateLimited = z.looseObject({ type: z.literal("app_rate_limited"), team_id: Id.optional() });

/** Whether a parsed, signed body has the shape its kind needs; false means answer 400 and run nothing. */
export function slackBodyFits(body: Record<string, unknown>): boolean {
  if (body.type === undefined && "command" in body) return SlashCommand.safeParse(body).success;
  switch (body.type) {
    case "event_callback": {
      if (!EventCallback.safeParse(body).success) return false;
      const event = body.event as { type: string };
      return event.type === "message" || event.type === "app_mention" ? MessageEvent.safeParse(event).success : true;
    }
    case "url_verification":
      return UrlVerification.safeParse(body).success;
    case "app_rate_limited":
      return AppRateLimited.safeParse(body).success;
    default:
      return Interaction.safeParse(body).success;
  }
}
