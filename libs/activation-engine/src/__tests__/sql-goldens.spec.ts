import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { captureSql, createTestDatabase, expectGolden, sqlSections, TestDatabase } from '@audiencekit/testing';
import * as runs from '../data/sync-run.repository';
import * as schedule from '../data/sync-schedule.repository';
import * as onChange from '../on-change/on-change.repository';
import { DiffPhase, DiffScope, readCandidates, readHeldIdentifiers, readProfiles } from '../pipeline/candidates.repository';
import { readComputedValues } from '../pipeline/computed-values.repository';
import { requiredConsentCategories } from '../pipeline/consent.repository';
import { seedActivation, seedSegment } from './sync-fixtures';

/**
 * Golden SQL of the engine's repositories (`__golden__/`): a query change shows up in review.
 * `UPDATE_GOLDENS=1 npx jest libs/activation-engine/src/__tests__/sql-goldens.spec.ts` rewrites them.
 * Goldens show change; the sync specs prove the queries right.
 */
describe('golden SQL of the activation repositories', () => {
  let db: TestDatabase;
  let ids: { segmentId: string; activationId: string; destinationId: string; profileIds: string[] };
  beforeAll(async () => {
    db = await createTestDatabase();
    const { segmentId, profileIds } = await seedSegment(db.dataSource, 3);
    ids = { segmentId, profileIds, ...(await seedActivation(db.dataSource, { segmentId, connector: 'golden', mode: 'mirror' })) };
  });
  afterAll(async () => {
    await db.drop();
  });

  const golden = (name: string) => join(__dirname, '__golden__', `${name}.sql`);
  async function section(name: string, work: () => Promise<unknown>): Promise<[string, string[]]> {
    return [name, (await captureSql(db.dataSource, work)).statements];
  }

  it('sync-run.repository: runs, batches, members, rejections, suppressions, exposures', async () => {
    const m = db.dataSource.manager;
    const { activationId, segmentId, destinationId, profileIds } = ids;
    let runId = '';
    const sections = [
      await section('insertRun', async () => (runId = (await runs.insertRun(m, activationId, { status: 'queued' }))?.id ?? '')),
      await section('findRun', () => runs.findRun(m, runId)),
      await section('listRuns', () => runs.listRuns(m, activationId, { status: 'queued', limit: 20, offset: 0 })),
      await section('markFullResync', () => runs.markFullResync(m, runId)),
      await section('recordGuardDecision', () => runs.recordGuardDecision(m, runId, 'awaiting_confirmation', { hold: true })),
      await section('releaseHeldRun', () => runs.releaseHeldRun(m, runId, null)),
      await section('markRunning', () => runs.markRunning(m, runId)),
      await section('saveProgress', () => runs.saveProgress(m, runId, { phase: 'adds', cursor: null, page: null })),
      await section('addCounts', () => runs.addCounts(m, runId, { added: 1 })),
      await section('appendErrors', () => runs.appendErrors(m, runId, [{ kind: 'note', message: 'x' }])),
      await section('countsOf', () => runs.countsOf(m, runId)),
      await section('recordAudienceSize', () => runs.recordAudienceSize(m, runId, 3)),
      await section('finishRun', () => runs.finishRun(m, runId, 'succeeded', 1, { counts: { added: 1 } })),
      await section('failRun', () => runs.failRun(m, runId, 'gave up')),
      await section('lastRunSentCount', () => runs.lastRunSentCount(m, activationId)),
      await section('auditGuard', () => runs.auditGuard(m, 'mass_send_guard.held', null, runId, {})),
      await section('findLiveActivation', () => runs.findLiveActivation(m, activationId)),
      await section('activationExists', () => runs.activationExists(m, activationId)),
      await section('activationMode', () => runs.activationMode(m, activationId)),
      await section('destinationIdOf', () => runs.destinationIdOf(m, activationId)),
      await section('liveness', () => runs.liveness(m, activationId)),
      await section('setExternalAudienceId', () => runs.setExternalAudienceId(m, activationId, 'ext-1')),
      await section('segmentSize', () => runs.segmentSize(m, segmentId)),
      await section('globalHoldout', () => runs.globalHoldout(m)),
      await section('tryLockDestination', async () => (await runs.tryLockDestination(db.dataSource, destinationId))?.release()),
      await section('nextSeq', () => runs.nextSeq(m, runId)),
      await section('recordBatch', () => runs.recordBatch(m, runId, { seq: 1, action: 'add', profileIds, key: `${runId}:1` })),
      await section('inFlightBatches', () => runs.inFlightBatches(m, runId)),
      await section('ackBatch', () => runs.ackBatch(m, runId, 1, 1)),
      await section('failBatch', () => runs.failBatch(m, runId, 1, 1, 'refused')),
      await section('dropInFlightBatch', () => runs.dropInFlightBatch(m, runId, 1)),
      await section('setMemberState', () =>
        runs.setMemberState(
          m,
          activationId,
          runId,
          'present',
          profileIds.map((profileId) => ({ profileId, identifiers: '{}' })),
        ),
      ),
      await section('countHeld', () => runs.countHeld(m, activationId, profileIds)),
      await section('touchMembers', () => runs.touchMembers(m, activationId, runId, profileIds)),
      await section('forgetErasedRejectedRemoves', () => runs.forgetErasedRejectedRemoves(m, activationId, runId, profileIds)),
      await section('dropReplaced', () => runs.dropReplaced(m, activationId, randomUUID())),
      await section('analyzeMembers', () => runs.analyzeMembers(m)),
      await section('recordRejections', () =>
        runs.recordRejections(m, runId, [{ profileId: profileIds[0], kind: 'rejected', reason: 'no', code: null }]),
      ),
      await section('recordSuppression', () =>
        runs.recordSuppression(m, { identifierType: 'email', value: 'a@example.com', channel: 'email', reason: 'stop' }),
      ),
      await section('recordTreatmentExposures', () => runs.recordTreatmentExposures(m, activationId, runId, profileIds)),
      await section('forgetHeldOutExposures', () =>
        runs.forgetHeldOutExposures(m, activationId, runId, [{ from: null, to: profileIds[2] }]),
      ),
      await section('recordHeldOutExposures', () =>
        runs.recordHeldOutExposures(
          m,
          activationId,
          runId,
          { from: null, to: profileIds[2] },
          [{ profileId: profileIds[0], arm: 'control' }],
          1,
        ),
      ),
    ];
    expectGolden(golden('sync-run.repository'), sqlSections(sections));
  });

  it('sync-schedule.repository: due activations and followed destinations', async () => {
    const m = db.dataSource.manager;
    const sections = [
      await section('dueAfterRefresh', () => schedule.dueAfterRefresh(m, null)),
      await section('cronCandidates', () => schedule.cronCandidates(m)),
      await section('liveDestinationIds', () => schedule.liveDestinationIds(m)),
    ];
    expectGolden(golden('sync-schedule.repository'), sqlSections(sections));
  });

  it('consent.repository: the consent categories a destination requires', async () => {
    const sections = [
      await section('requiredConsentCategories', () => requiredConsentCategories(db.dataSource.manager, ids.destinationId)),
    ];
    expectGolden(golden('consent.repository'), sqlSections(sections));
  });

  it('on-change.repository: the outbox of on_change activations, scoped runs, the hourly cap', async () => {
    const m = db.dataSource.manager;
    const { activationId, profileIds } = ids;
    const runId = (await runs.insertRun(m, activationId, { status: 'queued', trigger: 'on_change', triggerKey: randomUUID() }))?.id ?? '';
    const sections = [
      await section('pendingActivations', () => onChange.pendingActivations(m)),
      await section('lockActivationForFlush', () => onChange.lockActivationForFlush(m, activationId)),
      await section('hasOpenOnChangeRun', () => onChange.hasOpenOnChangeRun(m, activationId)),
      await section('claimPendingChanges', () => onChange.claimPendingChanges(m, activationId, 10)),
      await section('dropPendingChanges', () => onChange.dropPendingChanges(m, activationId)),
      await section('insertRunProfiles', () => onChange.insertRunProfiles(m, runId, profileIds)),
      await section('runProfiles', () => onChange.runProfiles(m, runId)),
      await section('onChangeSentThisHour', () => onChange.onChangeSentThisHour(m, activationId)),
      await section('pendingChangeCount', () => onChange.pendingChangeCount(m)),
    ];
    expectGolden(golden('on-change.repository'), sqlSections(sections));
  });

  // One golden per activation mode: the diff queries its phases run (and the replay reads).
  const modes: [name: string, phases: DiffPhase[], scope: Partial<DiffScope>][] = [
    ['mirror', ['adds', 'removes'], {}],
    ['add_only', ['adds'], {}],
    ['send', ['adds'], { doneStates: ['sent'], channels: ['all', 'sms'], channel: 'sms' }],
    ['redeliver', ['adds'], { redeliverAfterDays: 500 }],
    ['full_resync', ['replace'], { doneStates: [] }],
    // An on-change run: the same diff, scoped to the profiles whose membership changed.
    ['on_change', ['adds', 'removes'], { profileIds: [randomUUID()] }],
    // A destination that requires consent categories (libs/privacy): removes those without opt-in.
    ['consent_categories', ['removes'], { consentCategories: ['email_marketing'] }],
    // Exclusions and priority lists (issue #23): adds name the first excluding segment, a mirror removes its members.
    ['exclusions', ['adds', 'removes'], { excludeSegmentIds: [randomUUID(), randomUUID()] }],
    ['exclusions_redeliver', ['adds'], { excludeSegmentIds: [randomUUID()], redeliverAfterDays: 500 }],
  ];
  it.each(modes)('candidates.repository: %s', async (name, phases, overrides) => {
    const scope: DiffScope = {
      activationId: ids.activationId,
      segmentId: ids.segmentId,
      runId: randomUUID(),
      doneStates: ['present'],
      channels: ['all', 'email'],
      channel: 'email',
      consentCategories: [],
      redeliverAfterDays: null,
      profileIds: null,
      excludeSegmentIds: [],
      ...overrides,
    };
    const sections: [string, string[]][] = [];
    for (const phase of phases) {
      sections.push(
        await section(`readCandidates ${phase} (new page)`, () =>
          readCandidates(db.dataSource.manager, phase, scope, { after: null, upTo: null, limit: 100 }),
        ),
      );
    }
    expectGolden(golden(`candidates.${name}`), sqlSections(sections));
  });

  it('candidates.repository: replay of an in-flight batch', async () => {
    const scope: DiffScope = {
      activationId: ids.activationId,
      segmentId: ids.segmentId,
      runId: randomUUID(),
      doneStates: ['present'],
      channels: ['all', 'email'],
      channel: 'email',
      consentCategories: [],
      redeliverAfterDays: null,
      profileIds: null,
      excludeSegmentIds: [],
    };
    const sections = [
      await section('readProfiles', () => readProfiles(db.dataSource.manager, scope, ids.profileIds)),
      await section('readProfiles (with exclusions)', () =>
        readProfiles(db.dataSource.manager, { ...scope, excludeSegmentIds: [randomUUID()] }, ids.profileIds),
      ),
      await section('readHeldIdentifiers', () => readHeldIdentifiers(db.dataSource.manager, ids.activationId, ids.profileIds)),
    ];
    expectGolden(golden('candidates.replay'), sqlSections(sections));
  });

  it('computed-values.repository: the computed trait values of a page (issue #20)', async () => {
    const sections = [
      await section('readComputedValues', () => readComputedValues(db.dataSource.manager, ids.profileIds, ['spend_90d', 'favourite'])),
    ];
    expectGolden(golden('computed-values.repository'), sqlSections(sections));
  });
});
