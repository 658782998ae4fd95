// A local fake of the OpenAI Chat Completions API (127.0.0.1, ephemeral port) for end-to-end tests that run
// the real `openai` SDK. Default answers fit the request's JSON schema; tests script one-shot behaviours.
//
//   const fake = await startFakeOpenAI();
//   // point the app at it: OPENAI_BASE_URL=fake.url (and any OPENAI_API_KEY)
//   fake.enqueue({ status: 429, retryAfter: 1 }, { json: { title: "x" } });  // next two calls
//   fake.requests[0].messages   // bodies received, parsed
//   await fake.close();
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { synthesizeFromJsonSchema } from "../../src/model/synthesize.ts";

/** One scripted answer; `delayMs` (and `usage`) combine with any of the others. */
export type FakeBehaviour = {
  /**
   * Wait this long before answering (the client may close meanwhile: counted in `aborted`).
   * For streaming requests the wait falls after the headers and the first word, i.e. mid-stream.
   */
  delayMs?: number;
  /** Answer with this value as JSON text. */
  json?: unknown;
  /** Answer with this text. */
  text?: string;
  /** Answer text that is not JSON (for structured-output repair paths). */
  invalidJson?: true;
  /** Answer with this value as JSON although it does not fit the schema (same as `json`, named for intent). */
  notFitting?: unknown;
  /** Answer with an error status (500, 401, 429, ...) and an OpenAI-style error body. */
  status?: number;
  /** With status: the error body's message instead of the usual one (an endpoint that echoes the prompt). */
  errorMessage?: string;
  /** With status 429: the Retry-After header, in seconds. */
  retryAfter?: number;
  /**
   * Break the answer in transit, half-way through its body: "cut" closes the socket (the client sees the
   * connection end early), "end" ends the response cleanly (a JSON body that stops mid-way, a stream with no
   * finish_reason and no [DONE]).
   */
  truncate?: "cut" | "end";
  /** Answer 200 with a JSON content type but a body that is not JSON (a proxy's error page). */
  garbled?: true;
  /** Token usage to report; defaults to a word count. */
  usage?: { prompt_tokens: number; completion_tokens: number };
};

export type FakeRequestBody = {
  model: string;
  messages: { role: string; content: string }[];
  stream?: boolean;
  response_format?: { type: string; json_schema?: { name: string; schema?: Record<string, unknown>; strict?: boolean } };
  [key: string]: unknown;
};

export type FakeOpenAI = {
  /** Base URL ending in /v1: use as OPENAI_BASE_URL. */
  url: string;
  /** Every request body received on /v1/chat/completions, in order. */
  requests: FakeRequestBody[];
  /** How many requests the client closed before the answer was sent. */
  readonly aborted: number;
  /** Script the next calls, one behaviour per call; afterwards the defaults apply again. */
  enqueue(...behaviours: FakeBehaviour[]): void;
  close(): Promise<void>;
};

export type FakeOptions = {
  /**
   * Default answers weave in every placeholder ("[STUDENT_1]", "[EMAIL_1]"...) the request carried, the way a
   * real model writes them back, so tests can check that documents restore them.
   */
  echoPlaceholders?: boolean;
};

export async function startFakeOpenAI(options: FakeOptions = {}): Promise<FakeOpenAI> {
  const queue: FakeBehaviour[] = [];
  const requests: FakeRequestBody[] = [];
  let aborted = 0;
  let counter = 0;

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendError(res, 500, `fake server error: ${String(error)}`);
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    if (req.method !== "POST" || !req.url?.startsWith("/v1/chat/completions")) {
      sendError(res, 404, `Unknown path ${req.method} ${req.url}`);
      return;
    }
    let body: FakeRequestBody;
    try {
      body = JSON.parse(raw) as FakeRequestBody;
    } catch {
      sendError(res, 400, "Request body is not JSON");
      return;
    }
    requests.push(body);
    const behaviour = queue.shift() ?? {};
    let closedEarly = false;
    res.on("close", () => {
      if (!res.writableFinished && !closedEarly) {
        closedEarly = true;
        aborted++;
      }
    });

    const wait = async (): Promise<boolean> => {
      if (!behaviour.delayMs) return true;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, behaviour.delayMs);
        res.on("close", () => {
          clearTimeout(timer);
          resolve();
        });
      });
      return !(closedEarly || res.destroyed);
    };
    const streaming = body.stream === true && !(behaviour.status && behaviour.status >= 400);
    if (!streaming && !(await wait())) return;

    if (behaviour.status && behaviour.status >= 400) {
      const headers: Record<string, string> = {};
      if (behaviour.retryAfter !== undefined) headers["retry-after"] = String(behaviour.retryAfter);
      sendError(res, behaviour.status, behaviour.errorMessage ?? statusMessage(behaviour.status), headers);
      return;
    }

    if (behaviour.garbled) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end("<html><body>502 Bad Gateway</body></html>");
      return;
    }
    const content = answerText(body, behaviour, options);
    const usage = behaviour.usage ?? {
      prompt_tokens: countWords(body.messages.map((m) => m.content).join(" ")),
      completion_tokens: countWords(content),
    };
    const id = `chatcmpl-fake-${++counter}`;
    const created = Math.floor(Date.now() / 1000);
    if (body.stream) {
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
      const send = (chunk: unknown) => res.write(`data: ${JSON.stringify(chunk)}\n\n`);
      const base = { id, object: "chat.completion.chunk", created, model: body.model };
      send({ ...base, choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }] });
      // Words are read one at a time: a 5 MB answer as an array of a million strings would weigh on the
      // test process that the size-cap tests measure.
      const words = content.matchAll(/\S+\s*|\s+/g);
      const piece = (p: string) => send({ ...base, choices: [{ index: 0, delta: { content: p }, finish_reason: null }] });
      const first = words.next();
      if (!first.done) piece(first.value[0]);
      if (!(await wait())) return;
      if (behaviour.truncate) {
        const rest = Array.from(words, (m) => m[0]);
        const total = rest.length + (first.done ? 0 : 1);
        for (const p of rest.slice(0, Math.max(1, Math.floor(total / 2)) - 1)) piece(p);
        // "cut": close once what was sent has left (destroy alone would drop the buffered events too).
        if (behaviour.truncate === "cut") res.write(": cut\n\n", () => res.destroy());
        else res.end();
        return;
      }
      for (const m of words) {
        // Large answers: respect back-pressure, and stop once the client has gone.
        if (!piece(m[0])) await drained(res);
        if (res.destroyed) return;
      }
      send({ ...base, choices: [{ index: 0, delta: {}, finish_reason: "stop" }] });
      const includeUsage = (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage;
      if (includeUsage) send({ ...base, choices: [], usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens } });
      res.end("data: [DONE]\n\n");
      return;
    }
    const completion = {
      id,
      object: "chat.completion",
      created,
      model: body.model,
      choices: [{ index: 0, message: { role: "assistant", content, refusal: null }, finish_reason: "stop", logprobs: null }],
      usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
    };
    if (behaviour.truncate) {
      const text = JSON.stringify(completion);
      const half = text.slice(0, Math.floor(text.length / 2));
      if (behaviour.truncate === "cut") {
        // Promise the whole body, send half, close: the client's read ends early.
        res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
        res.write(half, () => res.destroy());
      } else {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(half);
      }
      return;
    }
    sendJson(res, 200, completion);
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    get aborted() {
      return aborted;
    },
    enqueue(...behaviours) {
      queue.push(...behaviours);
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/** The default answer: a value fitting the requested JSON schema, else a short neutral text. */
function answerText(body: FakeRequestBody, behaviour: FakeBehaviour, options: FakeOptions = {}): string {
  if (behaviour.text !== undefined) return behaviour.text;
  if (behaviour.json !== undefined) return JSON.stringify(behaviour.json);
  if (behaviour.notFitting !== undefined) return JSON.stringify(behaviour.notFitting);
  if (behaviour.invalidJson) return "Sure! Here is the plan you asked for (not JSON).";
  const schema = body.response_format?.json_schema?.schema;
  const userText = [...body.messages].reverse().find((m) => m.role === "user")?.content ?? "";
  const placeholders = options.echoPlaceholders
    ? [...new Set(body.messages.flatMap((m) => m.content.match(/\[(?:STUDENT|PARENT|PERSON|EMAIL|PHONE|ID)_\d+\]/g) ?? []))]
    : [];
  const subject = placeholders.length > 0 ? placeholders.join(" ") : "the requested topic";
  if (schema) {
    return JSON.stringify(synthesizeFromJsonSchema(schema, { subject, seed: userText }));
  }
  return `Fake model answer on ${subject} (${countWords(userText)} words of prompt received).`;
}

function statusMessage(status: number): string {
  if (status === 401) return "Incorrect API key provided.";
  if (status === 429) return "Rate limit reached for requests.";
  if (status >= 500) return "The server had an error while processing your request.";
  return `Request failed with status ${status}.`;
}

function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

function sendError(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  const type = status === 429 ? "rate_limit_exceeded" : status >= 500 ? "server_error" : "invalid_request_error";
  sendJson(res, status, { error: { message, type, param: null, code: type } }, headers);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** Resolves once the response can take more, or has closed. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}

function countWords(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}
