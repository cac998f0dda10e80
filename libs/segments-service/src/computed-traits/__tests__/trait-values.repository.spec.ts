import { randomUUID } from 'node:crypto';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { deleteSourceValues, keyOwners, profileValues, replaceSourceValues, writeProfileValues } from '../trait-values.repository';

/** The one store of derived values, against a real Postgres: set-wise replace, ownership, per-profile writes. */
describe('computed_trait_values repository', () => {
  let database: TestDatabase;
  const at1 = new Date('2026-06-01T00:00:00.000Z');
  const at2 = new Date('2026-06-02T00:00:00.000Z');

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  async function newProfiles(count: number): Promise<string[]> {
    const rows: { id: string }[] = await database.dataSource.query(
      `INSERT INTO profiles (traits) SELECT '{}' FROM generate_series(1, $1) RETURNING id`,
      [count],
    );
    return rows.map((row) => row.id);
  }

  async function rowsOf(
    sourceId: string,
  ): Promise<{ profile_id: string; key: string; value: unknown; source_version: number; computed_at: Date }[]> {
    return database.dataSource.query(
      `SELECT profile_id, key, value, source_version, computed_at FROM computed_trait_values WHERE source_id = $1 ORDER BY profile_id, key`,
      [sourceId],
    );
  }

  it('replaces a source values set-wise: inserts, changes only what changed, deletes what is gone, skips nulls and unknown profiles', async () => {
    const [a, b, c] = await newProfiles(3);
    const source = { kind: 'sql' as const, id: randomUUID(), version: 1 };
    const first = await replaceSourceValues(
      database.dataSource.manager,
      source,
      [
        { profileId: a, key: 'ltv', value: 10 },
        { profileId: b, key: 'ltv', value: 'x' },
        { profileId: c, key: 'ltv', value: null },
        { profileId: randomUUID(), key: 'ltv', value: 1 },
        { profileId: a, key: 'plan', value: { tier: 'gold' } },
      ],
      at1,
    );
    expect(first).toEqual({ upserted: 3, deleted: 0 });
    const second = await replaceSourceValues(
      database.dataSource.manager,
      source,
      [
        { profileId: a, key: 'ltv', value: 10 },
        { profileId: c, key: 'ltv', value: 3 },
      ],
      at2,
    );
    expect(second).toEqual({ upserted: 1, deleted: 2 });
    const rows = await rowsOf(source.id);
    expect(rows.map((row) => [row.profile_id, row.key, row.value])).toEqual(
      [
        [a, 'ltv', 10],
        [c, 'ltv', 3],
      ].sort((x, y) => String(x[0]).localeCompare(String(y[0]))),
    );
    // Unchanged rows keep the time they were computed; a new version rewrites them.
    expect(rows.find((row) => row.profile_id === a)?.computed_at.toISOString()).toBe(at1.toISOString());
    const third = await replaceSourceValues(
      database.dataSource.manager,
      { ...source, version: 2 },
      [{ profileId: a, key: 'ltv', value: 10 }],
      at2,
    );
    expect(third).toEqual({ upserted: 1, deleted: 1 });
    expect((await rowsOf(source.id)).map((row) => [row.source_version, row.computed_at.toISOString()])).toEqual([[2, at2.toISOString()]]);
  });

  it('never writes over a key another source owns, and names the owner', async () => {
    const [a] = await newProfiles(1);
    const owner = { kind: 'computed' as const, id: randomUUID(), version: 1 };
    const other = { kind: 'sql' as const, id: randomUUID(), version: 1 };
    await replaceSourceValues(database.dataSource.manager, owner, [{ profileId: a, key: 'orders_30d', value: 2 }], at1);
    const attempt = await replaceSourceValues(database.dataSource.manager, other, [{ profileId: a, key: 'orders_30d', value: 99 }], at2);
    expect(attempt).toEqual({ upserted: 0, deleted: 0 });
    expect((await rowsOf(owner.id)).map((row) => row.value)).toEqual([2]);
    expect(await keyOwners(database.dataSource.manager, ['orders_30d', 'free_key'], other.id)).toEqual([
      { key: 'orders_30d', sourceKind: 'computed', sourceId: owner.id },
    ]);
    expect(await keyOwners(database.dataSource.manager, ['orders_30d'], owner.id)).toEqual([]);
  });

  it('writes one profile (real time): upsert a value, delete on no value, and reads it back; values go with the source and the profile', async () => {
    const [a] = await newProfiles(1);
    const source = { kind: 'computed' as const, id: randomUUID(), version: 3 };
    expect(await writeProfileValues(database.dataSource.manager, a, [{ key: 'last_plan', source, value: 'pro' }], at1)).toEqual({
      upserted: 1,
      deleted: 0,
    });
    expect(await profileValues(database.dataSource.manager, a)).toEqual([
      { key: 'last_plan', value: 'pro', sourceKind: 'computed', sourceId: source.id, sourceVersion: 3, computedAt: at1 },
    ]);
    expect(await writeProfileValues(database.dataSource.manager, a, [{ key: 'last_plan', source, value: undefined }], at2)).toEqual({
      upserted: 0,
      deleted: 1,
    });
    await writeProfileValues(database.dataSource.manager, a, [{ key: 'last_plan', source, value: 'basic' }], at2);
    expect(await deleteSourceValues(database.dataSource.manager, 'computed', source.id)).toBe(1);
    await writeProfileValues(database.dataSource.manager, a, [{ key: 'last_plan', source, value: 'basic' }], at2);
    await database.dataSource.query(`DELETE FROM profiles WHERE id = $1`, [a]);
    expect(await rowsOf(source.id)).toEqual([]);
  });
});
