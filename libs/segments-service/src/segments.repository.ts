import { EntityManager, IsNull } from 'typeorm';
import { SegmentEntity, SegmentVersionEntity } from '@audiencekit/persistence';

/**
 * Every query of `segments` and `segment_versions` (the card and its immutable versions). Plain
 * functions over the caller's `EntityManager`, so a service decides the transaction; no logic here.
 * Golden SQL: `__golden__/segments.repository.sql`.
 */

export async function segmentKeyExists(manager: EntityManager, key: string): Promise<boolean> {
  return manager.getRepository(SegmentEntity).exist({ where: { key } });
}

export async function insertSegment(manager: EntityManager, card: Partial<SegmentEntity>): Promise<SegmentEntity> {
  const segments = manager.getRepository(SegmentEntity);
  return segments.save(segments.create({ ...card, currentVersion: 1 }));
}

export async function saveSegment(manager: EntityManager, segment: SegmentEntity): Promise<void> {
  await manager.getRepository(SegmentEntity).save(segment);
}

/** A segment not soft-deleted, optionally locked `FOR UPDATE` until the transaction ends. */
export async function findLiveSegment(manager: EntityManager, id: string, options: { lock?: boolean } = {}): Promise<SegmentEntity | null> {
  return manager
    .getRepository(SegmentEntity)
    .findOne({ where: { id, deletedAt: IsNull() }, ...(options.lock ? { lock: { mode: 'pessimistic_write' as const } } : {}) });
}

export async function listLiveSegments(
  manager: EntityManager,
  page: { limit: number; offset: number; owner?: string; status?: string },
): Promise<[SegmentEntity[], number]> {
  const where = {
    deletedAt: IsNull(),
    ...(page.owner ? { owner: page.owner } : {}),
    ...(page.status ? { status: page.status as SegmentEntity['status'] } : {}),
  };
  return manager.getRepository(SegmentEntity).findAndCount({ where, order: { createdAt: 'ASC' }, take: page.limit, skip: page.offset });
}

/** Soft delete; the number of rows archived (0: no live segment with that id). */
export async function archiveSegment(manager: EntityManager, id: string): Promise<number> {
  const result = await manager
    .getRepository(SegmentEntity)
    .update({ id, deletedAt: IsNull() }, { deletedAt: new Date(), status: 'archived' });
  return result.affected ?? 0;
}

export async function insertVersion(
  manager: EntityManager,
  row: Pick<SegmentVersionEntity, 'segmentId' | 'version' | 'definition' | 'model' | 'createdBy'>,
): Promise<void> {
  await manager.getRepository(SegmentVersionEntity).save(row);
}

export async function findVersion(manager: EntityManager, segmentId: string, version: number): Promise<SegmentVersionEntity | null> {
  return manager.getRepository(SegmentVersionEntity).findOne({ where: { segmentId, version } });
}

/** @throws {EntityNotFoundError} (TypeORM) when the version row is missing. */
export async function findVersionOrFail(manager: EntityManager, segmentId: string, version: number): Promise<SegmentVersionEntity> {
  return manager.getRepository(SegmentVersionEntity).findOneByOrFail({ segmentId, version });
}

/** The current version row of each segment given. */
export async function currentVersionsOf(
  manager: EntityManager,
  segments: Pick<SegmentEntity, 'id' | 'currentVersion'>[],
): Promise<SegmentVersionEntity[]> {
  if (segments.length === 0) return [];
  return manager.getRepository(SegmentVersionEntity).find({ where: segments.map((s) => ({ segmentId: s.id, version: s.currentVersion })) });
}

export async function versionsOf(manager: EntityManager, segmentId: string): Promise<SegmentVersionEntity[]> {
  return manager.getRepository(SegmentVersionEntity).find({ where: { segmentId }, order: { version: 'ASC' } });
}

/** One reference-graph check at a time: a transaction-level advisory lock, held until the caller's transaction ends. */
export async function lockReferenceGraph(manager: EntityManager): Promise<void> {
  await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended('segment-reference-graph', 0))`);
}

/** Every live segment with its cadence and current definition (null when the version row is missing). */
export async function liveCurrentDefinitions(
  manager: EntityManager,
): Promise<{ segment_id: string; key: string; refresh_cadence: string; definition: unknown }[]> {
  return manager.query(
    `SELECT s.id AS segment_id, s.key, s.refresh_cadence, v.definition FROM segments s
       LEFT JOIN segment_versions v ON v.segment_id = s.id AND v.version = s.current_version
       WHERE s.deleted_at IS NULL`,
  );
}

/** Every live, active segment with its current version and definition, by key. */
export async function activeCurrentDefinitions(
  manager: EntityManager,
): Promise<{ id: string; key: string; version: number; definition: unknown }[]> {
  return manager.query(
    `SELECT s.id, s.key, s.current_version AS version, v.definition FROM segments s
       JOIN segment_versions v ON v.segment_id = s.id AND v.version = s.current_version
       WHERE s.deleted_at IS NULL AND s.status = 'active' ORDER BY s.key`,
  );
}

/** Live, active segments with a cron cadence, and the time from which their next fire is due. */
export async function scheduledSegments(manager: EntityManager): Promise<{ id: string; refresh_cadence: string; since: Date }[]> {
  return manager.query(
    `SELECT s.id, s.refresh_cadence,
              greatest(s.created_at, coalesce((SELECT max(r.scheduled_for) FROM segment_runs r WHERE r.segment_id = s.id), s.created_at)) AS since
       FROM segments s
       WHERE s.deleted_at IS NULL AND s.status = 'active' AND s.refresh_cadence <> 'manual'`,
  );
}
