import { MigrationInterface, QueryRunner } from 'typeorm';

/** The role SQL traits run as (cluster-wide: every database of the server shares it). */
export const SQL_TRAITS_READER_ROLE = 'audiencekit_sql_traits_reader';

/**
 * Issue #20, SQL traits: an admin's SELECT runs as a role that can read four documented views and
 * nothing else (libs/sql-traits README).
 * - Role `audiencekit_sql_traits_reader`, NOLOGIN, created when missing. Roles belong to the whole
 *   server, and several databases (test files, environments) share one: creation is idempotent and
 *   survives a concurrent creator. The app's user needs CREATEROLE for this, or an operator creates
 *   the role first; without either the migration leaves a notice and SQL traits answer 503
 *   (`sql_traits_unavailable`), the rest of the product is unaffected.
 * - Schema `sql_traits` with the views `profiles`, `identities`, `events`, `memberships`. Views run
 *   with their owner's rights (the migrating user), so the reader needs SELECT on the views only,
 *   never on the tables behind them.
 * - `pg_catalog.set_config` is no longer executable by PUBLIC (granted back to the migrating user):
 *   `SELECT set_config('role', 'postgres', true)` inside a query would otherwise undo SET ROLE,
 *   because Postgres checks SET ROLE against the session user, who is the app.
 * - Tables `sql_traits` (the definition card: key, name, description, owner, cadence, current
 *   version, last run) and `sql_trait_versions` (the SELECT, its key column kind and value columns;
 *   immutable, a trigger refuses UPDATE like segment versions).
 */
export class SqlTraits1796700200000 implements MigrationInterface {
  name = 'SqlTraits1796700200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "sql_traits" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "key" text NOT NULL, "name" text NOT NULL DEFAULT '', "description" text NOT NULL DEFAULT '', "owner" text NOT NULL, "cadence" text NOT NULL DEFAULT 'manual', "current_version" integer NOT NULL DEFAULT 1, "last_scheduled_for" TIMESTAMP WITH TIME ZONE, "last_run_at" TIMESTAMP WITH TIME ZONE, "last_run" jsonb, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "deleted_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_sql_traits" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_sql_traits_live_key" ON "sql_traits" ("key") WHERE deleted_at IS NULL`);
    await queryRunner.query(
      `CREATE TABLE "sql_trait_versions" ("trait_id" uuid NOT NULL, "version" integer NOT NULL, "sql" text NOT NULL, "key_kind" text NOT NULL, "value_columns" text[] NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "created_by" text, CONSTRAINT "chk_sql_trait_versions_key_kind" CHECK (key_kind IN ('profile_id', 'user_id', 'email')), CONSTRAINT "PK_sql_trait_versions" PRIMARY KEY ("trait_id", "version"), CONSTRAINT "fk_sql_trait_versions_trait" FOREIGN KEY ("trait_id") REFERENCES "sql_traits"("id") ON DELETE CASCADE ON UPDATE NO ACTION)`,
    );
    await queryRunner.query(`
      CREATE FUNCTION refuse_sql_trait_version_update() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'SQL trait versions are immutable: create a new version instead'
          USING ERRCODE = 'integrity_constraint_violation';
      END $$`);
    await queryRunner.query(`
      CREATE TRIGGER sql_trait_versions_immutable BEFORE UPDATE ON sql_trait_versions
      FOR EACH ROW EXECUTE FUNCTION refuse_sql_trait_version_update()`);

    // The documented views. Merged and deleted profiles are left out; identities and events of a
    // merged profile have moved to its winner (libs/ingestion), so they are never left out.
    await queryRunner.query(`CREATE SCHEMA "sql_traits"`);
    await queryRunner.query(
      `CREATE VIEW "sql_traits"."profiles" AS SELECT p.id, p.traits, p.first_seen_at, p.last_seen_at, p.created_at FROM public.profiles p WHERE p.merged_into IS NULL AND p.deleted_at IS NULL`,
    );
    await queryRunner.query(
      `CREATE VIEW "sql_traits"."identities" AS SELECT i.profile_id, i.type AS kind, i.value FROM public.identities i JOIN public.profiles p ON p.id = i.profile_id WHERE p.merged_into IS NULL AND p.deleted_at IS NULL`,
    );
    await queryRunner.query(
      `CREATE VIEW "sql_traits"."events" AS SELECT e.id, e.profile_id, e.type, e.name, e.timestamp, e.properties, e.context FROM public.events e`,
    );
    await queryRunner.query(
      `CREATE VIEW "sql_traits"."memberships" AS SELECT s.key AS segment_key, m.profile_id, m.entered_at AS since FROM public.segment_memberships m JOIN public.segments s ON s.id = m.segment_id WHERE s.deleted_at IS NULL`,
    );
    await queryRunner.query(`COMMENT ON SCHEMA "sql_traits" IS 'What SQL traits may read (libs/sql-traits README)'`);
    await queryRunner.query(
      `COMMENT ON VIEW "sql_traits"."profiles" IS 'Live profiles (not merged, not deleted): id, traits, first_seen_at, last_seen_at, created_at'`,
    );
    await queryRunner.query(
      `COMMENT ON VIEW "sql_traits"."identities" IS 'Identifiers of live profiles: profile_id, kind (user_id, anonymous_id, email, phone), value (normalised)'`,
    );
    await queryRunner.query(
      `COMMENT ON VIEW "sql_traits"."events" IS 'Tracked events: id, profile_id, type, name, timestamp, properties, context'`,
    );
    await queryRunner.query(`COMMENT ON VIEW "sql_traits"."memberships" IS 'Current segment members: segment_key, profile_id, since'`);

    // The role and its grants; a notice instead of a failure when the app's user may not create
    // roles (and no operator did).
    await queryRunner.query(`
      DO $$
      BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${SQL_TRAITS_READER_ROLE}') THEN
          BEGIN
            CREATE ROLE ${SQL_TRAITS_READER_ROLE} NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS;
          EXCEPTION
            WHEN duplicate_object OR unique_violation THEN NULL; -- another database's migration made it meanwhile
            WHEN insufficient_privilege THEN
              RAISE NOTICE 'SQL traits are unavailable: % cannot create the role ${SQL_TRAITS_READER_ROLE} (needs CREATEROLE, or an operator creates it)', current_user;
              RETURN;
          END;
        END IF;
        IF NOT EXISTS (SELECT 1 FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid JOIN pg_roles u ON u.oid = m.member
                        WHERE r.rolname = '${SQL_TRAITS_READER_ROLE}' AND u.rolname = current_user) THEN
          BEGIN
            EXECUTE format('GRANT ${SQL_TRAITS_READER_ROLE} TO %I', current_user);
          EXCEPTION
            WHEN unique_violation OR internal_error THEN NULL; -- granted concurrently by another database's migration
            WHEN insufficient_privilege OR invalid_grant_operation THEN
              RAISE NOTICE 'SQL traits are unavailable: % cannot be granted ${SQL_TRAITS_READER_ROLE}', current_user;
          END;
        END IF;
        REVOKE ALL ON SCHEMA sql_traits FROM PUBLIC;
        GRANT USAGE ON SCHEMA sql_traits TO ${SQL_TRAITS_READER_ROLE};
        GRANT SELECT ON sql_traits.profiles, sql_traits.identities, sql_traits.events, sql_traits.memberships TO ${SQL_TRAITS_READER_ROLE};
      END $$`);
    await queryRunner.query(`
      DO $$
      BEGIN
        EXECUTE format('GRANT EXECUTE ON FUNCTION pg_catalog.set_config(text, text, boolean) TO %I', current_user);
        REVOKE EXECUTE ON FUNCTION pg_catalog.set_config(text, text, boolean) FROM PUBLIC;
      EXCEPTION WHEN insufficient_privilege THEN
        RAISE NOTICE 'SQL traits are unavailable: % cannot revoke set_config from PUBLIC', current_user;
      END $$`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      DO $$
      BEGIN
        GRANT EXECUTE ON FUNCTION pg_catalog.set_config(text, text, boolean) TO PUBLIC;
      EXCEPTION WHEN insufficient_privilege THEN NULL;
      END $$`);
    // The role stays: it belongs to the server, other databases on it may be using it right now,
    // and without the views it can read nothing here.
    await queryRunner.query(`DROP SCHEMA "sql_traits" CASCADE`);
    await queryRunner.query(`DROP TRIGGER sql_trait_versions_immutable ON sql_trait_versions`);
    await queryRunner.query(`DROP FUNCTION refuse_sql_trait_version_update()`);
    await queryRunner.query(`DROP TABLE "sql_trait_versions"`);
    await queryRunner.query(`DROP TABLE "sql_traits"`);
  }
}
