import type { EntityManager } from 'typeorm';

export type Counts = Record<string, number>;

/** Most error entries kept on a run; later ones are counted in `errorsDropped`. */
const MAX_ERRORS = 50;

/** Adds `delta` to the run's counts in place (concurrent batches each add their own). */
export async function addCounts(manager: EntityManager, runId: string, delta: Counts): Promise<void> {
  const nonZero = Object.fromEntries(Object.entries(delta).filter(([, value]) => value !== 0));
  if (Object.keys(nonZero).length === 0) return;
  await manager.query(
    `UPDATE sync_runs SET counts = (
       SELECT coalesce(jsonb_object_agg(key, coalesce((counts ->> key)::bigint, 0) + coalesce(($2::jsonb ->> key)::bigint, 0)), '{}'::jsonb)
       FROM jsonb_object_keys(counts || $2::jsonb) AS key)
     WHERE id = $1`,
    [runId, JSON.stringify(nonZero)],
  );
}

export async function appendErrors(manager: EntityManager, runId: string, entries: Record<string, unknown>[]): Promise<void> {
  if (entries.length === 0) return;
  await manager.query(
    `UPDATE sync_runs SET
       errors = CASE WHEN jsonb_array_length(coalesce(errors, '[]'::jsonb)) < $3 THEN coalesce(errors, '[]'::jsonb) || $2::jsonb ELSE errors END,
       counts = CASE WHEN jsonb_array_length(coalesce(errors, '[]'::jsonb)) < $3 THEN counts
                ELSE counts || jsonb_build_object('errorsDropped', coalesce((counts ->> 'errorsDropped')::bigint, 0) + jsonb_array_length($2::jsonb)) END
     WHERE id = $1`,
    [runId, JSON.stringify(entries), MAX_ERRORS],
  );
}

export async function countsOf(manager: EntityManager, runId: string): Promise<Counts> {
  const [row] = await manager.query(`SELECT counts FROM sync_runs WHERE id = $1`, [runId]);
  return Object.fromEntries(Object.entries((row?.counts ?? {}) as Record<string, unknown>).map(([key, value]) => [key, Number(value)]));
}
