import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue #24, text signals (libs/text-signals for the scoring, libs/segments-service
 * `src/text-signals` for the configuration and the worker's scoring pass):
 * - `events.signals` (jsonb, nullable): what scoring read in the event's configured text,
 *   `{ sentiment: { compound, label, negative }, tags: [...] }`, stored WITH the event so an
 *   erasure (which deletes the person's events) takes the signals along with the text. Adding a
 *   nullable column without a default rewrites nothing (catalogue-only change).
 * - `text_signal_configs`: which event's property is scored (one property per event name) and the
 *   operator's vocabularies (tag → terms); `scored_until` is the scoring watermark on
 *   `events.received_at` (NULL: nothing scored yet, the first pass backfills the events of that
 *   name through `idx_events_name_time`).
 * No new index on `events`: a pass reads the events of one configured name received in
 * [scored_until, horizon), served by the BRIN index on received_at (or the name index for a
 * backfill), so ingestion pays nothing for it.
 */
export class TextSignals1797200000000 implements MigrationInterface {
  name = 'TextSignals1797200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "events" ADD "signals" jsonb`);
    await queryRunner.query(
      `CREATE TABLE "text_signal_configs" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "event" text NOT NULL, "property" text NOT NULL, "vocabularies" jsonb NOT NULL DEFAULT '{}', "scored_until" TIMESTAMP WITH TIME ZONE, "events_scored" bigint NOT NULL DEFAULT 0, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_text_signal_configs" PRIMARY KEY ("id"), CONSTRAINT "uq_text_signal_configs_event" UNIQUE ("event"))`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "text_signal_configs"`);
    await queryRunner.query(`ALTER TABLE "events" DROP COLUMN "signals"`);
  }
}
