import type { DataSource } from 'typeorm';
import type { SegmentRefreshService } from '../segment-refresh.service';

/**
 * Set-up shared by the model-segment specs (model-segments, model-features): profiles inserted
 * with known traits, and a manual refresh run whose members are read back.
 */

/** Inserts one profile per record with the given traits; returns [profile id, record index] in id order. */
export async function insertProfilesWithTraits(
  dataSource: DataSource,
  traits: Record<string, unknown>[],
  group: string,
): Promise<{ id: string; index: number }[]> {
  const rows: { id: string; index: number }[] = await dataSource.query(
    // Ids derived from the row number: the fit sees rows in id order, so the same ids every run keep it reproducible.
    `INSERT INTO profiles (id, traits, first_seen_at)
     SELECT md5($2::text || ':' || t.ord)::uuid, t.traits || jsonb_build_object('group', $2::text, 'row', t.ord - 1), '2025-06-01T00:00:00Z'
     FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS t(traits, ord)
     RETURNING id, (traits->>'row')::int AS index`,
    [JSON.stringify(traits), group],
  );
  return rows.sort((a, b) => (a.id < b.id ? -1 : 1));
}

/** Runs a manual refresh of the segment's current version as of `now` (it must succeed); returns its members in id order. */
export async function refreshedMembers(
  dataSource: DataSource,
  refresh: SegmentRefreshService,
  segmentId: string,
  now: Date,
): Promise<string[]> {
  const [segment]: { current_version: number }[] = await dataSource.query(`SELECT current_version FROM segments WHERE id = $1`, [
    segmentId,
  ]);
  const [run]: { id: string }[] = await dataSource.query(
    `INSERT INTO segment_runs (segment_id, version, status, trigger) VALUES ($1, $2, 'queued', 'manual') RETURNING id`,
    [segmentId, segment.current_version],
  );
  expect(await refresh.execute(run.id, now)).toMatchObject({ status: 'succeeded' });
  const members: { profile_id: string }[] = await dataSource.query(
    `SELECT profile_id FROM segment_memberships WHERE segment_id = $1 ORDER BY profile_id`,
    [segmentId],
  );
  return members.map((row) => row.profile_id);
}
