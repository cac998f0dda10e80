import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { IngestionService, parseTrackingMessage } from '@audiencekit/ingestion';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { importCsv } from '../import/import-csv';
import { csvRecords } from '../import/csv-records';

// Issue #16: a CSV row must not take unbounded memory, nor slip past with its bytes replaced.
describe('CSV import: row bounds, UTF-8, future timestamps', () => {
  let db: TestDatabase;
  let ingestion: IngestionService;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ak-import-bounds-'));

  beforeAll(async () => {
    db = await createTestDatabase();
    ingestion = new IngestionService(db.dataSource);
  });
  afterAll(async () => {
    await db.drop();
  });
  const query = <T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> => db.dataSource.query(sql, params);
  const traitsOf = async (userId: string) =>
    (
      await query<{ traits: Record<string, unknown> }>(
        `SELECT p.traits FROM profiles p JOIN identities i ON i.profile_id = p.id WHERE i.type = 'user_id' AND i.value = $1`,
        [userId],
      )
    )[0]?.traits;

  it('rejects a row over the bound with its line number and imports the rows after it (a 4 MiB file, 64 KiB bound)', async () => {
    const file = path.join(dir, 'long-row.csv');
    const long = `c-long,long@example.com,${'x'.repeat(4 * 1024 * 1024)}`;
    const quotedLong = `c-quoted,q@example.com,"${'y\n'.repeat(40_000)}"`;
    writeFileSync(
      file,
      ['customer_id,email,note', 'c-a,a@example.com,first', long, 'c-b,b@example.com,after', quotedLong, 'c-c,c@example.com,last', ''].join(
        '\n',
      ),
    );
    const summary = await importCsv(ingestion, { kind: 'customers', file, maxRowBytes: 64 * 1024 });
    expect(summary.rejected.rows).toEqual([
      { line: 3, reason: expect.stringMatching(/^the row is longer than 65536 bytes \(4194328 bytes\): not read$/) },
      { line: 5, reason: expect.stringMatching(/^the row is longer than 65536 bytes/) },
    ]);
    expect({ rowsRead: summary.rowsRead, imported: summary.imported, stored: summary.stored }).toEqual({
      rowsRead: 5,
      imported: 3,
      stored: 3,
    });
    expect(await traitsOf('c-c')).toMatchObject({ note: 'last' });
  });

  it('never holds more than the bound of a long row: it is dropped as it streams by', async () => {
    let held = 0;
    const chunks = (async function* () {
      yield Buffer.from('id\n');
      for (let i = 0; i < 512; i++) yield Buffer.alloc(16 * 1024, 0x61); // one 8 MiB row
      yield Buffer.from('\nnext\n');
    })();
    const records = [];
    for await (const record of csvRecords(chunks, 64 * 1024)) {
      if (record.kind === 'record') held = Math.max(held, record.bytes.length);
      records.push(record.kind === 'record' ? [record.line, record.bytes.toString()] : [record.line, record.length]);
    }
    expect(records).toEqual([
      [1, 'id'],
      [2, 8 * 1024 * 1024],
      [3, 'next'],
    ]);
    expect(held).toBeLessThanOrEqual(64 * 1024);
  });

  it('rejects a row that is not UTF-8 with its line number instead of storing U+FFFD', async () => {
    const file = path.join(dir, 'latin1.csv');
    writeFileSync(
      file,
      Buffer.concat([
        Buffer.from('customer_id,email,city\nc-utf8,u@example.com,Zürich\nc-latin1,l@example.com,Z'),
        Buffer.from([0xfc]), // "ü" in Latin-1: not UTF-8
        Buffer.from('rich\nc-after,after@example.com,Bern\n'),
      ]),
    );
    const summary = await importCsv(ingestion, { kind: 'customers', file });
    expect(summary.rejected.rows).toEqual([{ line: 3, reason: 'the row is not valid UTF-8 text: save the file as UTF-8' }]);
    expect(summary.imported).toBe(2);
    expect(await traitsOf('c-latin1')).toBeUndefined();
    expect(await traitsOf('c-utf8')).toMatchObject({ city: 'Zürich' });
  });

  it('reads rows csv-parse lost after a malformed one, and reports the malformed one', async () => {
    const file = path.join(dir, 'quotes.csv');
    writeFileSync(file, 'customer_id,email,note\nc-q1,q1@example.com,"ok, quoted"\nc-q2,q2@example.com,"bad"x\nc-q3,q3@example.com,fine\n');
    const summary = await importCsv(ingestion, { kind: 'customers', file });
    expect(summary.rejected.rows).toEqual([
      { line: 3, reason: 'not readable as CSV: field 3: a closing quote must be followed by a comma' },
    ]);
    expect(await traitsOf('c-q1')).toMatchObject({ note: 'ok, quoted' });
    expect(await traitsOf('c-q3')).toMatchObject({ note: 'fine' });
  });

  it('does not let an updated_at in 9999 pin the opt-in: a later real unsubscribe wins', async () => {
    const file = path.join(dir, 'future.csv');
    writeFileSync(file, 'customer_id,email,unsubscribed,updated_at\nc-future,future@example.com,false,9999-12-31T00:00:00Z\n');
    await importCsv(ingestion, { kind: 'customers', file, now: new Date(Date.now() - 60 * 60 * 1000) });
    expect(await traitsOf('c-future')).toMatchObject({ unsubscribed: false });
    const unsubscribe = parseTrackingMessage(
      { userId: 'c-future', traits: { unsubscribed: true }, timestamp: new Date().toISOString() },
      'identify',
      { receivedAt: new Date(), checkSize: true },
    );
    if (!unsubscribe.ok) throw new Error('bad message');
    await ingestion.ingest([unsubscribe.event]);
    expect(await traitsOf('c-future')).toMatchObject({ unsubscribed: true });
  });

  it('clamps a CSV row dated 9999 to the import time + 5 min: trait time and last_seen_at, so a later real trait update wins', async () => {
    const file = path.join(dir, 'future-trait.csv');
    writeFileSync(file, 'customer_id,email,plan,updated_at\nc-future-plan,plan@example.com,gold,9999-12-31T00:00:00Z\n');
    const importedAt = new Date(Date.now() - 60 * 60 * 1000);
    const latest = new Date(importedAt.getTime() + 5 * 60 * 1000).toISOString(); // TRACKING_LIMITS.maxFutureSkewMs
    await importCsv(ingestion, { kind: 'customers', file, now: importedAt });
    const [stored] = await query<{ plan: string; plan_at: string; last_seen_at: Date }>(
      `SELECT p.traits ->> 'plan' AS plan, p.trait_timestamps ->> 'plan' AS plan_at, p.last_seen_at
       FROM profiles p JOIN identities i ON i.profile_id = p.id WHERE i.type = 'user_id' AND i.value = 'c-future-plan'`,
    );
    expect(stored.plan).toBe('gold');
    expect(new Date(stored.plan_at).toISOString()).toBe(latest);
    expect(stored.last_seen_at.toISOString()).toBe(latest);
    const update = parseTrackingMessage(
      { userId: 'c-future-plan', traits: { plan: 'silver' }, timestamp: new Date().toISOString() },
      'identify',
      { receivedAt: new Date(), checkSize: true },
    );
    if (!update.ok) throw new Error('bad message');
    await ingestion.ingest([update.event]);
    expect(await traitsOf('c-future-plan')).toMatchObject({ plan: 'silver' });
  });

  it('reads a file streamed in small chunks the same as whole (records split across chunks)', async () => {
    const text = 'a,b\n1,"x\ny"\n2,z\n';
    const chunked = Readable.from(text.split('').map((character) => Buffer.from(character)));
    const records = [];
    for await (const record of csvRecords(chunked, 1024))
      if (record.kind === 'record') records.push([record.line, record.bytes.toString()]);
    expect(records).toEqual([
      [1, 'a,b'],
      [2, '1,"x\ny"'],
      [4, '2,z'],
    ]);
  });
});
