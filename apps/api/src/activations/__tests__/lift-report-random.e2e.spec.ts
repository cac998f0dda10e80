import { buildLiftReport, CupedSums } from '@audiencekit/experimentation';
import { EXAMPLE_SEGMENTS } from '@audiencekit/segments-domain';
import { ApiKeyService } from '@audiencekit/server-core';
import { createTestDatabase, mulberry32, TestDatabase } from '@audiencekit/testing';
import type { RunningApi } from '../../../test/api-test-app';
import { callApi, startActivationsTestApi } from './activations-test-app';

const DAY = 86_400_000;
const W = 5;
const BASE = Date.parse('2026-03-01T00:00:00.000Z');
const AS_OF = BASE + 12 * DAY;

interface Person {
  id?: string;
  arm: 'treatment' | 'control' | 'global_holdout' | null;
  exposedAt: number;
  events: { at: number; revenue: number | string | null; name: string }[];
}

/**
 * The lift SQL against an independent count in TypeScript: random exposures (spread over days),
 * KPI events before, inside, after and at the edges of each member's window, values as numbers,
 * numeric strings or absent, events of another name. The API's report must equal the lib's report
 * built from the counts made here.
 */
describe('the lift report on random data', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let key: string;
  const next = mulberry32(20261201);
  const people: Person[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startActivationsTestApi(db.url);
    key = (await api.app.get(ApiKeyService).create('admin', 'admin')).secret;
    for (let index = 0; index < 160; index++) {
      const roll = next();
      const arm = roll < 0.55 ? 'treatment' : roll < 0.8 ? 'control' : roll < 0.9 ? 'global_holdout' : null;
      const exposedAt = BASE + Math.floor(next() * 4) * DAY + (next() < 0.5 ? 0 : Math.floor(next() * 10) * 3_600_000);
      const events: Person['events'] = [];
      const count = Math.floor(next() * 4);
      for (let e = 0; e < count; e++) {
        const edge = next();
        const offset = edge < 0.1 ? 0 : edge < 0.2 ? W * DAY : edge < 0.25 ? -W * DAY : Math.floor((next() * 2 * (W + 3) - (W + 3)) * DAY);
        const value = next();
        events.push({
          at: exposedAt + offset,
          revenue: value < 0.5 ? Math.floor(next() * 200) : value < 0.7 ? String(Math.floor(next() * 90)) : null,
          name: next() < 0.85 ? 'Order Completed' : 'Product Added',
        });
      }
      people.push({ arm, exposedAt, events });
    }
  }, 30_000);

  afterAll(async () => {
    await api.close();
    await db.drop();
  });

  it('equals the lib’s report for counts made independently', async () => {
    const segment = await callApi(api.baseUrl, key, 'POST', '/segments', {
      key: 'r',
      name: 'r',
      owner: 'crm',
      definition: EXAMPLE_SEGMENTS.vip.definition,
      kpi: { event: 'Order Completed', windowDays: W, valueProperty: 'revenue' },
    });
    const destination = await callApi(api.baseUrl, key, 'POST', '/destinations', {
      name: 'd',
      connector: 'test-list',
      settings: { listId: 'L' },
      secrets: { apiKey: 'sk_test_12345678' },
    });
    const activation = await callApi(api.baseUrl, key, 'POST', '/activations', {
      name: 'a',
      segmentId: segment.body.id,
      destinationId: destination.body.id,
      mode: 'mirror',
      holdoutShare: 0.3,
    });
    for (const person of people) {
      const [row] = await db.dataSource.query(`INSERT INTO profiles (traits) VALUES ('{}') RETURNING id`);
      person.id = row.id;
      for (const [index, event] of person.events.entries()) {
        await db.dataSource.query(
          `INSERT INTO events (message_id, profile_id, type, name, timestamp, properties) VALUES ($1, $2, 'track', $3, $4, $5)`,
          [`${row.id}-${index}`, row.id, event.name, new Date(event.at), event.revenue === null ? {} : { revenue: event.revenue }],
        );
      }
      if (person.arm) {
        await db.dataSource.query(`INSERT INTO activation_exposures (activation_id, profile_id, arm, exposed_at) VALUES ($1, $2, $3, $4)`, [
          activation.body.id,
          row.id,
          person.arm,
          new Date(person.exposedAt),
        ]);
      }
    }

    const kpi = (person: Person) => person.events.filter((event) => event.name === 'Order Completed');
    const value = (event: Person['events'][number]) => (event.revenue === null ? 0 : Number(event.revenue));
    const arm = (name: 'treatment' | 'control') => {
      const members = people.filter((person) => person.arm === name);
      const sums: CupedSums = { n: members.length, sumY: 0, sumX: 0, sumYY: 0, sumXX: 0, sumXY: 0 };
      let revenue = 0;
      let squares = 0;
      for (const person of members) {
        const end = Math.min(person.exposedAt + W * DAY, AS_OF);
        const after = kpi(person).filter((event) => event.at >= person.exposedAt && event.at < end);
        const before = kpi(person).filter((event) => event.at >= person.exposedAt - W * DAY && event.at < person.exposedAt);
        const y = after.length > 0 ? 1 : 0;
        const x = before.length > 0 ? 1 : 0;
        const v = after.reduce((total, event) => total + value(event), 0);
        Object.assign(sums, {
          sumY: sums.sumY + y,
          sumYY: sums.sumYY + y,
          sumX: sums.sumX + x,
          sumXX: sums.sumXX + x,
          sumXY: sums.sumXY + x * y,
        });
        revenue += v;
        squares += v * v;
      }
      return { sums, input: { members: members.length, conversions: sums.sumY, revenue: { sum: revenue, sumOfSquares: squares } } };
    };
    const exposed = people.filter((person) => person.arm === 'treatment' || person.arm === 'control');
    const start = Math.min(...exposed.map((person) => person.exposedAt));
    const end = Math.min(Math.max(...exposed.map((person) => person.exposedAt)) + W * DAY, AS_OF);
    const window = { start: new Date(start).toISOString(), end: new Date(end).toISOString() };
    const converted = people.filter((person) => kpi(person).some((event) => event.at >= start && event.at < end));
    const baselineRevenue = converted.map((person) =>
      kpi(person)
        .filter((event) => event.at >= start && event.at < end)
        .reduce((total, event) => total + value(event), 0),
    );
    const [treatment, control] = [arm('treatment'), arm('control')];
    const expected = buildLiftReport({
      controlShare: 0.3,
      window,
      arms: { control: control.input, treatment: treatment.input },
      baseline: {
        window,
        members: people.length,
        conversions: converted.length,
        revenue: { sum: baselineRevenue.reduce((a, b) => a + b, 0), sumOfSquares: baselineRevenue.reduce((a, b) => a + b * b, 0) },
      },
      cuped: {
        metric: 'conversion',
        covariateWindow: { start: new Date(start - W * DAY).toISOString(), end: window.start },
        control: control.sums,
        treatment: treatment.sums,
      },
      options: { sequential: { plannedMembers: exposed.length } },
    });

    const response = await callApi(
      api.baseUrl,
      key,
      'GET',
      `/activations/${activation.body.id}/lift?asOf=${new Date(AS_OF).toISOString()}`,
    );
    expect(response.status).toBe(200);
    expect(treatment.input.conversions).toBeGreaterThan(5); // the data exercises the counts
    expect(control.sums.sumX).toBeGreaterThan(0);
    expect(response.body.report).toEqual(JSON.parse(JSON.stringify(expected)));
  }, 60_000);
});
