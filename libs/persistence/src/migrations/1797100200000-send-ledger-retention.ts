import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue #23 follow-up, the send ledger's retention: the worker deletes `send_ledger` rows older than
 * the retention horizon (max of the longest cap window and `AK_SEND_LEDGER_RETENTION_DAYS`) in small
 * batches, oldest first; `idx_send_ledger_sent` finds them without a scan of the ledger.
 */
export class SendLedgerRetention1797100200000 implements MigrationInterface {
  name = 'SendLedgerRetention1797100200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX "idx_send_ledger_sent" ON "send_ledger" ("sent_at") `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."idx_send_ledger_sent"`);
  }
}
