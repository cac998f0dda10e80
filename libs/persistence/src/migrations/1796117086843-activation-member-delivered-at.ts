import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `activation_members.delivered_at`: when the destination last accepted this member (add, re-add
 * or send). Vendors that expire memberships (Google Customer Match: 540 days after the last upload)
 * get members re-uploaded when it is older than the connector's `refreshMembershipAfterDays`.
 * `updated_at` is not that: a failed or rejected attempt touches it without a delivery.
 * Existing delivered rows take their `updated_at`, the best estimate of their last delivery.
 */
export class ActivationMemberDeliveredAt1796117086843 implements MigrationInterface {
  name = 'ActivationMemberDeliveredAt1796117086843';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "activation_members" ADD "delivered_at" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(`UPDATE "activation_members" SET "delivered_at" = "updated_at" WHERE "state" IN ('present', 'sent')`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "activation_members" DROP COLUMN "delivered_at"`);
  }
}
