import { parse } from 'csv-parse';
import { normalizeEmail, normalizePhone } from '@audiencekit/identity';
import type { ListIdentifierType } from '@audiencekit/segments-domain';

/** A line of an upload that holds no usable identifier, and why. */
export interface InvalidListLine {
  line: number;
  value: string;
  reason: string;
}

/** What an uploaded CSV holds: each distinct normalised identifier with the first line it is on. */
export interface ParsedList {
  /** Data lines read (the header excluded). */
  lines: number;
  firstLineOf: Map<string, number>;
  duplicates: number;
  invalid: InvalidListLine[];
}

export const LIST_LIMITS = { maxLines: 1_000_000, maxBytes: 100 * 1024 * 1024, maxUserIdLength: 1_000 } as const;

/** Header names accepted for each kind (compared lower-cased, spaces and dashes as underscores). */
const HEADERS: Record<ListIdentifierType, string[]> = {
  email: ['email', 'email_address', 'e_mail'],
  phone: ['phone', 'phone_number', 'mobile', 'msisdn'],
  user_id: ['user_id', 'userid', 'external_id', 'id'],
};

export class ListTooLargeError extends Error {
  constructor(readonly limit: string) {
    super(`the upload is over the limit of ${limit}`);
    this.name = 'ListTooLargeError';
  }
}

/**
 * Normalises one value as ingestion does (libs/identity): emails lower-cased and trimmed, phones
 * to E.164 (`defaultCountry` for numbers without `+`), user ids trimmed. Returns the reason when
 * the value cannot be an identifier.
 * @example normalizeListValue('email', ' Ann@Example.com ') // { value: 'ann@example.com' }
 */
export function normalizeListValue(type: ListIdentifierType, raw: string, defaultCountry?: string): { value: string } | { reason: string } {
  const text = raw.trim();
  if (text.length === 0) return { reason: 'empty' };
  switch (type) {
    case 'email': {
      const value = normalizeEmail(text);
      return value ? { value } : { reason: 'not an email address' };
    }
    case 'phone': {
      const value = normalizePhone(text, defaultCountry);
      return value
        ? { value }
        : {
            reason:
              defaultCountry || text.startsWith('+')
                ? 'not a valid phone number'
                : 'not a valid phone number (without +, pass defaultCountry)',
          };
    }
    case 'user_id':
      return text.length <= LIST_LIMITS.maxUserIdLength
        ? { value: text }
        : { reason: `longer than ${LIST_LIMITS.maxUserIdLength} characters` };
  }
}

/**
 * Reads an uploaded CSV of identifiers. The identifier is the column whose header names the
 * list's kind (`email`, `phone`, `user_id`, …) when the first line is such a header, else the
 * first column of every line. Line numbers are the file's (1-based, a header is line 1).
 * @throws {ListTooLargeError} past LIST_LIMITS (bytes or lines).
 */
export async function readListUpload(
  input: AsyncIterable<Buffer | string>,
  type: ListIdentifierType,
  defaultCountry?: string,
): Promise<ParsedList> {
  const parsed: ParsedList = { lines: 0, firstLineOf: new Map(), duplicates: 0, invalid: [] };
  const parser = parse({ bom: true, relax_column_count: true, relax_quotes: true, skip_empty_lines: true, info: true });
  const feeding = feed(input, parser);
  feeding.catch(() => undefined); // its error also ends the loop below, which throws it
  let column: number | undefined;
  for await (const record of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
    const cells = record.record;
    const line = record.info.lines;
    if (column === undefined) {
      const header = cells.findIndex((cell) =>
        HEADERS[type].includes(
          cell
            .trim()
            .toLowerCase()
            .replace(/[\s-]+/g, '_'),
        ),
      );
      column = header >= 0 ? header : 0;
      if (header >= 0) continue;
    }
    if (++parsed.lines > LIST_LIMITS.maxLines) throw new ListTooLargeError(`${LIST_LIMITS.maxLines} lines`);
    const raw = cells[column] ?? '';
    const result = normalizeListValue(type, raw, defaultCountry);
    if ('reason' in result) parsed.invalid.push({ line, value: raw.slice(0, 200), reason: result.reason });
    else if (parsed.firstLineOf.has(result.value)) parsed.duplicates += 1;
    else parsed.firstLineOf.set(result.value, line);
  }
  await feeding;
  return parsed;
}

async function feed(input: AsyncIterable<Buffer | string>, parser: ReturnType<typeof parse>): Promise<void> {
  let bytes = 0;
  try {
    for await (const chunk of input) {
      bytes += Buffer.byteLength(chunk);
      if (bytes > LIST_LIMITS.maxBytes) throw new ListTooLargeError(`${LIST_LIMITS.maxBytes} bytes`);
      if (!parser.write(chunk)) await new Promise((resolve) => parser.once('drain', resolve));
    }
    parser.end();
  } catch (error) {
    parser.destroy(error as Error);
    throw error;
  }
}
