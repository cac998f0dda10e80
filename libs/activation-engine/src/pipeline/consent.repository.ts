import type { EntityManager } from 'typeorm';

/** Consent categories a destination requires (libs/privacy manages them), sorted by key. */
export async function requiredConsentCategories(manager: EntityManager, destinationId: string): Promise<string[]> {
  const rows: { category_key: string }[] = await manager.query(
    `SELECT category_key FROM destination_consent_categories WHERE destination_id = $1 ORDER BY category_key`,
    [destinationId],
  );
  return rows.map((row) => row.category_key);
}
