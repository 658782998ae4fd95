// Slack → chat core: slash commands, button/select clicks and thread replies become ChatCore calls.
// Every request is acknowledged at once; the work runs in the background and failures reach the teacher.
import type { App } from "@slack/bolt";
import { type ChatCore, type ChatUser, FORM_OPEN_ACTION, type Inbound, type Place, type ThreadRef } from "../../chat/contract.ts";
import { describeError } from "../../errors.ts";
import type { Logger } from "../../log.ts";
import { BackgroundWork } from "./background.ts";
import {
  errorsResponse,
  type FormOrigin,
  formCommand,
  formOrigin,
  isFormSubmission,
  renderModal,
  SLACK_FORM_LIMITS,
  submittedValues,
  type ViewSubmission,
} from "./modal.ts";
import { decodeAction, type SlackActionElement, slackTextToPlain } from "./render.ts";
import type { SlackReply, SlackSurface } from "./surface.ts";

export type InboundOptions = {
  app: App;
  core: ChatCore;
  surface: SlackSurface;
  logger: Logger;
  /** Workspaces allowed to use the bot; empty allows every workspace the app is installed in. */
  allowedTeamIds: readonly string[];
};

export const REFUSAL_TEXT =
  "Sorry, Staffroom isn't enabled for this workspace, so I can't run that here. Ask the person who set up Staffroom to add this workspace.";

/** Message subtypes that are still a person typing in the thread. */
const PERSON_SUBTYPES = new Set([undefined, "file_share", "thread_broadcast"]);

const isDirectChannel = (channelId: string) => channelId.startsWith("D");

export type CommandBody = {
  command: string;
  text?: string;
  team_id: string;
  enterprise_id?: string;
  channel_id: string;
  channel_name?: string;
  user_id: string;
  user_name?: string;
  response_url?: string;
  trigger_id?: string;
};

type BlockActionsBody = {
  type: string;
  user: { id: string; name?: string; username?: string; team_id?: string };
  team?: { id: string } | null;
  channel?: { id: string } | null;
  container?: { channel_id?: string; message_ts?: string; thread_ts?: string; is_ephemeral?: boolean };
  message?: { ts?: string; thread_ts?: string };
  response_url?: string;
  trigger_id?: string;
  actions?: (SlackActionElement & { action_ts?: string })[];
};

type MessageEvent = {
  type: string;
  subtype?: string;
  user?: string;
  bot_id?: string;
  text?: string;
  ts: string;
  thread_ts?: string;
  channel: string;
  channel_type?: string;
  team?: string;
};

/** A slash command's ack when it will not run: a refusal or an unknown-command hint; undefined when it runs. */
export type CommandGate = (body: CommandBody) => { response_type: "ephemeral"; text: string } | undefined;

export function isCommandBody(body: Record<string, unknown>): body is CommandBody {
  return typeof body.command === "string" && typeof body.team_id === "string";
}

/**
 * Builds the check every slash command passes before it runs. HTTP mode applies it before the response goes
 * out (so the refusal is the response); Socket Mode applies it in the listener and acks with the result.
 */
export function commandGate(options: { core: ChatCore; logger: Logger; allowedTeamIds: readonly string[] }): CommandGate {
  const allowed = new Set(options.allowedTeamIds);
  const knownNames = () => new Set(options.core.commands().map((c) => c.name));
  return (body) => {
    const name = body.command.replace(/^\//, "");
    if (allowed.size > 0 && !allowed.has(body.team_id) && !(body.enterprise_id && allowed.has(body.enterprise_id))) {
      options.logger.info({ team: body.team_id, command: name }, "slack: command from a workspace not in SLACK_ALLOWED_TEAM_IDS refused");
      return { response_type: "ephemeral", text: REFUSAL_TEXT };
    }
    if (!knownNames().has(name)) {
      return { response_type: "ephemeral", text: `I don't know \`/${name}\`. Try \`/staffroom help\` to see what I can do.` };
    }
    return undefined;
  };
}

/**
 * The answer to a form submission, decided before the response goes out (Slack shows errors only from the
 * response itself, within 3 s): `response_action: "errors"` on the right blocks, or undefined to close it.
 */
export function formAnswer(core: ChatCore, body: ViewSubmission): Record<string, unknown> | undefined {
  if (!core.checkForm) return undefined;
  return errorsResponse(core.checkForm(formCommand(body), submittedValues(body)), body);
}

/** Registers the listeners on the Bolt app; returns the tracker of background work they start. */
export function registerInbound(options: InboundOptions): BackgroundWork {
  const { app, core, surface, logger } = options;
  const allowed = new Set(options.allowedTeamIds);
  const teamAllowed = (...ids: (string | undefined | null)[]) => allowed.size === 0 || ids.some((id) => id != null && allowed.has(id));
  const work = new BackgroundWork();
  const gate = commandGate(options);

  /** Opens the command's form with views.open; false when the command has no form here (or Slack refused). */
  async function openForm(
    triggerId: string,
    user: ChatUser,
    command: string,
    args: { text: string },
    origin: FormOrigin,
  ): Promise<boolean> {
    const form = await core.formFor?.(user, command, args, {
      limits: SLACK_FORM_LIMITS,
      direct: origin.isDirect,
      ...(origin.thread ? { thread: origin.thread } : {}),
    });
    if (!form) return false;
    try {
      await surface.openModal(triggerId, renderModal(form, origin));
      logger.info({ command, channel: origin.channelId }, "slack: form opened");
      return true;
    } catch (error) {
      // The trigger lives 3 s; when it is gone, the conversation asks instead.
      logger.warn({ command, code: (error as { data?: { error?: string } }).data?.error }, "slack: could not open the form");
      return false;
    }
  }

  const fail = (inbound: Inbound, what: string) => async (error: unknown) => {
    logger.error(
      { err: error instanceof Error ? { name: error.name, code: (error as { code?: string }).code } : undefined, what },
      "slack: request failed",
    );
    await surface.notify(inbound.place, inbound.user, { role: "error", text: describeError(error) });
  };

  app.command(/.*/, async ({ command, ack }) => {
    const body = command as unknown as CommandBody;
    const name = body.command.replace(/^\//, "");
    // In HTTP mode the receiver has already answered refused commands and they never get here.
    const refusal = gate(body);
    if (refusal) {
      await ack(refusal);
      return;
    }
    await ack();
    const user: ChatUser = { id: body.user_id, teamId: body.team_id, ...(body.user_name ? { name: body.user_name } : {}) };
    const reply: SlackReply = body.response_url ? { responseUrl: body.response_url } : {};
    const place: Place = { channelId: body.channel_id, isDirect: isDirectChannel(body.channel_id), reply };
    const inbound: Inbound = {
      surface,
      user,
      place,
      ...(body.trigger_id ? { dedupeKey: `slack:command:${body.trigger_id}` } : {}),
    };
    logger.info({ command: name, team: body.team_id, channel: body.channel_id }, "slack: command");
    const args = { text: body.text ?? "" };
    work.run(
      async () => {
        // A bare command opens its form; anything typed goes to the conversation, which reads it.
        const origin: FormOrigin = { channelId: place.channelId, isDirect: place.isDirect };
        if (body.trigger_id && (await openForm(body.trigger_id, user, name, args, origin))) return;
        await core.command(inbound, name, args);
      },
      fail(inbound, `/${name}`),
    );
  });

  app.action(/.*/, async ({ ack, body }) => {
    await ack();
    const b = body as unknown as BlockActionsBody;
    if (b.type !== "block_actions") return;
    const teamId = b.team?.id ?? b.user.team_id;
    if (!teamAllowed(teamId)) return;
    const channelId = b.container?.channel_id ?? b.channel?.id;
    const messageTs = b.container?.message_ts ?? b.message?.ts;
    if (!channelId || !messageTs) return;
    const thread: ThreadRef = { surface: "slack", channelId, threadId: b.container?.thread_ts ?? b.message?.thread_ts ?? messageTs };
    const user: ChatUser = {
      id: b.user.id,
      ...(teamId ? { teamId } : {}),
      ...((b.user.name ?? b.user.username) ? { name: b.user.name ?? b.user.username } : {}),
    };
    const reply: SlackReply = b.response_url ? { responseUrl: b.response_url } : {};
    for (const element of b.actions ?? []) {
      const decoded = decodeAction(element);
      if (!decoded) continue;
      // A double click sends two payloads for the same button on the same message: one key for both.
      const inbound: Inbound = {
        surface,
        user,
        place: { channelId, isDirect: isDirectChannel(channelId), reply },
        dedupeKey: `slack:action:${channelId}:${messageTs}:${element.action_id}:${decoded.value}:${b.user.id}`,
      };
      const triggerId = b.trigger_id;
      if (decoded.id === FORM_OPEN_ACTION && triggerId) {
        // "Fill in a form": the form of the thread's request, prefilled with its answers so far.
        const origin: FormOrigin = { channelId, isDirect: inbound.place.isDirect, thread };
        work.run(
          async () => {
            if (!(await openForm(triggerId, user, decoded.value, { text: "" }, origin)))
              await core.action(inbound, thread, decoded.id, decoded.value);
          },
          fail(inbound, "form"),
        );
        continue;
      }
      work.run(() => core.action(inbound, thread, decoded.id, decoded.value), fail(inbound, "action"));
    }
  });

  // A submitted form: problems go back on their blocks (HTTP mode has answered them already, before Bolt);
  // a form that passes closes and its request starts, once per view however often Slack delivers it.
  app.view(/.*/, async ({ ack, body }) => {
    const b = body as unknown as Record<string, unknown>;
    if (!isFormSubmission(b)) {
      await ack();
      return;
    }
    const errors = formAnswer(core, b);
    await ack(errors as never);
    if (errors) return;
    const teamId = b.team?.id ?? b.user.team_id;
    const origin = formOrigin(b);
    if (!teamAllowed(teamId) || !origin || !core.submitForm) return;
    const user: ChatUser = {
      id: b.user.id,
      ...(teamId ? { teamId } : {}),
      ...((b.user.name ?? b.user.username) ? { name: b.user.name ?? b.user.username } : {}),
    };
    const inbound: Inbound = {
      surface,
      user,
      place: { channelId: origin.channelId, isDirect: origin.isDirect },
      // Slack's retry of a submission carries the same view id; a view is submitted successfully once.
      dedupeKey: `slack:view:${b.view.id}`,
    };
    const command = formCommand(b);
    logger.info({ command, channel: origin.channelId }, "slack: form submitted");
    const submit = core.submitForm.bind(core);
    work.run(() => submit(inbound, command, submittedValues(b), origin.thread), fail(inbound, "form"));
  });

  app.event("message", async ({ event, body }) => {
    const e = event as unknown as MessageEvent;
    if (!PERSON_SUBTYPES.has(e.subtype) || e.bot_id || !e.user) return;
    if (!e.thread_ts || e.thread_ts === e.ts) return;
    const teamId = e.team ?? (body as { team_id?: string }).team_id;
    if (!teamAllowed(teamId)) return;
    const thread: ThreadRef = { surface: "slack", channelId: e.channel, threadId: e.thread_ts };
    if (!(await core.owns(thread))) return;
    const inbound: Inbound = {
      surface,
      user: { id: e.user, ...(teamId ? { teamId } : {}) },
      place: { channelId: e.channel, isDirect: e.channel_type === "im" || isDirectChannel(e.channel) },
      // The same message redelivered (Slack's retries, or both transports) has the same channel and ts.
      dedupeKey: `slack:message:${e.channel}:${e.ts}`,
    };
    work.run(() => core.message(inbound, thread, slackTextToPlain(e.text ?? "")), fail(inbound, "message"));
  });

  return work;
}
