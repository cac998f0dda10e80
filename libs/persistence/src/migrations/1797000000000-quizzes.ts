import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue #24, surveys and quizzes (libs/segments-domain `src/quizzes` for the definition,
 * libs/segments-service `src/quizzes` for the service):
 * - `quizzes`: the card (key, title, owner, current version); soft-deleted like computed traits, a
 *   key unique among live quizzes;
 * - `quiz_versions`: one definition per version (questions, options, the traits they set),
 *   immutable: a trigger refuses UPDATE like segment and computed-trait versions. Answers name the
 *   version they answer; only the current one is accepted (an older one has expired).
 * Answers themselves are not stored here: they become identify calls through ingestion (events and
 * profile traits), tagged with `context.quiz` = { key, version, answers } (the checked answers,
 * which `GET /quizzes/:key/stats` counts from the events).
 */
export class Quizzes1797000000000 implements MigrationInterface {
  name = 'Quizzes1797000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "quizzes" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "key" text NOT NULL, "title" text NOT NULL, "owner" text NOT NULL, "current_version" integer NOT NULL DEFAULT 1, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "deleted_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_quizzes" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_quizzes_live_key" ON "quizzes" ("key") WHERE deleted_at IS NULL`);
    await queryRunner.query(
      `CREATE TABLE "quiz_versions" ("quiz_id" uuid NOT NULL, "version" integer NOT NULL, "definition" jsonb NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "created_by" text, CONSTRAINT "PK_quiz_versions" PRIMARY KEY ("quiz_id", "version"), CONSTRAINT "fk_quiz_versions_quiz" FOREIGN KEY ("quiz_id") REFERENCES "quizzes"("id") ON DELETE CASCADE ON UPDATE NO ACTION)`,
    );
    await queryRunner.query(`
      CREATE FUNCTION refuse_quiz_version_update() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'quiz versions are immutable: create a new version instead'
          USING ERRCODE = 'integrity_constraint_violation';
      END $$`);
    await queryRunner.query(`
      CREATE TRIGGER quiz_versions_immutable BEFORE UPDATE ON quiz_versions
      FOR EACH ROW EXECUTE FUNCTION refuse_quiz_version_update()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "quiz_versions"`);
    await queryRunner.query(`DROP FUNCTION refuse_quiz_version_update()`);
    await queryRunner.query(`DROP TABLE "quizzes"`);
  }
}
