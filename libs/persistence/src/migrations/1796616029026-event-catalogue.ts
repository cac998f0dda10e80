import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue #19, the catalogue: what events, properties and traits the data holds, for the builder's
 * autocomplete, without scanning `events` per request.
 * - `catalogue_events`: one row per event name (count, first and last event time).
 * - `catalogue_keys`: one row per property key of an event name (`scope` 'event') or per trait key
 *   (`scope` 'trait', `event_name` ''): dot paths of nested keys, observed JSON types, a count,
 *   the last event time, and up to five example values. Examples are only values seen from at
 *   least three distinct profiles in one fold, so a person's own values (an email, a name) never
 *   become examples and an erasure has nothing to purge here (libs/catalogue README).
 * - `catalogue_state`: the one watermark row; the worker folds events whose `received_at` lies in
 *   [folded_until, horizon) and moves it (libs/catalogue `CatalogueService.fold`).
 */
export class EventCatalogue1796616029026 implements MigrationInterface {
  name = 'EventCatalogue1796616029026';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "catalogue_events" ("name" text PRIMARY KEY, "event_count" bigint NOT NULL, "first_seen_at" timestamptz NOT NULL, "last_seen_at" timestamptz NOT NULL)`,
    );
    await queryRunner.query(
      `CREATE TABLE "catalogue_keys" ("scope" text NOT NULL CHECK ("scope" IN ('event', 'trait')), "event_name" text NOT NULL, "key" text NOT NULL, "types" text[] NOT NULL, "value_count" bigint NOT NULL, "last_seen_at" timestamptz NOT NULL, "examples" jsonb NOT NULL DEFAULT '[]', PRIMARY KEY ("scope", "event_name", "key"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "catalogue_state" ("id" boolean PRIMARY KEY DEFAULT true CHECK ("id"), "folded_until" timestamptz NOT NULL DEFAULT '-infinity', "folded_at" timestamptz, "events_folded" bigint NOT NULL DEFAULT 0)`,
    );
    await queryRunner.query(`INSERT INTO "catalogue_state" DEFAULT VALUES`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "catalogue_state"`);
    await queryRunner.query(`DROP TABLE "catalogue_keys"`);
    await queryRunner.query(`DROP TABLE "catalogue_events"`);
  }
}
