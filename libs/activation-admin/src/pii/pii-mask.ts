import type { ApiKeyRole } from '@audiencekit/persistence';

// E.164-looking numbers (a plus and 8–15 digits): what we store and what vendors echo back.
// Linear already: only a `+` can start a match and every quantifier is bounded (at most 15 digits).
const PHONE = /\+(\d{2})(\d{3,10})(\d{3})\b/g;

/** Only admin keys read identifiers in the clear; everyone else sees them masked. */
export function mayReadPii(role: ApiKeyRole | undefined): boolean {
  return role === 'admin';
}

/**
 * `alice@example.com` → `a***@example.com`: the domain stays (it says which mailbox provider refused).
 * Masks what `/([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})/g` matches, with a
 * scanner instead of that expression: the expression backtracks from every position of a long
 * run without `@` (quadratic: 18 s on a 120 KB vendor message).
 */
export function maskEmail(text: string): string {
  return emailScanSteps(text).masked;
}

/**
 * The scan behind `maskEmail`, with the number of characters it inspected (tests check it stays
 * linear). Linear because every walk stops at an `@`, which is neither a local-part nor a domain
 * character: the walk left from an `@` and the walk right over its domain each cover characters
 * no other `@`'s walk covers, and `indexOf` moves forward only.
 */
export function emailScanSteps(text: string): { masked: string; steps: number } {
  let masked = '';
  let copiedUpTo = 0;
  let steps = 0;
  for (let at = text.indexOf('@'); at !== -1; at = text.indexOf('@', at + 1)) {
    steps += 1;
    let start = at;
    while (start > copiedUpTo && isLocalPartChar(text.charCodeAt(start - 1))) start -= 1;
    steps += at - start + 1;
    if (start === at) continue;
    const domain = scanDomain(text, at + 1);
    steps += domain.steps;
    if (domain.end === -1) continue;
    masked += `${text.slice(copiedUpTo, start)}${text[start]}***@${text.slice(at + 1, domain.end)}`;
    copiedUpTo = domain.end;
    at = domain.end - 1;
  }
  steps += text.length - copiedUpTo;
  return { masked: masked + text.slice(copiedUpTo), steps };
}

/**
 * The end of `[A-Za-z0-9.-]+\.[A-Za-z]{2,}` starting at `from` as a backtracking engine finds it
 * (the last dot of the domain run with a character before it and two letters after, then every
 * letter that follows), or -1.
 */
function scanDomain(text: string, from: number): { end: number; steps: number } {
  let runEnd = from;
  while (runEnd < text.length && isDomainChar(text.charCodeAt(runEnd))) runEnd += 1;
  let steps = runEnd - from + 1;
  for (let dot = runEnd - 1; dot > from; dot -= 1) {
    steps += 1;
    if (text[dot] !== '.' || !isLetter(text.charCodeAt(dot + 1)) || !isLetter(text.charCodeAt(dot + 2))) continue;
    let end = dot + 3;
    while (end < runEnd && isLetter(text.charCodeAt(end))) end += 1;
    return { end, steps: steps + end - dot };
  }
  return { end: -1, steps };
}

function isLetter(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** `[A-Za-z0-9.-]` */
function isDomainChar(code: number): boolean {
  return isLetter(code) || isDigit(code) || code === 46 || code === 45;
}

/** `[A-Za-z0-9._%+-]` */
function isLocalPartChar(code: number): boolean {
  return isDomainChar(code) || code === 95 || code === 37 || code === 43;
}

/** `+447700900123` → `+44*******123`: country code and last three digits, enough to tell two apart. */
export function maskPhone(phone: string): string {
  return phone.replace(PHONE, (_match, country: string, middle: string, last: string) => `+${country}${'*'.repeat(middle.length)}${last}`);
}

/** Masks every email address and phone number found in a string. */
export function maskIdentifiers(text: string): string {
  return maskPhone(maskEmail(text));
}

/**
 * A copy of a response body with every identifier-looking string masked (errors, samples and
 * vendor messages are free text, so masking walks the whole value rather than known fields).
 */
export function maskPiiDeep<T>(value: T): T {
  if (typeof value === 'string') return maskIdentifiers(value) as T;
  if (Array.isArray(value)) return value.map((item) => maskPiiDeep(item)) as T;
  if (value instanceof Date || value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, maskPiiDeep(item)])) as T;
}

/** The body as this key may see it. */
export function forRole<T>(value: T, role: ApiKeyRole | undefined): T {
  return mayReadPii(role) ? value : maskPiiDeep(value);
}
