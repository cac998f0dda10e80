import { EntityManager } from 'typeorm';
import { SegmentRunEntity } from '@audiencekit/persistence';

/**
 * Every read of membership and of the data a segment is computed from: previews of a compiled
 * query, run history, members as of a date, overlap, one profile's traits / events / memberships,
 * and the feature rows and purchaser count of model segments (their SQL is built in
 * libs/segments-domain). Plain functions over the caller's `EntityManager` (the analytics pool's for
 * previews, overlap and choose-k). Golden SQL: `__golden__/segment-membership.repository.sql`.
 */

type Query = { text: string; values: unknown[] };

export async function previewSize(manager: EntityManager, query: Query): Promise<number> {
  const [{ size }] = await manager.query(`SELECT count(DISTINCT q.profile_id)::int AS size FROM (${query.text}) q`, query.values);
  return size;
}

/** The first `limit` member ids (by id); `limit` is clamped to 0..100 and written as a literal. */
export async function previewSample(manager: EntityManager, query: Query, limit: number): Promise<string[]> {
  const rows: { profile_id: string }[] = await manager.query(
    `SELECT DISTINCT q.profile_id FROM (${query.text}) q ORDER BY q.profile_id LIMIT ${Math.max(0, Math.min(100, Math.trunc(limit)))}`,
    query.values,
  );
  return rows.map((row) => row.profile_id);
}

export async function runsPage(
  manager: EntityManager,
  segmentId: string,
  page: { limit: number; offset: number },
): Promise<[SegmentRunEntity[], number]> {
  return manager
    .getRepository(SegmentRunEntity)
    .findAndCount({ where: { segmentId }, order: { queuedAt: 'DESC' }, take: page.limit, skip: page.offset });
}

export async function findRunOf(manager: EntityManager, segmentId: string, runId: string): Promise<SegmentRunEntity | null> {
  return manager.getRepository(SegmentRunEntity).findOneBy({ id: runId, segmentId });
}

/** The latest change of each profile at or before `asOf` ($1 segment, $2 asOf). */
const LATEST_CHANGE = `SELECT DISTINCT ON (profile_id) profile_id, change, changed_at, run_id, version
                    FROM segment_membership_changes WHERE segment_id = $1 AND changed_at <= $2
                    ORDER BY profile_id, changed_at DESC, id DESC`;

export async function countMembersAsOf(manager: EntityManager, segmentId: string, asOf: Date): Promise<number> {
  const [{ total }] = await manager.query(`SELECT count(*)::int AS total FROM (${LATEST_CHANGE}) l WHERE l.change = 'added'`, [
    segmentId,
    asOf,
  ]);
  return total;
}

export async function membersAsOfPage(
  manager: EntityManager,
  segmentId: string,
  asOf: Date,
  page: { limit: number; offset: number },
): Promise<{ profile_id: string; changed_at: Date; run_id: string; version: number }[]> {
  return manager.query(
    `SELECT l.profile_id, l.changed_at, l.run_id, l.version FROM (${LATEST_CHANGE}) l WHERE l.change = 'added' ORDER BY l.profile_id LIMIT $3 OFFSET $4`,
    [segmentId, asOf, page.limit, page.offset],
  );
}

/** The version of the latest run that succeeded by `asOf`, or null. */
export async function versionInForce(manager: EntityManager, segmentId: string, asOf: Date): Promise<number | null> {
  const [inForce] = await manager.query(
    `SELECT version FROM segment_runs WHERE segment_id = $1 AND status = 'succeeded' AND finished_at <= $2 ORDER BY finished_at DESC LIMIT 1`,
    [segmentId, asOf],
  );
  return inForce?.version ?? null;
}

export async function overlapCounts(
  manager: EntityManager,
  segmentId: string,
  otherId: string,
): Promise<{ size: number; otherSize: number; intersection: number }> {
  const [row] = await manager.query(
    `SELECT (SELECT count(*) FROM segment_memberships WHERE segment_id = $1)::int AS size,
              (SELECT count(*) FROM segment_memberships WHERE segment_id = $2)::int AS other_size,
              (SELECT count(*) FROM segment_memberships a JOIN segment_memberships b ON b.profile_id = a.profile_id AND b.segment_id = $2
                WHERE a.segment_id = $1)::int AS intersection`,
    [segmentId, otherId],
  );
  return { size: row.size, otherSize: row.other_size, intersection: row.intersection };
}

/** A live profile's traits, or undefined. */
export async function liveProfileTraits(
  manager: EntityManager,
  profileId: string,
): Promise<{ traits: Record<string, unknown> } | undefined> {
  const [profile] = await manager.query(`SELECT traits FROM profiles WHERE id = $1 AND merged_into IS NULL AND deleted_at IS NULL`, [
    profileId,
  ]);
  return profile;
}

export async function profileEventsUntil(
  manager: EntityManager,
  profileId: string,
  now: Date,
): Promise<{ name: string | null; timestamp: Date; properties: Record<string, unknown> }[]> {
  return manager.query(`SELECT name, timestamp, properties FROM events WHERE profile_id = $1 AND timestamp <= $2`, [profileId, now]);
}

/** The live segments the profile is a current member of. */
export async function segmentsOfProfile(manager: EntityManager, profileId: string): Promise<{ id: string; key: string }[]> {
  return manager.query(
    `SELECT s.id, s.key FROM segment_memberships m JOIN segments s ON s.id = m.segment_id WHERE m.profile_id = $1 AND s.deleted_at IS NULL`,
    [profileId],
  );
}

/** The rows of a feature query (`compileFeatureSql`, libs/segments-domain). */
export async function featureRowsOf(manager: EntityManager, query: Query): Promise<Record<string, unknown>[]> {
  return manager.query(query.text, query.values);
}

/** How many profiles an RFM scores query (`compileRfmScoresSql`) scores: the purchasers of its window. */
export async function countPurchasers(manager: EntityManager, scores: Query): Promise<number> {
  const [{ purchasers }] = await manager.query(`SELECT count(*)::int AS purchasers FROM (${scores.text}) s`, scores.values);
  return purchasers;
}

export interface MembershipChangeRow {
  id: string;
  profile_id: string;
  change: 'added' | 'removed';
  cause: 'refresh' | 'realtime';
  run_id: string | null;
  version: number;
  changed_at: Date;
}

/**
 * A segment's membership changes for the live feed, newest first: without `after` the latest
 * `limit`; with `after` (a change id) the first `limit` after it, so a poller that fell behind
 * catches up page by page instead of jumping to the newest.
 */
export async function membershipChangesPage(
  manager: EntityManager,
  segmentId: string,
  page: { limit: number; after?: number },
): Promise<MembershipChangeRow[]> {
  const columns = `c.id, c.profile_id, c.change, c.cause, c.run_id, c.version, c.changed_at`;
  if (page.after === undefined)
    return manager.query(`SELECT ${columns} FROM segment_membership_changes c WHERE c.segment_id = $1 ORDER BY c.id DESC LIMIT $2`, [
      segmentId,
      page.limit,
    ]);
  return manager.query(
    `SELECT * FROM (SELECT ${columns} FROM segment_membership_changes c WHERE c.segment_id = $1 AND c.id > $2
       ORDER BY c.id LIMIT $3) oldest_first ORDER BY id DESC`,
    [segmentId, page.after, page.limit],
  );
}

/** The current number of members (`segment_memberships`). */
export async function currentSize(manager: EntityManager, segmentId: string): Promise<number> {
  const [{ size }] = await manager.query(`SELECT count(*)::int AS size FROM segment_memberships WHERE segment_id = $1`, [segmentId]);
  return size;
}
