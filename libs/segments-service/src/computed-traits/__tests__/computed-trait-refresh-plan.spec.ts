import { compileComputedTraitRefresh, parseComputedTraitDefinition } from '@audiencekit/segments-domain';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { EntityManager } from 'typeorm';
import { replaceSourceValues, runRefreshStatement } from '../trait-values.repository';

interface PlanNode {
  'Node Type': string;
  'Parent Relationship'?: string;
  'Relation Name'?: string;
  Plans?: PlanNode[];
}

/** Every node of an EXPLAIN (FORMAT JSON) plan, depth first. */
function nodesOf(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(nodesOf)];
}

/**
 * A nested loop whose inner side rescans a whole set (a CTE, a function, a materialised or
 * sequentially scanned relation) per outer row: quadratic in the rows. A nested loop probing an
 * index per outer row is fine.
 */
function quadraticLoops(plan: PlanNode): string[] {
  return nodesOf(plan)
    .filter((node) => node['Node Type'] === 'Nested Loop')
    .map((loop) => (loop.Plans ?? []).find((child) => child['Parent Relationship'] === 'Inner'))
    .filter((inner): inner is PlanNode => inner !== undefined && !/Index|Tid Scan|Result/.test(inner['Node Type']))
    .map((inner) => `${inner['Node Type']}${inner['Relation Name'] ? ` on ${inner['Relation Name']}` : ''}`);
}

/**
 * Issue #20 (bench/README.md): a re-run on a `computed_trait_values` never analysed (a trait run
 * twice before autovacuum, or a server without it) was planned as a nested loop over the computed
 * set, > 13 min at 100k profiles. On a fresh, never-analysed table with 20k stored values, the
 * refresh statement's plan must hold no loop that rescans a set per row, and the re-run must
 * complete, write nothing unchanged and keep `computed_at` (the time the value last changed).
 */
describe('computed-trait refresh on a table without statistics', () => {
  let database: TestDatabase;
  const PROFILES = 20_000;
  const first = new Date('2026-06-01T00:00:00.000Z');
  const second = new Date('2026-06-02T00:00:00.000Z');
  const traitId = '00000000-0000-4000-8000-000000000077';
  const definition = parseComputedTraitDefinition({ function: 'sum', event: 'Order Completed', property: 'revenue', window: 'ever' });
  const refresh = (computedAt: Date) =>
    compileComputedTraitRefresh(definition, { traitId, version: 1, key: 'spend', computedAt }, { now: second });

  beforeAll(async () => {
    database = await createTestDatabase();
    await database.dataSource.query(`INSERT INTO profiles (traits) SELECT '{}' FROM generate_series(1, $1)`, [PROFILES]);
    await database.dataSource.query(
      `INSERT INTO events (message_id, profile_id, type, name, timestamp, properties)
       SELECT 'o-' || p.id, p.id, 'track', 'Order Completed', '2026-05-01T00:00:00Z', '{"revenue": 5}' FROM profiles p`,
    );
    // profiles and events are analysed (as in any running deployment); computed_trait_values is not.
    await database.dataSource.query(`ANALYZE profiles`);
    await database.dataSource.query(`ANALYZE events`);
  }, 120_000);
  afterAll(async () => {
    await database?.drop();
  });

  it('plans no set rescanned per row, re-runs to completion, and rewrites only changed values', async () => {
    const manager = database.dataSource.manager;
    expect(await runRefreshStatement(manager, refresh(first))).toEqual({ upserted: PROFILES, deleted: 0, withValue: PROFILES });
    const [stats] = await manager.query(
      `SELECT last_analyze, last_autoanalyze FROM pg_stat_user_tables WHERE relname = 'computed_trait_values'`,
    );
    expect([stats.last_analyze, stats.last_autoanalyze]).toEqual([null, null]);

    // A quarter of the profiles lose their value, a quarter get a new one.
    await manager.query(`DELETE FROM events WHERE profile_id IN (SELECT id FROM profiles ORDER BY id LIMIT $1)`, [PROFILES / 4]);
    await manager.query(
      `UPDATE events SET properties = '{"revenue": 7}' WHERE profile_id IN (SELECT id FROM profiles ORDER BY id DESC LIMIT $1)`,
      [PROFILES / 4],
    );
    const statement = refresh(second);
    const [{ 'QUERY PLAN': plan }] = await manager.query(`EXPLAIN (FORMAT JSON) ${statement.text}`, statement.values);
    expect(quadraticLoops(plan[0].Plan)).toEqual([]);

    expect(await runRefreshStatement(manager, statement)).toEqual({
      upserted: PROFILES / 4,
      deleted: PROFILES / 4,
      withValue: (PROFILES * 3) / 4,
    });
    const byValue: { value: number; computed_at: Date; n: number }[] = await manager.query(
      `SELECT value, computed_at, count(*)::int AS n FROM computed_trait_values WHERE key = 'spend' GROUP BY 1, 2 ORDER BY 1`,
    );
    expect(byValue).toEqual([
      { value: 5, computed_at: first, n: PROFILES / 2 },
      { value: 7, computed_at: second, n: PROFILES / 4 },
    ]);
  }, 300_000);

  it('an SQL trait re-run (replaceSourceValues) plans no set rescanned per row either', async () => {
    const manager = database.dataSource.manager;
    const source = { kind: 'sql' as const, id: '00000000-0000-4000-8000-000000000078', version: 1 };
    const ids: string[] = (await manager.query(`SELECT id FROM profiles ORDER BY id`)).map((row: { id: string }) => row.id);
    const rows = ids.map((profileId) => ({ profileId, key: 'ltv', value: 1 }));
    expect(await replaceSourceValues(manager, source, rows, first)).toEqual({ upserted: PROFILES, deleted: 0 });

    // The same call through a manager that EXPLAINs instead of running (the statement text stays the repository's own).
    const plans: PlanNode[] = [];
    const explaining = {
      query: async (text: string, values: unknown[]) => {
        const result = await manager.query(`EXPLAIN (FORMAT JSON) ${text}`, values);
        plans.push(result[0]['QUERY PLAN'][0].Plan);
        return [{ upserted: 0, deleted: 0 }];
      },
    } as unknown as EntityManager;
    await replaceSourceValues(explaining, source, rows.slice(PROFILES / 4), second);
    expect(plans).toHaveLength(1);
    expect(quadraticLoops(plans[0])).toEqual([]);

    expect(await replaceSourceValues(manager, source, rows.slice(PROFILES / 4), second)).toEqual({ upserted: 0, deleted: PROFILES / 4 });
  }, 300_000);
});
