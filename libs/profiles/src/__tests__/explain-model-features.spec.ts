import { parseSegmentDefinition, type FittedDefinition } from '@audiencekit/segments-domain';
import { ModelSegmentsService, SegmentDefinitionGate, SegmentsService, type StoredModel } from '@audiencekit/segments-service';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { ProfileExplainService } from '../profile-explain.service';
import { ProfilesService } from '../profiles.service';

/**
 * Explain of a cluster segment over #21 features (a categorical trait, a computed trait computed as
 * of now from the definition stored with the model): the features it shows are the profile's own
 * (text for the categorical one, today's stored trait value ignored), and its verdict is the
 * membership a refresh computes with the stored model, for every profile.
 */
const NOW = new Date('2026-03-01T00:00:00Z');
const DAY = 86_400_000;

describe('explain of a model segment with categorical and computed-trait features', () => {
  let database: TestDatabase;
  const ids: string[] = [];
  const plans: (string | undefined)[] = [];
  const orders: number[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    const ds = database.dataSource;
    for (let n = 0; n < 24; n++) {
      const plan = n % 5 === 0 ? undefined : ['pro', 'free'][n % 2];
      const [{ id }] = await ds.query(`INSERT INTO profiles (traits, first_seen_at) VALUES ($1, '2025-01-01T00:00:00Z') RETURNING id`, [
        JSON.stringify(plan ? { plan } : {}),
      ]);
      const count = n % 2 === 0 ? 6 + (n % 3) : n % 3;
      for (let k = 0; k < count; k++) {
        await ds.query(
          `INSERT INTO events (message_id, profile_id, type, name, timestamp, properties) VALUES ($1, $2, 'track', 'Order Completed', $3, '{}')`,
          [`o-${n}-${k}`, id, new Date(NOW.getTime() - (k + 1) * 7 * DAY).toISOString()],
        );
      }
      ids.push(id);
      plans.push(plan);
      orders.push(count);
    }
    const [trait] = await ds.query(
      `INSERT INTO computed_traits (key, owner, current_version) VALUES ('orders_year', 'test', 1) RETURNING id`,
    );
    await ds.query(`INSERT INTO computed_trait_versions (trait_id, version, definition) VALUES ($1, 1, $2)`, [
      trait.id,
      JSON.stringify({ function: 'count', event: 'Order Completed', window: 'last 365 days' }),
    ]);
    // A stale stored value: explain (like refresh) computes the trait, it does not read this.
    await ds.query(
      `INSERT INTO computed_trait_values (profile_id, key, value, source_kind, source_id, source_version, computed_at)
       SELECT id, 'orders_year', '999', 'computed', $1, 1, now() FROM profiles`,
      [trait.id],
    );
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('shows the categorical value as text and the computed trait as of now, and agrees with the stored model for every profile', async () => {
    const ds = database.dataSource;
    const segments = new SegmentsService(ds, new SegmentDefinitionGate());
    const segment = await segments.create(
      {
        key: 'order-clusters',
        name: 'order clusters',
        description: '',
        owner: 'test',
        refreshCadence: 'manual',
        kpi: null,
        status: 'active',
        qualityThresholds: { minSize: 1, maxChurn: 10 },
        definition: {
          type: 'cluster',
          k: 2,
          cluster: 0,
          seed: 1,
          population: 'all',
          features: [
            { source: 'computed_trait', key: 'orders_year' },
            { source: 'trait', trait: 'plan', kind: 'categorical' },
          ],
        },
      },
      null,
      NOW,
    );
    const [version] = await ds.query(`SELECT definition, model FROM segment_versions WHERE segment_id = $1`, [segment.id]);
    const members = new Set(
      await new ModelSegmentsService().members(
        ds.manager,
        parseSegmentDefinition(version.definition) as FittedDefinition,
        version.model as StoredModel,
        NOW,
      ),
    );
    expect(members.size).toBeGreaterThan(0);
    expect(members.size).toBeLessThan(ids.length);
    const explainer = new ProfileExplainService(ds, new ProfilesService(ds));
    for (const [n, id] of ids.entries()) {
      const explained = (await explainer.explain(id, 'order-clusters', NOW)) as unknown as {
        matches: boolean;
        model: { features: Record<string, unknown> };
      };
      expect(explained.model.features).toEqual({ orders_year: orders[n], plan: plans[n] ?? null });
      expect(explained.matches).toBe(members.has(id));
    }
  });
});
