import type { EntityManager } from 'typeorm';

/** SQL of the activations service (its reads and writes of rows go through TypeORM's repository). Goldens: `src/__tests__/__golden__/admin.repositories.sql`. */

/** Whether any member of the activation was ever exposed (then its holdout share may only grow). */
export async function hasExposures(db: EntityManager, activationId: string): Promise<boolean> {
  const [row] = await db.query(`SELECT EXISTS (SELECT 1 FROM activation_exposures WHERE activation_id = $1) AS found`, [activationId]);
  return row.found === true;
}
