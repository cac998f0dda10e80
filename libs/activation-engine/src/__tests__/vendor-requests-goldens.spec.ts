import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { captureSql, createTestDatabase, expectGolden, sqlSections, TestDatabase } from '@audiencekit/testing';
import * as vendorRequests from '../vendor-requests/vendor-requests.repository';
import { insertRun } from '../data/sync-run.repository';
import { seedActivation, seedSegment } from './sync-fixtures';

/**
 * Golden SQL of pending vendor requests (vendor-requests/vendor-requests.repository.ts): a query
 * change shows in review, and each statement runs against the migrated schema.
 * `UPDATE_GOLDENS=1 npx jest libs/activation-engine/src/__tests__/vendor-requests-goldens` rewrites them.
 */
describe('golden SQL of the vendor-requests repository', () => {
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

  it('vendor-requests.repository', async () => {
    const m = db.dataSource.manager;
    const { segmentId, profileIds } = await seedSegment(db.dataSource, 2);
    const { activationId, destinationId } = await seedActivation(db.dataSource, { segmentId, connector: 'golden', mode: 'mirror' });
    const runId = (await insertRun(m, activationId, { status: 'running' }))?.id ?? randomUUID();
    let claimed: vendorRequests.DueVendorRequest[] = [];
    const sections = [
      await section('insertPendingRequests', () =>
        vendorRequests.insertPendingRequests(m, runId, destinationId, [{ requestId: 'r-1', profileIds }], 30 * 60_000),
      ),
      await section('claimDueRequests', async () => {
        claimed = await vendorRequests.claimDueRequests(m, new Date(Date.now() + 31 * 60_000), 600_000, 200);
      }),
      await section('rescheduleRequest', () => vendorRequests.rescheduleRequest(m, claimed[0].id, new Date(), 'still processing')),
      await section('unholdDroppedMembers', () => vendorRequests.unholdDroppedMembers(m, activationId, runId, profileIds)),
      await section('settleRequest', () => vendorRequests.settleRequest(m, claimed[0].id, 'processed', null)),
    ];
    expect(claimed).toEqual([expect.objectContaining({ requestId: 'r-1', activationId, attempts: 1, profileIds })]);
    expectGolden(join(__dirname, '__golden__', 'vendor-requests.repository.sql'), sqlSections(sections));
  });
});
