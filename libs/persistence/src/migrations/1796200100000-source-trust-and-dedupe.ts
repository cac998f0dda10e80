import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue #16, write keys:
 * - `api_keys.trust`: `server` (a backend holding the key secret) or `client` (a key that may be
 *   embedded in a browser or an app: it may not add an identifier to a profile that already has one
 *   of that kind, nor change consent traits). Existing keys become `server`, so the sources already
 *   sending keep working as they did; keys created from now on are `client` unless asked otherwise.
 * - `events`: a messageId is unique per source, not across sources, so one source cannot
 *   pre-register another's ids and have its messages dropped as duplicates. NULLS NOT DISTINCT
 *   (Postgres 15+) keeps the events written without a source (CSV import, segment entry/exit)
 *   de-duplicated among themselves. TypeORM cannot express it: the entity declares the index with
 *   `synchronize: false`. message_id leads, so the lookup of a batch's ids stays one index probe each.
 */
export class SourceTrustAndDedupe1796200100000 implements MigrationInterface {
  name = 'SourceTrustAndDedupe1796200100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "api_keys" ADD "trust" text NOT NULL DEFAULT 'server'`);
    await queryRunner.query(`ALTER TABLE "api_keys" ALTER COLUMN "trust" SET DEFAULT 'client'`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_events_source_message_id" ON "events" ("message_id", "source_id") NULLS NOT DISTINCT`);
    await queryRunner.query(`DROP INDEX "public"."uq_events_message_id"`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // Fails if two sources stored the same messageId meanwhile: a down that silently dropped events would be worse.
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_events_message_id" ON "events" ("message_id") `);
    await queryRunner.query(`DROP INDEX "public"."uq_events_source_message_id"`);
    await queryRunner.query(`ALTER TABLE "api_keys" DROP COLUMN "trust"`);
  }
}
