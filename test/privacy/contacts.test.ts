// Contact details found by linear scans (src/privacy/contacts.ts) are exactly what the earlier regular
// expressions found, on realistic text and on thousands of random short strings; the regular expressions are
// kept here as the reference. Speed on 1 MB adversarial tokens is measured by `npm run bench` (bench/privacy.ts).
import { describe, expect, it } from "vitest";
import { findContacts } from "../../src/privacy/contacts.ts";

const EMAIL = /[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.\p{L}{2,}/gu;
const PHONE = /(?<![\p{L}\p{N}.])\+?[\d(][\d\s().-]{5,}\d(?![\p{L}\p{N}])/gu;
const LONG_NUMBER = /(?<![\p{L}\p{N}.-])[A-Za-z]{0,3}-?\d{5,}(?![\p{L}\p{N}])/gu;
const AFTER_ID_CUE =
  /\b(?:id|student\s+(?:number|no\.?|#)|matricula|roll\s+(?:number|no\.?))\s*(?:number|no\.?|#)?\s*[:#=]?\s*([A-Za-z0-9][A-Za-z0-9-]{3,})/giu;
const DATE = /^(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4})$/;

/** The earlier implementation, as the reference. */
function reference(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(EMAIL)) out.push(`EMAIL ${m[0]}`);
  for (const m of text.matchAll(PHONE)) {
    const value = m[0].trim();
    const digits = value.replace(/\D/g, "").length;
    if (digits >= 7 && digits <= 15 && !DATE.test(value)) out.push(`PHONE ${value}`);
  }
  for (const m of text.matchAll(AFTER_ID_CUE)) if (m[1] && /\d/.test(m[1])) out.push(`ID ${m[1]}`);
  for (const m of text.matchAll(LONG_NUMBER)) out.push(`ID ${m[0]}`);
  return out.sort();
}
const found = (text: string) =>
  findContacts(text)
    .map((f) => `${f.kind} ${f.value}`)
    .sort();

describe("contact details", () => {
  it.each([
    "Write to j.doe@school.org or call +1 (555) 123-4567; student id S20231234. Due 2024-05-14, standard 5-PS1-1.",
    "Email maría.garcía@escuela.edu.mx, or ana+notes@ex-ample.co.uk. Phone 020 7946 0958, ext. 12.",
    "Roll no. AB-123456; student number: 20231234; matricula 2023-0001; id#X7781.",
    "Pi is 3.14159; the year 2024; room 12345b; code ABCD12345; x@y.com.uk2 and a@b..c and @nobody.org.",
    "Call (555)123-4567 or +44 20 7946 0958 or 555.123.4567. Dates: 12/05/2024, 2024-12-05.",
  ])("match the reference: %s", (text) => {
    expect(found(text)).toEqual(reference(text));
  });

  it("match the reference on 3000 random strings", () => {
    const alphabet = ["a", "b", "Z", "é", "1", "2", "0", "@", ".", ".", "-", "+", "(", ")", " ", " ", "_", "%", "x", "id ", "#", ":", "\n"];
    let seed = 22;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    for (let n = 0; n < 3000; n++) {
      let text = "";
      const length = Math.floor(random() * 40);
      for (let i = 0; i < length; i++) text += alphabet[Math.floor(random() * alphabet.length)];
      expect(found(text), JSON.stringify(text)).toEqual(reference(text));
    }
  });
});
