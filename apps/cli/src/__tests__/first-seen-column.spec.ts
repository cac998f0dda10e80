import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { IngestionService } from '@audiencekit/ingestion';
import { propensityDefinitionSchema } from '@audiencekit/segments-domain';
import { ModelSegmentsService, SegmentsException } from '@audiencekit/segments-service';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { ImportFileException, importCsv } from '../import/import-csv';

// Issue #21: an imported customer's first-seen time can come from a column (earliest wins, never
// later than an event), and a fit whose cutoff precedes every profile's first-seen says why.
describe('CSV import --first-seen-column', () => {
  let db: TestDatabase;
  let ingestion: IngestionService;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ak-first-seen-'));
  const IMPORTED_AT = new Date('2026-12-01T09:00:00Z');
  const file = (name: string, lines: string[]) => {
    const location = path.join(dir, name);
    writeFileSync(location, `${lines.join('\n')}\n`);
    return location;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    ingestion = new IngestionService(db.dataSource);
  });
  afterAll(async () => {
    await db.drop();
  });
  const firstSeen = async (): Promise<Record<string, string>> => {
    const rows: { value: string; first_seen_at: Date }[] = await db.dataSource.query(
      `SELECT i.value, p.first_seen_at FROM profiles p JOIN identities i ON i.profile_id = p.id AND i.type = 'user_id'`,
    );
    return Object.fromEntries(rows.map((row) => [row.value, row.first_seen_at.toISOString()]));
  };

  it('sets first seen from the column: earliest wins, an earlier event wins over it, empty means the import time', async () => {
    const orders = file('orders.csv', [
      'order_id,customer_id,timestamp,quantity,price',
      'o1,c1,2019-06-01T10:00:00Z,1,10',
      'o2,c4,2021-03-01T10:00:00Z,1,10',
    ]);
    await importCsv(ingestion, { kind: 'orders', file: orders, now: IMPORTED_AT });
    const customers = file('customers.csv', [
      'customer_id,email,signed_up',
      'c1,c1@example.com,2020-01-05',
      'c2,c2@example.com,2020-02-02T08:30:00Z',
      'c3,c3@example.com,02/03/2020',
      'c4,c4@example.com,2018-01-01',
      'c5,c5@example.com,',
    ]);
    const summary = await importCsv(ingestion, { kind: 'customers', file: customers, now: IMPORTED_AT, firstSeenColumn: 'signed_up' });
    expect(summary.rejected.rows).toEqual([
      { line: 4, reason: 'the first-seen time "02/03/2020" (column signed_up) is not an ISO 8601 date or date-time' },
    ]);
    expect(await firstSeen()).toEqual({
      c1: '2019-06-01T10:00:00.000Z', // its order is earlier than the column
      c2: '2020-02-02T08:30:00.000Z',
      c4: '2018-01-01T00:00:00.000Z', // the column is earlier than its order
      c5: IMPORTED_AT.toISOString(), // no value: the identify's time, as without the option
    });
    // The column stays a trait too, like every other column.
    const [{ traits }] = await db.dataSource.query(
      `SELECT p.traits FROM profiles p JOIN identities i ON i.profile_id = p.id WHERE i.value = 'c2'`,
    );
    expect(traits).toMatchObject({ signed_up: '2020-02-02T08:30:00Z' });
  });

  it('refuses a first-seen column the file does not have, naming what it has', async () => {
    const customers = file('no-column.csv', ['customer_id,email', 'c9,c9@example.com']);
    await expect(importCsv(ingestion, { kind: 'customers', file: customers, firstSeenColumn: 'created' })).rejects.toThrow(
      new ImportFileException('--first-seen-column "created" is not a column of the file; found: customer_id, email'),
    );
  });

  it('a fit whose cutoff precedes every first-seen time says why; mapping the column lets it fit', async () => {
    const fresh = await createTestDatabase();
    try {
      const freshIngestion = new IngestionService(fresh.dataSource);
      const people = Array.from({ length: 40 }, (_, i) => ({ id: `p${i}`, age: 20 + i, signedUp: `2020-0${1 + (i % 9)}-15` }));
      await importCsv(freshIngestion, {
        kind: 'customers',
        file: file('people.csv', ['customer_id,age', ...people.map((p) => `${p.id},${p.age}`)]),
        now: IMPORTED_AT,
      });
      // The older half orders in the month after the cutoff.
      await importCsv(freshIngestion, {
        kind: 'orders',
        file: file('people-orders.csv', [
          'order_id,customer_id,timestamp,quantity,price',
          ...people.filter((p) => p.age >= 40).map((p) => `x-${p.id},${p.id},2021-01-10T12:00:00Z,1,5`),
        ]),
        now: IMPORTED_AT,
      });
      const definition = propensityDefinitionSchema.parse({
        type: 'propensity',
        population: 'all',
        tier: 'top',
        cutoff: '2021-01-01T00:00:00Z',
        aucFloor: 0,
        outcome: { event: 'Order Completed', withinDays: 30 },
        features: [{ source: 'trait', trait: 'age' }],
      });
      const models = new ModelSegmentsService();
      const fit = () => models.fit(fresh.dataSource.manager, definition, new Date('2026-12-07T00:00:00Z'));
      const refusal = await fit().then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(refusal).toBeInstanceOf(SegmentsException);
      expect(refusal).toMatchObject({
        code: 'no_profiles_seen_by_cutoff',
        message:
          'no profiles were first seen by 2021-01-01T00:00:00.000Z; 40 profiles exist, first seen from 2021-01-10T12:00:00.000Z — imported profiles are first seen at import unless the import maps a first-seen column (apps/cli import --first-seen-column)',
        details: [{ path: 'definition.cutoff', message: expect.stringContaining('every profile was first seen after 2021-01-01') }],
      });

      // The same customers with their sign-up dates (a new file, so new rows): the fit now has them.
      await importCsv(freshIngestion, {
        kind: 'customers',
        file: file('people-signed-up.csv', ['customer_id,age,signed_up', ...people.map((p) => `${p.id},${p.age},${p.signedUp}`)]),
        now: IMPORTED_AT,
        firstSeenColumn: 'signed_up',
      });
      const model = await fit();
      expect(model).toMatchObject({ kind: 'propensity', profiles: 40, positives: 20 });
    } finally {
      await fresh.drop();
    }
  });
});
