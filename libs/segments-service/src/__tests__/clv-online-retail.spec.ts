import { readFileSync } from 'node:fs';
import path from 'node:path';
import { compileClvOrdersSql, fitClvModel, predictClv, summarizeOrders } from '@audiencekit/segments-domain';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { importOrders } from './real-data';

/**
 * The lifetime-value model fitted from order events in Postgres: online_retail_sample.csv imported
 * through the real CSV importer, orders read with compileClvOrdersSql, and the summaries, parameters
 * and predictions checked against the scipy reference (libs/segments-domain/fixtures/clv).
 */
const FIXTURE = JSON.parse(
  readFileSync(path.resolve(__dirname, '../../../segments-domain/fixtures/clv/online-retail-clv.json'), 'utf8'),
) as {
  calibrationEnd: string;
  bgnbd: { r: number; alpha: number; a: number; b: number };
  gammaGamma: { p: number; q: number; v: number };
  customers: string[];
  frequency: number[];
  recency: number[];
  T: number[];
  monetary: number[];
  horizons: { horizonDays: number; clv: number[] }[];
};

function expectRelative(actual: number[], expected: number[], tolerance: number, what: string): void {
  expect(actual).toHaveLength(expected.length);
  const worst = Math.max(...actual.map((value, i) => Math.abs(value - expected[i]) / Math.abs(expected[i] || 1)));
  if (!(worst <= tolerance)) throw new Error(`${what}: largest relative difference ${worst} > ${tolerance}`);
}

jest.setTimeout(180_000);

describe('CLV from order events (online_retail_sample.csv through the importer)', () => {
  let db: TestDatabase;
  let rows: { profile_id: string; order_id: string; ordered_at: Date; amount: string }[];
  let customerOf: Map<string, string>;

  beforeAll(async () => {
    db = await createTestDatabase();
    await importOrders(db.url, 'online_retail_sample.csv');
    const identities = await db.dataSource.query<{ profile_id: string; value: string }[]>(
      `SELECT profile_id, value FROM identities WHERE type = 'user_id'`,
    );
    customerOf = new Map(identities.map((row) => [row.profile_id, row.value]));
    const sql = compileClvOrdersSql({}, { now: new Date(FIXTURE.calibrationEnd) });
    rows = await db.dataSource.query(sql.text, sql.values);
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('reads the same orders, summaries, parameters and 90-day CLV as the scipy reference', () => {
    const lines = rows.map((row) => ({
      customerId: customerOf.get(row.profile_id) as string,
      orderId: row.order_id,
      time: row.ordered_at.getTime(),
      amount: Number(row.amount),
    }));
    const summaries = summarizeOrders(lines, { calibrationEnd: new Date(FIXTURE.calibrationEnd).getTime() });
    expect(summaries.map((summary) => summary.customerId)).toEqual(FIXTURE.customers);
    expect(summaries.map((summary) => summary.frequency)).toEqual(FIXTURE.frequency);
    expectRelative(
      summaries.map((summary) => summary.recency),
      FIXTURE.recency,
      1e-12,
      'recency',
    );
    expectRelative(
      summaries.map((summary) => summary.age),
      FIXTURE.T,
      1e-12,
      'T',
    );
    // The importer rounds each line to 1/1000 and Postgres sums exactly; pandas sums binary floats.
    expectRelative(
      summaries.map((summary) => summary.monetary),
      FIXTURE.monetary,
      1e-12,
      'monetary',
    );

    const model = fitClvModel(summaries);
    const { r, alpha, a, b } = FIXTURE.bgnbd;
    expectRelative([model.bgNbd.r, model.bgNbd.alpha, model.bgNbd.a, model.bgNbd.b], [r, alpha, a, b], 1e-6, 'bgnbd');
    const { p, q, v } = FIXTURE.gammaGamma;
    expectRelative([model.gammaGamma.p, model.gammaGamma.q, model.gammaGamma.v], [p, q, v], 1e-6, 'gammaGamma');
    const expected = FIXTURE.horizons.find((horizon) => horizon.horizonDays === 90);
    if (!expected) throw new Error('the fixture has no 90-day horizon');
    expectRelative(
      predictClv(model, summaries, { horizonDays: 90 }).map((prediction) => prediction.clv),
      expected.clv,
      1e-6,
      'clv',
    );
  });

  it('leaves out orders after now and profiles merged into another', async () => {
    const early = compileClvOrdersSql({}, { now: new Date('2011-06-30T23:59:59Z') });
    const before = await db.dataSource.query<{ ordered_at: Date }[]>(early.text, early.values);
    expect(before.length).toBeGreaterThan(0);
    expect(before.length).toBeLessThan(rows.length);
    expect(before.every((row) => row.ordered_at.getTime() <= Date.parse('2011-06-30T23:59:59Z'))).toBe(true);

    const [victim] = rows;
    const [survivor] = rows.filter((row) => row.profile_id !== victim.profile_id);
    await db.dataSource.query(`UPDATE profiles SET merged_into = $1 WHERE id = $2`, [survivor.profile_id, victim.profile_id]);
    const sql = compileClvOrdersSql({}, { now: new Date(FIXTURE.calibrationEnd) });
    const after = await db.dataSource.query<{ profile_id: string }[]>(sql.text, sql.values);
    expect(after.some((row) => row.profile_id === victim.profile_id)).toBe(false);
    expect(after.length).toBe(rows.length - rows.filter((row) => row.profile_id === victim.profile_id).length);
  });
});
