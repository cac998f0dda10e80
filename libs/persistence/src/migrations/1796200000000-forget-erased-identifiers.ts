import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue #16, erasure: data only, no schema change.
 * - `activation_members.identifiers` of `removed` rows: a delivered remove used to keep the
 *   identifiers it had sent (a coalesce in the member-state upsert), so an erased person's email,
 *   phone and user id outlived the removal. The vendor no longer holds them: cleared.
 * - privacy audit records (`audit_log`, action `privacy.deletion`) held an unsalted sha256 of the
 *   erased identifier, which hashing a guessed address re-identifies. The keyed hash that replaces
 *   it needs the server's key ring, which a migration does not have: the old digest is dropped and
 *   `valueHmac` is null for those records.
 * Not reversible (the down migration restores nothing).
 */
export class ForgetErasedIdentifiers1796200000000 implements MigrationInterface {
  name = 'ForgetErasedIdentifiers1796200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`UPDATE "activation_members" SET "identifiers" = NULL WHERE "state" = 'removed' AND "identifiers" IS NOT NULL`);
    await queryRunner.query(
      `UPDATE "audit_log" SET "details" = ("details" - 'valueSha256') || '{"valueHmac": null}'::jsonb
        WHERE "action" = 'privacy.deletion' AND "details" ? 'valueSha256'`,
    );
  }

  async down(): Promise<void> {
    // Erased data is not brought back.
  }
}
