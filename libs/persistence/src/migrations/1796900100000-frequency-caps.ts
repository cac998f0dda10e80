import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue #23, frequency caps: the caps (at most N messages per profile on a channel, or on all
 * channels, in a rolling window), the ledger of messages they count, and one lock row per profile
 * that a reservation takes before counting (see the entities). No foreign keys on the ledger: it
 * is written on the send path and outlives deleted activations for the caps' windows.
 */
export class FrequencyCaps1796900100000 implements MigrationInterface {
  name = 'FrequencyCaps1796900100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "frequency_caps" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" text NOT NULL, "channel" text NOT NULL, "max_messages" integer NOT NULL, "window_hours" integer NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "chk_frequency_caps_window" CHECK ("window_hours" >= 1), CONSTRAINT "chk_frequency_caps_max" CHECK ("max_messages" >= 1), CONSTRAINT "chk_frequency_caps_channel" CHECK ("channel" IN ('email', 'sms', 'ads', 'webhook', 'all')), CONSTRAINT "PK_84291fa05ad03ab79d906ac4352" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "send_ledger" ("profile_id" uuid NOT NULL, "delivery_key" text NOT NULL, "channel" text NOT NULL, "activation_id" uuid, "sync_run_id" uuid, "sent_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_168ed62c02ada7d76b8335e3f59" PRIMARY KEY ("profile_id", "delivery_key"))`,
    );
    await queryRunner.query(`CREATE INDEX "idx_send_ledger_profile_sent" ON "send_ledger" ("profile_id", "sent_at") `);
    await queryRunner.query(
      `CREATE TABLE "send_ledger_profiles" ("profile_id" uuid NOT NULL, CONSTRAINT "PK_31d1d28f4cde8c3ceb59955024d" PRIMARY KEY ("profile_id"))`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "send_ledger_profiles"`);
    await queryRunner.query(`DROP INDEX "public"."idx_send_ledger_profile_sent"`);
    await queryRunner.query(`DROP TABLE "send_ledger"`);
    await queryRunner.query(`DROP TABLE "frequency_caps"`);
  }
}
