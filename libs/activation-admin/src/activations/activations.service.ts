import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import { DataSource, EntityManager, In, IsNull, Not } from 'typeorm';
import { z } from 'zod';
import { HOLDOUT_HASH_VERSION } from '@audiencekit/experimentation';
import {
  ActivationEntity,
  ActivationExclusionEntity,
  ActivationMode,
  DestinationEntity,
  PriorityListEntity,
  PriorityListEntryEntity,
  SegmentEntity,
} from '@audiencekit/persistence';
import { ActivationException } from '@audiencekit/activation-engine';
import type { ErrorDetail } from '@audiencekit/util';
import { ActivationAdminException } from '../activation-admin.exception';
import { messageComputedTraitRefs, unknownComputedTraitProblems } from '../computed-trait-references';
import { ConnectorCatalog } from '../connectors/connector-catalog.service';
import { resolveSegmentRefs } from '../segment-refs';
import { hasExposures } from './activations.repository';
import { ActivationView, CreateActivationInput, ON_CHANGE_SCHEDULE, UpdateActivationInput } from './activation-input.schema';
import { modeProblem } from './delivery-modes';

/** Status of a deleted activation: kept (its sync runs and exposures are history), never synced. */
export const DELETED_STATUS = 'deleted';
/** The cadence of a real-time segment (a segment's `refresh_cadence`). */
const REALTIME_CADENCE = 'realtime';

/**
 * Activations: a segment linked to a destination with a mode and a control group. The holdout salt
 * is drawn once at creation and never changes, so every profile keeps its arm.
 */
@Injectable()
export class ActivationsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly catalog: ConnectorCatalog,
  ) {}

  async create(input: CreateActivationInput): Promise<ActivationView> {
    return this.dataSource.transaction((manager) => this.createWithin(manager, input));
  }

  /**
   * Validates and writes an activation inside the caller's transaction (issue #23's plays write
   * segments, activations and a journey all or nothing). A 400 names each field; nothing is written.
   */
  async createWithin(manager: EntityManager, input: CreateActivationInput): Promise<ActivationView> {
    const problems: ErrorDetail[] = [];
    const segment = await manager.getRepository(SegmentEntity).findOne({ where: { id: input.segmentId, deletedAt: IsNull() } });
    if (!segment) problems.push({ path: 'segmentId', message: `no segment ${input.segmentId}` });
    const destination = await manager.getRepository(DestinationEntity).findOne({ where: { id: input.destinationId, deletedAt: IsNull() } });
    if (!destination) problems.push({ path: 'destinationId', message: `no destination ${input.destinationId}` });
    if (destination) problems.push(...this.modeProblems(destination, input.mode, input.message));
    if (segment) problems.push(...scheduleProblems(input.schedule, segment));
    problems.push(...(await unknownComputedTraitProblems(manager, messageComputedTraitRefs(input.message))));
    const exclusions = await resolveExclusions(manager, input.excludeSegments, input.segmentId);
    problems.push(...exclusions.problems);
    const priority = await resolvePriorityList(manager, input.priorityList, input.segmentId);
    problems.push(...priority.problems);
    if (problems.length) throw invalid(problems);
    const repository = manager.getRepository(ActivationEntity);
    const saved = await repository.save(
      repository.create({
        name: input.name,
        segmentId: input.segmentId,
        destinationId: input.destinationId,
        mode: input.mode,
        holdoutShare: input.holdoutShare,
        holdoutSalt: randomBytes(16).toString('hex'),
        holdoutHashVersion: HOLDOUT_HASH_VERSION,
        schedule: input.schedule,
        message: input.message,
        priorityListId: priority.listId,
        status: 'active',
      }),
    );
    await replaceExclusions(manager, saved.id, exclusions.segmentIds);
    return toView(saved, destination?.connector ?? null, exclusions.segmentIds);
  }

  async list(page: {
    limit: number;
    offset: number;
    segmentId?: string;
    destinationId?: string;
    status?: string;
    mode?: ActivationMode;
  }): Promise<{ items: ActivationView[]; total: number; limit: number; offset: number }> {
    const [rows, total] = await this.dataSource.getRepository(ActivationEntity).findAndCount({
      where: {
        status: page.status ?? Not(DELETED_STATUS),
        ...(page.segmentId ? { segmentId: page.segmentId } : {}),
        ...(page.destinationId ? { destinationId: page.destinationId } : {}),
        ...(page.mode ? { mode: page.mode } : {}),
      },
      order: { createdAt: 'ASC', id: 'ASC' },
      take: page.limit,
      skip: page.offset,
    });
    const connectors = await this.connectorsOf(rows.map((row) => row.destinationId));
    const exclusions = await exclusionsOf(
      this.dataSource.manager,
      rows.map((row) => row.id),
    );
    return {
      items: rows.map((row) => toView(row, connectors.get(row.destinationId) ?? null, exclusions.get(row.id) ?? [])),
      total,
      limit: page.limit,
      offset: page.offset,
    };
  }

  async get(id: string): Promise<ActivationView> {
    const activation = await this.findLive(id);
    const exclusions = await exclusionsOf(this.dataSource.manager, [activation.id]);
    return toView(
      activation,
      (await this.connectorsOf([activation.destinationId])).get(activation.destinationId) ?? null,
      exclusions.get(activation.id) ?? [],
    );
  }

  async update(id: string, input: UpdateActivationInput): Promise<ActivationView> {
    return this.dataSource.transaction(async (manager) => {
      const activation = await this.findLive(id, manager.getRepository(ActivationEntity), true);
      if (input.holdoutShare !== undefined && input.holdoutShare < activation.holdoutShare && (await hasExposures(manager, id))) {
        // Shrinking moves control members into treatment: people measured as "not contacted" would
        // then be contacted, and the control group of every past run would be contaminated.
        throw new ActivationAdminException(
          'holdout_share_decrease',
          `holdoutShare can only grow once the activation has synced (from ${activation.holdoutShare})`,
          [
            {
              path: 'holdoutShare',
              message: `must be at least ${activation.holdoutShare}: lowering it would move control members into treatment`,
            },
          ],
        );
      }
      const message = input.message === undefined ? activation.message : input.message;
      const destination = await manager.getRepository(DestinationEntity).findOneByOrFail({ id: activation.destinationId });
      const problems = this.modeProblems(destination, activation.mode, message);
      if (input.schedule !== undefined && input.schedule !== activation.schedule)
        problems.push(
          ...scheduleProblems(input.schedule, await manager.getRepository(SegmentEntity).findOneByOrFail({ id: activation.segmentId })),
        );
      if (input.message !== undefined) problems.push(...(await unknownComputedTraitProblems(manager, messageComputedTraitRefs(message))));
      const exclusions =
        input.excludeSegments === undefined ? undefined : await resolveExclusions(manager, input.excludeSegments, activation.segmentId);
      problems.push(...(exclusions?.problems ?? []));
      const priority =
        input.priorityList === undefined ? undefined : await resolvePriorityList(manager, input.priorityList, activation.segmentId);
      problems.push(...(priority?.problems ?? []));
      if (problems.length) throw invalid(problems);
      if (priority) activation.priorityListId = priority.listId;
      if (exclusions) await replaceExclusions(manager, activation.id, exclusions.segmentIds);
      Object.assign(
        activation,
        stripUndefined({ name: input.name, holdoutShare: input.holdoutShare, schedule: input.schedule, status: input.status }),
        { message },
      );
      const saved = await manager.getRepository(ActivationEntity).save(activation);
      return toView(saved, destination.connector, exclusions?.segmentIds ?? (await exclusionsOf(manager, [id])).get(id) ?? []);
    });
  }

  /**
   * Adds one segment to the exclusions of every live activation delivering to these destinations,
   * inside the caller's transaction (issue #23's paid-media exclusion play); answers their views.
   */
  async excludeSegmentWithin(manager: EntityManager, destinationIds: string[], segmentId: string): Promise<ActivationView[]> {
    if (destinationIds.length === 0) return [];
    const activations = await manager.getRepository(ActivationEntity).find({
      where: { destinationId: In(destinationIds), status: Not(DELETED_STATUS) },
      order: { createdAt: 'ASC', id: 'ASC' },
    });
    const excluded = await exclusionsOf(
      manager,
      activations.map((activation) => activation.id),
    );
    const toAdd = activations.filter(
      (activation) => activation.segmentId !== segmentId && !excluded.get(activation.id)?.includes(segmentId),
    );
    if (toAdd.length)
      await manager
        .getRepository(ActivationExclusionEntity)
        .insert(toAdd.map((activation) => ({ activationId: activation.id, segmentId })));
    const connectors = new Map(
      (
        await manager.getRepository(DestinationEntity).find({ select: { id: true, connector: true }, where: { id: In(destinationIds) } })
      ).map((row) => [row.id, row.connector]),
    );
    const after = await exclusionsOf(
      manager,
      toAdd.map((activation) => activation.id),
    );
    return toAdd.map((activation) => toView(activation, connectors.get(activation.destinationId) ?? null, after.get(activation.id) ?? []));
  }

  /** Soft delete: the activation stops syncing; its runs and exposures stay for the lift history. */
  async remove(id: string): Promise<void> {
    const activation = await this.findLive(id);
    await this.dataSource.getRepository(ActivationEntity).update({ id: activation.id }, { status: DELETED_STATUS });
  }

  /** A live (not deleted) activation, or a 404. */
  async findLive(id: string, repository = this.dataSource.getRepository(ActivationEntity), lock = false): Promise<ActivationEntity> {
    const activation = z.uuid().safeParse(id).success
      ? await repository.findOne({
          where: { id, status: Not(DELETED_STATUS) },
          ...(lock ? { lock: { mode: 'pessimistic_write' as const } } : {}),
        })
      : null;
    if (!activation) throw new ActivationException('activation_not_found', `no activation ${id}`);
    return activation;
  }

  private modeProblems(destination: DestinationEntity, mode: ActivationMode, message: unknown): ErrorDetail[] {
    const connector = this.catalog.require(destination.connector);
    const problems: ErrorDetail[] = [];
    const problem = modeProblem(mode, connector.deliveryModel, connector.slug);
    if (problem) problems.push({ path: 'mode', message: problem });
    if (mode === 'send' && !message) problems.push({ path: 'message', message: 'is required in send mode' });
    if (mode === 'send' && connector.channel === 'email' && message && !hasSubjectOrTemplate(message)) {
      problems.push({ path: 'message.subject', message: 'is required for an email unless message.templateId is set' });
    }
    return problems;
  }

  private async connectorsOf(destinationIds: string[]): Promise<Map<string, string>> {
    if (destinationIds.length === 0) return new Map();
    const rows = await this.dataSource
      .getRepository(DestinationEntity)
      .find({ select: { id: true, connector: true }, where: { id: In([...new Set(destinationIds)]) } });
    return new Map(rows.map((row) => [row.id, row.connector]));
  }
}

function invalid(details: ErrorDetail[]): ActivationAdminException {
  return new ActivationAdminException(
    'invalid_request',
    `invalid body: ${details.map((d) => `${d.path} ${d.message}`).join('; ')}`,
    details,
  );
}

/**
 * `on_change` delivers the changes real time makes, so it needs a real-time segment. (A segment that
 * stops being real time later keeps its on_change activations working off its refreshes' changes.)
 */
function scheduleProblems(schedule: string, segment: SegmentEntity): ErrorDetail[] {
  if (schedule !== ON_CHANGE_SCHEDULE || segment.refreshCadence === REALTIME_CADENCE) return [];
  return [
    {
      path: 'schedule',
      message: `"on_change" needs a real-time segment: segment ${segment.id} has cadence "${segment.refreshCadence}", not "${REALTIME_CADENCE}"`,
    },
  ];
}

function hasSubjectOrTemplate(message: unknown): boolean {
  const fields = message as { subject?: unknown; templateId?: unknown };
  return typeof fields.subject === 'string' || typeof fields.templateId === 'string';
}

function stripUndefined<T extends Record<string, unknown>>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as Partial<T>;
}

/**
 * Segments to exclude, named by key or id (issue #23): each must be a live segment other than the
 * activation's own (400 naming `excludeSegments[i]` otherwise); duplicates collapse.
 */
async function resolveExclusions(
  manager: EntityManager,
  refs: readonly string[],
  ownSegmentId: string,
): Promise<{ segmentIds: string[]; problems: ErrorDetail[] }> {
  const { segments, problems } = await resolveSegmentRefs(manager, refs, 'excludeSegments');
  const segmentIds: string[] = [];
  segments.forEach((segment, index) => {
    if (!segment) return;
    if (segment.id === ownSegmentId)
      problems.push({ path: `excludeSegments[${index}]`, message: `is the activation's own segment: it would exclude every member` });
    else if (!segmentIds.includes(segment.id)) segmentIds.push(segment.id);
  });
  return { segmentIds, problems };
}

/**
 * The priority list an activation targets (issue #23), by key or id: it must exist and hold the
 * activation's segment as an entry (400 naming `priorityList` otherwise). null: none.
 */
async function resolvePriorityList(
  manager: EntityManager,
  ref: string | null,
  segmentId: string,
): Promise<{ listId: string | null; problems: ErrorDetail[] }> {
  if (ref === null) return { listId: null, problems: [] };
  const list = await manager
    .getRepository(PriorityListEntity)
    .findOne({ where: z.uuid().safeParse(ref).success ? { id: ref } : { key: ref } });
  if (!list) return { listId: null, problems: [{ path: 'priorityList', message: `no priority list with key or id "${ref}"` }] };
  if (!(await manager.getRepository(PriorityListEntryEntity).existsBy({ listId: list.id, segmentId })))
    return {
      listId: null,
      problems: [{ path: 'priorityList', message: `segment ${segmentId} is not an entry of priority list ${list.key}` }],
    };
  return { listId: list.id, problems: [] };
}

async function replaceExclusions(manager: EntityManager, activationId: string, segmentIds: string[]): Promise<void> {
  const repository = manager.getRepository(ActivationExclusionEntity);
  await repository.delete({ activationId });
  if (segmentIds.length) await repository.insert(segmentIds.map((segmentId) => ({ activationId, segmentId })));
}

/** Excluded segment ids per activation, in the order they were stored. */
async function exclusionsOf(manager: EntityManager, activationIds: string[]): Promise<Map<string, string[]>> {
  const byActivation = new Map<string, string[]>();
  if (activationIds.length === 0) return byActivation;
  const rows = await manager
    .getRepository(ActivationExclusionEntity)
    .find({ where: { activationId: In(activationIds) }, order: { createdAt: 'ASC', segmentId: 'ASC' } });
  for (const row of rows) byActivation.set(row.activationId, [...(byActivation.get(row.activationId) ?? []), row.segmentId]);
  return byActivation;
}

function toView(activation: ActivationEntity, connector: string | null, excludeSegmentIds: string[]): ActivationView {
  return {
    id: activation.id,
    name: activation.name,
    segmentId: activation.segmentId,
    destinationId: activation.destinationId,
    connector,
    mode: activation.mode,
    holdoutShare: activation.holdoutShare,
    schedule: activation.schedule,
    message: activation.message,
    status: activation.status,
    excludeSegmentIds,
    priorityListId: activation.priorityListId ?? null,
    createdAt: activation.createdAt,
    updatedAt: activation.updatedAt,
  };
}
