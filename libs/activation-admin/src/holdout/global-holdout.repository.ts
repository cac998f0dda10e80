import type { EntityManager } from 'typeorm';

/** The `global_holdout` row (id 1). Goldens: `src/__tests__/__golden__/admin.repositories.sql`. */

export async function readGlobalHoldout(db: EntityManager): Promise<{ share: number; updatedAt: Date } | null> {
  const [row] = await db.query(`SELECT share, updated_at FROM global_holdout WHERE id = 1`);
  return row ? { share: Number(row.share), updatedAt: row.updated_at } : null;
}

/** Writes the share; salt and hash version are written with the first row only, never changed after. */
export async function upsertGlobalHoldout(
  db: EntityManager,
  share: number,
  salt: string,
  hashVersion: number,
): Promise<{ share: number; updatedAt: Date }> {
  const [row] = await db.query(
    `INSERT INTO global_holdout (id, share, salt, hash_version, updated_at) VALUES (1, $1, $2, $3, now())
     ON CONFLICT (id) DO UPDATE SET share = EXCLUDED.share, updated_at = now()
     RETURNING share, updated_at`,
    [share, salt, hashVersion],
  );
  return { share: Number(row.share), updatedAt: row.updated_at };
}
