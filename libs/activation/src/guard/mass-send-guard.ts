import type { EntityManager } from 'typeorm';

/** Status of a send run held by the mass-send guard until a marketer or admin confirms it. */
export const AWAITING_CONFIRMATION = 'awaiting_confirmation';

export const DEFAULT_MASS_SEND_THRESHOLD = 10_000;
export const DEFAULT_MASS_SEND_GROWTH_PCT = 50;
/** Below this many messages growth alone never holds a send (3 → 8 is +166% and costs nothing). */
export const DEFAULT_MASS_SEND_GROWTH_MIN = 100;

/** The part of the server config the guard reads (AK_MASS_SEND_*). */
export interface MassSendConfig {
  AK_MASS_SEND_THRESHOLD?: number;
  AK_MASS_SEND_GROWTH_PCT?: number;
  AK_MASS_SEND_GROWTH_MIN?: number;
}

/** What the guard decided for one send, as stored in the run's `plan.guard` and the audit log. */
export interface MassSendDecision {
  hold: boolean;
  /** Messages the run would send (eligible adds of the plan). */
  count: number;
  threshold: number;
  growthPct: number;
  /** Sent count of the activation's last finished send run; null for a first send. */
  lastRunSent: number | null;
  reasons: string[];
}

/**
 * Email and SMS cost money and cannot be recalled: a send larger than the threshold, or more than
 * `growthPct` % larger than the last run's, waits for a person. A first send has no growth rule,
 * and neither has a send of fewer than AK_MASS_SEND_GROWTH_MIN messages.
 */
export function massSendDecision(count: number, lastRunSent: number | null, config: MassSendConfig = {}): MassSendDecision {
  const threshold = config.AK_MASS_SEND_THRESHOLD ?? DEFAULT_MASS_SEND_THRESHOLD;
  const growthPct = config.AK_MASS_SEND_GROWTH_PCT ?? DEFAULT_MASS_SEND_GROWTH_PCT;
  const growthMin = config.AK_MASS_SEND_GROWTH_MIN ?? DEFAULT_MASS_SEND_GROWTH_MIN;
  const reasons: string[] = [];
  if (count > threshold) reasons.push(`${count} messages is above the mass-send threshold of ${threshold}`);
  if (lastRunSent !== null && lastRunSent > 0 && count >= growthMin && count > lastRunSent * (1 + growthPct / 100)) {
    reasons.push(`${count} messages is more than ${growthPct}% above the last run's ${lastRunSent}`);
  }
  return { hold: reasons.length > 0, count, threshold, growthPct, lastRunSent, reasons };
}

/** Sent count of the activation's last finished (succeeded or partial) send run, or null. */
export async function lastRunSentCount(manager: EntityManager, activationId: string): Promise<number | null> {
  const rows: { sent: string | null }[] = await manager.query(
    `SELECT counts->>'sent' AS sent FROM sync_runs
     WHERE activation_id = $1 AND dry_run = false AND status IN ('succeeded', 'partial')
     ORDER BY finished_at DESC NULLS LAST LIMIT 1`,
    [activationId],
  );
  return rows.length ? Number(rows[0].sent ?? 0) : null;
}

/** An explicit audit row for a guard decision or a confirmation (who, what, the figures). */
export async function auditGuard(manager: EntityManager, action: 'mass_send_guard.held' | 'mass_send_guard.confirmed', actorKeyId: string | null, runId: string, details: Record<string, unknown>): Promise<void> {
  await manager.query(
    `INSERT INTO audit_log (actor_key_id, action, object_type, object_id, details) VALUES ($1, $2, 'sync-runs', $3, $4::jsonb)`,
    [actorKeyId, action, runId, JSON.stringify(details)],
  );
}
