// The printable page behind a document's "Open / print" link, on the bot's own port: no login, and
// nothing served without a valid, unexpired signature (src/documents/links.ts decides). A refused link gets
// one sentence and no part of the document.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { KnownNames, LinkSigner } from "../documents/index.ts";
import { PRINT_PATH } from "../documents/index.ts";
import type { EngineApi } from "../engine/api.ts";
import type { Logger } from "../log.ts";
import type { Template } from "../templates/types.ts";
import { documentFile } from "./api/documents.ts";
import { requestUrl } from "./path.ts";
import { HttpProblem } from "./problem.ts";
import type { HttpMount } from "./server.ts";

export type PrintOptions = {
  engine: EngineApi;
  templates: readonly Template[];
  links: LinkSigner;
  logger: Logger;
  now?: () => number;
  /** Names the privacy layer knows for a run (the page's title is its file name's source too). */
  knownNames?: KnownNames;
};

const REFUSED: Record<"malformed" | "expired" | "bad_signature", { status: number; text: string }> = {
  malformed: { status: 403, text: "This link is incomplete; open the document from its Open / print link in the thread." },
  bad_signature: { status: 403, text: "This link is not valid; open the document from its Open / print link in the thread." },
  expired: { status: 410, text: "This link has expired; ask for the document again in Slack or Discord to get a new one." },
};

/** The page is the teacher's own document: kept out of caches, search engines and referrers. */
const PAGE_HEADERS = {
  "cache-control": "private, no-store",
  "referrer-policy": "no-referrer",
  "x-robots-tag": "noindex, nofollow",
  "content-security-policy":
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; base-uri 'none'; form-action 'none'",
};

function sendText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    ...PAGE_HEADERS,
    ...headers,
    "content-type": "text/plain; charset=utf-8",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

export function printMount(options: PrintOptions): HttpMount {
  const templates = new Map(options.templates.map((t) => [t.id, t]));
  const log = options.logger.child({ component: "print" });
  return {
    path: PRINT_PATH,
    async handler(req: IncomingMessage, res: ServerResponse) {
      if (req.method !== "GET" && req.method !== "HEAD") {
        sendText(res, 405, "Only GET opens a document.", { allow: "GET, HEAD" });
        return;
      }
      const url = requestUrl(req.url);
      const check = options.links.verify(url.pathname, url.searchParams, options.now?.());
      if (!check.ok) {
        log.info({ reason: check.reason }, "print link refused");
        const refused = REFUSED[check.reason];
        sendText(res, refused.status, refused.text);
        return;
      }
      try {
        const file = await documentFile(
          { engine: options.engine, templates, logger: log, ...(options.knownNames ? { knownNames: options.knownNames } : {}) },
          check.executionId,
          "html",
          check.part,
        );
        res.writeHead(200, { ...PAGE_HEADERS, "content-type": file.contentType, "content-length": file.bytes.byteLength });
        res.end(req.method === "HEAD" ? undefined : file.bytes);
      } catch (error) {
        if (error instanceof HttpProblem) {
          sendText(res, error.status, error.message);
          return;
        }
        log.error({ executionId: check.executionId, err: error }, "print page failed");
        sendText(res, 500, "The document could not be laid out; try again in a moment.");
      }
    },
  };
}
