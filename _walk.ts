import { startFake as startSlackFake } from "./test/slack/helpers.ts";
import { startStack as startSlackStack, Teacher, textOf as slackText } from "./test/slack/stack.ts";
import { startFake as startDiscordFake, startStack as startDiscordStack, newcomer, botMessages, buttonId, textOf, componentsOf } from "./test/discord/helpers.ts";

type Json = Record<string, any>;
const showSlackView = (v: Json) => {
  console.log(`  [modal] "${v.title.text}"  (${v.submit.text} / ${v.close.text})`);
  for (const b of v.blocks) {
    if (b.type !== "input") { console.log(`   · ${JSON.stringify(b.elements?.[0]?.text)}`); continue; }
    const e = b.element;
    const init = e.initial_option?.text?.text ?? e.initial_value;
    console.log(`   · ${b.label.text}${b.optional ? " (optional)" : ""}: ${e.type}${e.multiline ? " multiline" : ""}${e.options ? ` [${e.options.map((o: Json) => o.text.text).join(", ")}]` : ""}${e.min_value ? ` ${e.min_value}..${e.max_value}` : ""}${init ? `  = "${init}"` : ""}${e.placeholder ? `  placeholder "${e.placeholder.text}"` : ""}`);
    if (b.hint) console.log(`       hint: ${b.hint.text}`);
  }
};

console.log("===== SLACK =====");
const fake = await startSlackFake();
const stack = await startSlackStack(fake);
const t = new Teacher(fake, () => stack.url, "U0WALK", "C0WALK");
await t.command("staffroom", "profile grade=5 subject=Science language=Spanish");
await new Promise((r) => setTimeout(r, 300));
console.log("> /lesson-plan");
await t.command("lesson-plan", "");
let view = await fake.waitFor(() => fake.views.at(-1));
showSlackView(view.view);
console.log('> submit with grade 5, topic "Shadows", duration 45, language "E"');
let res = await t.submitView(view.id, { grade: "5", subject: "Science", topic: "Shadows", duration: "45", language: "E" });
console.log("  errors shown:", JSON.stringify(res.errors));
console.log('> fix language to "English", submit');
res = await t.submitView(view.id, { grade: "5", subject: "Science", topic: "Shadows", duration: "45", language: "English" });
const root = await fake.waitFor(() => fake.messages.find((m) => m.channel === "C0WALK" && !m.threadTs));
await fake.waitFor(() => /done in/.test(slackText(fake.message("C0WALK", root.ts)!)) || undefined, 15000);
await stack.core.idle();
console.log("  root:", slackText(fake.message("C0WALK", root.ts)!).split("\n")[0]);
for (const m of fake.threadMessages("C0WALK", root.ts).slice(0, 6)) console.log("  thread:", slackText(m).replace(/\n+/g, " | ").slice(0, 160));
console.log("> /assessment grade 7 math");
await t.command("assessment", "grade 7 math");
const root2 = await fake.waitFor(() => fake.messages.filter((m) => m.channel === "C0WALK" && !m.threadTs)[1]);
const q = await fake.waitFor(() => fake.threadMessages("C0WALK", root2.ts).find((m) => /Fill in a form/.test(JSON.stringify(m.blocks))));
for (const m of fake.threadMessages("C0WALK", root2.ts)) console.log("  thread:", slackText(m).replace(/\n+/g, " | ").slice(0, 160), "| buttons:", m.blocks.filter((b: Json) => b.type === "actions").flatMap((b: Json) => b.elements.map((e: Json) => e.text?.text ?? `select(${e.options?.length})`)).join(", "));
console.log("> click Fill in a form");
await t.click(q, /Fill in a form/);
view = await fake.waitFor(() => fake.views.at(-1) !== view ? fake.views.at(-1) : undefined);
showSlackView(view.view);
await stack.stop();
await fake.stop();
console.log("violations:", fake.violations);

console.log("===== DISCORD =====");
const dfake = await startDiscordFake();
const dstack = await startDiscordStack(dfake);
console.log("> /lesson-plan");
const shown = dfake.slash({ name: "lesson-plan", user: newcomer });
console.log("  callback type", (await shown.acked).type);
const showModal = (m: Json) => {
  console.log(`  [modal] "${m.title}"`);
  for (const l of m.components) { const c = l.component; console.log(`   · ${l.label}${c.required === false ? " (optional)" : ""}: ${c.type === 3 ? `select [${c.options.map((o: Json) => o.label + (o.default ? "*" : "")).join(", ")}]` : c.style === 2 ? "paragraph" : "short text"}${c.value ? ` = "${c.value}"` : ""}${c.placeholder ? `  placeholder "${c.placeholder}"` : ""}`); if (l.description) console.log(`       ${l.description}`); }
};
showModal(shown.modal!);
console.log('> submit grade 3, Science, "Rocks", duration 500');
const bad = dfake.submitModal({ shown, user: newcomer, values: { grade: "3", subject: "Science", topic: "Rocks", duration: "500" } });
console.log("  callback type", (await bad.acked).type);
const refusal = dfake.messages.get(bad.originalMessageId!)!;
console.log("  (only you) ", textOf(refusal).replace(/\n/g, " | "), "| buttons:", componentsOf(refusal).map((c) => c.label).join(", "));
const re = dfake.click({ message: refusal, customId: buttonId(refusal, /Open the form/)!, user: newcomer });
console.log("> click Open the form again → callback type", (await re.acked).type);
showModal(re.modal!);
const good = dfake.submitModal({ shown: re, user: newcomer, values: { duration: "50" } });
console.log("> submit with duration 50 → callback type", (await good.acked).type);
const droot = await dfake.waitFor(() => good.originalMessageId ? dfake.messages.get(good.originalMessageId) : undefined);
const thread = await dfake.waitFor(() => dfake.channels.get(droot.id));
await dfake.waitFor(() => /done in/.test(dfake.messages.get(droot.id)?.content ?? "") || undefined, 15000);
console.log("  root:", dfake.messages.get(droot.id)?.content);
for (const m of botMessages(dfake, thread.id).slice(0, 5)) console.log("  thread:", textOf(m).replace(/\n+/g, " | ").slice(0, 160));
await dstack.stop();
await dfake.close();
console.log("violations:", dfake.violations);
process.exit(0);
