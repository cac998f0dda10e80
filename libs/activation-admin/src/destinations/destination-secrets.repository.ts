import { EntityManager } from 'typeorm';

/** A destination's sealed secrets as stored: the ciphertext and the id of the key that sealed it. */
export interface SealedDestinationSecrets {
  id: string;
  name: string;
  ciphertext: string;
  keyId: string;
}

/** Every destination with secrets, locked for update (a key-ring rotation re-seals them in one transaction). */
export async function lockSealedSecrets(manager: EntityManager): Promise<SealedDestinationSecrets[]> {
  const rows: { id: string; name: string; secrets_ciphertext: string; secrets_key_id: string }[] = await manager.query(
    `SELECT id, name, secrets_ciphertext, secrets_key_id FROM destinations WHERE secrets_ciphertext IS NOT NULL ORDER BY id FOR UPDATE`,
  );
  return rows.map((row) => ({ id: row.id, name: row.name, ciphertext: row.secrets_ciphertext, keyId: row.secrets_key_id }));
}

/** Stores a destination's secrets sealed anew. */
export async function saveSealedSecrets(manager: EntityManager, id: string, sealed: { ciphertext: string; keyId: string }): Promise<void> {
  await manager.query(`UPDATE destinations SET secrets_ciphertext = $2, secrets_key_id = $3 WHERE id = $1`, [
    id,
    sealed.ciphertext,
    sealed.keyId,
  ]);
}
