// Conversation and chat-core benchmarks: request parsing, one conversation turn, command to first
// question through the real core, and a whole lesson plan in the console (offline model, memory store).
import { PassThrough } from "node:stream";
import { startConsole } from "../src/adapters/console/index.ts";
import { createChatCore } from "../src/chat/index.ts";
import { conversationFields } from "../src/conversation/fields.ts";
import { answer, type ConversationSpec, startConversation } from "../src/conversation/machine.ts";
import { parseRequest } from "../src/conversation/parse.ts";
import { openStore } from "../src/drivers/local/database.ts";
import { createEngine } from "../src/engine/index.ts";
import { createOfflineProvider } from "../src/model/offline.ts";
import { loadTemplates, offlineDrafters } from "../src/templates/index.ts";
import { type BenchRow, median } from "./lib.ts";

const REQUESTS = [
  "5th grade science solar system 45 min",
  "grade 5, fractions",
  'topic:"the water cycle" grade=3 duration: 1 hour',
  "lesson plan on photosynthesis for year 7 biology, an hour",
  `Kindergarten art ${"colours and shapes ".repeat(40)}`,
];

function timeEach(n: number, fn: (i: number) => void): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    fn(i);
    out.push(performance.now() - t);
  }
  return out;
}

export async function run(): Promise<BenchRow[]> {
  const { templates } = await loadTemplates();
  const lesson = templates.find((t) => t.id === "lesson-plan")!;
  const fields = conversationFields(lesson.inputSchema);
  const spec: ConversationSpec = { templateId: lesson.id, command: lesson.command, title: lesson.title, fields };
  const rows: BenchRow[] = [];

  const parse = median(timeEach(2000, (i) => parseRequest(REQUESTS[i % REQUESTS.length]!, fields)));
  rows.push({ area: "conversation", metric: "parse a request (median)", value: parse, unit: "ms", target: "<= 1 ms", ok: parse <= 1 });

  const start = startConversation(spec, {});
  const turn = median(timeEach(2000, (i) => answer(spec, start.state, { kind: "text", text: i % 2 ? "5th" : "grade 15" })));
  rows.push({ area: "conversation", metric: "one conversation turn (median)", value: turn, unit: "ms", target: "<= 1 ms", ok: turn <= 1 });

  const store = await openStore("memory:");
  const engine = createEngine({ store, model: createOfflineProvider({ drafters: offlineDrafters(templates) }) });
  for (const t of templates) engine.register(t.workflow);
  const core = createChatCore({ engine, templates, keyv: store.namespace("chat"), claims: store.claims, progressIntervalMs: 1000 });
  const surface = {
    name: "slack" as const,
    n: 0,
    async openThread() {
      return { surface: "slack" as const, channelId: "C", threadId: `T${++this.n}` };
    },
    async post(thread: { surface: "slack"; channelId: string; threadId: string }) {
      return { thread, messageId: String(++this.n) };
    },
    async edit() {},
    async editRoot() {},
    async postDocument(thread: { surface: "slack"; channelId: string; threadId: string }) {
      return { thread, messageId: String(++this.n) };
    },
    async notify() {},
  };
  const firstQuestion: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t = performance.now();
    await core.command({ surface, user: { id: `U${i % 20}` }, place: { channelId: "C", isDirect: false } }, "lesson-plan", {
      text: REQUESTS[i % 2]!,
    });
    firstQuestion.push(performance.now() - t);
  }
  const fq = median(firstQuestion);
  rows.push({
    area: "conversation",
    metric: "command to first question, core (median)",
    value: fq,
    unit: "ms",
    target: "<= 20 ms",
    ok: fq <= 20,
  });

  const whole: number[] = [];
  for (let i = 0; i < 10; i++) {
    const input = new PassThrough();
    const output = new PassThrough();
    output.resume();
    const t = performance.now();
    const handle = startConsole({ core, input, output, user: { id: `console-${i}` }, channelId: `bench-${i}`, settle: true });
    input.end("/lesson-plan 5th grade science the water cycle 45 min\nrun\n");
    await handle.done;
    whole.push(performance.now() - t);
  }
  const w = median(whole);
  rows.push({
    area: "conversation",
    metric: "console lesson plan, offline, end to end (median)",
    value: w,
    unit: "ms",
    target: "<= 1000 ms",
    ok: w <= 1000,
  });

  await core.close();
  await engine.close();
  await store.close();
  return rows;
}
