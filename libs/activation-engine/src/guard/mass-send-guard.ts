import type { DataSource } from 'typeorm';
import { auditGuard, GuardAuditAction, lastRunSentCount } from '../data/sync-run.repository';
import { onChangeSentThisHour } from '../on-change/on-change.repository';

/** Status of a send run held by the mass-send guard until a marketer or admin confirms it. */
export const AWAITING_CONFIRMATION = 'awaiting_confirmation';

export const DEFAULT_MASS_SEND_THRESHOLD = 10_000;
export const DEFAULT_MASS_SEND_GROWTH_PCT = 50;
/** Below this many messages growth alone never holds a send (3 → 8 is +166% and costs nothing). */
export const DEFAULT_MASS_SEND_GROWTH_MIN = 100;
/** Messages one on-change (real-time) send activation may send per hour before it waits for a person. */
export const DEFAULT_REALTIME_SENDS_PER_HOUR = 1_000;

/** The part of the server config the guard reads (AK_MASS_SEND_*). */
export interface MassSendConfig {
  AK_MASS_SEND_THRESHOLD?: number;
  AK_MASS_SEND_GROWTH_PCT?: number;
  AK_MASS_SEND_GROWTH_MIN?: number;
  AK_REALTIME_SENDS_PER_HOUR?: number;
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

/**
 * The hourly cap of a real-time (`on_change`) send activation: its micro-batches are each small, so
 * the threshold and growth rules would never bite; what a person must approve is the rate. A batch
 * that would take the hour's count (since the latest confirmation) over the cap waits, and with it
 * every later change of the activation (kept pending, none dropped).
 */
export function onChangeSendDecision(count: number, sentThisHour: number, config: MassSendConfig = {}): MassSendDecision {
  const cap = config.AK_REALTIME_SENDS_PER_HOUR ?? DEFAULT_REALTIME_SENDS_PER_HOUR;
  const reasons =
    count > 0 && sentThisHour + count > cap
      ? [`${count} messages after ${sentThisHour} this hour is above the real-time cap of ${cap} per hour (AK_REALTIME_SENDS_PER_HOUR)`]
      : [];
  return { hold: reasons.length > 0, count, threshold: cap, growthPct: 0, lastRunSent: sentThisHour, reasons };
}

/**
 * The mass-send guard, decided in one place for every request (API or scheduled): the decision for
 * a send of `count` messages against the activation's last send, and the audit row of a hold or a
 * confirmation. Used by the engine's door (sync-requests.service.ts) and by the runner for runs
 * nobody checked yet (scheduled ones).
 */
export class MassSendGuard {
  constructor(
    private readonly dataSource: DataSource,
    private readonly config: MassSendConfig,
  ) {}

  async decide(activationId: string, count: number): Promise<MassSendDecision> {
    return massSendDecision(count, await lastRunSentCount(this.dataSource.manager, activationId), this.config);
  }

  /** The hourly cap of an on-change run of `count` messages (see `onChangeSendDecision`). */
  async decideOnChange(activationId: string, count: number): Promise<MassSendDecision> {
    return onChangeSendDecision(count, await onChangeSentThisHour(this.dataSource.manager, activationId), this.config);
  }

  audit(action: GuardAuditAction, actorKeyId: string | null, runId: string, details: Record<string, unknown>): Promise<void> {
    return auditGuard(this.dataSource.manager, action, actorKeyId, runId, details);
  }
}
