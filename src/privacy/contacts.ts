// Finds e-mail addresses, phone numbers and student id numbers in free text (pure). Every scan is linear in
// the text: e-mails grow outwards from each "@" and phone numbers are read run by run, instead of regular
// expressions that retry from every character of a long token (64 KB of letters took 2.75 s; see bench/privacy.ts).

export type ContactKind = "EMAIL" | "PHONE" | "ID";
export type Found = { kind: ContactKind; value: string };

/**
 * Whatever follows "id", "student number", "no." or "#", when it holds a digit. The gaps are bounded (up to 8
 * spaces each), so a cue followed by a megabyte of spaces is read once, not once per space.
 */
const AFTER_ID_CUE =
  /\b(?:id|student\s{1,8}(?:number|no\.?|#)|matricula|roll\s{1,8}(?:number|no\.?))\s{0,8}(?:number|no\.?|#)?\s{0,8}[:#=]?\s{0,8}([A-Za-z0-9][A-Za-z0-9-]{3,})/giu;
const DATE = /^(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4})$/;
const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;
const LOCAL = /[\p{L}\p{N}._%+-]/u;

const isDigit = (c: number) => c >= 48 && c <= 57;
/** Digits, spaces (any), brackets, dots and dashes: what a written phone number is made of. */
const runChar = (c: number) =>
  isDigit(c) ||
  c === 40 ||
  c === 41 ||
  c === 46 ||
  c === 45 ||
  c === 32 ||
  (c >= 9 && c <= 13) ||
  c === 0xa0 ||
  c === 0x1680 ||
  (c >= 0x2000 && c <= 0x200a) ||
  c === 0x2028 ||
  c === 0x2029 ||
  c === 0x202f ||
  c === 0x205f ||
  c === 0x3000 ||
  c === 0xfeff;
const isAsciiLetter = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
/** A letter or digit of any script at `i` (false past either end). */
const wordChar = (text: string, i: number) => {
  if (i < 0 || i >= text.length) return false;
  const c = text.charCodeAt(i);
  return isDigit(c) || isAsciiLetter(c) || (c > 127 && LETTER_OR_DIGIT.test(text.charAt(i)));
};
const localChar = (text: string, i: number) => {
  const c = text.charCodeAt(i);
  return (
    isDigit(c) || isAsciiLetter(c) || c === 46 || c === 95 || c === 37 || c === 43 || c === 45 || (c > 127 && LOCAL.test(text.charAt(i)))
  );
};
const domainChar = (text: string, i: number) => text.charCodeAt(i) === 46 || text.charCodeAt(i) === 45 || wordChar(text, i);
const letter = (text: string, i: number) => {
  if (i >= text.length) return false;
  const c = text.charCodeAt(i);
  return isAsciiLetter(c) || (c > 127 && /\p{L}/u.test(text.charAt(i)));
};

/** E-mail addresses: the local part left of each "@", and a domain whose last label opens with 2+ letters. */
function emails(text: string): string[] {
  const out: string[] = [];
  let taken = 0;
  for (let a = text.indexOf("@"); a >= 0; a = text.indexOf("@", a + 1)) {
    let start = a;
    while (start > taken && localChar(text, start - 1)) start--;
    if (start === a) continue;
    let end = a + 1;
    while (end < text.length && domainChar(text, end)) end++;
    // Labels before the top-level one must not be empty: stop at the first "..". Searches stay inside the
    // domain, so many "@" in one text cost no more than one.
    const domain = text.slice(a + 1, end);
    if (domain.startsWith(".")) continue;
    const doubled = domain.indexOf("..");
    let found = -1;
    for (let dot = (doubled >= 0 ? doubled : domain.length) - 1; dot > 0; dot--)
      if (domain.charCodeAt(dot) === 46 && letter(domain, dot + 1) && letter(domain, dot + 2)) {
        found = dot;
        break;
      }
    if (found < 0) continue;
    let tldEnd = found + 1;
    while (tldEnd < domain.length && letter(domain, tldEnd)) tldEnd++;
    tldEnd += a + 1;
    out.push(text.slice(start, tldEnd));
    taken = tldEnd;
  }
  return out;
}

/**
 * Phone numbers: in each run of digits, spaces, brackets, dots and dashes, from the first digit or "("
 * no letter, digit or dot touches (with a "+" before it) to the last digit no letter or digit follows.
 */
function phones(text: string): string[] {
  const out: string[] = [];
  const touched = (q: number) => q >= 0 && (text.charCodeAt(q) === 46 || wordChar(text, q));
  for (let i = 0; i < text.length; ) {
    if (!runChar(text.charCodeAt(i))) {
      i++;
      continue;
    }
    let end = i + 1;
    while (end < text.length && runChar(text.charCodeAt(end))) end++;
    const runStart = i;
    i = end;
    let start = -1;
    for (let p = runStart; p < end; p++) {
      const c = text.charCodeAt(p);
      if (!isDigit(c) && c !== 40) continue;
      if (text.charAt(p - 1) === "+" && !touched(p - 2)) start = p - 1;
      else if (!touched(p - 1)) start = p;
      else continue;
      break;
    }
    if (start < 0) continue;
    let last = -1;
    for (let p = end - 1; p > start; p--)
      if (isDigit(text.charCodeAt(p)) && !wordChar(text, p + 1)) {
        last = p;
        break;
      }
    // "+" and a digit or "(", then at least five run characters, then the closing digit.
    const first = text.charAt(start) === "+" ? start + 1 : start;
    if (last >= first + 6) out.push(text.slice(start, last + 1));
  }
  return out;
}

/**
 * Long digit runs with up to three letters and a dash before them: student numbers, national ids
 * ("S20231234", "AB-123456"), not decimals ("3.14159") or parts of longer codes.
 */
function longNumbers(text: string): string[] {
  const out: string[] = [];
  for (let s = 0; s < text.length; ) {
    if (!isDigit(text.charCodeAt(s))) {
      s++;
      continue;
    }
    let e = s + 1;
    while (e < text.length && isDigit(text.charCodeAt(e))) e++;
    const from = s;
    s = e;
    if (e - from < 5 || wordChar(text, e)) continue;
    const digitsStart = from;
    let q = text.charAt(digitsStart - 1) === "-" ? digitsStart - 1 : digitsStart;
    const letters = q;
    while (q > 0 && letters - q < 3 && isAsciiLetter(text.charCodeAt(q - 1))) q--;
    if (q > 0 && (wordChar(text, q - 1) || text.charAt(q - 1) === "." || text.charAt(q - 1) === "-")) continue;
    out.push(text.slice(q, e));
  }
  return out;
}

/** Every contact detail in the text, longest first (so a phone number inside an e-mail cannot split it). */
export function findContacts(text: string): Found[] {
  const out: Found[] = [];
  for (const value of emails(text)) out.push({ kind: "EMAIL", value });
  for (const raw of phones(text)) {
    const value = raw.trim();
    let digits = 0;
    for (let i = 0; i < value.length && digits <= 15; i++) if (isDigit(value.charCodeAt(i))) digits++;
    if (digits >= 7 && digits <= 15 && !DATE.test(value)) out.push({ kind: "PHONE", value });
  }
  for (const m of text.matchAll(AFTER_ID_CUE)) if (m[1] && /\d/.test(m[1])) out.push({ kind: "ID", value: m[1] });
  for (const value of longNumbers(text)) out.push({ kind: "ID", value });
  return out.sort((a, b) => b.value.length - a.value.length);
}
