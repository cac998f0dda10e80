import { renderTemplate } from '@audiencekit/connector-sdk';
import { IngestionService, parseTrackingMessage } from '@audiencekit/ingestion';
import { propensityDefinitionSchema } from '@audiencekit/segments-domain';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { ComputedTraitsException } from '../../computed-traits/computed-traits.exception';
import { ComputedTraitsService } from '../../computed-traits/computed-traits.service';
import { ModelSegmentsService } from '../../model-segments.service';
import { SegmentDefinitionGate } from '../../segment-definition.gate';
import { SegmentMembershipService } from '../../segment-membership.service';
import { SegmentsService } from '../../segments.service';
import { TextSignalsException } from '../text-signals.exception';
import { TextSignalsService } from '../text-signals.service';

const DAY_MS = 86_400_000;
const VOCABULARIES = {
  'price-sensitive': ['price', 'expensive', 'discount', 'overpriced', 'cheap'],
  'eco-conscious': ['recycled', 'plastic', 'eco-friendly', 'sustainable'],
};

/**
 * Text signals over a real Postgres: the configuration, the scoring pass (signals stored with the
 * event, idempotent, never past an open transaction, one worker at a time), and computed traits
 * over `signals` used by a rules segment, a model feature and a send template.
 */
describe('TextSignalsService', () => {
  let database: TestDatabase;
  let ingestion: IngestionService;
  let service: TextSignalsService;

  const track = async (userId: string, event: string, properties: Record<string, unknown>, daysAgo: number, messageId?: string) => {
    const parsed = parseTrackingMessage(
      { userId, event, properties, timestamp: new Date(Date.now() - daysAgo * DAY_MS).toISOString(), ...(messageId ? { messageId } : {}) },
      'track',
      { receivedAt: new Date(), checkSize: false },
    );
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    await ingestion.ingest([parsed.event]);
  };
  const signalsOfEvents = async (event: string): Promise<unknown[]> =>
    (await database.dataSource.query(`SELECT signals FROM events WHERE name = $1 ORDER BY id`, [event])).map(
      (row: { signals: unknown }) => row.signals,
    );
  async function refusal<T extends Error & { code: string; details?: unknown }>(
    work: Promise<unknown>,
    type: new (...args: never[]) => T,
  ): Promise<{ code: string; details: unknown }> {
    const error = await work.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    if (!(error instanceof type)) throw new Error(`expected a ${type.name}, got ${String(error)}`);
    return { code: error.code, details: error.details };
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    ingestion = new IngestionService(database.dataSource, { groupCommit: { maxInFlight: 0 }, realtimeHandOff: false });
    service = new TextSignalsService(database.dataSource);
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('configurations: one per event name, updated in place, removed; a missing one is not found', async () => {
    const created = await service.create({ event: 'Review Submitted', property: 'text', vocabularies: VOCABULARIES });
    expect(created).toMatchObject({
      event: 'Review Submitted',
      property: 'text',
      vocabularies: VOCABULARIES,
      scoredUntil: null,
      eventsScored: 0,
    });
    expect(await refusal(service.create({ event: 'Review Submitted', property: 'body', vocabularies: {} }), TextSignalsException)).toEqual({
      code: 'text_signal_config_exists',
      details: [{ path: 'event', message: 'already configured' }],
    });
    await service.create({ event: 'Ticket Created', property: 'ticket.body', vocabularies: {} });
    const updated = await service.update('Ticket Created', { vocabularies: { 'price-sensitive': ['refund'] } });
    expect(updated).toMatchObject({ property: 'ticket.body', vocabularies: { 'price-sensitive': ['refund'] } });
    expect((await service.list()).map((config) => config.event)).toEqual(['Review Submitted', 'Ticket Created']);
    expect((await refusal(service.get('Nope'), TextSignalsException)).code).toBe('text_signal_config_not_found');
    await service.create({ event: 'Temporary', property: 'text', vocabularies: {} });
    await service.remove('Temporary');
    expect((await refusal(service.remove('Temporary'), TextSignalsException)).code).toBe('text_signal_config_not_found');
  });

  it('scores the configured events once, stores the signals with the event, and leaves other events alone', async () => {
    await track(
      'ann',
      'Review Submitted',
      { text: 'Way too expensive for what it is. Terrible quality, I want a discount.' },
      10,
      'r-ann-1',
    );
    await track('ann', 'Review Submitted', { text: 'The prices are awful and the box is plastic.' }, 3, 'r-ann-2');
    await track('bob', 'Review Submitted', { text: 'I love it! Great quality and made from recycled materials.' }, 5, 'r-bob-1');
    await track('bob', 'Review Submitted', { rating: 5 }, 4, 'r-bob-no-text');
    await track('cid', 'Ticket Created', { ticket: { body: 'Still no refund, this is a horrible experience.' } }, 2, 't-cid-1');
    await track('cid', 'Ticket Created', { ticket: { body: 'Thanks, that helped.' } }, 1, 't-cid-2');
    await track('cid', 'Order Completed', { text: 'not a configured event' }, 1, 'o-cid-1');

    expect(await service.scorePending()).toEqual({ ran: true, scored: 6 });
    const reviews = (await signalsOfEvents('Review Submitted')) as Record<string, any>[];
    expect(reviews[0]).toEqual({
      sentiment: { compound: expect.any(Number), label: 'negative', negative: 1 },
      tags: ['price-sensitive'],
    });
    expect(reviews[0].sentiment.compound).toBeLessThan(-0.05);
    // "prices" matches the term "price" on its lemma; "plastic" tags eco-conscious; tags sorted.
    expect(reviews[1]).toMatchObject({ sentiment: { label: 'negative' }, tags: ['eco-conscious', 'price-sensitive'] });
    expect(reviews[2]).toMatchObject({ sentiment: { label: 'positive', negative: 0 }, tags: ['eco-conscious'] });
    expect(reviews[3]).toEqual({}); // no text: scored, nothing read
    expect(await signalsOfEvents('Ticket Created')).toEqual([
      { sentiment: expect.objectContaining({ label: 'negative', negative: 1 }), tags: ['price-sensitive'] },
      { sentiment: expect.objectContaining({ label: 'positive', negative: 0 }), tags: [] },
    ]);
    expect(await signalsOfEvents('Order Completed')).toEqual([null]);

    // A second pass finds nothing; the watermark and the count moved.
    expect(await service.scorePending()).toEqual({ ran: true, scored: 0 });
    const config = await service.get('Review Submitted');
    expect(config.eventsScored).toBe(4);
    expect(config.scoredUntil).not.toBeNull();
  });

  it('never moves past an open transaction: an event committed late is scored by a later pass', async () => {
    const [profile] = await database.dataSource.query(`SELECT profile_id FROM events WHERE message_id = 'r-bob-1'`);
    const runner = database.dataSource.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    try {
      await runner.query(
        `INSERT INTO events (message_id, profile_id, type, name, timestamp, properties) VALUES ('r-late', $1, 'track', 'Review Submitted', now(), $2)`,
        [profile.profile_id, JSON.stringify({ text: 'Overpriced.' })],
      );
      await track('bob', 'Review Submitted', { text: 'Fine.' }, 0, 'r-bob-after');
      // The committed one after the open transaction started waits with it (below the horizon only).
      expect(await service.scorePending()).toEqual({ ran: true, scored: 0 });
      await runner.commitTransaction();
    } finally {
      await runner.release();
    }
    expect(await service.scorePending()).toEqual({ ran: true, scored: 2 });
    const [late] = await database.dataSource.query(`SELECT signals FROM events WHERE message_id = 'r-late'`);
    expect(late.signals.tags).toEqual(['price-sensitive']);
  });

  it('one worker at a time: a pass while another holds the scoring lock does nothing', async () => {
    await track('dee', 'Review Submitted', { text: 'Cheap and nasty.' }, 0, 'r-dee-1');
    const other = new TextSignalsService(database.dataSource);
    const runner = database.dataSource.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    try {
      await runner.query(`SELECT pg_advisory_xact_lock(hashtext('audiencekit.text-signals.scoring'))`);
      expect(await other.scorePending()).toEqual({ ran: false, scored: 0 });
    } finally {
      await runner.rollbackTransaction();
      await runner.release();
    }
    expect(await other.scorePending()).toEqual({ ran: true, scored: 1 });
  });

  it('a new configuration backfills the events of its name received before it', async () => {
    await track('eve', 'Survey Answered', { comment: 'Too expensive, awful.' }, 20, 's-eve-1');
    await service.scorePending();
    expect(await signalsOfEvents('Survey Answered')).toEqual([null]);
    await service.create({ event: 'Survey Answered', property: 'comment', vocabularies: VOCABULARIES });
    expect(await service.scorePending()).toEqual({ ran: true, scored: 1 });
    expect(await signalsOfEvents('Survey Answered')).toEqual([expect.objectContaining({ tags: ['price-sensitive'] })]);
  });

  describe('computed traits over signals', () => {
    let traits: ComputedTraitsService;
    let membership: SegmentMembershipService;
    const valueOf = async (key: string, userId: string): Promise<unknown> => {
      const [row] = await database.dataSource.query(
        `SELECT v.value FROM computed_trait_values v JOIN identities i ON i.profile_id = v.profile_id AND i.type = 'user_id' WHERE v.key = $1 AND i.value = $2`,
        [key, userId],
      );
      return row?.value;
    };
    const members = async (match: unknown): Promise<string[]> => {
      const preview = await membership.preview({ type: 'rules', match }, 50);
      const rows = await database.dataSource.query(
        `SELECT value FROM identities WHERE type = 'user_id' AND profile_id = ANY($1::uuid[]) ORDER BY value`,
        [preview.sample],
      );
      return rows.map((row: { value: string }) => row.value);
    };

    beforeAll(async () => {
      traits = new ComputedTraitsService(database.dataSource);
      const gate = new SegmentDefinitionGate();
      membership = new SegmentMembershipService(database.dataSource, new SegmentsService(database.dataSource, gate), gate);
      const define = async (key: string, definition: Record<string, unknown>) => {
        await traits.create({ key, description: '', owner: 'crm', cadence: 'manual', definition }, null);
        await traits.run(key);
      };
      await define('avg_sentiment_90d', {
        function: 'avg',
        event: 'Review Submitted',
        signal: 'sentiment.compound',
        window: 'last 90 days',
      });
      await define('last_review_sentiment', { function: 'last', event: 'Review Submitted', signal: 'sentiment.label', window: 'ever' });
      await define('tickets_negative_share', {
        function: 'avg',
        event: 'Ticket Created',
        signal: 'sentiment.negative',
        window: 'last 90 days',
      });
      await define('eco_mentions', {
        function: 'count',
        event: 'Review Submitted',
        where: [{ signal: 'tags', operator: 'contains', value: 'eco-conscious' }],
        window: 'last 90 days',
      });
      await define('price_mentions', {
        function: 'count',
        event: 'Review Submitted',
        where: [{ signal: 'tags', operator: 'contains', value: 'price-sensitive' }],
        window: 'last 90 days',
      });
    });

    it('computes average and last sentiment, the share of negative tickets and tags seen', async () => {
      expect(await valueOf('avg_sentiment_90d', 'ann')).toBeLessThan(-0.05);
      expect(await valueOf('avg_sentiment_90d', 'bob')).toBeGreaterThan(0.05);
      expect(await valueOf('avg_sentiment_90d', 'cid')).toBeUndefined(); // no review
      expect(await valueOf('last_review_sentiment', 'ann')).toBe('negative');
      expect(await valueOf('last_review_sentiment', 'dee')).toBe('negative');
      expect(await valueOf('tickets_negative_share', 'cid')).toBe(0.5);
      expect(await valueOf('eco_mentions', 'ann')).toBe(1);
      expect(await valueOf('eco_mentions', 'bob')).toBe(1);
      expect(await valueOf('eco_mentions', 'dee')).toBe(0);
      expect(await valueOf('price_mentions', 'ann')).toBe(2);
    });

    it('a trait reading signals cannot be real time (400 naming the definition)', async () => {
      const refused = await refusal(
        traits.create(
          {
            key: 'rt_sentiment',
            description: '',
            owner: 'crm',
            cadence: 'realtime',
            definition: { function: 'avg', event: 'Review Submitted', signal: 'sentiment.compound', window: 'last 30 days' },
          },
          null,
        ),
        ComputedTraitsException,
      );
      expect(refused).toEqual({
        code: 'invalid_computed_trait',
        details: [{ path: 'definition', message: expect.stringContaining('text signals') }],
      });
      const both = await refusal(
        traits.preview({ function: 'avg', event: 'Review Submitted', property: 'x', signal: 'sentiment.compound', window: 'ever' }),
        ComputedTraitsException,
      );
      expect(both.details).toEqual([{ path: 'definition.signal', message: 'give property or signal, not both' }]);
    });

    it('rules segments: detractors, eco-conscious buyers, price-sensitive detractors', async () => {
      const detractor = { type: 'computed_trait', key: 'avg_sentiment_90d', operator: 'lt', value: -0.05 };
      expect(await members(detractor)).toEqual(['ann', 'dee']);
      expect(await members({ type: 'computed_trait', key: 'eco_mentions', operator: 'gte', value: 1 })).toEqual(['ann', 'bob']);
      expect(
        await members({
          type: 'all',
          conditions: [detractor, { type: 'computed_trait', key: 'price_mentions', operator: 'gte', value: 1 }],
        }),
      ).toEqual(['ann', 'dee']);
    });

    it('model features: a signals trait computed as of the cutoff', async () => {
      const models = new ModelSegmentsService();
      const definition = propensityDefinitionSchema.parse({
        type: 'propensity',
        tier: 'top',
        population: 'all',
        outcome: { event: 'Order Completed', withinDays: 30 },
        features: [{ source: 'computed_trait', key: 'avg_sentiment_90d' }],
      });
      const rows = await database.dataSource.transaction(async (manager) =>
        models.featureRows(manager, definition, new Date(), definition.outcome, await models.resolveFeatureSources(manager, definition)),
      );
      const column = rows.matrix.names.findIndex((name) => name.includes('avg_sentiment_90d'));
      expect(column).toBeGreaterThanOrEqual(0);
      const values = Array.from({ length: rows.matrix.rows }, (_, row) => rows.matrix.data[row * rows.matrix.cols + column]);
      expect(values.filter((value) => value < -0.05)).toHaveLength(2); // ann and dee
      expect(values.filter((value) => value > 0.05)).toHaveLength(1); // bob
    });

    it('send templates: {{computed.<key>}} renders the stored signal traits', async () => {
      const [ann] = await database.dataSource.query(
        `SELECT jsonb_object_agg(v.key, v.value) AS computed FROM computed_trait_values v JOIN identities i ON i.profile_id = v.profile_id
          WHERE i.type = 'user_id' AND i.value = 'ann' AND v.key = ANY($1::text[])`,
        [['last_review_sentiment', 'price_mentions']],
      );
      expect(
        renderTemplate('Your last review was {{computed.last_review_sentiment}}; price came up {{computed.price_mentions}} times.', {
          traits: {},
          computed: ann.computed,
        }),
      ).toBe('Your last review was negative; price came up 2 times.');
    });
  });
});
