// The demo orders (UCI Online Retail, 2010-12-01 … 2011-12-09) moved forward in time so that the
// newest one is recent: windows such as "last 90 days" then find customers, as they would on live
// data. The committed file is never changed; the demo imports a shifted copy (see seed.ts).

const DAY_MS = 86_400_000;
/** The file's only timestamp format (InvoiceDate, read as UTC by the importer). */
const TIMESTAMP = /\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/g;

export interface ShiftedOrders {
  /** The same CSV, byte for byte, except each row's InvoiceDate. */
  csv: string;
  /** Whole days added to every timestamp. */
  days: number;
  /** The newest order's time before and after the shift (ISO 8601). */
  newestBefore: string;
  newestAfter: string;
}

const parseUtc = (text: string): number => Date.parse(`${text.replace(' ', 'T')}Z`);
const formatUtc = (ms: number): string => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');

/**
 * Adds the same whole number of days to every order: the largest that keeps the newest order at or
 * before `now`, so it lands within the last 24 hours. Whole days keep each order's time of day and
 * the gaps between orders exactly; weekdays move together. Every data row must hold exactly one
 * timestamp (true of the file: no description contains one), else this throws rather than guess.
 */
export function shiftOrders(csv: string, now: Date): ShiftedOrders {
  const lines = csv.split('\n');
  const rows = lines.slice(1).filter((line) => line.trim() !== '');
  let newest = -Infinity;
  rows.forEach((line, index) => {
    const found = line.match(TIMESTAMP) ?? [];
    if (found.length !== 1) throw new Error(`demo orders line ${index + 2}: expected one timestamp, found ${found.length}`);
    newest = Math.max(newest, parseUtc(found[0]));
  });
  if (rows.length === 0) throw new Error('demo orders: the file has no rows');
  const days = Math.floor((now.getTime() - newest) / DAY_MS);
  const shift = (text: string) => formatUtc(parseUtc(text) + days * DAY_MS);
  const shifted = [lines[0], ...lines.slice(1).map((line) => line.replace(TIMESTAMP, shift))].join('\n');
  return { csv: shifted, days, newestBefore: new Date(newest).toISOString(), newestAfter: new Date(newest + days * DAY_MS).toISOString() };
}
