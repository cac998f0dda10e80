import { EntityManager } from 'typeorm';

/**
 * Every query of `model_fit_jobs` (model fits the worker runs for the API) and the row count a fit's
 * work cap reads. Golden SQL: `__golden__/model-fit-jobs.repository.sql`.
 */

export type FitJobKind = 'create' | 'update' | 'refit' | 'choose_k';
export type FitJobState = 'queued' | 'running' | 'succeeded' | 'failed';

export interface FitJobRow {
  id: string;
  kind: FitJobKind;
  segment_id: string | null;
  input: Record<string, unknown>;
  actor: string | null;
  state: FitJobState;
  stage: string;
  progress: number;
  work: number;
  result: Record<string, unknown> | null;
  error: Record<string, unknown> | null;
  scheduled_for: Date | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

/** A queued job; with `scheduledFor`, null when that segment's fire time already has one (another worker's tick). */
export async function insertFitJob(
  manager: EntityManager,
  job: { kind: FitJobKind; segmentId: string | null; input: object; actor: string | null; work: number; scheduledFor?: Date | null },
): Promise<FitJobRow | null> {
  const rows: FitJobRow[] = await manager.query(
    `INSERT INTO model_fit_jobs (kind, segment_id, input, actor, work, scheduled_for)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (segment_id, scheduled_for) WHERE scheduled_for IS NOT NULL DO NOTHING
       RETURNING *`,
    [job.kind, job.segmentId, JSON.stringify(job.input), job.actor, job.work, job.scheduledFor ?? null],
  );
  return rows[0] ?? null;
}

export async function findFitJob(manager: EntityManager, id: string): Promise<FitJobRow | null> {
  const rows: FitJobRow[] = await manager.query(`SELECT * FROM model_fit_jobs WHERE id = $1`, [id]);
  return rows[0] ?? null;
}

/** A segment's latest jobs, newest first (the console shows the running one's progress). */
export async function fitJobsOfSegment(manager: EntityManager, segmentId: string, limit: number): Promise<FitJobRow[]> {
  return manager.query(`SELECT * FROM model_fit_jobs WHERE segment_id = $1 ORDER BY created_at DESC, id LIMIT $2`, [segmentId, limit]);
}

/** Moves a job to running (first start or a re-delivery after a crash). */
export async function markFitJobRunning(manager: EntityManager, id: string): Promise<void> {
  await manager.query(
    `UPDATE model_fit_jobs SET state = 'running', stage = 'starting', progress = 0, started_at = now() WHERE id = $1 AND state IN ('queued', 'running')`,
    [id],
  );
}

export async function updateFitJobProgress(manager: EntityManager, id: string, stage: string, progress: number): Promise<void> {
  await manager.query(`UPDATE model_fit_jobs SET stage = $2, progress = $3 WHERE id = $1 AND state = 'running'`, [id, stage, progress]);
}

export async function finishFitJob(
  manager: EntityManager,
  id: string,
  outcome: { state: 'succeeded'; result: object; segmentId?: string } | { state: 'failed'; error: object },
): Promise<void> {
  await manager.query(
    `UPDATE model_fit_jobs
        SET state = $2, stage = $2, progress = CASE WHEN $2 = 'succeeded' THEN 1 ELSE progress END,
            result = $3, error = $4, segment_id = coalesce($5, segment_id), finished_at = now()
      WHERE id = $1`,
    [
      id,
      outcome.state,
      outcome.state === 'succeeded' ? JSON.stringify(outcome.result) : null,
      outcome.state === 'failed' ? JSON.stringify(outcome.error) : null,
      outcome.state === 'succeeded' ? (outcome.segmentId ?? null) : null,
    ],
  );
}

/** Live, active cluster / propensity segments with a refit cadence, and the time from which their next fire is due. */
export async function segmentsWithRefitCadence(manager: EntityManager): Promise<{ id: string; refit_cadence: string; since: Date }[]> {
  return manager.query(
    `SELECT s.id, s.refit_cadence,
            greatest(s.created_at, coalesce((SELECT max(j.scheduled_for) FROM model_fit_jobs j WHERE j.segment_id = s.id), s.created_at)) AS since
       FROM segments s
      WHERE s.deleted_at IS NULL AND s.status = 'active' AND s.refit_cadence IS NOT NULL`,
  );
}

/** Rows a fit would read: the count of a compiled feature query (`compileFeatureSql`; every value in it bound). */
export async function countFeatureRows(manager: EntityManager, compiled: { text: string; values: unknown[] }): Promise<number> {
  const [row]: { rows: number }[] = await manager.query(
    `SELECT count(*)::int AS rows FROM (${compiled.text}) AS feature_rows`,
    compiled.values,
  );
  return row.rows;
}
