import { DataSource } from 'typeorm';
import { SecretBox } from '@audiencekit/server-core';

export interface RotationSummary {
  /** Destinations holding sealed secrets (deleted ones included: their rows still hold ciphertext). */
  checked: number;
  /** Re-sealed with the first key of the ring. */
  resealed: number;
  keyId: string;
}

/**
 * Re-seals every destination's secrets with the first key of AK_SECRETS_KEYS (step 2 of a key
 * rotation: put the new key first, keep the old one listed, run this, then drop the old key).
 * One transaction with the rows locked: either every destination moves to the new key or none
 * does (an unknown key id or a tampered ciphertext aborts it, naming the destination).
 */
export async function rotateSecrets(dataSource: DataSource, keyRing: string): Promise<RotationSummary> {
  const box = new SecretBox(keyRing);
  const keyId = box.seal('').keyId;
  return dataSource.transaction(async (manager) => {
    const rows: { id: string; name: string; secrets_ciphertext: string; secrets_key_id: string }[] = await manager.query(
      `SELECT id, name, secrets_ciphertext, secrets_key_id FROM destinations WHERE secrets_ciphertext IS NOT NULL ORDER BY id FOR UPDATE`,
    );
    let resealed = 0;
    for (const row of rows) {
      const sealed = { keyId: row.secrets_key_id, ciphertext: row.secrets_ciphertext };
      if (!box.needsRotation(sealed)) continue;
      let plaintext: string;
      try {
        plaintext = box.open(sealed);
      } catch (error) {
        throw new Error(
          `destination ${row.id} ("${row.name}"): ${error instanceof Error ? error.message : String(error)}; nothing was re-sealed`,
        );
      }
      const next = box.seal(plaintext);
      await manager.query(`UPDATE destinations SET secrets_ciphertext = $2, secrets_key_id = $3 WHERE id = $1`, [
        row.id,
        next.ciphertext,
        next.keyId,
      ]);
      resealed += 1;
    }
    return { checked: rows.length, resealed, keyId };
  });
}
