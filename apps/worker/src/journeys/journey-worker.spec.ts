import type { JourneyDefinition } from '@audiencekit/journeys';
import { startSendgridFake, SendgridFake } from '@audiencekit/plugin-sendgrid/testing';
import { createTestDatabase, SpawnedProcess, spawnTs, TestDatabase, waitUntil } from '@audiencekit/testing';
import { enterSegment, entriesOf, KEY_RING, seedJourney, seedMailDestination, seedSegmentAndProfiles } from './journey-fixtures';

/**
 * The worker process advances journeys on its own (JourneyPasses, a PeriodicPass every
 * AK_JOURNEY_PASS_MS), and a worker killed mid-journey (SIGKILL, during a wait) leaves nothing for
 * the next worker to redo: every step reaches the fake vendor once per treated entry, none for control.
 */
describe('journeys in a real worker process', () => {
  let db: TestDatabase;
  let fake: SendgridFake;
  const workers: SpawnedProcess[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    fake = await startSendgridFake();
  });
  afterAll(async () => {
    for (const worker of workers) if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL');
    await fake.stop();
    await db.drop();
  });

  const spawnWorker = (): SpawnedProcess => {
    const worker = spawnTs('apps/worker/src/main.ts', {
      DATABASE_URL: db.url,
      LOG_LEVEL: 'warn',
      AK_JOURNEY_PASS_MS: '100',
      AK_SECRETS_KEYS: KEY_RING,
      AK_CONNECTOR_BASE_URLS: `sendgrid-email=${fake.url}`,
    });
    workers.push(worker);
    return worker;
  };

  it('sends step by step, survives a SIGKILL mid-journey, never mails the control group', async () => {
    const destination = await seedMailDestination(db.dataSource);
    const { segmentId, profiles } = await seedSegmentAndProfiles(db.dataSource, 40);
    const definition: JourneyDefinition = {
      entrySegmentId: segmentId,
      goal: { event: 'Order Completed', withinDays: 7 },
      holdoutShare: 0.25,
      reEntry: { mode: 'once' },
      steps: [
        { id: 'offer1', type: 'send', destination, message: { subject: 'worker offer 1', text: 'one' } },
        { id: 'wait', type: 'wait', seconds: 4 },
        { id: 'offer2', type: 'send', destination, message: { subject: 'worker offer 2', text: 'two' } },
      ],
    };
    const journeyId = await seedJourney(db.dataSource, definition);
    const first = spawnWorker();
    await enterSegment(
      db.dataSource,
      segmentId,
      profiles.map((profile) => profile.id),
    );
    const entries = async () => entriesOf(db.dataSource, journeyId);
    await waitUntil(async () => (await entries()).length === 40, 60_000, 50);
    const treated = (await entries()).filter((entry) => entry.arm === 'treatment').map((entry) => entry.profile_id);
    const emailOf = new Map(profiles.map((profile) => [profile.id, profile.email]));
    const treatedEmails = new Set(treated.map((id) => emailOf.get(id)));
    const offers = (subject: string) => fake.mails.filter((mail) => mail.subject === subject);
    await waitUntil(async () => offers('worker offer 1').length === treated.length, 60_000, 50);
    // Killed during the wait: once offer 1's outcomes are written and every treated entry waits.
    await waitUntil(async () => (await entries()).every((entry) => entry.arm !== 'treatment' || entry.state === 'waiting'), 60_000, 20);
    first.child.kill('SIGKILL');
    await first.exited();
    expect(offers('worker offer 2')).toHaveLength(0); // killed during the wait

    spawnWorker();
    await waitUntil(async () => (await entries()).every((entry) => entry.state === 'done' || entry.arm !== 'treatment'), 60_000, 100);
    expect(offers('worker offer 2')).toHaveLength(treated.length);
    expect(fake.mails.every((mail) => treatedEmails.has(mail.to))).toBe(true);
    const keys = fake.mails.map((mail) => mail.customArgs['ak_delivery_key']);
    expect(new Set(keys).size).toBe(2 * treated.length);
    expect(keys).toHaveLength(2 * treated.length);
  }, 180_000);
});
