import { DataSource } from 'typeorm';
import { lockSealedSecrets, saveSealedSecrets } from '@audiencekit/activation-admin';
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
    const rows = await lockSealedSecrets(manager);
    let resealed = 0;
    for (const row of rows) {
      const sealed = { keyId: row.keyId, ciphertext: row.ciphertext };
      if (!box.needsRotation(sealed)) continue;
      let plaintext: string;
      try {
        plaintext = box.open(sealed);
      } catch (error) {
        throw new Error(
          `destination ${row.id} ("${row.name}"): ${error instanceof Error ? error.message : String(error)}; nothing was re-sealed`,
        );
      }
      await saveSealedSecrets(manager, row.id, box.seal(plaintext));
      resealed += 1;
    }
    return { checked: rows.length, resealed, keyId };
  });
}
