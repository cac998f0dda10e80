import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue #18, real-time audiences.
 * - `realtime_touches`: the durable hand-off from ingestion to the real-time evaluator. Ingestion
 *   appends one row per touched profile in the transaction that stores the events, so an accepted
 *   event can never miss its evaluation (kill -9 between the two is impossible: they commit
 *   together). Append-only (no upsert), so ingestion never waits on a row the evaluator holds; the
 *   evaluator deletes the rows it claimed (SKIP LOCKED) in the transaction that applies their changes.
 * - `realtime_due`: per (real-time segment, profile) the next instant its verdict can change with no
 *   new event (a window sliding past an event, a recency threshold). Indexed by time, so the worker
 *   finds what is due without scanning profiles.
 * - `realtime_segments`: which version of each real-time segment the evaluator has started (its
 *   initial membership and due times computed), so a new version is started once, by one worker.
 * - Membership changes record their cause: `refresh` (a run) or `realtime` (no run: `run_id` NULL).
 * - `segment_runs.corrections`: for a real-time segment, the memberships its refresh (the
 *   reconciliation) had to correct, on profiles real time had settled. Expected 0.
 */
export class RealtimeAudiences1796400000000 implements MigrationInterface {
  name = 'RealtimeAudiences1796400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "realtime_touches" ("id" bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "profile_id" uuid NOT NULL, "touched_at" timestamptz NOT NULL DEFAULT clock_timestamp())`,
    );
    // The evaluator takes every hand-off of a profile at once (a burst is evaluated once).
    await queryRunner.query(`CREATE INDEX "idx_realtime_touches_profile" ON "realtime_touches" ("profile_id")`);
    await queryRunner.query(
      `CREATE TABLE "realtime_due" ("segment_id" uuid NOT NULL REFERENCES "segments" ("id") ON DELETE CASCADE, "profile_id" uuid NOT NULL, "due_at" timestamptz NOT NULL, PRIMARY KEY ("segment_id", "profile_id"))`,
    );
    await queryRunner.query(`CREATE INDEX "idx_realtime_due_due_at" ON "realtime_due" ("due_at")`);
    await queryRunner.query(`CREATE INDEX "idx_realtime_due_profile" ON "realtime_due" ("profile_id")`);
    await queryRunner.query(
      `CREATE TABLE "realtime_segments" ("segment_id" uuid PRIMARY KEY REFERENCES "segments" ("id") ON DELETE CASCADE, "version" integer NOT NULL, "started_at" timestamptz NOT NULL DEFAULT now())`,
    );
    await queryRunner.query(`ALTER TABLE "segment_membership_changes" ALTER COLUMN "run_id" DROP NOT NULL`);
    await queryRunner.query(`ALTER TABLE "segment_membership_changes" ADD "cause" text NOT NULL DEFAULT 'refresh'`);
    await queryRunner.query(
      `ALTER TABLE "segment_membership_changes" ADD CONSTRAINT "chk_membership_changes_cause" CHECK ((cause = 'refresh' AND run_id IS NOT NULL) OR (cause = 'realtime' AND run_id IS NULL))`,
    );
    // The live feed and on-change activations read a segment's latest changes in id order.
    await queryRunner.query(`CREATE INDEX "idx_membership_changes_segment_id" ON "segment_membership_changes" ("segment_id", "id")`);
    await queryRunner.query(`ALTER TABLE "segment_memberships" ALTER COLUMN "run_id" DROP NOT NULL`);
    await queryRunner.query(`ALTER TABLE "segment_runs" ADD "corrections" integer`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "segment_runs" DROP COLUMN "corrections"`);
    await queryRunner.query(`DELETE FROM "segment_memberships" WHERE "run_id" IS NULL`);
    await queryRunner.query(`ALTER TABLE "segment_memberships" ALTER COLUMN "run_id" SET NOT NULL`);
    await queryRunner.query(`DROP INDEX "idx_membership_changes_segment_id"`);
    await queryRunner.query(`DELETE FROM "segment_membership_changes" WHERE "run_id" IS NULL`);
    await queryRunner.query(`ALTER TABLE "segment_membership_changes" DROP CONSTRAINT "chk_membership_changes_cause"`);
    await queryRunner.query(`ALTER TABLE "segment_membership_changes" DROP COLUMN "cause"`);
    await queryRunner.query(`ALTER TABLE "segment_membership_changes" ALTER COLUMN "run_id" SET NOT NULL`);
    await queryRunner.query(`DROP TABLE "realtime_segments"`);
    await queryRunner.query(`DROP TABLE "realtime_due"`);
    await queryRunner.query(`DROP TABLE "realtime_touches"`);
  }
}
