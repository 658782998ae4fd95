// A fetch for the OpenAI SDK that counts a response body's bytes as they arrive and stops reading past a
// limit, so a huge answer never sits in memory whole (the SDK would read it all before parsing). Streams
// (server-sent events) are bounded per line instead: their framing repeats per token, so the answer's text
// is capped where the deltas are joined (openai.ts); a single endless line is what could still grow here.
import { ModelAnswerTooLargeError } from "../errors.ts";

export type BodyLimits = {
  /** The answer-text limit reported to the reader. */
  answerBytes: number;
  /** Whole body of a plain (JSON) response: the text plus its escaping and envelope. */
  bodyBytes: number;
  /** One line of an event stream. */
  lineBytes: number;
  /** Whole event stream: a backstop against endless empty events. */
  streamBytes: number;
};

/** Raw-byte limits from the answer-text limit: JSON escaping can take 6 bytes per character; SSE framing ~200 bytes per token. */
export function bodyLimits(answerBytes: number): BodyLimits {
  const slack = 64 * 1024;
  return { answerBytes, bodyBytes: answerBytes * 6 + slack, lineBytes: answerBytes * 6 + slack, streamBytes: answerBytes * 64 + slack };
}

const NEWLINE = 0x0a;

export function boundedFetch(limits: BodyLimits, inner: typeof fetch = fetch): typeof fetch {
  return async (input, init) => {
    const response = await inner(input, init);
    if (!response.body) return response;
    const stream = (response.headers.get("content-type") ?? "").includes("text/event-stream");
    const total = stream ? limits.streamBytes : limits.bodyBytes;
    const declared = Number(response.headers.get("content-length") ?? Number.NaN);
    if (Number.isFinite(declared) && declared > total) {
      await response.body.cancel().catch(() => undefined);
      throw new ModelAnswerTooLargeError(limits.answerBytes);
    }
    let seen = 0;
    let line = 0;
    const counted = response.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          seen += chunk.byteLength;
          if (stream) {
            const last = chunk.lastIndexOf(NEWLINE);
            line = last === -1 ? line + chunk.byteLength : chunk.byteLength - last - 1;
          }
          // Erroring the transform cancels the source: the socket closes and nothing more is read.
          if (seen > total || line > limits.lineBytes) controller.error(new ModelAnswerTooLargeError(limits.answerBytes));
          else controller.enqueue(chunk);
        },
      }),
    );
    return new Response(counted, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}
