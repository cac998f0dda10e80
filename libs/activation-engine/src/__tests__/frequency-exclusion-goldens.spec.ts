import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { captureSql, createTestDatabase, expectGolden, sqlSections, TestDatabase } from '@audiencekit/testing';
import * as frequency from '../frequency/frequency-cap.repository';
import { excludingSegments } from '../pipeline/exclusions.repository';

/**
 * Golden SQL of the frequency caps (frequency/frequency-cap.repository.ts) and of the exclusions'
 * read (pipeline/exclusions.repository.ts), issue #23: a query change shows in review.
 * `UPDATE_GOLDENS=1 npx jest libs/activation-engine/src/__tests__/frequency-exclusion-goldens` rewrites them.
 */
describe('golden SQL of the frequency-cap and exclusion repositories', () => {
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

  it('frequency-cap.repository and exclusions.repository', async () => {
    const m = db.dataSource.manager;
    const sends = [{ profileId: randomUUID(), deliveryKey: 'a:p' }];
    const input = { channel: 'sms', activationId: randomUUID(), runId: randomUUID(), sends };
    const sections = [
      await section('capsApply', () => frequency.capsApply(m, 'sms')),
      await section('cappedSends', () => frequency.cappedSends(m, 'sms', sends)),
      await section('reserveSends (locked)', () => frequency.reserveSends(db.dataSource, { ...input, locked: true })),
      await section('reserveSends (no cap on the channel)', () =>
        frequency.reserveSends(db.dataSource, { ...input, sends: [{ profileId: randomUUID(), deliveryKey: 'b:p' }], locked: false }),
      ),
      await section('releaseSends', () => frequency.releaseSends(m, sends)),
      await section('pruneSendLedger', () => frequency.pruneSendLedger(m, { retentionDays: 90, batchSize: 5000 })),
      await section('excludingSegments', () => excludingSegments(m, randomUUID())),
    ];
    expectGolden(join(__dirname, '__golden__', 'frequency-exclusions.repository.sql'), sqlSections(sections));
  });
});
