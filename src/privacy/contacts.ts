// Finds e-mail addresses, phone numbers and student id numbers in free text (pure).

export type ContactKind = "EMAIL" | "PHONE" | "ID";
export type Found = { kind: ContactKind; value: string };

const EMAIL = /[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.\p{L}{2,}/gu;
const PHONE = /(?<![\p{L}\p{N}.])\+?[\d(][\d\s().-]{5,}\d(?![\p{L}\p{N}])/gu;
/** Long digit runs (optionally with a short letter prefix): student numbers, national ids. */
const LONG_NUMBER = /(?<![\p{L}\p{N}.-])[A-Za-z]{0,3}-?\d{5,}(?![\p{L}\p{N}])/gu;
/** Whatever follows "id", "student number", "no." or "#", when it holds a digit. */
const AFTER_ID_CUE =
  /\b(?:id|student\s+(?:number|no\.?|#)|matricula|roll\s+(?:number|no\.?))\s*(?:number|no\.?|#)?\s*[:#=]?\s*([A-Za-z0-9][A-Za-z0-9-]{3,})/giu;
const DATE = /^(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4})$/;

/** Every contact detail in the text, longest first (so a phone number inside an e-mail cannot split it). */
export function findContacts(text: string): Found[] {
  const out: Found[] = [];
  for (const m of text.matchAll(EMAIL)) out.push({ kind: "EMAIL", value: m[0] });
  for (const m of text.matchAll(PHONE)) {
    const value = m[0].trim();
    const digits = value.replace(/\D/g, "").length;
    if (digits >= 7 && digits <= 15 && !DATE.test(value)) out.push({ kind: "PHONE", value });
  }
  for (const m of text.matchAll(AFTER_ID_CUE)) if (m[1] && /\d/.test(m[1])) out.push({ kind: "ID", value: m[1] });
  for (const m of text.matchAll(LONG_NUMBER)) out.push({ kind: "ID", value: m[0] });
  return out.sort((a, b) => b.value.length - a.value.length);
}
