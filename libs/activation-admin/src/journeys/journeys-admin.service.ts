import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import { DataSource, EntityManager, In } from 'typeorm';
import { z } from 'zod';
import { HOLDOUT_HASH_VERSION } from '@audiencekit/experimentation';
import { journeysRepository, JourneyReportService } from '@audiencekit/journey-engine';
import { JourneyDefinition, validateJourneyDefinition } from '@audiencekit/journeys';
import { JourneyEntity, JourneyStatus, JourneyVersionEntity, SegmentEntity } from '@audiencekit/persistence';
import type { ErrorDetail } from '@audiencekit/util';
import { ActivationAdminException } from '../activation-admin.exception';
import { ConnectorCatalog } from '../connectors/connector-catalog.service';
import { journeyDatabaseProblems } from './journey-database-checks';
import { journeyReportView, JourneyReportView } from './journey-report-view';
import type { CreateJourneyInput, JourneySummary, JourneyView } from './journey-input.schema';
import { journeyEntryCounts } from './journeys-admin.repository';

/** Which status each action may leave from (anything else is a 409 `journey_transition_not_allowed`). */
const TRANSITIONS: Record<'publish' | 'pause', { from: readonly JourneyStatus[]; to: JourneyStatus }> = {
  publish: { from: ['draft', 'paused'], to: 'live' },
  pause: { from: ['live'], to: 'paused' },
};

/**
 * Journeys for the admin API (issue #23): create as a draft, new immutable versions of the
 * definition (entries in flight keep theirs), publish and pause. Definitions are checked by
 * libs/journeys' `validateJourneyDefinition`, then against the database (`journeyDatabaseProblems`);
 * a 400 names each field and writes nothing. The worker (libs/activation-engine) runs live journeys.
 */
@Injectable()
export class JourneysAdminService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly catalog: ConnectorCatalog,
    private readonly reports: JourneyReportService,
  ) {}

  async create(input: CreateJourneyInput, actor: string | null): Promise<JourneyView> {
    return this.dataSource.transaction((manager) => this.createWithin(manager, input, actor));
  }

  /** Creates a draft at version 1 inside the caller's transaction (the plays write theirs with segments and activations). */
  async createWithin(manager: EntityManager, input: CreateJourneyInput, _actor: string | null): Promise<JourneyView> {
    const definition = await this.checkedDefinition(manager, input.definition);
    if (await manager.getRepository(JourneyEntity).existsBy({ key: input.key }))
      throw new ActivationAdminException('journey_key_taken', `a journey with key "${input.key}" exists`, [
        { path: 'key', message: 'is taken' },
      ]);
    const repository = manager.getRepository(JourneyEntity);
    const journey = await repository.save(
      repository.create({
        key: input.key,
        name: input.name,
        status: 'draft',
        currentVersion: 1,
        holdoutSalt: randomBytes(16).toString('hex'),
        holdoutHashVersion: HOLDOUT_HASH_VERSION,
      }),
    );
    await insertVersion(manager, journey.id, 1, definition);
    return this.view(manager, journey);
  }

  async list(): Promise<{ items: JourneySummary[] }> {
    const manager = this.dataSource.manager;
    const journeys = await manager.getRepository(JourneyEntity).find({ order: { key: 'ASC' } });
    const current = journeys.length
      ? await manager.getRepository(JourneyVersionEntity).find({
          select: { journeyId: true, version: true, entrySegmentId: true },
          where: journeys.map((journey) => ({ journeyId: journey.id, version: journey.currentVersion ?? 0 })),
        })
      : [];
    const entrySegmentOf = new Map(current.map((row) => [row.journeyId, row.entrySegmentId]));
    const segmentKeys = new Map(
      (current.length
        ? await manager
            .getRepository(SegmentEntity)
            .find({ select: { id: true, key: true }, where: { id: In([...new Set(current.map((row) => row.entrySegmentId))]) } })
        : []
      ).map((segment) => [segment.id, segment.key]),
    );
    const counts = await journeyEntryCounts(
      manager,
      journeys.map((journey) => journey.id),
    );
    return {
      items: journeys.map((journey) => {
        const segmentId = entrySegmentOf.get(journey.id);
        return {
          id: journey.id,
          key: journey.key,
          name: journey.name,
          status: journey.status,
          currentVersion: journey.currentVersion ?? 0,
          entrySegment: segmentId ? { id: segmentId, key: segmentKeys.get(segmentId) ?? '' } : null,
          entered: counts.get(journey.id)?.entered ?? 0,
          inFlight: counts.get(journey.id)?.inFlight ?? 0,
          goalReached: counts.get(journey.id)?.goalReached ?? 0,
        };
      }),
    };
  }

  async get(ref: string): Promise<JourneyView> {
    return this.view(this.dataSource.manager, await this.find(this.dataSource.manager, ref));
  }

  /** A new version becomes current: new entries run it, entries in flight finish on the version they entered with. */
  async updateDefinition(ref: string, rawDefinition: unknown, _actor: string | null): Promise<JourneyView> {
    return this.dataSource.transaction(async (manager) => {
      const journey = await this.find(manager, ref, true);
      if (journey.status === 'archived') throw transitionRefused(journey, 'change the definition of');
      const definition = await this.checkedDefinition(manager, rawDefinition);
      const version = (journey.currentVersion ?? 0) + 1;
      await insertVersion(manager, journey.id, version, definition);
      journey.currentVersion = version;
      journey.updatedAt = new Date();
      return this.view(manager, await manager.getRepository(JourneyEntity).save(journey));
    });
  }

  /** `live`: entries start from the entry segment's changes from then on. `paused`: timers keep, nothing advances. 409 otherwise. */
  async transition(ref: string, action: 'publish' | 'pause'): Promise<JourneyView> {
    return this.dataSource.transaction(async (manager) => {
      const journey = await this.find(manager, ref, true);
      const rule = TRANSITIONS[action];
      if (!rule.from.includes(journey.status)) throw transitionRefused(journey, action);
      // What was valid when saved may not be now (a destination or segment deleted since): going live re-checks it.
      if (action === 'publish') await this.checkedDefinition(manager, await this.currentDefinition(manager, journey));
      journey.status = rule.to;
      journey.updatedAt = new Date();
      return this.view(manager, await manager.getRepository(JourneyEntity).save(journey));
    });
  }

  /**
   * The report (libs/journey-engine's `JourneyReportService`): totals, per-step counts of the current
   * version's steps (over every version, by step id) and the goal's lift, treated vs control.
   */
  async report(ref: string, asOf: Date = new Date()): Promise<JourneyReportView> {
    const journey = await this.find(this.dataSource.manager, ref);
    const report = await this.reports.report(journey.id, asOf);
    if (!report) throw new ActivationAdminException('journey_not_found', `journey ${ref} has no readable version to report on`);
    return journeyReportView(journey, report, await this.goalReachedBefore(journey.id));
  }

  /** Per step id: treated entries that reached the goal while that step was next (their step index when they exited). */
  private async goalReachedBefore(journeyId: string): Promise<Map<string, number>> {
    const manager = this.dataSource.manager;
    const rows = (await journeysRepository.entryCounts(manager, journeyId)).filter(
      (row) => row.arm === 'treatment' && row.outcome === 'goal_reached',
    );
    if (rows.length === 0) return new Map();
    const versions = await manager.getRepository(JourneyVersionEntity).find({
      select: { version: true, definition: true },
      where: { journeyId, version: In([...new Set(rows.map((row) => row.version))]) },
    });
    const stepsOf = new Map(versions.map((row) => [row.version, (row.definition as unknown as JourneyDefinition).steps ?? []]));
    const counts = new Map<string, number>();
    for (const row of rows) {
      const stepId = stepsOf.get(row.version)?.[row.stepIndex]?.id;
      if (stepId) counts.set(stepId, (counts.get(stepId) ?? 0) + row.count);
    }
    return counts;
  }

  /** A journey by id or key, or a 404. */
  async find(manager: EntityManager, ref: string, lock = false): Promise<JourneyEntity> {
    const where = z.uuid().safeParse(ref).success ? { id: ref } : { key: ref };
    const journey = await manager
      .getRepository(JourneyEntity)
      .findOne({ where, ...(lock ? { lock: { mode: 'pessimistic_write' as const } } : {}) });
    if (!journey) throw new ActivationAdminException('journey_not_found', `no journey ${ref}`);
    return journey;
  }

  private async currentDefinition(manager: EntityManager, journey: JourneyEntity): Promise<Record<string, unknown>> {
    const row = await manager
      .getRepository(JourneyVersionEntity)
      .findOneBy({ journeyId: journey.id, version: journey.currentVersion ?? 0 });
    return row?.definition ?? {};
  }

  /** The definition as libs/journeys normalises it, or a 400 with every problem under `definition.`. */
  private async checkedDefinition(manager: EntityManager, raw: unknown): Promise<JourneyDefinition> {
    const validation = validateJourneyDefinition(raw);
    if (!validation.ok)
      throw invalid(
        validation.errors.map((error) => ({ path: error.path ? `definition.${error.path}` : 'definition', message: error.reason })),
      );
    const problems = await journeyDatabaseProblems(manager, this.catalog, validation.definition);
    if (problems.length) throw invalid(problems);
    return validation.definition;
  }

  private async view(manager: EntityManager, journey: JourneyEntity): Promise<JourneyView> {
    const versions = await manager
      .getRepository(JourneyVersionEntity)
      .find({ select: { version: true, createdAt: true, definition: true }, where: { journeyId: journey.id }, order: { version: 'ASC' } });
    const current = versions.find((row) => row.version === journey.currentVersion);
    return {
      id: journey.id,
      key: journey.key,
      name: journey.name,
      status: journey.status,
      currentVersion: journey.currentVersion ?? 0,
      definition: current?.definition ?? {},
      versions: versions.map((row) => ({ version: row.version, createdAt: row.createdAt })),
      createdAt: journey.createdAt,
      updatedAt: journey.updatedAt,
    };
  }
}

async function insertVersion(manager: EntityManager, journeyId: string, version: number, definition: JourneyDefinition): Promise<void> {
  const row: Pick<JourneyVersionEntity, 'journeyId' | 'version' | 'entrySegmentId' | 'definition'> = {
    journeyId,
    version,
    entrySegmentId: definition.entrySegmentId,
    definition: { ...definition },
  };
  await manager.getRepository(JourneyVersionEntity).save(row);
}

function transitionRefused(journey: JourneyEntity, action: string): ActivationAdminException {
  return new ActivationAdminException(
    'journey_transition_not_allowed',
    `cannot ${action} journey ${journey.key}: it is ${journey.status}`,
    [{ path: 'status', message: `is "${journey.status}"` }],
  );
}

function invalid(details: ErrorDetail[]): ActivationAdminException {
  return new ActivationAdminException(
    'invalid_request',
    `invalid body: ${details.map((d) => `${d.path} ${d.message}`).join('; ')}`,
    details,
  );
}
