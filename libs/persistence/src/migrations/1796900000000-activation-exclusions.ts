import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue #23, exclusions: the segments whose members an activation never delivers to (see the
 * entity). The sync engine reads them once per run and filters candidates after suppression and
 * consent.
 */
export class ActivationExclusions1796900000000 implements MigrationInterface {
  name = 'ActivationExclusions1796900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "activation_exclusions" ("activation_id" uuid NOT NULL, "segment_id" uuid NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_0936cc799b8e8a38f3813b1f18e" PRIMARY KEY ("activation_id", "segment_id"))`,
    );
    await queryRunner.query(`CREATE INDEX "idx_activation_exclusions_segment" ON "activation_exclusions" ("segment_id") `);
    await queryRunner.query(
      `ALTER TABLE "activation_exclusions" ADD CONSTRAINT "fk_activation_exclusions_activation" FOREIGN KEY ("activation_id") REFERENCES "activations"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "activation_exclusions" ADD CONSTRAINT "fk_activation_exclusions_segment" FOREIGN KEY ("segment_id") REFERENCES "segments"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "activation_exclusions" DROP CONSTRAINT "fk_activation_exclusions_segment"`);
    await queryRunner.query(`ALTER TABLE "activation_exclusions" DROP CONSTRAINT "fk_activation_exclusions_activation"`);
    await queryRunner.query(`DROP INDEX "public"."idx_activation_exclusions_segment"`);
    await queryRunner.query(`DROP TABLE "activation_exclusions"`);
  }
}
