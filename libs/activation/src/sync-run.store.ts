import type { EntityManager } from 'typeorm';

export type Counts = Record<string, number>;

/** Most error entries kept on a run; later ones are counted in `errorsDropped`. */
const MAX_ERRORS = 50;

/**
 * Longest vendor text stored (run errors, batch errors, rejection reasons). Vendors answer with
 * whole HTML pages or echo the request; every reader of a run masks PII in what it reads, so what
 * is stored bounds what each read costs.
 */
export const VENDOR_TEXT_MAX_CHARS = 2048;

/** The first 2 KB of a vendor text (never splitting a surrogate pair). */
export function truncateVendorText(text: string): string {
  if (text.length <= VENDOR_TEXT_MAX_CHARS) return text;
  const cut = text.slice(0, VENDOR_TEXT_MAX_CHARS);
  return /[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut;
}

/** An error entry with its `message` / `reason` cut to 2 KB and, when cut, `messageLength` / `reasonLength` (the original length). */
export function boundErrorEntry(entry: Record<string, unknown>): Record<string, unknown> {
  const bounded = { ...entry };
  for (const field of ['message', 'reason']) {
    const text = entry[field];
    if (typeof text !== 'string' || text.length <= VENDOR_TEXT_MAX_CHARS) continue;
    bounded[field] = truncateVendorText(text);
    bounded[`${field}Length`] = text.length;
  }
  return bounded;
}

/** Adds `delta` to the run's counts in place (concurrent batches each add their own). */
export async function addCounts(manager: EntityManager, runId: string, delta: Counts): Promise<void> {
  const nonZero = Object.fromEntries(Object.entries(delta).filter(([, value]) => value !== 0));
  if (Object.keys(nonZero).length === 0) return;
  await manager.query(
    `UPDATE sync_runs SET counts = (
       SELECT coalesce(jsonb_object_agg(key, coalesce((counts ->> key)::bigint, 0) + coalesce(($2::jsonb ->> key)::bigint, 0)), '{}'::jsonb)
       FROM jsonb_object_keys(counts || $2::jsonb) AS key)
     WHERE id = $1`,
    [runId, JSON.stringify(nonZero)],
  );
}

export async function appendErrors(manager: EntityManager, runId: string, entries: Record<string, unknown>[]): Promise<void> {
  if (entries.length === 0) return;
  await manager.query(
    `UPDATE sync_runs SET
       errors = CASE WHEN jsonb_array_length(coalesce(errors, '[]'::jsonb)) < $3 THEN coalesce(errors, '[]'::jsonb) || $2::jsonb ELSE errors END,
       counts = CASE WHEN jsonb_array_length(coalesce(errors, '[]'::jsonb)) < $3 THEN counts
                ELSE counts || jsonb_build_object('errorsDropped', coalesce((counts ->> 'errorsDropped')::bigint, 0) + jsonb_array_length($2::jsonb)) END
     WHERE id = $1`,
    [runId, JSON.stringify(entries.map(boundErrorEntry)), MAX_ERRORS],
  );
}

export async function countsOf(manager: EntityManager, runId: string): Promise<Counts> {
  const [row] = await manager.query(`SELECT counts FROM sync_runs WHERE id = $1`, [runId]);
  return Object.fromEntries(Object.entries((row?.counts ?? {}) as Record<string, unknown>).map(([key, value]) => [key, Number(value)]));
}
