import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { captureSql, createTestDatabase, expectGolden, sqlSections, TestDatabase } from '@audiencekit/testing';
import { JourneyEntity } from '@audiencekit/persistence';
import * as repo from '../data/journeys.repository';

/**
 * Golden SQL of data/journeys.repository.ts (issue #23): every function called once on a migrated
 * database, its SQL text pinned so a query change shows in review.
 * `UPDATE_GOLDENS=1 CI=true npx jest libs/journey-engine/src/__tests__/journeys-goldens` rewrites it.
 */
describe('golden SQL of the journeys repository', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  const section = async (name: string, work: () => Promise<unknown>): Promise<[string, string[]]> => [
    name,
    (await captureSql(db.dataSource, work)).statements,
  ];

  it('journeys.repository', async () => {
    const m = db.dataSource.manager;
    const { id: journeyId } = await m.getRepository(JourneyEntity).save({ key: 'golden', name: 'Golden', holdoutSalt: 'salt' });
    const profileId = randomUUID();
    const now = new Date();
    const entry = {
      journeyId,
      profileId,
      entryNumber: 1,
      version: 1,
      arm: 'treatment' as const,
      enteredAt: now,
      dueAt: now,
      state: 'active' as const,
    };
    const [entryId] = await repo.insertEntries(m, [{ ...entry, entryNumber: 2 }]);
    const sections = [
      await section('journeyVersions', () => repo.journeyVersions(m, [{ journeyId, version: null }])),
      await section('journeyVersions (lockStatus)', () => repo.journeyVersions(m, [{ journeyId, version: null }], { lockStatus: true })),
      await section('takePendingEntries', () => repo.takePendingEntries(m, 10)),
      await section('enqueueCurrentMembers', () => repo.enqueueCurrentMembers(m, journeyId, randomUUID())),
      await section('latestEntries', () => repo.latestEntries(m, [{ journeyId, profileId }])),
      await section('insertEntries', () => repo.insertEntries(m, [entry])),
      await section('claimDueEntries', () => repo.claimDueEntries(m, now, 10)),
      await section('eventsSeen', () => repo.eventsSeen(m, [{ key: 'k', profileId, event: 'e', since: now }])),
      await section('membershipsHeld', () => repo.membershipsHeld(m, [{ key: 'k', profileId, segmentId: randomUUID() }])),
      await section('moveEntries', () =>
        repo.moveEntries(m, [{ id: entryId, stepIndex: 1, state: 'active', dueAt: now, waitStartedAt: null, waitingEvent: null }]),
      ),
      await section('holdEntries', () => repo.holdEntries(m, [entryId], now, now)),
      await section('exitEntries', () => repo.exitEntries(m, [{ id: entryId, reason: 'completed', detail: null, at: now }])),
      await section('logSteps', () =>
        repo.logSteps(m, [
          { entryId, journeyId, stepId: 's', outcome: 'in_flight', deliveryKey: `journey:${entryId}:s`, detail: null, at: now },
        ]),
      ),
      await section('loggedSteps', () => repo.loggedSteps(m, [{ entryId, stepId: 's' }])),
      await section('completeSteps', () => repo.completeSteps(m, [{ entryId, stepId: 's', outcome: 'sent', detail: null, at: now }])),
      await section('journeyAudience', () => repo.journeyAudience(m, journeyId, 's')),
      await section('saveJourneyAudience', () =>
        repo.saveJourneyAudience(m, { journeyId, stepId: 's', destinationId: randomUUID(), externalAudienceId: 'list-1' }),
      ),
      await section('stepOutcomeCounts', () => repo.stepOutcomeCounts(m, journeyId)),
      await section('entryCounts', () => repo.entryCounts(m, journeyId)),
      await section('goalConversions', () => repo.goalConversions(m, { journeyId, goalEvent: 'Order Completed', withinDays: 7, now })),
    ];
    expectGolden(join(__dirname, '__golden__', 'journeys.repository.sql'), sqlSections(sections));
  });
});
