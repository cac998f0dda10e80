import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue #18 point 5, activation on change (schedule `on_change`).
 * - `activation_pending_changes`: the outbox. A statement-level AFTER INSERT trigger on
 *   `segment_membership_changes` writes one row per (on_change activation of the segment, change)
 *   in the transaction that writes the change, so a committed change can never miss its delivery
 *   and an uncommitted one is never seen. (A cursor over the changes' identity `id` would skip rows:
 *   ids are drawn at insert, transactions commit out of id order.) The trigger finds the segment's
 *   activations by `idx_activations_segment`. Real-time and refresh
 *   (reconciliation) changes alike. The worker's flusher claims rows with SKIP LOCKED and deletes
 *   them in the transaction that records the sync run carrying them.
 * - `sync_run_profiles`: the profiles a scoped (on-change) run may touch; the run's diff is the
 *   ordinary one, restricted to them.
 */
export class RealtimeActivationOutbox1796400100000 implements MigrationInterface {
  name = 'RealtimeActivationOutbox1796400100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "activation_pending_changes" ("id" bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "activation_id" uuid NOT NULL REFERENCES "activations" ("id") ON DELETE CASCADE, "profile_id" uuid NOT NULL, "change" text NOT NULL, "change_id" bigint NOT NULL, "enqueued_at" timestamptz NOT NULL DEFAULT clock_timestamp())`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_activation_pending_changes_activation" ON "activation_pending_changes" ("activation_id", "id")`,
    );
    await queryRunner.query(
      `CREATE TABLE "sync_run_profiles" ("run_id" uuid NOT NULL REFERENCES "sync_runs" ("id") ON DELETE CASCADE, "profile_id" uuid NOT NULL, PRIMARY KEY ("run_id", "profile_id"))`,
    );
    // Paused activations keep collecting (delivered when resumed); deleted ones do not.
    await queryRunner.query(
      `CREATE FUNCTION "enqueue_on_change_activations"() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         INSERT INTO activation_pending_changes (activation_id, profile_id, change, change_id)
         SELECT a.id, n.profile_id, n.change, n.id
         FROM new_changes n JOIN activations a ON a.segment_id = n.segment_id
         WHERE a.schedule = 'on_change' AND a.status IN ('active', 'paused')
         ORDER BY n.id;
         RETURN NULL;
       END $$`,
    );
    await queryRunner.query(
      `CREATE TRIGGER "trg_membership_changes_on_change_activations" AFTER INSERT ON "segment_membership_changes" REFERENCING NEW TABLE AS new_changes FOR EACH STATEMENT EXECUTE FUNCTION "enqueue_on_change_activations"()`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER "trg_membership_changes_on_change_activations" ON "segment_membership_changes"`);
    await queryRunner.query(`DROP FUNCTION "enqueue_on_change_activations"()`);
    await queryRunner.query(`DROP TABLE "sync_run_profiles"`);
    await queryRunner.query(`DROP TABLE "activation_pending_changes"`);
  }
}
