import { join } from 'node:path';
import { EntityManager } from 'typeorm';
import { captureSql, createTestDatabase, expectGolden, sqlSections, TestDatabase } from '@audiencekit/testing';
import * as membership from '../segment-membership.repository';
import * as realtime from '../realtime/realtime.repository';
import * as refresh from '../segment-refresh.repository';
import * as segments from '../segments.repository';
import * as exports from '../segment-export.repository';
import * as lists from '../segment-lists.repository';
import * as modelFeatures from '../model-features.repository';
import * as fitJobs from '../model-fit-jobs.repository';

/**
 * Golden SQL of the repositories of libs/segments-service (`src/__golden__/*.repository.sql`): every
 * function is called once, in one transaction, against a real migrated database, and the text of
 * each statement it sends (TypeORM's generated SQL included) is compared with the committed file.
 * A query change then shows in review. `UPDATE_GOLDENS=1 npx jest libs/segments-service/src/__tests__/repository-goldens`
 * rewrites them. Behaviour is tested elsewhere; this only pins the text.
 */
describe('golden SQL of the libs/segments-service repositories', () => {
  let database: TestDatabase;
  const NOW = new Date('2026-03-01T12:00:00.000Z');
  const golden = (name: string, sections: [string, string[]][]) =>
    expectGolden(join(__dirname, '..', '__golden__', `${name}.sql`), sqlSections(sections));

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterAll(async () => {
    await database?.drop();
  });

  it('pins the text of every query', async () => {
    const written: Record<string, [string, string[]][]> = {
      'segments.repository': [],
      'segment-refresh.repository': [],
      'segment-membership.repository': [],
      'realtime.repository': [],
      'segment-lists.repository': [],
      'segment-export.repository': [],
      'model-features.repository': [],
      'model-fit-jobs.repository': [],
    };
    await database.dataSource.transaction(async (manager: EntityManager) => {
      const record = async <T>(file: string, name: string, work: () => Promise<T>): Promise<T> => {
        const { result, statements } = await captureSql(database.dataSource, work);
        written[file].push([name, statements]);
        return result;
      };
      const s = 'segments.repository';
      await record(s, 'segmentKeyExists', () => segments.segmentKeyExists(manager, 'golden'));
      const segment = await record(s, 'insertSegment', () =>
        segments.insertSegment(manager, {
          key: 'golden',
          name: 'Golden',
          owner: 'test',
          refreshCadence: 'manual',
          qualityThresholds: { minSize: 1, maxChurn: 1 },
        }),
      );
      const definition = { type: 'rules', match: { type: 'trait', trait: 'country', operator: 'equals', value: 'DE' } };
      await record(s, 'insertVersion', () =>
        segments.insertVersion(manager, { segmentId: segment.id, version: 1, definition, model: null, createdBy: null }),
      );
      await record(s, 'findLiveSegment', () => segments.findLiveSegment(manager, segment.id));
      const locked = await record(s, 'findLiveSegment (lock)', async () =>
        required(await segments.findLiveSegment(manager, segment.id, { lock: true })),
      );
      await record(s, 'saveSegment', () => segments.saveSegment(manager, Object.assign(locked, { description: 'changed' })));
      await record(s, 'listLiveSegments', () =>
        segments.listLiveSegments(manager, { limit: 10, offset: 0, owner: 'test', status: 'active' }),
      );
      await record(s, 'findVersion', () => segments.findVersion(manager, segment.id, 1));
      await record(s, 'findVersionOrFail', () => segments.findVersionOrFail(manager, segment.id, 1));
      await record(s, 'currentVersionsOf', () => segments.currentVersionsOf(manager, [segment]));
      await record(s, 'versionsOf', () => segments.versionsOf(manager, segment.id));
      await record(s, 'lockReferenceGraph', () => segments.lockReferenceGraph(manager));
      await record(s, 'liveCurrentDefinitions', () => segments.liveCurrentDefinitions(manager));
      await record(s, 'activeCurrentDefinitions', () => segments.activeCurrentDefinitions(manager));
      await record(s, 'scheduledSegments', () => segments.scheduledSegments(manager));

      const [{ id: profileId }] = await manager.query(`INSERT INTO profiles (traits) VALUES ('{"country": "DE"}') RETURNING id`);
      const r = 'segment-refresh.repository';
      const run = await record(r, 'insertQueuedRun', async () =>
        required(await refresh.insertQueuedRun(manager, { segmentId: segment.id, version: 1, trigger: 'manual', scheduledFor: null })),
      );
      await record(r, 'findRun', () => refresh.findRun(manager, run.id));
      await record(r, 'segmentKeyOfRun', () => refresh.segmentKeyOfRun(manager, run.id));
      await record(r, 'updateRun', () => refresh.updateRun(manager, run.id, { status: 'running', startedAt: NOW }));
      await record(r, 'tryLockSegmentRefresh', () => refresh.tryLockSegmentRefresh(manager, segment.id));
      await record(r, 'createRefreshMembers', () => refresh.createRefreshMembers(manager));
      await record(r, 'insertRefreshMemberIds', () => refresh.insertRefreshMemberIds(manager, [profileId]));
      await record(r, 'insertRefreshMembersOf', () =>
        refresh.insertRefreshMembersOf(manager, {
          text: 'SELECT p.id AS profile_id FROM profiles p WHERE p.id <> $1',
          values: [profileId],
        }),
      );
      await record(r, 'countMembers', () => refresh.countMembers(manager, segment.id));
      await record(r, 'recordAdds', () => refresh.recordAdds(manager, run, NOW));
      await record(r, 'recordRemoves', () => refresh.recordRemoves(manager, run, NOW));
      await record(r, 'applyRecordedChanges', () => refresh.applyRecordedChanges(manager, run));
      await record(r, 'insertEntryExitEvents', () => refresh.insertEntryExitEvents(manager, run.id, segment.key, NOW));
      await record(r, 'saveSucceededRun', () =>
        refresh.saveSucceededRun(manager, { id: run.id, size: 1, adds: 1, removes: 0, quality: null, finishedAt: NOW, durationMs: 1 }),
      );
      await record(r, 'requestRunCancel', () => refresh.requestRunCancel(manager, segment.id, run.id));
      await record(r, 'lockRunCancelRequested', () => refresh.lockRunCancelRequested(manager, run.id));

      const l = 'segment-lists.repository';
      await record(l, 'insertListEntries', () => lists.insertListEntries(manager, segment.id, 1, ['ann@example.com']));
      await record(l, 'unmatchedListValues', () => lists.unmatchedListValues(manager, segment.id, 1, 'email'));
      await record(l, 'countListEntries', () => lists.countListEntries(manager, segment.id, 1));
      const x = 'segment-export.repository';
      written[x].push(['membersCsvCopySql', [exports.membersCsvCopySql('00000000-0000-4000-8000-000000000000', ['email', 'phone'])]]);
      await record(x, 'insertExportAudit', () =>
        exports.insertExportAudit(manager, { actorKeyId: null, segmentId: segment.id, identifiers: ['email'], via: 'api' }),
      );

      const m = 'segment-membership.repository';
      const query = { text: 'SELECT m.profile_id FROM segment_memberships m WHERE m.segment_id = $1', values: [segment.id] };
      await record(m, 'previewSize', () => membership.previewSize(manager, query));
      await record(m, 'previewSample', () => membership.previewSample(manager, query, 10));
      await record(m, 'runsPage', () => membership.runsPage(manager, segment.id, { limit: 10, offset: 0 }));
      await record(m, 'findRunOf', () => membership.findRunOf(manager, segment.id, run.id));
      await record(m, 'countMembersAsOf', () => membership.countMembersAsOf(manager, segment.id, NOW));
      await record(m, 'membersAsOfPage', () => membership.membersAsOfPage(manager, segment.id, NOW, { limit: 10, offset: 0 }));
      await record(m, 'versionInForce', () => membership.versionInForce(manager, segment.id, NOW));
      await record(m, 'membershipChangesPage', () => membership.membershipChangesPage(manager, segment.id, { limit: 10 }));
      await record(m, 'membershipChangesPage (after)', () =>
        membership.membershipChangesPage(manager, segment.id, { limit: 10, after: 1 }),
      );
      await record(m, 'currentSize', () => membership.currentSize(manager, segment.id));
      await record(m, 'overlapCounts', () => membership.overlapCounts(manager, segment.id, segment.id));
      await record(m, 'liveProfileTraits', () => membership.liveProfileTraits(manager, profileId));
      await record(m, 'profileEventsUntil', () => membership.profileEventsUntil(manager, profileId, NOW));
      await record(m, 'segmentsOfProfile', () => membership.segmentsOfProfile(manager, profileId));
      await record(m, 'featureRowsOf', () =>
        membership.featureRowsOf(manager, { text: 'SELECT p.id AS profile_id FROM profiles p ORDER BY p.id', values: [] }),
      );
      await record(m, 'countPurchasers', () =>
        membership.countPurchasers(manager, { text: 'SELECT p.id AS profile_id FROM profiles p', values: [] }),
      );

      const f = 'model-features.repository';
      await record(f, 'computedTraitsByKey', () => modelFeatures.computedTraitsByKey(manager, ['spend_90d']));
      await record(f, 'liveSegmentByKeyOrId', () => modelFeatures.liveSegmentByKeyOrId(manager, 'golden'));
      await record(f, 'userIdOfProfile', () => modelFeatures.userIdOfProfile(manager, profileId));
      await record(f, 'firstSeenSummary', () => modelFeatures.firstSeenSummary(manager, NOW));

      const j = 'model-fit-jobs.repository';
      const job = required(
        await record(j, 'insertFitJob', () =>
          fitJobs.insertFitJob(manager, { kind: 'refit', segmentId: segment.id, input: {}, actor: null, work: 1, scheduledFor: NOW }),
        ),
      );
      await record(j, 'findFitJob', () => fitJobs.findFitJob(manager, job.id));
      await record(j, 'markFitJobRunning', () => fitJobs.markFitJobRunning(manager, job.id));
      await record(j, 'updateFitJobProgress', () => fitJobs.updateFitJobProgress(manager, job.id, 'fitting', 0.5));
      await record(j, 'finishFitJob', () =>
        fitJobs.finishFitJob(manager, job.id, { state: 'succeeded', result: {}, segmentId: segment.id }),
      );
      await record(j, 'fitJobsOfSegment', () => fitJobs.fitJobsOfSegment(manager, segment.id, 10));
      await record(j, 'segmentsWithRefitCadence', () => fitJobs.segmentsWithRefitCadence(manager));
      await record(j, 'countFeatureRows', () =>
        fitJobs.countFeatureRows(manager, { text: 'SELECT p.id AS profile_id FROM profiles p', values: [] }),
      );

      const t = 'realtime.repository';
      await record(t, 'lockRealtimeSetShared', () => realtime.lockRealtimeSetShared(manager));
      await record(t, 'lockRealtimeSetExclusive', () => realtime.lockRealtimeSetExclusive(manager));
      await record(t, 'lockSegmentsShared', () => realtime.lockSegmentsShared(manager, [segment.id]));
      await record(t, 'lockSegmentExclusive', () => realtime.lockSegmentExclusive(manager, segment.id));
      await record(t, 'liveRealtimeSegments', () => realtime.liveRealtimeSegments(manager));
      await record(t, 'startRealtimeVersion', () => realtime.startRealtimeVersion(manager, segment.id, 1));
      await record(t, 'handOverForStart', () => realtime.handOverForStart(manager, [segment.id]));
      await record(t, 'startedSegmentIds', () => realtime.startedSegmentIds(manager));
      await record(t, 'forgetStoppedSegments', () => realtime.forgetStoppedSegments(manager, [segment.id]));
      await record(t, 'touchProfiles', () => realtime.touchProfiles(manager, [profileId]));
      await record(t, 'replaceDueTimes', () =>
        realtime.replaceDueTimes(manager, [profileId], [{ segmentId: segment.id, profileId, dueAt: NOW.getTime() }]),
      );
      await record(t, 'peekWork', () => realtime.peekWork(manager, 10, NOW));
      await record(t, 'tryLockProfiles', () => realtime.tryLockProfiles(manager, [profileId], 10));
      await record(t, 'takeTouches', () => realtime.takeTouches(manager, [profileId]));
      await record(t, 'takeDueTimes', () => realtime.takeDueTimes(manager, [profileId], NOW));
      await record(t, 'profileStates', () => realtime.profileStates(manager, [profileId]));
      await record(t, 'profileEvents', () => realtime.profileEvents(manager, [profileId], ['Order Completed'], NOW));
      await record(t, 'membershipsOf', () => realtime.membershipsOf(manager, [profileId]));
      await record(t, 'recordRealtimeChanges', () =>
        realtime.recordRealtimeChanges(
          manager,
          [{ segmentId: segment.id, segmentKey: segment.key, version: 1, profileId, change: 'removed' }],
          NOW,
        ),
      );
      await record(t, 'realtimeBacklog', () => realtime.realtimeBacklog(manager, NOW));
      await record(t, 'countSettledCorrections', () => realtime.countSettledCorrections(manager, run.id, NOW));
      await record(t, 'touchProfilesChangedBy', () => realtime.touchProfilesChangedBy(manager, run.id));
      await record(s, 'archiveSegment', () => segments.archiveSegment(manager, segment.id));
    });
    for (const [file, sections] of Object.entries(written)) golden(file, sections);
  });
});

function required<T>(value: T | null): T {
  if (value === null) throw new Error('expected a row');
  return value;
}
