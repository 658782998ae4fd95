// Signed links to a document's printable page: HMAC-SHA256 over the execution, the part and the expiry,
// with a key derived from the configured secret, so a link opens one document until it expires and no
// link can be made or altered without the secret. Pure (node:crypto only).
import { createHmac, hkdfSync, timingSafeEqual } from "node:crypto";
import { DOCUMENT_PARTS, type DocumentPart } from "./files.ts";

/** Where the printable pages are served on the bot's port. */
export const PRINT_PATH = "/print";

export const DEFAULT_LINK_DAYS = 7;

export type LinkSigner = {
  /** The signed URL of one document part's printable page, valid for the configured days from `now`. */
  url(executionId: string, part?: DocumentPart, now?: number): string;
  /** Checks a request's path and query; the document it may serve, or why not. */
  verify(pathname: string, query: URLSearchParams, now?: number): LinkCheck;
};

export type LinkCheck =
  | { ok: true; executionId: string; part: DocumentPart }
  | { ok: false; reason: "malformed" | "expired" | "bad_signature" };

/** A key only for print links, so the secret itself never signs anything (HKDF, RFC 5869). */
function deriveKey(secret: string): Buffer {
  return Buffer.from(hkdfSync("sha256", secret, "staffroom", "print-link v1", 32));
}

const EXECUTION_ID = /^[\w-]{1,100}$/;

export function createLinkSigner(options: { secret: string; publicUrl: string; days?: number }): LinkSigner {
  const key = deriveKey(options.secret);
  const ttlMs = (options.days ?? DEFAULT_LINK_DAYS) * 86_400_000;
  const base = options.publicUrl.replace(/\/+$/, "");
  const sign = (id: string, part: DocumentPart, exp: number) =>
    createHmac("sha256", key).update(`${id}\n${part}\n${exp}`).digest("base64url");
  return {
    url(executionId, part = "document", now = Date.now()) {
      const exp = Math.floor((now + ttlMs) / 1000);
      const q = new URLSearchParams({ part, exp: String(exp), sig: sign(executionId, part, exp) });
      return `${base}${PRINT_PATH}/${encodeURIComponent(executionId)}?${q}`;
    },
    verify(pathname, query, now = Date.now()) {
      const id = pathname.startsWith(`${PRINT_PATH}/`) ? decodeURIComponent(pathname.slice(PRINT_PATH.length + 1)) : "";
      const part = query.get("part") ?? "";
      const expText = query.get("exp") ?? "";
      const sig = query.get("sig") ?? "";
      if (!EXECUTION_ID.test(id) || !(DOCUMENT_PARTS as readonly string[]).includes(part) || !/^\d{1,12}$/.test(expText) || !sig)
        return { ok: false, reason: "malformed" };
      const exp = Number(expText);
      const expected = Buffer.from(sign(id, part as DocumentPart, exp));
      const given = Buffer.from(sig);
      // Checked before the expiry so a tampered link learns nothing about its validity period.
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: "bad_signature" };
      if (exp * 1000 <= now) return { ok: false, reason: "expired" };
      return { ok: true, executionId: id, part: part as DocumentPart };
    },
  };
}
