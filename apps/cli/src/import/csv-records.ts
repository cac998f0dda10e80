/** One record of a CSV file as bytes, or the fact that it was too long to keep. */
export type CsvRecordBytes =
  | { kind: 'record'; line: number; bytes: Buffer; bytesRead: number }
  | { kind: 'too_long'; line: number; length: number; bytesRead: number };

const QUOTE = 0x22;
const COMMA = 0x2c;
const NEWLINE = 0x0a;

// Where the splitter is within a record (RFC 4180, the dialect csv-parse reads with our options).
const FIELD_START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
const QUOTE_IN_QUOTED = 3;

/**
 * Splits a CSV byte stream into records, holding at most `maxRecordBytes` of one record: a longer
 * record is dropped as it streams by (its bytes are never gathered) and reported as `too_long`
 * with the line it starts on, and the records after it are read as usual. A newline inside a
 * quoted field stays in its record. Bytes are not decoded here: the caller decides what invalid
 * UTF-8 means for a record.
 *
 * Why not csv-parse's `max_record_size`: with `skip_records_with_error`, csv-parse 7.0.3 reports
 * the long record and then drops the rest of the chunk it was reading (the records after it were
 * lost, seen with a 3,000-byte row under a 1,000-byte bound); without it, the whole import stops.
 *
 * @example for await (const record of csvRecords(createReadStream(file), 1 << 20)) …
 */
export async function* csvRecords(input: AsyncIterable<Buffer | string>, maxRecordBytes: number): AsyncGenerator<CsvRecordBytes> {
  let state = FIELD_START;
  let parts: Buffer[] = [];
  let length = 0;
  let tooLong = false;
  let line = 1;
  let startLine = 1;
  let consumed = 0;

  const keep = (chunk: Buffer, from: number, to: number) => {
    length += to - from;
    if (tooLong) return;
    if (length > maxRecordBytes) {
      tooLong = true;
      parts = [];
    } else if (to > from) parts.push(chunk.subarray(from, to));
  };
  const finish = (bytesRead: number): CsvRecordBytes => {
    const record: CsvRecordBytes = tooLong
      ? { kind: 'too_long', line: startLine, length, bytesRead }
      : { kind: 'record', line: startLine, bytes: parts.length === 1 ? parts[0] : Buffer.concat(parts, length), bytesRead };
    parts = [];
    length = 0;
    tooLong = false;
    state = FIELD_START;
    startLine = line;
    return record;
  };

  for await (const data of input) {
    const chunk = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let from = 0;
    for (let index = 0; index < chunk.length; index++) {
      const byte = chunk[index];
      if (state === QUOTED) {
        if (byte === QUOTE) state = QUOTE_IN_QUOTED;
        else if (byte === NEWLINE) line += 1;
      } else if (byte === NEWLINE) {
        keep(chunk, from, index);
        from = index + 1;
        line += 1;
        yield finish(consumed + index + 1);
      } else if (byte === COMMA) state = FIELD_START;
      else if (byte === QUOTE) state = state === FIELD_START || state === QUOTE_IN_QUOTED ? QUOTED : UNQUOTED;
      else state = UNQUOTED;
    }
    keep(chunk, from, chunk.length);
    consumed += chunk.length;
  }
  if (length > 0) yield finish(consumed);
}

/**
 * The fields of one record's text (RFC 4180: comma-separated, `"` quotes a field, `""` is a quote
 * inside one, a quoted field may hold commas and newlines), or why it is not readable. A trailing
 * carriage return (CRLF files) is not part of the record.
 *
 * @example splitFields('a,"b ""c""",,"d,e"') // → ['a', 'b "c"', '', 'd,e']
 */
export function splitFields(record: string): string[] | { problem: string } {
  const text = record.endsWith('\r') ? record.slice(0, -1) : record;
  const fields: string[] = [];
  let index = 0;
  for (;;) {
    if (text[index] === '"') {
      let value = '';
      let from = index + 1;
      for (;;) {
        const quote = text.indexOf('"', from);
        if (quote === -1) return { problem: 'a quoted field is not closed' };
        value += text.slice(from, quote);
        if (text[quote + 1] !== '"') {
          index = quote + 1;
          break;
        }
        value += '"';
        from = quote + 2;
      }
      fields.push(value);
      if (index < text.length && text[index] !== ',')
        return { problem: `field ${fields.length}: a closing quote must be followed by a comma` };
    } else {
      const comma = text.indexOf(',', index);
      const end = comma === -1 ? text.length : comma;
      const value = text.slice(index, end);
      if (value.includes('"'))
        return {
          problem: `field ${fields.length + 1}: a quote inside a field that does not start with one (quote the whole field and double the quote)`,
        };
      fields.push(value);
      index = end;
    }
    if (index >= text.length) return fields;
    index += 1;
    if (index === text.length) {
      fields.push('');
      return fields;
    }
  }
}
