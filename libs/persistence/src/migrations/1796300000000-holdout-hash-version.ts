import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue #17: the holdout hash version is stored beside each salt (`activations.holdout_hash_version`,
 * `global_holdout.hash_version`), so a future hash v2 can coexist with the salts drawn under v1.
 * Every existing salt was hashed with version 1 (libs/experimentation `HOLDOUT_HASH_VERSION`), so
 * existing rows take 1. No CHECK on the value: assignment reads it and refuses a version the code
 * does not implement with its own error (`unknown_hash_version`), rather than a constraint hiding it.
 */
export class HoldoutHashVersion1796300000000 implements MigrationInterface {
  name = 'HoldoutHashVersion1796300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "activations" ADD "holdout_hash_version" smallint NOT NULL DEFAULT 1`);
    await queryRunner.query(`ALTER TABLE "global_holdout" ADD "hash_version" smallint NOT NULL DEFAULT 1`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "global_holdout" DROP COLUMN "hash_version"`);
    await queryRunner.query(`ALTER TABLE "activations" DROP COLUMN "holdout_hash_version"`);
  }
}
