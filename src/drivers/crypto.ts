// Sealing with AES-256-GCM (node:crypto): a teacher's records under their data key, and data keys under the
// deployment's key (STAFFROOM_DATA_KEY). Pure apart from random IVs; the format is base64 of iv | tag | body.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

const IV_BYTES = 12;
const TAG_BYTES = 16;
export const KEY_BYTES = 32;

/** The deployment key as configured: 64 hex characters or the base64 of 32 bytes; undefined when it is neither. */
export function parseDataKey(text: string): Buffer | undefined {
  const t = text.trim();
  if (/^[0-9a-f]{64}$/i.test(t)) return Buffer.from(t, "hex");
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(t)) {
    const bytes = Buffer.from(t.replace(/-/g, "+").replace(/_/g, "/"), "base64");
    if (bytes.length === KEY_BYTES) return bytes;
  }
  return undefined;
}

/** A fresh random key (a teacher's data key, or a generated local deployment key). */
export function newKey(): Buffer {
  return randomBytes(KEY_BYTES);
}

/** Seals `plain` under `key`; `context` (the teacher's id) is authenticated, so a sealed value cannot be moved to another teacher. */
export function seal(key: Buffer, plain: string | Buffer, context: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(context, "utf8"));
  const body = Buffer.concat([cipher.update(typeof plain === "string" ? Buffer.from(plain, "utf8") : plain), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64");
}

/** The bytes `seal` sealed, or undefined when the key or context is wrong or the text was altered. */
export function open(key: Buffer, sealed: string, context: string): Buffer | undefined {
  try {
    const all = Buffer.from(sealed, "base64");
    if (all.length < IV_BYTES + TAG_BYTES) return undefined;
    const decipher = createDecipheriv("aes-256-gcm", key, all.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(context, "utf8"));
    decipher.setAuthTag(all.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(all.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
  } catch {
    return undefined;
  }
}
