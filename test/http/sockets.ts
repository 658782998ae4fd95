// Raw TCP clients for the HTTP hardening tests: they send exactly the bytes given (no URL normalisation,
// no waiting for a whole body), so slow clients and dot-segment paths reach the server as an attacker's would.
import { request as httpRequest } from "node:http";
import { connect } from "node:net";

export type RawReply = { text: string; status: number | undefined; closed: boolean; ms: number };

/** Writes `head` (and nothing more), then reads until the server closes the socket or `giveUpMs` passes. */
export function slowClient(port: number, head: string, giveUpMs: number): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = connect(port, "127.0.0.1");
    let text = "";
    const done = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      const status = /^HTTP\/1\.1 (\d{3})/.exec(text)?.[1];
      resolve({ text, status: status ? Number(status) : undefined, closed, ms: performance.now() - started });
    };
    const timer = setTimeout(() => done(false), giveUpMs);
    socket.on("connect", () => socket.write(head));
    socket.on("data", (chunk) => {
      text += chunk.toString("utf8");
    });
    socket.on("close", () => done(true));
    socket.on("error", (error) => (text ? done(true) : reject(error)));
  });
}

export type PathReply = { status: number; headers: Record<string, string | string[] | undefined>; text: string };

/**
 * GET (or another method) with the path sent verbatim, as node:http does (fetch would resolve dot segments
 * first); `from` picks the local address (any 127.x.y.z is loopback on Linux), `body` is sent as given.
 */
export function rawPath(
  port: number,
  path: string,
  headers: Record<string, string> = {},
  method = "GET",
  opts: { from?: string; body?: string } = {},
): Promise<PathReply> {
  const { from, body } = opts;
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: "127.0.0.1",
        port,
        path,
        method,
        ...(from ? { localAddress: from } : {}),
        headers: { ...headers, ...(body !== undefined ? { "content-length": String(Buffer.byteLength(body)) } : {}) },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => {
          text += c;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}
