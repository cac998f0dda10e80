import { EntityManager } from 'typeorm';

/**
 * Every SQL statement of libs/vendor-events (golden file: `__golden__/vendor-events.repository.sql`).
 * Plain functions over the caller's EntityManager.
 */

export interface DestinationRow {
  id: string;
  connector: string;
  settings: Record<string, unknown>;
  secretsCiphertext: string | null;
  secretsKeyId: string | null;
}

/** A live (not deleted) destination, or null. */
export async function findDestination(manager: EntityManager, id: string): Promise<DestinationRow | null> {
  const rows: DestinationRow[] = await manager.query(
    `SELECT id, connector, settings, secrets_ciphertext AS "secretsCiphertext", secrets_key_id AS "secretsKeyId"
       FROM destinations WHERE id = $1 AND deleted_at IS NULL`,
    [id],
  );
  return rows[0] ?? null;
}

/** Whether the activation sends to this destination (a delivery key naming another one is not ours). */
export async function activationUsesDestination(manager: EntityManager, activationId: string, destinationId: string): Promise<boolean> {
  const rows: unknown[] = await manager.query(`SELECT 1 FROM activations WHERE id = $1 AND destination_id = $2`, [
    activationId,
    destinationId,
  ]);
  return rows.length > 0;
}

/**
 * When the activation first treated the profile (its first treatment exposure: the vendor's ack of
 * the send was recorded), or null when it has not (yet). Rounded up to the millisecond: Postgres
 * keeps microseconds, a JavaScript Date does not, and an event at the truncated instant would read
 * as before the exposure.
 */
export async function firstTreatedAt(manager: EntityManager, activationId: string, profileId: string): Promise<Date | null> {
  const rows: { treatedAt: Date | null }[] = await manager.query(
    `SELECT date_trunc('milliseconds', min(exposed_at) + interval '999 microseconds') AS "treatedAt" FROM activation_exposures
      WHERE activation_id = $1 AND profile_id = $2 AND arm = 'treatment'`,
    [activationId, profileId],
  );
  return rows[0]?.treatedAt ?? null;
}

/** The profile (merge winner) that owns an identifier now, or null. */
export async function ownerOf(manager: EntityManager, type: string, value: string): Promise<string | null> {
  const rows: { profileId: string }[] = await manager.query(
    `SELECT i.profile_id AS "profileId" FROM identities i
       JOIN profiles p ON p.id = i.profile_id AND p.deleted_at IS NULL
      WHERE i.type = $1 AND i.value = $2`,
    [type, value],
  );
  return rows[0]?.profileId ?? null;
}

/**
 * One identifier the profile (or the profile it was merged into) holds now, through which an event
 * stitches to it: the preferred one (`type`, `value`) when it holds it, else a user id, an anonymous
 * id, an e-mail, a phone, oldest first. Null for an unknown or erased profile, or one with none.
 */
export async function identifierOfProfile(
  manager: EntityManager,
  profileId: string,
  preferred: { type: string; value: string },
): Promise<{ profileId: string; type: string; value: string } | null> {
  const rows: { profileId: string; type: string; value: string }[] = await manager.query(
    `SELECT i.profile_id AS "profileId", i.type, i.value
       FROM profiles p
       JOIN identities i ON i.profile_id = COALESCE(p.merged_into, p.id)
       JOIN profiles w ON w.id = i.profile_id AND w.deleted_at IS NULL
      WHERE p.id = $1
      ORDER BY (i.type = $2 AND i.value = $3) DESC,
               CASE i.type WHEN 'user_id' THEN 0 WHEN 'anonymous_id' THEN 1 WHEN 'email' THEN 2 ELSE 3 END,
               i.id
      LIMIT 1`,
    [profileId, preferred.type, preferred.value],
  );
  return rows[0] ?? null;
}

/**
 * Lifts a suppression only when an inbound opt-out made it (its reason starts with `reasonPrefix`):
 * an admin's suppression of the same number stays. Returns the reason of the lifted row, or null.
 */
export async function deleteOptOutSuppression(
  manager: EntityManager,
  key: { identifierType: string; value: string; channel: string },
  reasonPrefix: string,
): Promise<{ id: string; reason: string } | null> {
  const [rows]: [{ id: string; reason: string }[], number] = await manager.query(
    `DELETE FROM suppressions
      WHERE identifier_type = $1 AND identifier_value = $2 AND channel = $3 AND starts_with(reason, $4)
      RETURNING id, reason`,
    [key.identifierType, key.value, key.channel, reasonPrefix],
  );
  return rows[0] ?? null;
}

/** The audit row of a suppression lifted by an inbound opt-in (same shape as libs/privacy's rows). */
export async function insertOptInAudit(manager: EntityManager, suppressionId: string, details: Record<string, unknown>): Promise<void> {
  await manager.query(
    `INSERT INTO audit_log (actor_key_id, action, object_type, object_id, details) VALUES (NULL, 'suppression.removed', 'suppression', $1, $2)`,
    [suppressionId, JSON.stringify({ ...details, via: 'vendor-events' })],
  );
}
