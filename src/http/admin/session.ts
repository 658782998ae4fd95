// Admin dashboard sessions: a random id in an HttpOnly, SameSite=Strict cookie, kept in memory by its
// digest (a restart signs everyone out), each with its own CSRF token that every POST must carry.
import { createHash, randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { type ApiScope, sameSecret } from "../auth.ts";

export const SESSION_COOKIE = "staffroom_admin";
/** A pre-session token for the sign-in form, so a login cannot be forged from another site either. */
export const LOGIN_COOKIE = "staffroom_login";

/** `scope`: the signing-in key's; only admin sessions read the audit log. */
export type AdminSession = { keyId: string; scope: ApiScope; csrf: string; expiresAt: number };

const token = () => randomBytes(32).toString("base64url");
const digest = (id: string) => createHash("sha256").update(id).digest("base64url");

export class AdminSessions {
  private readonly sessions = new Map<string, AdminSession>();

  constructor(
    private readonly ttlMs = 8 * 60 * 60_000,
    private readonly now: () => number = Date.now,
    private readonly max = 1_000,
  ) {}

  get ttlSeconds(): number {
    return Math.floor(this.ttlMs / 1000);
  }

  create(keyId: string, scope: ApiScope = "api"): { id: string; session: AdminSession } {
    this.prune();
    if (this.sessions.size >= this.max) {
      // Oldest first: a Map keeps insertion order.
      const oldest = this.sessions.keys().next().value;
      if (oldest !== undefined) this.sessions.delete(oldest);
    }
    const id = token();
    const session = { keyId, scope, csrf: token(), expiresAt: this.now() + this.ttlMs };
    this.sessions.set(digest(id), session);
    return { id, session };
  }

  /** The session a cookie names; looked up by digest, so lookup time says nothing about stored ids. */
  get(id: string | undefined): AdminSession | undefined {
    if (!id || id.length > 100) return undefined;
    const session = this.sessions.get(digest(id));
    if (!session) return undefined;
    if (session.expiresAt <= this.now()) {
      this.sessions.delete(digest(id));
      return undefined;
    }
    return session;
  }

  destroy(id: string | undefined): void {
    if (id) this.sessions.delete(digest(id));
  }

  /** Drops expired sessions. */
  private prune(): void {
    const now = this.now();
    for (const [k, s] of this.sessions) if (s.expiresAt <= now) this.sessions.delete(k);
  }
}

export const newLoginToken = token;

/** Constant-time check of a form's CSRF token against the expected one. */
export function csrfMatches(expected: string | undefined, presented: string | undefined): boolean {
  return sameSecret(expected ?? "", presented ?? "") && expected !== undefined && presented !== undefined;
}

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? "").split(";")) {
    const i = part.indexOf("=");
    if (i <= 0) continue;
    const name = part.slice(0, i).trim();
    if (name && !(name in out)) out[name] = part.slice(i + 1).trim();
  }
  return out;
}

/** Secure when the request came over HTTPS (directly or through a proxy that says so). */
export function isHttps(req: IncomingMessage): boolean {
  const forwarded = req.headers["x-forwarded-proto"];
  const proto = Array.isArray(forwarded) ? forwarded[0] : forwarded;
  return Boolean((req.socket as { encrypted?: boolean }).encrypted) || proto?.split(",")[0]?.trim() === "https";
}

export function cookie(name: string, value: string, opts: { maxAgeSeconds: number; secure: boolean }): string {
  return [
    `${name}=${value}`,
    "Path=/admin",
    "HttpOnly",
    "SameSite=Strict",
    `Max-Age=${opts.maxAgeSeconds}`,
    ...(opts.secure ? ["Secure"] : []),
  ].join("; ");
}
