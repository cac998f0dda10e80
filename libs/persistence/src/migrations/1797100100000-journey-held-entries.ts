import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue #23 follow-up, a paused journey resumed at once: the worker holds a paused journey's due
 * entries (`due_at` pushed a lease ahead, `held_since` = when it first held them). Made live again,
 * those entries must be due on the next pass, not a lease later, and finding them must not scan the
 * journey's entries:
 * - `held_since` on `journey_entries` (NULL unless held) and the partial index
 *   `idx_journey_entries_held` on `journey_id` of held entries;
 * - `release_held_journey_entries`: an AFTER UPDATE OF status trigger on `journeys` (paused → live,
 *   whoever makes the change: the admin API, the CLI, SQL) that sets each held entry due at its
 *   `held_since` (already past for any later pass) and clears the mark. Entries a pass has claimed
 *   at that moment are skipped (SKIP LOCKED): that pass reads the journey's status with FOR SHARE
 *   after this transaction commits, so it sees `live` and advances them itself.
 */
export class JourneyHeldEntries1797100100000 implements MigrationInterface {
  name = 'JourneyHeldEntries1797100100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "journey_entries" ADD "held_since" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(`CREATE INDEX "idx_journey_entries_held" ON "journey_entries" ("journey_id") WHERE "held_since" IS NOT NULL`);
    await queryRunner.query(
      `CREATE FUNCTION "release_held_journey_entries"() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         UPDATE journey_entries e SET due_at = e.held_since, held_since = NULL
         WHERE e.id IN (
           SELECT h.id FROM journey_entries h
           WHERE h.journey_id = NEW.id AND h.held_since IS NOT NULL AND h.state IN ('active', 'waiting')
           FOR UPDATE SKIP LOCKED);
         RETURN NULL;
       END $$`,
    );
    await queryRunner.query(
      `CREATE TRIGGER "trg_journeys_release_held_entries" AFTER UPDATE OF "status" ON "journeys" FOR EACH ROW
       WHEN (OLD.status = 'paused' AND NEW.status = 'live') EXECUTE FUNCTION "release_held_journey_entries"()`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER "trg_journeys_release_held_entries" ON "journeys"`);
    await queryRunner.query(`DROP FUNCTION "release_held_journey_entries"()`);
    await queryRunner.query(`DROP INDEX "public"."idx_journey_entries_held"`);
    await queryRunner.query(`ALTER TABLE "journey_entries" DROP COLUMN "held_since"`);
  }
}
