import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue #19 (lists, exports, run control): the identifiers uploaded to a static list segment, one
 * row per distinct normalised value and version (an upload is a new version, so older versions
 * keep theirs); and a cancellation request on refresh and sync runs, which a running run honours
 * at its next safe point (before committing a refresh, before the next batch of a sync).
 */
export class ListsAndRunControl1796616634388 implements MigrationInterface {
  name = 'ListsAndRunControl1796616634388';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "segment_list_entries" ("segment_id" uuid NOT NULL, "version" integer NOT NULL, "value" text NOT NULL, CONSTRAINT "pk_segment_list_entries" PRIMARY KEY ("segment_id", "version", "value"))`,
    );
    await queryRunner.query(
      `ALTER TABLE "segment_list_entries" ADD CONSTRAINT "fk_segment_list_entries_segment" FOREIGN KEY ("segment_id") REFERENCES "segments"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(`ALTER TABLE "segment_runs" ADD "cancel_requested_at" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(`ALTER TABLE "sync_runs" ADD "cancel_requested_at" TIMESTAMP WITH TIME ZONE`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "sync_runs" DROP COLUMN "cancel_requested_at"`);
    await queryRunner.query(`ALTER TABLE "segment_runs" DROP COLUMN "cancel_requested_at"`);
    await queryRunner.query(`ALTER TABLE "segment_list_entries" DROP CONSTRAINT "fk_segment_list_entries_segment"`);
    await queryRunner.query(`DROP TABLE "segment_list_entries"`);
  }
}
