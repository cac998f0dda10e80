import { MigrationInterface, QueryRunner } from 'typeorm';

// The activation engine: sync state per activation and profile (the other side of the diff),
// sticky exposures for lift, the global holdout row, batch progress for resume, rejections.

export class ActivationEngine1796113604695 implements MigrationInterface {
  name = 'ActivationEngine1796113604695';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "activation_exposures" ("activation_id" uuid NOT NULL, "profile_id" uuid NOT NULL, "arm" text NOT NULL, "exposed_at" TIMESTAMP WITH TIME ZONE NOT NULL, "sync_run_id" uuid, CONSTRAINT "chk_activation_exposures_arm" CHECK ("arm" IN ('treatment', 'control', 'global_holdout')), CONSTRAINT "PK_ea8e087ae4f3cb3b63500978993" PRIMARY KEY ("activation_id", "profile_id"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "activation_members" ("activation_id" uuid NOT NULL, "profile_id" uuid NOT NULL, "state" text NOT NULL, "identifiers" jsonb, "last_sync_run_id" uuid, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_67a5ce9af8e198224145f322b66" PRIMARY KEY ("activation_id", "profile_id"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "global_holdout" ("id" smallint NOT NULL, "share" double precision NOT NULL DEFAULT '0', "salt" text NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "chk_global_holdout_share" CHECK ("share" >= 0 AND "share" < 1), CONSTRAINT "chk_global_holdout_single_row" CHECK ("id" = 1), CONSTRAINT "PK_09d7a0fa4b1b759e015fd446378" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "sync_batches" ("sync_run_id" uuid NOT NULL, "seq" integer NOT NULL, "action" text NOT NULL, "profile_ids" uuid array NOT NULL, "idempotency_key" text NOT NULL, "status" text NOT NULL DEFAULT 'in_flight', "attempts" integer NOT NULL DEFAULT '0', "error" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_6c481ca6e43212f1687b61481c4" PRIMARY KEY ("sync_run_id", "seq"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "sync_rejections" ("sync_run_id" uuid NOT NULL, "profile_id" uuid NOT NULL, "kind" text NOT NULL, "reason" text NOT NULL, "code" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_40e0d2e2adcb08167ad97c5c0bf" PRIMARY KEY ("sync_run_id", "profile_id"))`,
    );
    await queryRunner.query(`ALTER TABLE "activations" ADD "external_audience_id" text`);
    await queryRunner.query(`ALTER TABLE "sync_runs" ADD "trigger" text NOT NULL DEFAULT 'manual'`);
    await queryRunner.query(`ALTER TABLE "sync_runs" ADD "trigger_key" text`);
    await queryRunner.query(`ALTER TABLE "sync_runs" ADD "requested_by" text`);
    await queryRunner.query(`ALTER TABLE "sync_runs" ADD "queued_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now()`);
    await queryRunner.query(`ALTER TABLE "sync_runs" ADD "duration_ms" integer`);
    await queryRunner.query(`ALTER TABLE "sync_runs" ADD "progress" jsonb`);
    await queryRunner.query(`ALTER TABLE "sync_runs" ADD "plan" jsonb`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_sync_runs_activation_trigger_key" ON "sync_runs" ("activation_id", "trigger_key") `);
    await queryRunner.query(
      `ALTER TABLE "activation_exposures" ADD CONSTRAINT "fk_activation_exposures_activation" FOREIGN KEY ("activation_id") REFERENCES "activations"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "activation_members" ADD CONSTRAINT "fk_activation_members_activation" FOREIGN KEY ("activation_id") REFERENCES "activations"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "sync_batches" ADD CONSTRAINT "fk_sync_batches_sync_run" FOREIGN KEY ("sync_run_id") REFERENCES "sync_runs"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "sync_rejections" ADD CONSTRAINT "fk_sync_rejections_sync_run" FOREIGN KEY ("sync_run_id") REFERENCES "sync_runs"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    // The single global-holdout row: nobody held out until an admin sets a share; its own salt.
    await queryRunner.query(`INSERT INTO "global_holdout" ("id", "share", "salt") VALUES (1, 0, gen_random_uuid()::text)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "sync_rejections" DROP CONSTRAINT "fk_sync_rejections_sync_run"`);
    await queryRunner.query(`ALTER TABLE "sync_batches" DROP CONSTRAINT "fk_sync_batches_sync_run"`);
    await queryRunner.query(`ALTER TABLE "activation_members" DROP CONSTRAINT "fk_activation_members_activation"`);
    await queryRunner.query(`ALTER TABLE "activation_exposures" DROP CONSTRAINT "fk_activation_exposures_activation"`);
    await queryRunner.query(`DROP INDEX "public"."uq_sync_runs_activation_trigger_key"`);
    await queryRunner.query(`ALTER TABLE "sync_runs" DROP COLUMN "plan"`);
    await queryRunner.query(`ALTER TABLE "sync_runs" DROP COLUMN "progress"`);
    await queryRunner.query(`ALTER TABLE "sync_runs" DROP COLUMN "duration_ms"`);
    await queryRunner.query(`ALTER TABLE "sync_runs" DROP COLUMN "queued_at"`);
    await queryRunner.query(`ALTER TABLE "sync_runs" DROP COLUMN "requested_by"`);
    await queryRunner.query(`ALTER TABLE "sync_runs" DROP COLUMN "trigger_key"`);
    await queryRunner.query(`ALTER TABLE "sync_runs" DROP COLUMN "trigger"`);
    await queryRunner.query(`ALTER TABLE "activations" DROP COLUMN "external_audience_id"`);
    await queryRunner.query(`DROP TABLE "sync_rejections"`);
    await queryRunner.query(`DROP TABLE "sync_batches"`);
    await queryRunner.query(`DROP TABLE "global_holdout"`);
    await queryRunner.query(`DROP TABLE "activation_members"`);
    await queryRunner.query(`DROP TABLE "activation_exposures"`);
  }
}
