import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue #19, notifications: the outbox of operator notifications (failed refreshes and syncs, runs
 * held for confirmation, refreshes outside the card's thresholds). Row triggers on `sync_runs` and
 * `segment_runs` write a notification in the transaction that changes the run's status, so every
 * path (worker, API, CLI) notifies and a committed failure can never miss its notification; the
 * worker sends the rows (server-core `NotificationSender`) and retries until the receiver answers
 * 2xx or the row expires. The payload is a snapshot taken when the event happened.
 */
export class NotificationsOutbox1796619006548 implements MigrationInterface {
  name = 'NotificationsOutbox1796619006548';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "notifications" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "kind" text NOT NULL, "subject_id" uuid NOT NULL, "payload" jsonb NOT NULL, "status" text NOT NULL DEFAULT 'pending', "attempts" integer NOT NULL DEFAULT 0, "next_attempt_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "last_error" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "sent_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "chk_notifications_status" CHECK (status IN ('pending', 'sent', 'expired')), CONSTRAINT "PK_notifications" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "idx_notifications_due" ON "notifications" ("status", "next_attempt_at") `);
    await queryRunner.query(`CREATE INDEX "idx_notifications_subject" ON "notifications" ("subject_id") `);

    // Sync runs: failed, or held for confirmation (inserted held by the API's door, or parked by the runner).
    await queryRunner.query(
      `CREATE FUNCTION "notify_sync_run"() RETURNS trigger LANGUAGE plpgsql AS $$
       DECLARE
         held boolean := NEW.status = 'awaiting_confirmation';
       BEGIN
         INSERT INTO notifications (kind, subject_id, payload)
         SELECT CASE WHEN held THEN 'sync_run.held' ELSE 'sync_run.failed' END, NEW.id,
                jsonb_build_object(
                  'summary', CASE WHEN held
                    THEN format('Sync of "%s" to activation "%s" is held for confirmation', s.name, a.name)
                    ELSE format('Sync of "%s" to activation "%s" failed', s.name, a.name) END,
                  'segment', jsonb_build_object('id', s.id, 'key', s.key, 'name', s.name),
                  'activation', jsonb_build_object('id', a.id, 'name', a.name, 'mode', a.mode),
                  'syncRun', jsonb_build_object('id', NEW.id, 'status', NEW.status, 'trigger', NEW.trigger,
                                                'queuedAt', NEW.queued_at, 'finishedAt', NEW.finished_at, 'counts', NEW.counts),
                  'reasons', CASE WHEN held THEN coalesce(NEW.plan->'guard'->'reasons', '[]'::jsonb)
                    ELSE coalesce((SELECT jsonb_agg(e->'message') FROM jsonb_array_elements(coalesce(NEW.errors, '[]'::jsonb)) e
                                   WHERE e->>'kind' IS DISTINCT FROM 'note'), '[]'::jsonb) END,
                  'gates', CASE WHEN held THEN coalesce(NEW.plan->'guard'->'gates', '["mass_send"]'::jsonb) END)
         FROM activations a JOIN segments s ON s.id = a.segment_id
         WHERE a.id = NEW.activation_id;
         RETURN NULL;
       END $$`,
    );
    await queryRunner.query(
      `CREATE TRIGGER "trg_sync_runs_notify_insert" AFTER INSERT ON "sync_runs" FOR EACH ROW
       WHEN (NEW.status = 'awaiting_confirmation' AND NOT NEW.dry_run) EXECUTE FUNCTION "notify_sync_run"()`,
    );
    await queryRunner.query(
      `CREATE TRIGGER "trg_sync_runs_notify_update" AFTER UPDATE OF "status" ON "sync_runs" FOR EACH ROW
       WHEN (OLD.status IS DISTINCT FROM NEW.status AND NEW.status IN ('failed', 'awaiting_confirmation') AND NOT NEW.dry_run)
       EXECUTE FUNCTION "notify_sync_run"()`,
    );

    // Segment refreshes: failed, or outside the card's thresholds. Unstable (churn above maxChurn) is
    // a swing by itself; empty and not substantial notify when they newly hold (not at every
    // refresh of a segment that is small by design).
    await queryRunner.query(
      `CREATE FUNCTION "notify_segment_run"() RETURNS trigger LANGUAGE plpgsql AS $$
       DECLARE
         previous jsonb;
         flags jsonb;
       BEGIN
         IF NEW.status = 'failed' THEN
           INSERT INTO notifications (kind, subject_id, payload)
           SELECT 'segment_refresh.failed', NEW.id,
                  jsonb_build_object('summary', format('Refresh of segment "%s" failed', s.name),
                    'segment', jsonb_build_object('id', s.id, 'key', s.key, 'name', s.name),
                    'segmentRun', jsonb_build_object('id', NEW.id, 'status', NEW.status, 'trigger', NEW.trigger, 'version', NEW.version,
                                                     'finishedAt', NEW.finished_at),
                    'reasons', jsonb_build_array(NEW.error))
           FROM segments s WHERE s.id = NEW.segment_id;
           RETURN NULL;
         END IF;
         IF NEW.quality IS NULL THEN RETURN NULL; END IF;
         SELECT r.quality INTO previous FROM segment_runs r
         WHERE r.segment_id = NEW.segment_id AND r.status = 'succeeded' AND r.id <> NEW.id AND r.quality IS NOT NULL
         ORDER BY r.finished_at DESC NULLS LAST LIMIT 1;
         SELECT coalesce(jsonb_agg(f), '[]'::jsonb) INTO flags FROM unnest(ARRAY['empty', 'notSubstantial', 'unstable']) f
         WHERE (NEW.quality->>f)::boolean
           AND (f = 'unstable' OR previous IS NULL OR NOT coalesce((previous->>f)::boolean, false));
         IF jsonb_array_length(flags) = 0 THEN RETURN NULL; END IF;
         INSERT INTO notifications (kind, subject_id, payload)
         SELECT 'segment_refresh.quality', NEW.id,
                jsonb_build_object('summary', format('Segment "%s" has %s members after a refresh (%s)', s.name, NEW.size,
                                              array_to_string(ARRAY(SELECT jsonb_array_elements_text(flags)), ', ')),
                  'segment', jsonb_build_object('id', s.id, 'key', s.key, 'name', s.name),
                  'segmentRun', jsonb_build_object('id', NEW.id, 'status', NEW.status, 'trigger', NEW.trigger, 'version', NEW.version,
                                                   'size', NEW.size, 'adds', NEW.adds, 'removes', NEW.removes, 'finishedAt', NEW.finished_at),
                  'flags', flags,
                  'quality', NEW.quality,
                  'previousQuality', previous)
         FROM segments s WHERE s.id = NEW.segment_id;
         RETURN NULL;
       END $$`,
    );
    await queryRunner.query(
      `CREATE TRIGGER "trg_segment_runs_notify" AFTER UPDATE OF "status" ON "segment_runs" FOR EACH ROW
       WHEN (OLD.status IS DISTINCT FROM NEW.status AND NEW.status IN ('failed', 'succeeded'))
       EXECUTE FUNCTION "notify_segment_run"()`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER "trg_segment_runs_notify" ON "segment_runs"`);
    await queryRunner.query(`DROP FUNCTION "notify_segment_run"()`);
    await queryRunner.query(`DROP TRIGGER "trg_sync_runs_notify_update" ON "sync_runs"`);
    await queryRunner.query(`DROP TRIGGER "trg_sync_runs_notify_insert" ON "sync_runs"`);
    await queryRunner.query(`DROP FUNCTION "notify_sync_run"()`);
    await queryRunner.query(`DROP TABLE "notifications"`);
  }
}
