import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue #22, "Poll the request status so members Google drops later are recorded as rejections":
 * `vendor_pending_requests` keeps each request a vendor accepted but had not processed when the
 * sync call answered (run, destination, request id, the members it carried), when to check it next
 * and how often it was checked. The worker's pass reads due rows by `idx_vendor_pending_requests_due`
 * (state, next_check_at); the run view counts a run's pending ones by `idx_vendor_pending_requests_run`.
 */
export class VendorPendingRequests1797300000000 implements MigrationInterface {
  name = 'VendorPendingRequests1797300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "vendor_pending_requests" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "sync_run_id" uuid NOT NULL, "destination_id" uuid NOT NULL, "request_id" text NOT NULL, "profile_ids" uuid array NOT NULL, "state" text NOT NULL DEFAULT 'pending', "attempts" integer NOT NULL DEFAULT '0', "next_check_at" TIMESTAMP WITH TIME ZONE NOT NULL, "last_error" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "uq_vendor_pending_requests_request" UNIQUE ("destination_id", "request_id"), CONSTRAINT "pk_vendor_pending_requests" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "idx_vendor_pending_requests_due" ON "vendor_pending_requests" ("state", "next_check_at")`);
    await queryRunner.query(`CREATE INDEX "idx_vendor_pending_requests_run" ON "vendor_pending_requests" ("sync_run_id")`);
    await queryRunner.query(
      `ALTER TABLE "vendor_pending_requests" ADD CONSTRAINT "fk_vendor_pending_requests_sync_run" FOREIGN KEY ("sync_run_id") REFERENCES "sync_runs"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "vendor_pending_requests"`);
  }
}
