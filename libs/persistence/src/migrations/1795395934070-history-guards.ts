import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Guards TypeORM cannot express in entities:
 * - segment versions are immutable: a trigger refuses UPDATE (invariant 5 of DESIGN.md);
 * - a BRIN index on events.received_at: tiny, and keeps "events received since T" scans cheap on an
 *   append-only table of hundreds of millions of rows.
 */
export class HistoryGuards1795395934070 implements MigrationInterface {
  name = 'HistoryGuards1795395934070';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION refuse_segment_version_update() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'segment versions are immutable: create a new version instead'
          USING ERRCODE = 'integrity_constraint_violation';
      END $$`);
    await queryRunner.query(`
      CREATE TRIGGER segment_versions_immutable BEFORE UPDATE ON segment_versions
      FOR EACH ROW EXECUTE FUNCTION refuse_segment_version_update()`);
    await queryRunner.query(`CREATE INDEX "idx_events_received_at_brin" ON "events" USING brin ("received_at")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "idx_events_received_at_brin"`);
    await queryRunner.query(`DROP TRIGGER segment_versions_immutable ON segment_versions`);
    await queryRunner.query(`DROP FUNCTION refuse_segment_version_update()`);
  }
}
