import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue #21, fits in the worker and staying fresh:
 * - `model_fit_jobs`: one row per model fit asked of the worker (create / update / refit of a
 *   cluster or propensity segment, a k choice). The API writes it with its pg-boss job in one
 *   transaction and answers 202; the worker moves it queued → running → succeeded | failed, with a
 *   stage and a progress fraction, and stores the result (the new version, or the k curves) or the
 *   refusal (the 4xx body the synchronous route used to answer). `scheduled_for` is set for
 *   cadence refits: unique per segment, so N workers ticking together queue each fire time once.
 * - `segments.refit_cadence`: a cron expression; null = refit only when asked.
 */
export class ModelFitJobs1796800000000 implements MigrationInterface {
  name = 'ModelFitJobs1796800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "segments" ADD "refit_cadence" text`);
    await queryRunner.query(
      `CREATE TABLE "model_fit_jobs" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "kind" text NOT NULL, "segment_id" uuid, "input" jsonb NOT NULL, "actor" text, "state" text NOT NULL DEFAULT 'queued', "stage" text NOT NULL DEFAULT 'queued', "progress" double precision NOT NULL DEFAULT 0, "work" double precision NOT NULL DEFAULT 0, "result" jsonb, "error" jsonb, "scheduled_for" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "started_at" TIMESTAMP WITH TIME ZONE, "finished_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "chk_model_fit_jobs_kind" CHECK (kind IN ('create', 'update', 'refit', 'choose_k')), CONSTRAINT "chk_model_fit_jobs_state" CHECK (state IN ('queued', 'running', 'succeeded', 'failed')), CONSTRAINT "PK_model_fit_jobs" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_model_fit_jobs_schedule" ON "model_fit_jobs" ("segment_id", "scheduled_for") WHERE scheduled_for IS NOT NULL`,
    );
    await queryRunner.query(`CREATE INDEX "idx_model_fit_jobs_segment" ON "model_fit_jobs" ("segment_id", "created_at")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "model_fit_jobs"`);
    await queryRunner.query(`ALTER TABLE "segments" DROP COLUMN "refit_cadence"`);
  }
}
