import type { EntityManager } from 'typeorm';

/** A page of the diff: profile ids in (`from`, `to`], `from` null for the first page. */
export interface PageRange {
  from: string | null;
  to: string;
}

export interface HeldOutMember {
  profileId: string;
  arm: 'control' | 'global_holdout';
}

/**
 * Treatment exposures of the members whose delivery the vendor acknowledged (first exposure wins:
 * arms are sticky, so a member re-sent later keeps the date they were first treated).
 */
export async function recordTreatmentExposures(tx: EntityManager, activationId: string, runId: string, profileIds: string[]): Promise<void> {
  if (profileIds.length === 0) return;
  await tx.query(
    `INSERT INTO activation_exposures (activation_id, profile_id, arm, exposed_at, sync_run_id)
     SELECT $1, unnest($2::uuid[]), 'treatment', now(), $3 ON CONFLICT DO NOTHING`,
    [activationId, profileIds, runId],
  );
}

/**
 * Exposures of a page's held-out members, written when every batch of the page has been answered
 * (in the transaction that moves the cursor past it), so both arms of a page are recorded
 * together and only for a delivery that happened. A page that had members to deliver and
 * delivered none of them (every batch failed) exposes nobody; the held-out members are read again
 * by the next run and exposed then. "Had members to deliver / delivered" is read from the members
 * this run handled in the page's range, so a page resumed after a crash counts what was delivered
 * before the crash too. A run stopped by an error (bad credentials, …) never reaches this.
 */
export async function recordHeldOutExposures(
  tx: EntityManager,
  activationId: string,
  runId: string,
  page: PageRange,
  heldOut: HeldOutMember[],
  eligibleRead: number,
): Promise<void> {
  if (heldOut.length === 0) return;
  await tx.query(
    `WITH handled AS (
       SELECT state FROM activation_members
       WHERE activation_id = $1 AND last_sync_run_id = $4
         AND ($5::uuid IS NULL OR profile_id > $5::uuid) AND profile_id <= $6::uuid)
     INSERT INTO activation_exposures (activation_id, profile_id, arm, exposed_at, sync_run_id)
     SELECT $1, t.profile_id, t.arm, now(), $4 FROM unnest($2::uuid[], $3::text[]) AS t(profile_id, arm)
     WHERE EXISTS (SELECT 1 FROM handled WHERE state IN ('present', 'sent'))
        OR ($7::int = 0 AND NOT EXISTS (SELECT 1 FROM handled))
     ON CONFLICT DO NOTHING`,
    [activationId, heldOut.map((member) => member.profileId), heldOut.map((member) => member.arm), runId, page.from, page.to, eligibleRead],
  );
}
