import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue #20, computed traits (and the store SQL traits write into too).
 * - `computed_traits` + `computed_trait_versions`: a named, owned, versioned trait; versions are
 *   immutable (a trigger refuses UPDATE, like segment versions).
 * - `computed_trait_values`: THE store of derived per-profile values, one row per (profile, key),
 *   written by a computed trait (`source_kind` 'computed') or a SQL trait ('sql'); keys share one
 *   namespace. Rows go with their profile (ON DELETE CASCADE); erasure and merges delete them
 *   explicitly too, since profiles stay as tombstones.
 * - `computed_trait_due`: per (real-time computed trait, profile) the next instant its value can
 *   change with no new event (a window sliding past an event), like `realtime_due` for segments.
 */
export class ComputedTraits1796700000000 implements MigrationInterface {
  name = 'ComputedTraits1796700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "computed_traits" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "key" text NOT NULL, "description" text NOT NULL DEFAULT '', "owner" text NOT NULL, "cadence" text NOT NULL DEFAULT 'manual', "current_version" integer NOT NULL DEFAULT 1, "last_run_at" TIMESTAMP WITH TIME ZONE, "last_run" jsonb, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "deleted_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_computed_traits" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_computed_traits_live_key" ON "computed_traits" ("key") WHERE deleted_at IS NULL`);
    await queryRunner.query(
      `CREATE TABLE "computed_trait_versions" ("trait_id" uuid NOT NULL, "version" integer NOT NULL, "definition" jsonb NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "created_by" text, CONSTRAINT "PK_computed_trait_versions" PRIMARY KEY ("trait_id", "version"), CONSTRAINT "fk_computed_trait_versions_trait" FOREIGN KEY ("trait_id") REFERENCES "computed_traits"("id") ON DELETE CASCADE ON UPDATE NO ACTION)`,
    );
    await queryRunner.query(`
      CREATE FUNCTION refuse_computed_trait_version_update() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'computed trait versions are immutable: create a new version instead'
          USING ERRCODE = 'integrity_constraint_violation';
      END $$`);
    await queryRunner.query(`
      CREATE TRIGGER computed_trait_versions_immutable BEFORE UPDATE ON computed_trait_versions
      FOR EACH ROW EXECUTE FUNCTION refuse_computed_trait_version_update()`);
    await queryRunner.query(
      `CREATE TABLE "computed_trait_values" ("profile_id" uuid NOT NULL, "key" text NOT NULL, "value" jsonb NOT NULL, "source_kind" text NOT NULL, "source_id" uuid NOT NULL, "source_version" integer NOT NULL, "computed_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "chk_computed_trait_values_source_kind" CHECK (source_kind IN ('computed', 'sql')), CONSTRAINT "PK_computed_trait_values" PRIMARY KEY ("profile_id", "key"), CONSTRAINT "fk_computed_trait_values_profile" FOREIGN KEY ("profile_id") REFERENCES "profiles"("id") ON DELETE CASCADE ON UPDATE NO ACTION)`,
    );
    await queryRunner.query(`CREATE INDEX "idx_computed_trait_values_key" ON "computed_trait_values" ("key")`);
    await queryRunner.query(
      `CREATE TABLE "computed_trait_due" ("trait_id" uuid NOT NULL REFERENCES "computed_traits" ("id") ON DELETE CASCADE, "profile_id" uuid NOT NULL, "due_at" timestamptz NOT NULL, PRIMARY KEY ("trait_id", "profile_id"))`,
    );
    await queryRunner.query(`CREATE INDEX "idx_computed_trait_due_due_at" ON "computed_trait_due" ("due_at")`);
    await queryRunner.query(`CREATE INDEX "idx_computed_trait_due_profile" ON "computed_trait_due" ("profile_id")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "computed_trait_due"`);
    await queryRunner.query(`DROP TABLE "computed_trait_values"`);
    await queryRunner.query(`DROP TRIGGER computed_trait_versions_immutable ON computed_trait_versions`);
    await queryRunner.query(`DROP FUNCTION refuse_computed_trait_version_update()`);
    await queryRunner.query(`DROP TABLE "computed_trait_versions"`);
    await queryRunner.query(`DROP TABLE "computed_traits"`);
  }
}
