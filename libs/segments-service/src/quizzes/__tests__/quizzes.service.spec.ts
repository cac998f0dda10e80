import { IngestionService } from '@audiencekit/ingestion';
import { createTestDatabase, TestDatabase } from '@audiencekit/testing';
import { SegmentDefinitionGate } from '../../segment-definition.gate';
import { SegmentMembershipService } from '../../segment-membership.service';
import { SegmentsService } from '../../segments.service';
import { QuizzesException } from '../quizzes.exception';
import { QuizzesService } from '../quizzes.service';

/** Quizzes over a real Postgres: versions, each refusal naming its question, answers landing as traits via ingestion. */
describe('QuizzesService', () => {
  let database: TestDatabase;
  let quizzes: QuizzesService;
  let membership: SegmentMembershipService;

  const definition = {
    title: 'Shopping style',
    questions: [
      {
        id: 'budget',
        text: 'What matters most?',
        kind: 'single',
        required: true,
        trait: 'priority',
        options: [{ value: 'price', trait: 'price_sensitive', traitValue: true }, { value: 'quality' }],
      },
      {
        id: 'values',
        text: 'You care about',
        kind: 'multi',
        trait: 'interests',
        options: [{ value: 'eco', trait: 'eco_conscious' }, { value: 'gifts' }],
      },
      { id: 'age', text: 'Your age?', kind: 'number', trait: 'age', min: 13, max: 120 },
    ],
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    const ingestion = new IngestionService(database.dataSource, { groupCommit: { maxInFlight: 0 }, realtimeHandOff: false });
    quizzes = new QuizzesService(database.dataSource, ingestion);
    const gate = new SegmentDefinitionGate();
    membership = new SegmentMembershipService(database.dataSource, new SegmentsService(database.dataSource, gate), gate);
    await quizzes.create({ key: 'style', owner: 'crm', definition }, 'admin-1');
  });
  afterAll(async () => {
    await database?.drop();
  });

  async function refusal(work: Promise<unknown>): Promise<{ code: string; details: unknown }> {
    const error = await work.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    if (!(error instanceof QuizzesException)) throw new Error(`expected a QuizzesException, got ${String(error)}`);
    return { code: error.code, details: error.details };
  }

  async function traitsOf(userId: string): Promise<Record<string, unknown> | undefined> {
    const [row] = await database.dataSource.query(
      `SELECT p.traits FROM identities i JOIN profiles p ON p.id = i.profile_id WHERE i.type = 'user_id' AND i.value = $1 AND p.merged_into IS NULL`,
      [userId],
    );
    return row?.traits;
  }

  async function counts(): Promise<{ events: number; profiles: number }> {
    const [row] = await database.dataSource.query(
      `SELECT (SELECT count(*)::int FROM events) AS events, (SELECT count(*)::int FROM profiles) AS profiles`,
    );
    return row;
  }

  it('refuses a bad definition naming the path, and a taken key', async () => {
    const bad = await refusal(
      quizzes.create(
        {
          key: 'bad',
          owner: 'crm',
          definition: { title: 't', questions: [{ id: 'q', text: 't', kind: 'single', options: [{ value: 'a' }] }] },
        },
        null,
      ),
    );
    expect(bad).toEqual({
      code: 'invalid_quiz',
      details: [{ path: 'definition.questions.0.options.0.trait', message: 'is required when the question has no trait' }],
    });
    expect((await refusal(quizzes.create({ key: 'style', owner: 'crm', definition }, null))).code).toBe('quiz_key_taken');
    expect((await quizzes.list()).map((quiz) => quiz.key)).toContain('style');
  });

  it('serves the current version without the trait mapping', async () => {
    const served = await quizzes.served('style');
    expect(served.version).toBe(1);
    expect(served.questions[0]).toEqual({
      id: 'budget',
      text: 'What matters most?',
      kind: 'single',
      required: true,
      options: [
        { value: 'price', label: 'price' },
        { value: 'quality', label: 'quality' },
      ],
    });
    expect(JSON.stringify(served)).not.toContain('price_sensitive');
  });

  it.each([
    [{ version: 1, userId: 'u-x', answers: { budget: 'cheap' } }, 'answers.budget', '"cheap" is not an option'],
    [{ version: 1, userId: 'u-x', answers: { age: 30 } }, 'answers.budget', 'is required'],
    [
      { version: 1, userId: 'u-x', answers: { budget: 'price', colour: 'red' } },
      'answers.colour',
      'is not a question of this quiz version',
    ],
    [{ version: 1, userId: 'u-x', answers: { budget: 'price', values: ['eco', 'cars'] } }, 'answers.values', '"cars" is not an option'],
    [{ version: 1, userId: 'u-x', answers: { budget: 'price', age: 200 } }, 'answers.age', 'must be at most 120'],
    [{ version: 1, answers: { budget: 'price' } }, 'userId', 'userId or anonymousId is required'],
  ])('refuses %j naming %s, writing nothing', async (body, path, message) => {
    const before = await counts();
    const refused = await refusal(quizzes.submit('style', body, { trust: 'client' }));
    expect(refused).toEqual({ code: 'invalid_quiz_answers', details: [{ path, message }] });
    expect(await counts()).toEqual(before);
  });

  it('lands valid answers as traits through identify, with the answer time, usable by a rules segment at once', async () => {
    const answeredAt = '2026-11-02T10:00:00.000Z';
    const result = await quizzes.submit(
      'style',
      { version: 1, userId: 'u-1', answers: { budget: 'price', values: ['gifts', 'eco'], age: 41 }, timestamp: answeredAt },
      { trust: 'client' },
    );
    expect(result).toMatchObject({
      success: true,
      version: 1,
      stored: 1,
      traits: { price_sensitive: true, eco_conscious: true, interests: ['gifts'], age: 41 },
    });
    expect(await traitsOf('u-1')).toEqual({ price_sensitive: true, eco_conscious: true, interests: ['gifts'], age: 41 });
    const [event] = await database.dataSource.query(`SELECT type, timestamp, context FROM events WHERE context->'quiz'->>'key' = 'style'`);
    expect(event.type).toBe('identify');
    expect(event.timestamp.toISOString()).toBe(answeredAt);
    expect(event.context.quiz).toEqual({ key: 'style', version: 1, answers: { budget: 'price', values: ['gifts', 'eco'], age: 41 } });

    await quizzes.submit('style', { version: 1, userId: 'u-2', answers: { budget: 'quality' } }, { trust: 'client' });
    const preview = await membership.preview(
      { type: 'rules', match: { type: 'trait', trait: 'price_sensitive', operator: 'equals', value: true } },
      10,
    );
    expect(preview.size).toBe(1);
    expect(await traitsOf('u-2')).toEqual({ priority: 'quality' });
  });

  it('a second answer for a known user id is stitched to the same profile', async () => {
    await quizzes.submit('style', { version: 1, userId: 'u-3', answers: { budget: 'quality' } }, { trust: 'client' });
    await quizzes.submit('style', { version: 1, userId: 'u-3', answers: { budget: 'price' } }, { trust: 'client' });
    expect(await traitsOf('u-3')).toEqual({ priority: 'quality', price_sensitive: true });
    const [row] = await database.dataSource.query(`SELECT count(*)::int AS n FROM identities WHERE type = 'user_id' AND value = 'u-3'`);
    expect(row.n).toBe(1);
  });

  it('is consent-safe like any identify: a client key may not set a consent trait (nothing stored), a server key may', async () => {
    const optOut = {
      title: 'Newsletter',
      questions: [
        {
          id: 'news',
          text: 'Stop the newsletter?',
          kind: 'single',
          required: true,
          options: [{ value: 'yes', trait: 'unsubscribed', traitValue: true }],
        },
      ],
    };
    await quizzes.create({ key: 'newsletter', owner: 'crm', definition: optOut }, null);
    const before = await counts();
    const refused = await refusal(
      quizzes.submit('newsletter', { version: 1, userId: 'u-4', answers: { news: 'yes' } }, { trust: 'client' }),
    );
    expect(refused.code).toBe('quiz_answers_refused_for_client_key');
    expect(refused.details).toEqual([expect.objectContaining({ path: 'traits.unsubscribed' })]);
    expect(await counts()).toEqual(before);
    expect(await traitsOf('u-4')).toBeUndefined();

    await quizzes.submit('newsletter', { version: 1, userId: 'u-4', answers: { news: 'yes' } }, { trust: 'server' });
    expect(await traitsOf('u-4')).toMatchObject({ unsubscribed: true });
  });

  it('versions: an unchanged definition keeps the version; a change adds one, the old one expires, the versions are immutable', async () => {
    expect((await quizzes.update('style', { definition }, 'admin-2')).version).toBe(1);
    const changed = { ...definition, title: 'Shopping style v2' };
    const updated = await quizzes.update('style', { definition: changed }, 'admin-2');
    expect([updated.version, updated.title, updated.versionCreatedBy]).toEqual([2, 'Shopping style v2', 'admin-2']);

    const expired = await refusal(
      quizzes.submit('style', { version: 1, userId: 'u-5', answers: { budget: 'price' } }, { trust: 'client' }),
    );
    expect(expired).toEqual({
      code: 'quiz_version_expired',
      details: [{ path: 'version', message: 'has expired: version 1 was replaced by version 2; reload the quiz' }],
    });
    const unknown = await refusal(
      quizzes.submit('style', { version: 9, userId: 'u-5', answers: { budget: 'price' } }, { trust: 'client' }),
    );
    expect(unknown.details).toEqual([{ path: 'version', message: 'is not a version of this quiz (current: 2)' }]);
    expect(await traitsOf('u-5')).toBeUndefined();

    await expect(database.dataSource.query(`UPDATE quiz_versions SET definition = '{}'`)).rejects.toThrow('quiz versions are immutable');
  });

  it('an unknown or deleted quiz is not found', async () => {
    await quizzes.create({ key: 'gone', owner: 'crm', definition }, null);
    await quizzes.remove('gone');
    expect((await refusal(quizzes.served('gone'))).code).toBe('quiz_not_found');
    expect((await refusal(quizzes.submit('nope', {}, {}))).code).toBe('quiz_not_found');
  });

  it('stats: submissions, respondents, and per question the answered count, option counts and number summary', async () => {
    const poll = {
      title: 'Poll',
      questions: [
        { id: 'q1', text: 'One', kind: 'single', required: true, trait: 'poll_one', options: [{ value: 'a' }, { value: 'b' }] },
        { id: 'q2', text: 'Many', kind: 'multi', trait: 'poll_many', options: [{ value: 'x' }, { value: 'y' }, { value: 'z' }] },
        { id: 'q3', text: 'Number', kind: 'number', trait: 'poll_number' },
      ],
    };
    await quizzes.create({ key: 'poll', owner: 'crm', definition: poll }, null);
    const send = (body: unknown) => quizzes.submit('poll', body, { trust: 'client' });
    await send({ version: 1, userId: 'p-1', answers: { q1: 'a', q2: ['x', 'y'], q3: 10 } });
    await send({ version: 1, userId: 'p-2', answers: { q1: 'a', q2: ['y'] } });
    await send({ version: 1, userId: 'p-1', answers: { q1: 'b', q3: 20 } });
    expect((await refusal(send({ version: 1, userId: 'p-3', answers: { q1: 'c' } }))).code).toBe('invalid_quiz_answers');

    expect(await quizzes.stats('poll')).toEqual({
      key: 'poll',
      currentVersion: 1,
      versions: [
        {
          version: 1,
          submissions: 3,
          respondents: 2,
          questions: [
            {
              question: 'q1',
              answered: 3,
              options: [
                { value: 'a', count: 2 },
                { value: 'b', count: 1 },
              ],
              numbers: null,
            },
            {
              question: 'q2',
              answered: 2,
              options: [
                { value: 'y', count: 2 },
                { value: 'x', count: 1 },
              ],
              numbers: null,
            },
            { question: 'q3', answered: 2, options: [], numbers: { count: 2, min: 10, max: 20, mean: 15 } },
          ],
        },
      ],
    });
  });
});
