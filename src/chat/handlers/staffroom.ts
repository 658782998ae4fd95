// Use case "/staffroom": help, status, history, stats, profile, cancel; forget has its own handler.

import { templateHelp } from "../../conversation/machine.ts";
import { MAX_REQUEST_CHARS } from "../../conversation/parse.ts";
import { describeProfile, parseProfileEdit } from "../../conversation/profile.ts";
import { shorten } from "../../util/shorten.ts";
import { checklistFromView } from "../checklist.ts";
import type { ChatContext } from "../context.ts";
import type { CommandArgs, CommandSpec, Inbound } from "../contract.ts";
import { helpMessage, statsMessage, statusMessage } from "../messages.ts";
import { askForget } from "./forget.ts";
import { findExecution, openRequest, showHistory, unknownRef } from "./history.ts";

export async function staffroom(ctx: ChatContext, inbound: Inbound, args: CommandArgs, commands: CommandSpec[]): Promise<void> {
  const text = (args.text ?? "").trim().slice(0, MAX_REQUEST_CHARS);
  const fieldSub = typeof args.fields?.subcommand === "string" ? args.fields.subcommand : undefined;
  const [first = "help", ...restWords] = text.split(/\s+/).filter(Boolean);
  const sub = (fieldSub ?? first).toLowerCase();
  const fieldArg = Object.entries(args.fields ?? {}).find(([k]) => k !== "subcommand")?.[1];
  const rest = fieldSub ? (fieldArg !== undefined ? String(fieldArg) : text) : restWords.join(" ");
  const userId = inbound.user.id;
  const show = (message: Parameters<typeof inbound.surface.notify>[2]) => inbound.surface.notify(inbound.place, inbound.user, message);
  switch (sub) {
    case "help": {
      // "/staffroom help lesson-plan" (or the console's "/help lesson-plan"): that template's help.
      const template = rest.trim() ? ctx.templateFor(rest.trim().replace(/^\//, "").toLowerCase()) : undefined;
      if (template) return show({ text: templateHelp(ctx.spec(template)), role: "notice" });
      return show(helpMessage(commands, Object.fromEntries(ctx.templates.map((t) => [t.command, t.description]))));
    }
    case "status": {
      const ref = rest.trim();
      if (!ref) return ctx.tell(inbound, "Which request? Use /staffroom status <number> (numbers are listed by /staffroom history).");
      const id = await findExecution(ctx, userId, ref);
      const view = id ? await ctx.engine.get(id) : undefined;
      if (!view || view.userId !== userId) return ctx.tell(inbound, unknownRef(ref));
      return show(statusMessage(view, checklistFromView(ctx.checklistFor(view, view.title), view)));
    }
    case "history":
    case "list":
      return showHistory(ctx, inbound);
    case "open":
      return openRequest(ctx, inbound, rest);
    case "stats":
      return show(statsMessage(await ctx.engine.stats()));
    case "profile": {
      if (rest === "") return show({ text: describeProfile(await ctx.profiles.get(userId)), role: "notice" });
      if (/^(clear|reset|delete)$/i.test(rest)) {
        await ctx.profiles.delete(userId);
        return ctx.tell(inbound, "Your profile is cleared.");
      }
      const edit = parseProfileEdit(rest);
      if (!edit.ok) return ctx.tell(inbound, edit.message);
      const profile = await ctx.profiles.update(userId, edit.changes, ctx.clock.now());
      return show({ text: `Saved.\n${describeProfile(profile)}`, role: "notice" });
    }
    case "forget":
      return askForget(ctx, inbound);
    case "cancel": {
      const ref = rest.trim();
      if (!ref) return ctx.tell(inbound, "Which request? Use /staffroom cancel <number>, or type cancel in its thread.");
      const id = await findExecution(ctx, userId, ref);
      const view = id ? await ctx.engine.get(id) : undefined;
      if (!id || !view || view.userId !== userId) return ctx.tell(inbound, unknownRef(ref));
      const cancelled = await ctx.engine.cancel(id);
      return ctx.tell(inbound, cancelled ? `Cancelled request ${ref}.` : `Request ${ref} had already finished (${view.status}).`);
    }
    default:
      return ctx.tell(inbound, `I don't know "/staffroom ${shorten(sub, 40)}". Try /staffroom help.`);
  }
}
