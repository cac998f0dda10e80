import { MigrationInterface, QueryRunner } from 'typeorm';

export class SegmentRunScheduling1795396715911 implements MigrationInterface {
  name = 'SegmentRunScheduling1795396715911';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "segments" ADD "quality_thresholds" jsonb NOT NULL DEFAULT '{"minSize": 100, "maxChurn": 0.5}'`);
    await queryRunner.query(`ALTER TABLE "segment_runs" ADD "scheduled_for" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(`ALTER TABLE "segment_runs" ADD "queued_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now()`);
    await queryRunner.query(`DROP INDEX "public"."idx_segment_runs_segment_started"`);
    await queryRunner.query(`ALTER TABLE "segment_runs" ALTER COLUMN "started_at" DROP NOT NULL`);
    await queryRunner.query(`ALTER TABLE "segment_runs" ALTER COLUMN "started_at" DROP DEFAULT`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_segment_runs_segment_scheduled_for" ON "segment_runs" ("segment_id", "scheduled_for") `,
    );
    await queryRunner.query(`CREATE INDEX "idx_segment_runs_segment_started" ON "segment_runs" ("segment_id", "started_at") `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."idx_segment_runs_segment_started"`);
    await queryRunner.query(`DROP INDEX "public"."uq_segment_runs_segment_scheduled_for"`);
    await queryRunner.query(`ALTER TABLE "segment_runs" ALTER COLUMN "started_at" SET DEFAULT now()`);
    await queryRunner.query(`ALTER TABLE "segment_runs" ALTER COLUMN "started_at" SET NOT NULL`);
    await queryRunner.query(`CREATE INDEX "idx_segment_runs_segment_started" ON "segment_runs" ("segment_id", "started_at") `);
    await queryRunner.query(`ALTER TABLE "segment_runs" DROP COLUMN "queued_at"`);
    await queryRunner.query(`ALTER TABLE "segment_runs" DROP COLUMN "scheduled_for"`);
    await queryRunner.query(`ALTER TABLE "segments" DROP COLUMN "quality_thresholds"`);
  }
}
