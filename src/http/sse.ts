// Server-Sent Events framing over a plain node:http response: id/event/data records, heartbeat
// comments, and the Last-Event-ID a reconnecting client sends.
import type { IncomingMessage, ServerResponse } from "node:http";
import { HttpProblem } from "./problem.ts";

export type EventStream = {
  /** Writes one event; false once the client is gone. */
  send(id: number, event: string, data: unknown): boolean;
  comment(text: string): void;
  end(): void;
  readonly closed: boolean;
  onClose(fn: () => void): void;
};

/** Last-Event-ID header (or ?last_event_id=): the seq already seen; 0 when absent. */
export function lastEventId(req: IncomingMessage, fromQuery: string | undefined): number {
  const raw = req.headers["last-event-id"] ?? fromQuery;
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined || value.trim() === "") return 0;
  if (!/^\d{1,15}$/.test(value.trim())) {
    throw new HttpProblem(
      400,
      "invalid_last_event_id",
      "Last-Event-ID should be the seq number of the last event you received (a whole number).",
      {
        errors: [{ field: "Last-Event-ID", message: "should be a whole number" }],
      },
    );
  }
  return Number(value.trim());
}

export function openEventStream(
  req: IncomingMessage,
  res: ServerResponse,
  opts: { retryMs: number; headers?: Record<string, string> },
): EventStream {
  let closed = false;
  const closers: (() => void)[] = [];
  const close = () => {
    if (closed) return;
    closed = true;
    for (const fn of closers.splice(0)) fn();
  };
  res.writeHead(200, {
    ...opts.headers,
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-store",
    connection: "keep-alive",
    // Proxies (nginx) must pass events through as they come.
    "x-accel-buffering": "no",
  });
  req.socket.setNoDelay(true);
  res.write(`retry: ${opts.retryMs}\n\n`);
  // res "close" fires when the client goes away (req "close" only means the request body was read).
  res.on("close", close);
  return {
    send(id, event, data) {
      if (closed) return false;
      res.write(`id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      return true;
    },
    comment(text) {
      if (!closed) res.write(`: ${text.replace(/[\r\n]+/g, " ")}\n\n`);
    },
    end() {
      if (!res.writableEnded) res.end();
      close();
    },
    get closed() {
      return closed;
    },
    onClose(fn) {
      if (closed) fn();
      else closers.push(fn);
    },
  };
}
